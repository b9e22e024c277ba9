# simulate.R: simulate_moe() and simulate() for fits: draws, validation, overflow, hand-edited fits.

G_sim <- function() {
  mixing_measure(beta0 = c(-3, 0), beta1 = c(6, 0), eta = rbind(c(4, -1), c(-4, 3)), expert = expert_sigmoid())
}

test_that("simulate_moe() draws x ~ U[0,1]^d, then N(0, sd^2) noise, from R's RNG", {
  G <- G_sim()
  set.seed(31)
  sim <- simulate_moe(G, n = 50, noise_sd = 0.2)
  set.seed(31)
  x <- matrix(runif(50), 50, 1)
  eps <- rnorm(50, sd = 0.2)
  f <- ref_fG(x, G$beta0, G$beta1, G$eta, expert_sigmoid())
  expect_equal(unname(sim$x), x)
  expect_identical(colnames(sim$x), "x")
  expect_equal(sim$f, f, tolerance = 1e-12)
  expect_equal(sim$y, f + eps, tolerance = 1e-12)
  # reproducible, and different seeds differ
  set.seed(31)
  expect_identical(simulate_moe(G, 50, 0.2), sim)
  set.seed(32)
  expect_false(identical(simulate_moe(G, 50, 0.2)$y, sim$y))
  # noise_sd = 0 gives y = f
  sim0 <- simulate_moe(G, 20, 0)
  expect_identical(sim0$y, sim0$f)
})

test_that("simulate_moe() handles d > 1, user inputs and sampling functions", {
  G2 <- mixing_measure(c(0, 0), rbind(c(1, -1), c(0, 0)), rbind(c(1, 1, 0), c(-1, 0, 1)), expert_tanh())
  set.seed(33)
  sim <- simulate_moe(G2, n = 200, noise_sd = 0.1)
  expect_identical(dim(sim$x), c(200L, 2L))
  expect_identical(colnames(sim$x), c("x1", "x2"))
  expect_true(all(sim$x >= 0 & sim$x <= 1))
  expect_length(sim$y, 200)

  x <- matrix(seq(-1, 1, length.out = 10), 5, 2)
  s <- simulate_moe(G2, noise_sd = 0, x = x)
  expect_equal(unname(s$x), x)
  expect_equal(s$y, ref_fG(x, G2$beta0, G2$beta1, G2$eta, expert_tanh()), tolerance = 1e-12)
  expect_length(simulate_moe(G2, n = 5, noise_sd = 0, x = x)$y, 5)
  expect_error(simulate_moe(G2, n = 6, noise_sd = 0, x = x), class = "lsmoe_error_input")
  expect_error(simulate_moe(G2, noise_sd = 0, x = x[, 1]), class = "lsmoe_error_input")

  sampler <- function(n) matrix(rnorm(2 * n, 5), n, 2)
  set.seed(34)
  s2 <- simulate_moe(G2, n = 30, noise_sd = 0.1, x = sampler)
  set.seed(34)
  expect_equal(unname(s2$x), sampler(30))
  expect_error(simulate_moe(G2, n = 30, noise_sd = 0.1, x = function(n) matrix(0, n + 1, 2)), class = "lsmoe_error_input")
  expect_error(simulate_moe(G2, noise_sd = 0.1, x = sampler), class = "lsmoe_error_input")

  # large-sample check of the noise level
  set.seed(35)
  big <- simulate_moe(G_sim(), n = 2e4, noise_sd = 0.3)
  expect_equal(sd(big$y - big$f), 0.3, tolerance = 0.03)
})

test_that("simulate_moe() validates its arguments", {
  G <- G_sim()
  expect_error(simulate_moe(G, n = 0, noise_sd = 0.1), class = "lsmoe_error_input")
  expect_error(simulate_moe(G, n = 2.5, noise_sd = 0.1), class = "lsmoe_error_input")
  expect_error(simulate_moe(G, n = 10, noise_sd = -1), class = "lsmoe_error_input")
  expect_error(simulate_moe(G, n = 10, noise_sd = NA), class = "lsmoe_error_input")
  expect_error(simulate_moe(G, n = 10), class = "lsmoe_error_input")
  expect_error(simulate_moe(G, noise_sd = 0.1), class = "lsmoe_error_input")
  expect_error(simulate_moe(list(1), n = 10, noise_sd = 0.1), class = "lsmoe_error_input")
  expect_error(simulate_moe(G, noise_sd = 0.1, x = c(0.1, NA)), class = "lsmoe_error_input")
})

