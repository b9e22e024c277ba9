# Weighted least squares (issue 9).

test_that("integer weights give the unweighted fit of the replicated rows", {
  sim <- sim_sigmoid2(n = 300, d = 1, noise_sd = 0.1, seed = 11)
  set.seed(12)
  w <- sample(1:3, 300, replace = TRUE)
  rep_rows <- rep(seq_len(300), w)
  ctl <- lse_control(n_starts = 1, warn = FALSE)
  fw <- moe_lse_fit(sim$x, sim$y, weights = w, k = 2, expert = "sigmoid", start = sim$truth, control = ctl)
  fr <- moe_lse_fit(sim$x[rep_rows, , drop = FALSE], sim$y[rep_rows], k = 2, expert = "sigmoid",
                    start = sim$truth, control = ctl)
  expect_true(fw$converged && fr$converged)
  expect_equal(fw$theta, fr$theta, tolerance = 1e-6)
  expect_equal(deviance(fw), deviance(fr), tolerance = 1e-8)
  expect_equal(deviance(fw), sum(w * residuals(fw)^2), tolerance = 1e-10)
  expect_equal(residuals(fw, type = "pearson"), sqrt(w) * residuals(fw))
  expect_equal(nobs(fw), 300L)
  # the weighted objective is what was minimised: perturbing theta raises it
  rss_w <- function(th) sum(w * (sim$y - ref_f_theta(th, sim$x, expert_sigmoid(), 2))^2)
  for (j in seq_along(fw$theta)) {
    e <- replace(numeric(length(fw$theta)), j, 1e-3)
    expect_gt(min(rss_w(fw$theta + e), rss_w(fw$theta - e)), rss_w(fw$theta))
  }
})

test_that("zero weights drop rows from the fit and from n, but keep fitted values", {
  sim <- sim_sigmoid2(n = 400, d = 1, noise_sd = 0.1, seed = 13)
  w <- rep(c(1, 0), 200)
  ctl <- lse_control(n_starts = 1, warn = FALSE)
  f0 <- moe_lse_fit(sim$x, sim$y, weights = w, k = 2, start = sim$truth, control = ctl)
  fs <- moe_lse_fit(sim$x[w > 0, , drop = FALSE], sim$y[w > 0], k = 2, start = sim$truth, control = ctl)
  expect_equal(f0$theta, fs$theta, tolerance = 1e-10)
  expect_equal(nobs(f0), 200L)
  expect_equal(df.residual(f0), 200L - 6L)
  expect_length(fitted(f0), 400L)
  co <- f0$coefficients
  expect_equal(fitted(f0), ref_fG(sim$x, co$beta0, co$beta1, co$eta, expert_sigmoid()), tolerance = 1e-10)
  expect_equal(residuals(f0, type = "pearson")[w == 0], rep(0, 200))
  expect_equal(sigma(f0), sigma(fs))
  expect_equal(as.numeric(logLik(f0)), as.numeric(logLik(fs)))
})

test_that("weights in the formula interface are evaluated in data, as for lm", {
  set.seed(14)
  d <- data.frame(x = runif(150), w = runif(150, 0.5, 2))
  d$y <- 1 + 2 * d$x + rnorm(150, sd = 0.1 / sqrt(d$w))
  f <- moe_lse(y ~ x, data = d, weights = w, k = 1, expert = "linear")
  l <- lm(y ~ x, data = d, weights = w)
  expect_equal(unname(coef(f)), unname(coef(l)[2:1]), tolerance = 1e-7)
  expect_equal(weights(f), d$w)
  expect_equal(model.frame(f), model.frame(l))
  expect_equal(as.numeric(logLik(f)), as.numeric(logLik(l)), tolerance = 1e-8)
  expect_equal(sigma(f), sigma(l), tolerance = 1e-8)
  expect_equal(unname(residuals(f, type = "pearson")), unname(residuals(l, type = "pearson")), tolerance = 1e-6)
})
