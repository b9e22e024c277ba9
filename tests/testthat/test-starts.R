# starts.R: the start generators: tree starts (tree_splits(), softmax_gate_start(), tree_start()), the mixed
# strategy and the box of generated starts (make_starts()), and perturbed starts (perturb_theta()).

plateaus <- function(n = 300, seed = 8) {
  set.seed(seed)
  x <- matrix(sort(runif(n)), ncol = 1)
  lab <- ifelse(x[, 1] < 0.3, 1L, ifelse(x[, 1] < 0.6, 2L, 3L))
  list(x = x, y = c(0, 2, -1)[lab] + rnorm(n, sd = 0.1), lab = lab)
}

test_that("tree_splits finds the best constant-leaf cut of a brute-force search", {
  set.seed(3)
  for (rep in 1:5) {
    m <- 60
    z <- matrix(rnorm(m * 2), m, 2)
    z[1:10, 1] <- z[1:10, 1][1]  # ties: a cut never separates equal projections
    y <- ifelse(z[, 1] + 0.5 * z[, 2] > 0.3, 1, 0) + rnorm(m, sd = 0.5)
    dirs <- cbind(diag(2), c(1, 0.5) / sqrt(1.25))
    m_min <- 4
    got <- lsmoe:::tree_splits(z, y, dirs, m_min)
    expect_length(got$gain, 3)
    for (u in 1:3) {
      t <- drop(z %*% dirs[, u])
      best <- Inf
      for (cut in sort(unique(t))) {
        lo <- t <= cut
        if (sum(lo) < m_min || sum(!lo) < m_min) next
        best <- min(best, sum((y[lo] - mean(y[lo]))^2) + sum((y[!lo] - mean(y[!lo]))^2))
      }
      expect_equal(got$gain[u], sum((y - mean(y))^2) - best, tolerance = 1e-10)
      # the cut lies between two projections and splits the rows with that RSS
      lo <- t < got$cut[u]
      expect_true(max(t[lo]) < got$cut[u] && got$cut[u] < min(t[!lo]))
      expect_equal(sum((y[lo] - mean(y[lo]))^2) + sum((y[!lo] - mean(y[!lo]))^2), best, tolerance = 1e-10)
    }
  }
  # too few rows for two parts of m_min: no split
  expect_length(lsmoe:::tree_splits(matrix(1:5, ncol = 1), rnorm(5), diag(1), 3)$gain, 0)
})

test_that("the softmax gate of a partition solves the ridge-penalised multinomial score equations", {
  set.seed(11)
  n <- 200
  z <- matrix(rnorm(n * 2), n, 2)
  cl <- ifelse(z[, 1] > 0.5, 1L, ifelse(z[, 2] > 0, 2L, 3L))
  cl[sample.int(n, 20)] <- sample(1:3, 20, replace = TRUE)  # not separable
  sc <- list(mx = c(0, 0), sx = c(1, 1))
  g <- lsmoe:::softmax_gate_start(z, cl, 3, sc, lse_control(bound_gate = Inf))
  expect_equal(g$beta0[3], 0)
  expect_equal(g$beta1[3, ], c(0, 0))
  L <- cbind(g$beta0, g$beta1) %*% t(cbind(1, z))  # k x n
  P <- exp(t(L) - apply(L, 2, max))
  P <- P / rowSums(P)
  Y <- outer(cl, 1:3, "==") * 1
  score <- crossprod(cbind(1, z), Y[, 1:2] - P[, 1:2])
  expect_equal(score, 1e-3 * n * t(cbind(g$beta0, g$beta1)[1:2, ]), tolerance = 1e-6)
  # the fitted gate assigns most rows to their own part
  expect_gt(mean(max.col(P) == cl), 0.8)
  # sharpened logits are kept within half the gating bound, on the scale of x
  sc2 <- list(mx = c(1, -2), sx = c(2, 0.5))
  x <- sweep(sweep(z, 2, sc2$sx, "*"), 2, sc2$mx, "+")
  g2 <- lsmoe:::softmax_gate_start(z, cl, 3, sc2, lse_control(bound_gate = 4), sharpen = 10)
  L2 <- cbind(g2$beta0, g2$beta1) %*% t(cbind(1, x))
  expect_equal(unname(L2), unname(4 / 2 * L / max(abs(cbind(g$beta0, g$beta1)[1:2, ]))), tolerance = 1e-8)
})

