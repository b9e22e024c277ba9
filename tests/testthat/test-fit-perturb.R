# fit-perturb.R: the perturbation search after the multistart (lse_control(), "Perturbation search").

sine_data <- function() {
  set.seed(42)
  x <- runif(400, -3, 3)
  list(x = x, y = 2 * sin(2 * x) + 0.3 * x + rnorm(400, sd = 0.1))
}

# The best RSS of the sine problem's output-weighted tanh fit, k = 3 (a long search), computed
# once for the file.
sine_best <- local({
  best <- NULL
  function() {
    if (is.null(best)) {
      dat <- sine_data()
      set.seed(99)
      best <<- moe_lse(dat$x, dat$y, k = 3, expert = expert_tanh(output_weight = TRUE),
                       control = lse_control(n_starts = 100, n_perturb = 20, perturb_patience = 4))$rss
    }
    best
  }
})

# Fits of the sine problem with 5 starts for seeds 1 to 10; `...` further lse_control() arguments.
sine_fits <- function(...) {
  dat <- sine_data()
  lapply(1:10, function(s) {
    set.seed(s)
    moe_lse(dat$x, dat$y, k = 3, expert = expert_tanh(output_weight = TRUE),
            control = lse_control(n_starts = 5, warn = FALSE, ...))
  })
}

test_that("the perturbation search finds better optima than the multistart alone and never a worse one", {
  best <- sine_best()
  fits <- lapply(c(0, 10), function(np) sine_fits(n_perturb = np))
  rss <- lapply(fits, function(f) vapply(f, `[[`, 0, "rss"))
  reached <- vapply(rss, function(r) sum(r <= best * (1 + 1e-6)), 0)
  expect_gte(reached[2], reached[1] + 2)
  # the same seed gives the same multistart; the search only accepts improvements
  expect_true(all(rss[[2]] <= rss[[1]]))
  for (s in 1:10) {
    a <- fits[[1]][[s]]$starts
    b <- fits[[2]][[s]]$starts
    expect_identical(b[b$round == 0, ], a)
  }
})

test_that("the starts table records the chains, rounds, the best start and the stopping rule", {
  dat <- sine_data()
  e <- expert_tanh(output_weight = TRUE)
  set.seed(3)
  f <- moe_lse(dat$x, dat$y, k = 3, expert = e,
               control = lse_control(n_starts = 5, n_perturb = 4, perturb_patience = 2, perturb_chains = 3))
  st <- f$starts
  expect_identical(st$start, seq_len(nrow(st)))
  expect_identical(sum(st$round == 0), 5L)
  expect_identical(st$chain[st$round == 0], rep(0L, 5))
  expect_identical(st$rss[f$best_start], f$rss)
  # the chains start from the best distinct optima of the multistart (RSS apart by > 1e-6 relative)
  r0 <- st$rss[1:5]
  origin <- which.min(r0)
  for (i in order(r0)) if (length(origin) < 3 && all(abs(r0[i] / r0[origin] - 1) > 1e-6)) origin <- c(origin, i)
  expect_gte(length(origin), 2)
  expect_identical(unique(st$chain[st$round > 0]), origin)
  # per chain, the rule: a round's best replaces the chain's best when smaller by more than 1e-9
  # relative; the chain stops after perturb_patience = 2 such rounds in a row
  chain_best <- numeric(0)
  for (ch in origin) {
    rows <- st$chain == ch
    rounds <- max(st$round[rows])
    expect_identical(as.vector(table(st$round[rows])), rep(4L, rounds))
    best <- r0[ch]
    stale <- integer(rounds)
    for (r in seq_len(rounds)) {
      cand <- min(st$rss[rows & st$round == r])
      stale[r] <- if (cand < best * (1 - 1e-9)) 0L else if (r == 1) 1L else stale[r - 1] + 1L
      if (cand < best * (1 - 1e-9)) best <- cand
    }
    expect_identical(stale[rounds], 2L)
    expect_true(all(stale[-rounds] < 2L))
    chain_best <- c(chain_best, best)
  }
  expect_equal(f$rss, min(chain_best), tolerance = 1e-10)
  expect_lte(f$rss, min(st$rss) * (1 + 1e-9))
  expect_output(print(f), sprintf("best of 5 starts and %d perturbed", sum(st$round > 0)))
  # one chain: the search from the best fit alone, whose rows are the first chain's
  set.seed(3)
  g <- moe_lse(dat$x, dat$y, k = 3, expert = e,
               control = lse_control(n_starts = 5, n_perturb = 4, perturb_patience = 2, perturb_chains = 1))
  expect_identical(unique(g$starts$chain[g$starts$round > 0]), origin[1])
  first <- st[st$round == 0 | st$chain == origin[1], ]
  rownames(first) <- NULL
  expect_identical(first$rss, g$starts$rss)
})

test_that("chains from other optima reach lower optima than one chain from the best", {
  best <- sine_best()
  rss <- sapply(c(1, 3), function(ch) vapply(sine_fits(perturb_chains = ch), `[[`, 0, "rss"))
  # never worse for the same seed (the first chain is the one-chain search), better overall
  expect_true(all(rss[, 2] <= rss[, 1] * (1 + 1e-12)))
  expect_gt(sum(rss[, 2] <= best * (1 + 1e-6)), sum(rss[, 1] <= best * (1 + 1e-6)))
})

