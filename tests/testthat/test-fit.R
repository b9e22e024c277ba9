# fit.R: the whole pipeline (moe_fit()) end to end: recovery of a true mixture, optima against other
# optimizers, reproducibility, box bounds, every family, and the default search.

# Match fitted components to the truth (best permutation of expert parameters) and express the
# gates relative to the same reference component as the truth.
match_to_truth <- function(fit, truth) {
  co <- fit$coefficients
  k <- length(truth$beta0)
  perms <- if (k == 2) list(1:2, 2:1) else stop("k = 2 only")
  cost <- vapply(perms, function(p) sum((co$eta[p, , drop = FALSE] - truth$eta)^2), numeric(1))
  p <- perms[[which.min(cost)]]
  b0 <- co$beta0[p]; b1 <- co$beta1[p, , drop = FALSE]; eta <- co$eta[p, , drop = FALSE]
  list(beta0 = unname(b0 - b0[k]), beta1 = unname(sweep(b1, 2, b1[k, ])), eta = unname(eta))
}

for (d in 1:2) {
  test_that(sprintf("an exact-specified fit recovers a k = 2 sigmoid mixture (d = %d)", d), {
    sim <- sim_sigmoid2(n = 20000, d = d, noise_sd = 0.05, seed = 100 + d)
    set.seed(1)
    fit <- moe_lse(sim$x, sim$y, k = 2, expert = expert_sigmoid())
    expect_true(fit$converged)
    m <- match_to_truth(fit, sim$truth)
    tr <- sim$truth
    expect_lt(max(abs(m$beta0 - (tr$beta0 - tr$beta0[2]))), 0.1)
    expect_lt(max(abs(m$beta1 - sweep(tr$beta1, 2, tr$beta1[2, ]))), 0.1)
    expect_lt(max(abs(m$eta - tr$eta)), 0.1)
    expect_lt(abs(fit$rss / fit$nobs / 0.05^2 - 1), 0.05)
  })
}

test_that("moe_lse's optimum is at least as good as nlsLM's and optim's from the same start", {
  skip_if_not_installed("minpack.lm")
  e <- expert_sigmoid()
  for (seed in 1:5) {
    sim <- sim_sigmoid2(n = 400, d = 1, noise_sd = 0.1, seed = seed)
    set.seed(seed)
    tr <- sim$truth
    start <- list(beta0 = tr$beta0 + c(rnorm(1, sd = 0.5), 0), beta1 = tr$beta1 + c(rnorm(1, sd = 0.5), 0),
                  eta = tr$eta + matrix(rnorm(4, sd = 0.5), 2))
    ctl <- lse_control(bound_gate = Inf, bound_expert = Inf, warn = FALSE)
    fit <- moe_lse(sim$x, sim$y, k = 2, expert = e, start = start, control = ctl)
    th0 <- lsmoe:::pack_theta(start$beta0, start$beta1, start$eta)
    rss_fun <- function(th) sum((sim$y - ref_f_theta(th, sim$x, e, 2))^2)
    others <- c(
      optim = optim(th0, rss_fun, method = "BFGS", control = list(maxit = 2000, reltol = 1e-14))$value,
      nlsLM = tryCatch({
        nl <- minpack.lm::nls.lm(th0, fn = function(th) sim$y - ref_f_theta(th, sim$x, e, 2),
                                 control = minpack.lm::nls.lm.control(maxiter = 1000, ftol = 1e-12, ptol = 1e-12))
        sum(nl$fvec^2)
      }, error = function(err) Inf)
    )
    expect_lte(fit$rss, min(others) * (1 + 1e-8), label = sprintf("seed %d: moe_lse RSS", seed))
  }
})

test_that("the same seed gives an identical fit, also with two threads", {
  sim <- sim_sigmoid2(n = 1000, d = 1, noise_sd = 0.1, seed = 7)
  set.seed(42); f1 <- moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid")
  set.seed(42); f2 <- moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid")
  set.seed(42); f3 <- moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(threads = 2))
  expect_identical(f1$theta, f2$theta)
  expect_identical(f1$starts, f2$starts)
  expect_identical(f1$theta, f3$theta)
  set.seed(43); f4 <- moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(start_strategy = "random"))
  expect_false(identical(f1$starts$rss, f4$starts$rss))
})

test_that("box bounds hold and estimates on a bound are counted", {
  sim <- sim_sigmoid2(n = 2000, d = 1, noise_sd = 0.05, seed = 9)
  set.seed(1)
  fit <- moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid",
                 control = lse_control(bound_gate = 1, bound_expert = 2, standardize = FALSE, warn = FALSE))
  co <- fit$coefficients
  expect_true(all(abs(c(co$beta0, co$beta1)) <= 1 + 1e-12))
  expect_true(all(abs(co$eta) <= 2 + 1e-12))
  # the truth has |beta1| = 3 and |b| = 4, so the box is active
  expect_gt(fit$on_bound, 0)
  expect_equal(fit$on_bound, sum(abs(c(co$beta0[1], co$beta1[1, ])) > 1 - 1e-4) + sum(abs(co$eta) > 2 - 2e-4))
})

test_that("every expert family fits data from its own model better than a constant", {
  set.seed(5)
  x <- matrix(runif(600), ncol = 1)
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    q <- lsmoe:::expert_q(e, 1)
    eta <- matrix(c(3, -1, 1.5, -3, 2, -0.5)[seq_len(2 * q)], 2, q, byrow = TRUE)
    if (e$name == "constant") eta <- matrix(c(1, -1), 2, 1)
    f <- ref_fG(x, c(4, 0), matrix(c(-8, 0), 2, 1), eta, e)
    y <- f + rnorm(600, sd = 0.05)
    fit <- moe_lse(x, y, k = 2, expert = e, control = lse_control(warn = FALSE))
    expect_lt(fit$rss, sum((y - mean(y))^2), label = nm)
    expect_lt(fit$rss / 600, 3 * 0.05^2, label = paste(nm, "RSS/n"))
  }
})

test_that("default fits find the best optimum that 300 starts find (mcycle, linear experts)", {
  skip_if_not_installed("MASS")
  data(mcycle, package = "MASS")
  set.seed(99)
  best <- moe_lse(accel ~ times, data = mcycle, k = 3, expert = "linear",
                  control = lse_control(n_starts = 300))$rss
  hits <- vapply(1:3, function(s) {
    set.seed(s)
    f <- moe_lse(accel ~ times, data = mcycle, k = 3, expert = "linear")
    expect_true(f$converged)
    f$rss <= best * (1 + 1e-6)
  }, logical(1))
  expect_gte(sum(hits), 2)
})