test_that("a tree start recovers a three-plateau partition and its levels", {
  d <- plateaus()
  sc <- lsmoe:::data_scales(d$x, d$y)
  set.seed(1)
  for (gate in c("softmax", "sigmoid")) {
    for (i in 1:4) {
      s <- lsmoe:::tree_start(d$x, d$y, 3, expert_linear(), lse_control(), sc, gate)
      L <- cbind(1, d$x) %*% t(cbind(s$beta0, s$beta1))
      part <- max.col(L)
      tab <- table(part, d$lab)
      if (gate == "softmax") {
        # each part is one plateau (labels up to a permutation); one-vs-rest sigmoid gates with
        # linear logits cannot single out the middle interval, so only their experts are checked
        expect_equal(nrow(tab), 3)
        expect_gt(sum(apply(tab, 1, max)) / length(d$lab), 0.97)
      }
      # the experts are the plateau levels: slope ~ 0, intercept ~ level of the plateau
      lev <- c(0, 2, -1)[apply(tab, 1, which.max)]
      fitted_lev <- s$eta[as.integer(rownames(tab)), 2] + s$eta[as.integer(rownames(tab)), 1] *
        as.vector(tapply(d$x[, 1], part, mean))
      expect_equal(unname(fitted_lev), lev, tolerance = 0.05)
    }
  }
})

test_that("the mixed strategy has a fifth tree starts, and none with k = 1 or n_starts < 3", {
  d <- plateaus()
  # the first fifth is k-means, the second tree starts: they match the "data" and "tree"
  # strategies drawn in the same order
  ctl <- lse_control(n_starts = 10)
  set.seed(2)
  mixed <- lsmoe:::make_starts(d$x, d$y, 3, expert_linear(), ctl)
  set.seed(2)
  dat <- lsmoe:::make_starts(d$x, d$y, 3, expert_linear(), lse_control(n_starts = 2, start_strategy = "data"))
  tre <- lsmoe:::make_starts(d$x, d$y, 3, expert_linear(), lse_control(n_starts = 2, start_strategy = "tree"))
  expect_equal(mixed[, 1:4], cbind(dat, tre), ignore_attr = TRUE)
  # n_starts = 2: one k-means and one random start, as before tree starts (same draws as "data"
  # then "random")
  set.seed(4)
  two <- lsmoe:::make_starts(d$x, d$y, 3, expert_linear(), lse_control(n_starts = 2))
  set.seed(4)
  one_data <- lsmoe:::make_starts(d$x, d$y, 3, expert_linear(), lse_control(n_starts = 1, start_strategy = "data"))
  one_random <- lsmoe:::make_starts(d$x, d$y, 3, expert_linear(), lse_control(n_starts = 1, start_strategy = "random"))
  expect_equal(two, cbind(one_data, one_random), ignore_attr = TRUE)
  # k = 1: no tree starts (a tree with one part is the k-means start of one cluster)
  set.seed(6)
  k1 <- lsmoe:::make_starts(d$x, d$y, 1, expert_linear(), lse_control(n_starts = 5))
  set.seed(6)
  k1_old <- cbind(lsmoe:::make_starts(d$x, d$y, 1, expert_linear(), lse_control(n_starts = 1, start_strategy = "data")),
                  lsmoe:::make_starts(d$x, d$y, 1, expert_linear(), lse_control(n_starts = 4, start_strategy = "random")))
  expect_equal(k1, k1_old, ignore_attr = TRUE)
})

test_that("tree starts find a steep-gate optimum that random starts rarely reach (airquality)", {
  aq <- stats::na.omit(datasets::airquality)
  x <- as.matrix(aq[, c("Temp", "Wind")])
  y <- aq$Ozone
  best <- function(strategy, seed) {
    set.seed(seed)
    moe_lse(x, y, k = 2, expert = expert_linear(),
            control = lse_control(n_starts = 10, start_strategy = strategy, n_perturb = 0))$rss
  }
  tree <- vapply(1:5, best, 0, strategy = "tree")
  random <- vapply(1:5, best, 0, strategy = "random")
  ref <- min(c(tree, random))
  expect_gte(sum(tree <= ref * (1 + 1e-6)), sum(random <= ref * (1 + 1e-6)) + 2)
})