test_that("on large data the perturbed starts are screened and one per round is finished", {
  dat <- sine_data()
  set.seed(4)
  f <- moe_lse(dat$x, dat$y, k = 3, expert = "linear",
               control = lse_control(n_starts = 6, n_perturb = 5, screen_rows = 100, refine_rows = 200))
  st <- f$starts
  pert <- st[st$round > 0, ]
  expect_gt(nrow(pert), 0)
  expect_true(all(is.finite(pert$screen_rss)))
  finished <- tapply(is.finite(pert$rss), pert$round, sum)
  expect_true(all(finished == 1))
  # one chain, from the best fit of the multistart, however many chains are asked for
  expect_identical(unique(pert$chain), which.min(st$rss[st$round == 0]))
  expect_identical(st$rss[f$best_start], f$rss)
  # weighted: rows of weight zero are never drawn into the subsamples, so they cannot matter
  w <- rep(1:0, c(300, 100))
  set.seed(4)
  g <- moe_lse(dat$x, dat$y, weights = w, k = 3, expert = "linear",
               control = lse_control(n_starts = 6, n_perturb = 5, screen_rows = 100, refine_rows = 200))
  set.seed(4)
  h <- moe_lse(dat$x[1:300], dat$y[1:300], k = 3, expert = "linear",
               control = lse_control(n_starts = 6, n_perturb = 5, screen_rows = 100, refine_rows = 200))
  expect_equal(g$rss, h$rss, tolerance = 1e-10)
  expect_identical(g$starts$round, h$starts$round)
})

test_that("no perturbation search with given starts or n_perturb = 0; same seed, same fit for 1 and 2 threads", {
  dat <- sine_data()
  st <- list(beta0 = c(0, 0), beta1 = matrix(c(1, 0), 2, 1), eta = rbind(c(1, 0), c(-1, 1)))
  f <- moe_lse(dat$x, dat$y, k = 2, expert = "linear", start = st)
  expect_identical(nrow(f$starts), 1L)
  expect_identical(f$starts$round, 0L)
  set.seed(1)
  g <- moe_lse(dat$x, dat$y, k = 2, expert = "linear", control = lse_control(n_starts = 4, n_perturb = 0))
  expect_identical(nrow(g$starts), 4L)
  fits <- lapply(1:2, function(t) {
    set.seed(7)
    moe_lse(dat$x, dat$y, k = 3, expert = "linear", gate = gate_sigmoid(),
            control = lse_control(n_starts = 4, n_perturb = 3, threads = t))
  })
  expect_gt(max(fits[[1]]$starts$round), 0)
  expect_identical(fits[[1]]$theta, fits[[2]]$theta)
  expect_identical(fits[[1]]$starts, fits[[2]]$starts)
})

test_that("n_perturb, perturb_patience and perturb_chains reject bad values with classed errors naming them", {
  for (v in list(-1, 1.5, NA, "10", c(1, 2), 1e6)) {
    expect_error(lse_control(n_perturb = v), class = "lsmoe_error_input")
    err <- tryCatch(lse_control(n_perturb = v), error = identity)
    expect_identical(err$arg, "n_perturb")
  }
  for (v in list(0, -2, 2.5, NA, "2", 1001)) {
    err <- tryCatch(lse_control(perturb_patience = v), error = identity)
    expect_s3_class(err, "lsmoe_error_input")
    expect_identical(err$arg, "perturb_patience")
  }
  for (v in list(0, -1, 1.5, NA, "3", 1001)) {
    err <- tryCatch(lse_control(perturb_chains = v), error = identity)
    expect_s3_class(err, "lsmoe_error_input")
    expect_identical(err$arg, "perturb_chains")
  }
  expect_identical(lse_control(n_perturb = 0)$n_perturb, 0L)
})

test_that("a one-parameter model (k = 1, constant expert) goes through the whole default search", {
  # the perturbation search's starts form a 1 x n_perturb matrix (fuzz call 4958, seed 1)
  set.seed(2)
  x <- matrix(runif(60))
  y <- rnorm(60, 3)
  fit <- moe_lse_fit(x, y, k = 1, expert = expert_constant())
  expect_true(fit$converged)
  expect_equal(fit$rss, sum((y - mean(y))^2), tolerance = 1e-10)
  expect_equal(unname(fitted(fit)), rep(mean(y), 60), tolerance = 1e-8)
  expect_gt(sum(fit$starts$round > 0), 0)  # the perturbation search ran
  fit2 <- moe_lse_fit(x, y, k = 1, expert = expert_constant(), control = lse_control(n_starts = 1, max_iter = 2, warn = FALSE))
  expect_equal(fit2$rss, fit$rss, tolerance = 1e-8)
})

test_that("chains are chosen without dividing by an RSS of zero (fuzz finding, seed 12)", {
  # a response of about 1e-300: every start's RSS underflows to 0, and the chains' distinctness
  # test 0 / 0 stopped the fit with an unclassed "missing value where TRUE/FALSE needed"
  set.seed(1)
  x <- matrix(runif(60), 60, 1)
  y <- sin(3 * x[, 1]) * 1e-300
  f <- moe_lse_fit(x, y, k = 2, expert = expert_constant(), gate = gate_sigmoid())
  expect_identical(f$rss, 0)
  expect_true(f$converged)
  expect_true(all(is.finite(fitted(f))))
})