test_that("simulate() for fits follows stats::simulate conventions", {
  G <- G_sim()
  set.seed(36)
  sim <- simulate_moe(G, n = 150, noise_sd = 0.1)
  fit <- moe_lse(sim$x, sim$y, k = 2, expert = expert_sigmoid(),
                 start = list(beta0 = G$beta0, beta1 = G$beta1, eta = G$eta),
                 control = lse_control(n_starts = 1, warn = FALSE))
  # the noise of lm's simulate(): sd sigma() = sqrt(RSS / (n - p))
  sigma <- sqrt(fit$rss / (fit$nobs - length(coef(fit))))
  expect_equal(sigma, sigma(fit))

  s <- simulate(fit, nsim = 3, seed = 7)
  expect_s3_class(s, "data.frame")
  expect_identical(dim(s), c(150L, 3L))
  expect_identical(names(s), c("sim_1", "sim_2", "sim_3"))
  set.seed(7)
  expected <- matrix(fitted(fit) + rnorm(150 * 3, sd = sigma), 150, 3)
  expect_equal(unname(as.matrix(s)), expected, tolerance = 1e-12)
  # the seed attribute records the seed and the RNG kind
  expect_identical(as.vector(attr(s, "seed")), 7)
  expect_identical(attr(attr(s, "seed"), "kind"), as.list(RNGkind()))
  # same seed, same draw; the global RNG state is restored
  set.seed(99)
  before <- .Random.seed
  s2 <- simulate(fit, nsim = 3, seed = 7)
  expect_identical(.Random.seed, before)
  expect_identical(s2, s)
  # seed = NULL: the attribute is the RNG state before the draw, and the draw uses it
  set.seed(100)
  state <- .Random.seed
  s3 <- simulate(fit, nsim = 2)
  expect_identical(attr(s3, "seed"), state)
  set.seed(100)
  expect_equal(s3$sim_1, unname(fitted(fit)) + rnorm(150, sd = sigma), tolerance = 1e-12)
  expect_error(simulate(fit, nsim = 0), class = "lsmoe_error_input")
})

test_that("simulate_moe() with a huge noise_sd is an error, not -Inf", {
  G <- G_sig()
  set.seed(1)
  # with 200 draws some |eps| exceed 1.8 sd, so some y = f + eps overflow
  expect_error(simulate_moe(G, 200, noise_sd = 1e308), "`noise_sd`", class = "lsmoe_error_nonfinite")
  expect_error(simulate_moe(G, 200, noise_sd = 1e308), class = "lsmoe_error_input")
  err_input(simulate_moe(G, 5, noise_sd = Inf), "`noise_sd`")
  # a large but representable sd is fine
  set.seed(1)
  s <- simulate_moe(G, 200, noise_sd = 1e300)
  expect_true(all(is.finite(s$y)))
})

test_that("simulate_moe() with overflowing f_G is an error naming x (or G)", {
  # h = 10 x overflows at x = 1e308 (the gate is then exactly (1, 0) or (0, 1))
  G <- mixing_measure(c(0, 0), c(1, -1), rbind(c(10, 0), c(-10, 0)), expert = expert_linear())
  expect_error(simulate_moe(G, x = c(0.5, 1e308, -1e308), noise_sd = 0), "2 of 3", class = "lsmoe_error_nonfinite")
  cnd <- tryCatch(simulate_moe(G, x = c(0.5, 1e308, -1e308), noise_sd = 0), error = function(e) e)
  expect_identical(cnd$arg, "x")
  Gp <- mixing_measure(0, 1, c(1e10, 0), expert = expert_polynomial(50))
  expect_error(simulate_moe(Gp, 5, noise_sd = 0), class = "lsmoe_error_nonfinite")
  cnd <- tryCatch(simulate_moe(Gp, 5, noise_sd = 0), error = function(e) e)
  expect_identical(cnd$arg, "G")
})