test_that("tree starts work with any thread count and give the same fit", {
  d <- plateaus()
  f <- function(th) {
    set.seed(9)
    moe_lse(d$x, d$y, k = 3, expert = expert_linear(), control = lse_control(n_starts = 6, start_strategy = "tree",
                                                                              threads = th))
  }
  a <- f(1)
  b <- f(2)
  expect_identical(a$rss, b$rss)
  expect_identical(coef(a), coef(b))
  set.seed(9)
  km <- moe_lse(d$x, d$y, k = 3, expert = expert_linear(), control = lse_control(n_starts = 6, start_strategy = "data"))
  expect_lte(a$rss, km$rss * (1 + 1e-8))
})

test_that("start_strategy accepts \"tree\" and names it in its error", {
  expect_equal(lse_control(start_strategy = "tree")$start_strategy, "tree")
  expect_error(lse_control(start_strategy = "trees"), class = "lsmoe_error_input", regexp = "\"tree\"")
})

test_that("generated starts stay strictly inside the bounds", {
  set.seed(8)
  x <- matrix(sort(runif(300)), ncol = 1)
  y <- ifelse(x[, 1] < 0.3, 0, ifelse(x[, 1] < 0.6, 2, -1)) + rnorm(300, sd = 0.1)
  ctl <- lse_control(n_starts = 6, bound_gate = 5, bound_expert = 4, bound_output = 3)
  for (e in list(expert_tanh(TRUE), expert_linear())) {
    st <- lsmoe:::make_starts(x, y, 3, e, ctl)
    b <- lsmoe:::theta_bounds(3, 1, e, ctl)
    expect_true(all(st >= 0.9 * b$lower - 1e-12 & st <= 0.9 * b$upper + 1e-12))
    # the data-driven gate is softened, not clipped: the anchored gate keeps its shape
    expect_true(all(abs(st[1:4, 1]) <= 0.5 * 5 + 1e-12))
  }
})

test_that("a perturbed start redraws one component and keeps the others", {
  set.seed(5)
  x <- matrix(runif(200), 100, 2)
  y <- rnorm(100)
  e <- expert_tanh(output_weight = TRUE)
  sc <- lsmoe:::data_scales(x, y)
  k <- 4
  q <- 4
  for (gate in c("softmax", "sigmoid")) {
    th <- lsmoe:::pack_theta(rnorm(k), matrix(rnorm(2 * k), k, 2), matrix(rnorm(k * q), k, q), gate)
    P <- lsmoe:::unpack_theta(th, k, 2, q, gate)
    seen <- character(0)
    for (i in 1:60) {
      Q <- lsmoe:::unpack_theta(lsmoe:::perturb_theta(th, x, y, k, e, sc, gate), k, 2, q, gate)
      # logits of the full gate, made unique under the softmax by anchoring the first component
      lp <- cbind(P$beta0, P$beta1)
      lq <- cbind(Q$beta0, Q$beta1)
      if (gate == "softmax") {
        lp <- sweep(lp, 2, lp[1, ])
        lq <- sweep(lq, 2, lq[1, ])
      }
      gate_changed <- which(rowSums(abs(lp - lq)) > 1e-12)
      eta_changed <- which(rowSums(abs(P$eta - Q$eta)) > 0)
      j <- unique(c(eta_changed, if (gate == "sigmoid") gate_changed))
      if (gate == "softmax" && length(gate_changed)) {
        # with the first component anchored, a new logit of component j changes row j only
        # (or, when j = 1, every other row by the same amount)
        jg <- if (length(gate_changed) == 1) gate_changed else 1L
        if (length(gate_changed) > 1) {
          dd <- lp - lq
          expect_equal(unname(sweep(dd[-1, , drop = FALSE], 2, dd[2, ])), matrix(0, k - 1, 3))
        }
        j <- unique(c(j, jg))
      }
      expect_length(j, 1)  # exactly one component changed
      seen <- union(seen, c(if (length(eta_changed)) "expert", if (length(gate_changed)) "gate"))
    }
    expect_setequal(seen, c("expert", "gate"))
  }
})