test_that("simulate_moe() limits the number of drawn values and wraps a failing x()", {
  G <- G_sig()
  for (n in list(1e9, .Machine$integer.max, 1e8 + 1)) err_input(simulate_moe(G, n, noise_sd = 0.1), "`n`")
  err_input(simulate_moe(G, 10, noise_sd = 0.1, x = function(n) stop("boom")), "`x`.*boom")
  err_input(regression_error(G, G, n_mc = 1e9), "`n_mc`")
})

test_that("simulate() for a weighted fit draws sd sigma() / sqrt(w), NA where w = 0, and needs n > p", {
  set.seed(5)
  x <- runif(60)
  y <- ifelse(x < 0.5, 1 + x, 2 - x) + rnorm(60, sd = 0.1)
  w <- rep(c(0, 1, 4), 20)
  fit <- moe_lse(x, y, k = 2, expert = "linear", weights = w, control = lse_control(n_starts = 3, warn = FALSE))
  s <- simulate(fit, nsim = 2, seed = 11)
  set.seed(11)
  z <- rnorm(120)
  sdv <- rep(sigma(fit) / sqrt(ifelse(w > 0, w, NA)), 2)
  expect_equal(unname(as.matrix(s)), matrix(fitted(fit) + sdv * z, 60, 2), tolerance = 1e-12)
  expect_true(all(is.na(s$sim_1[w == 0])))
  expect_false(anyNA(s$sim_2[w > 0]))
  # the spread of the weight-4 rows is half that of the weight-1 rows
  big <- simulate(fit, nsim = 400, seed = 3)
  r <- as.matrix(big) - fitted(fit)
  expect_equal(sd(r[w == 4, ]) / sd(r[w == 1, ]), 0.5, tolerance = 0.05)
  # no residual degrees of freedom: sigma() is undefined, so is the draw
  tiny <- moe_lse(x[1:6], y[1:6], k = 2, expert = "linear", control = lse_control(n_starts = 2, warn = FALSE))
  expect_lte(df.residual(tiny), 0)
  expect_error(simulate(tiny), class = "lsmoe_error_input")
})

test_that("simulate() for a hand-edited moe_lse fit gives classed errors", {
  set.seed(2)
  s <- simulate_moe(G_sig(), 100, noise_sd = 0.05)
  fit <- moe_lse(s$x, s$y, k = 2, expert = "sigmoid", control = lse_control(n_starts = 1, warn = FALSE))
  err_input(simulate(fit, nsim = 1e9), "`nsim`")
  err_input(simulate(fit, nsim = 1, seed = "a"), "`seed`")
  err_input(simulate(fit, nsim = 1, seed = 1e10), "`seed`")
  f2 <- fit
  f2$rss <- NaN
  err_input(simulate(f2), "`object`")
  f2 <- fit
  f2$fitted.values <- "a"
  err_input(simulate(f2), "`object`")
  # the fit itself still simulates reproducibly
  expect_identical(simulate(fit, nsim = 2, seed = 3), simulate(fit, nsim = 2, seed = 3))
})

test_that("simulate_moe() refuses a draw whose estimated memory exceeds max_gb, before drawing", {
  G <- mixing_measure(beta0 = c(-3, 0), beta1 = c(6, 0), eta = rbind(c(4, -1), c(-4, 3)), expert = expert_sigmoid())
  set.seed(1)
  before <- .Random.seed
  # 8 n (d + 10) bytes: n = 1e8, d = 1 is about 8.8 GB
  expect_error(simulate_moe(G, n = 1e8, noise_sd = 0.1), "8.8 GB", class = "lsmoe_error_cost")
  expect_error(simulate_moe(G, n = 1e8, noise_sd = 0.1), class = "lsmoe_error_input")
  expect_identical(.Random.seed, before)  # nothing drawn
  expect_error(simulate_moe(G, n = 2e4, noise_sd = 0.1, max_gb = 1e-3), "max_gb", class = "lsmoe_error_cost")
  expect_length(simulate_moe(G, n = 2e4, noise_sd = 0.1, max_gb = 0.01)$y, 2e4)
  expect_error(simulate_moe(G, n = 10, noise_sd = 0.1, max_gb = 0), class = "lsmoe_error_input")
  expect_error(simulate_moe(G, n = 10, noise_sd = 0.1, max_gb = NA), class = "lsmoe_error_input")
})
