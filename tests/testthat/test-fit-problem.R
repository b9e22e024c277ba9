# fit-problem.R: the problem stage: standardisation (fit_scales()), the response-range check
# (check_reachable()) and the warning for inputs far from unit scale.

test_that("standardisation: fits of (x, y) and (10 x + 3, 100 y - 7) agree on the user's scale", {
  set.seed(14)
  n <- 800
  x <- runif(n)
  y <- ifelse(x < 0.5, 1 + 2 * x, 3 - 2 * x) + rnorm(n, sd = 0.05)
  set.seed(1); f1 <- moe_lse(x, y, k = 2, expert = "linear")
  set.seed(1); f2 <- moe_lse(10 * x + 3, 100 * y - 7, k = 2, expert = "linear")
  expect_equal(100 * fitted(f1) - 7, fitted(f2), tolerance = 1e-6)
  # the same mixture up to the order of the components: match them by the expert slopes
  c1 <- f1$coefficients
  c2 <- f2$coefficients
  o <- order(c2$eta[, 1])[rank(10 * c1$eta[, 1])]
  gate_diff <- function(co, o) unname(c(co$beta0[o[1]] - co$beta0[o[2]], co$beta1[o[1], 1] - co$beta1[o[2], 1]))
  g1 <- gate_diff(c1, 1:2)
  g2 <- gate_diff(c2, o)
  # gate: beta0 + beta1 x = beta0' + beta1' (10 x + 3)
  expect_equal(g2[2], g1[2] / 10, tolerance = 1e-5)
  expect_equal(g2[1], g1[1] - 3 * g1[2] / 10, tolerance = 1e-5)
  # linear experts: 100 (a x + b) - 7 = a' (10 x + 3) + b'
  expect_equal(unname(c2$eta[o, 1]), unname(10 * c1$eta[, 1]), tolerance = 1e-5)
  expect_equal(unname(c2$eta[o, 2]), unname(100 * c1$eta[, 2] - 7 - 30 * c1$eta[, 1]), tolerance = 1e-5)
  # output-weighted tanh: the response is rescaled, not shifted: c' = 100 c
  yt <- 2 * tanh(8 * x - 3) * (x > 0.4) + rnorm(n, sd = 0.05)
  ctl <- lse_control(n_starts = 10, warn = FALSE)  # the step at x = 0.4 pushes a gate towards its bound
  set.seed(2); g1 <- moe_lse(x, yt, k = 2, expert = expert_tanh(TRUE), control = ctl)
  set.seed(2); g2 <- moe_lse(10 * x + 3, 100 * yt, k = 2, expert = expert_tanh(TRUE), control = ctl)
  expect_equal(100 * fitted(g1), fitted(g2), tolerance = 1e-5)
  expect_equal(sort(unname(g2$coefficients$eta[, 3])), sort(unname(100 * g1$coefficients$eta[, 3])), tolerance = 1e-4)
  expect_equal(g2$rss, 1e4 * g1$rss, tolerance = 1e-6)
})

test_that("a default call the experts cannot follow is an error, not a useless fit", {
  expect_error(moe_lse(eruptions ~ waiting, data = datasets::faithful, expert = "sigmoid"), class = "lsmoe_error_range")
  expect_error(moe_lse(eruptions ~ waiting, data = datasets::faithful, expert = "sigmoid"), "expert_linear")
  # with experts on the response's scale the default fit beats lm
  set.seed(1)
  fit <- moe_lse(eruptions ~ waiting, data = datasets::faithful, expert = "linear")
  r2 <- function(rss, y) 1 - rss / sum((y - mean(y))^2)
  lm_rss <- sum(residuals(stats::lm(eruptions ~ waiting, data = datasets::faithful))^2)
  expect_gt(r2(fit$rss, datasets::faithful$eruptions), r2(lm_rss, datasets::faithful$eruptions))
  expect_true(fit$converged)
  # a fit worse than a constant warns
  set.seed(2)
  x <- runif(200)
  expect_warning(moe_lse(x, 0.9 + 0.2 * (x > 0.5) + rnorm(200, sd = 0.01) - 0.1 * 0, k = 1,
                         expert = expert_sigmoid(), start = list(beta0 = 0, beta1 = matrix(0), eta = matrix(c(0, -30), 1)),
                         control = lse_control(max_iter = 1, warn = FALSE, polish = FALSE)),
                 class = "lsmoe_warning_fit")
})

test_that("the range check decides exactly as the median does", {
  set.seed(71)
  ex <- expert_sigmoid()
  for (i in 1:300) {
    n <- sample(1:9, 1)
    y <- sample(c(-1, -0.5, 0, 0.5, 1, 1.5, 2), n, replace = TRUE)
    med <- stats::median(y)
    outside <- med < 0 || med > 1
    got <- tryCatch({ lsmoe:::check_reachable(y, ex); FALSE }, lsmoe_error_range = function(e) TRUE)
    expect_identical(got, outside, info = paste(y, collapse = ","))
  }
})

test_that("inputs far from unit scale give a classed warning", {
  set.seed(9)
  x <- runif(100); y <- x + rnorm(100, sd = 0.1)
  expect_warning(moe_lse(x * 1e5, y, k = 1, expert = "linear", control = lse_control(standardize = FALSE)),
                 class = "lsmoe_warning_scale")
  expect_no_warning <- function(expr) expect_silent(expr)
  expect_no_warning(moe_lse(x * 100, y, k = 1, expert = "linear", control = lse_control(standardize = FALSE)))
  # standardised fits (the default) need no warning at any scale
  expect_no_warning(moe_lse(x * 1e5, y, k = 1, expert = "linear"))
})

test_that("inputs of tiny spread against their size are fitted as 1..n or refused naming the input (issue 29)", {
  n <- 200
  set.seed(3)
  i <- 1:n
  y <- 0.5 + 0.4 * sin(i / 30) + rnorm(n, sd = 0.05)
  ctl <- lse_control(n_starts = 4, warn = FALSE)
  set.seed(1); ref <- moe_lse_fit(cbind(x = i), y, k = 2, expert = "linear", control = ctl)
  # x = c + (1..n) is held exactly by a double for every whole c <= 2^52. The fit on the
  # standardised scale is the same for all of them, but the parameters on the user's scale
  # (beta0 + beta1 x) lose about eps |c| / sd of every linear predictor: up to a relative spread
  # of 1e-12 (c about 2^45.7 here) the fit is returned, below it the input is refused.
  for (e in c(0, 10, 20, 30, 40, 44, 45, 46, 48, 50, 52, 53, 60)) {
    x <- 2^e + i
    set.seed(1)
    f <- tryCatch(moe_lse_fit(cbind(x = x), y, k = 2, expert = "linear", control = ctl), lsmoe_error_input = function(e) e)
    if (sd(x) * sqrt((n - 1) / n) >= 1e-12 * mean(x)) {
      expect_s3_class(f, "moe_lse")
      expect_equal(f$rss, ref$rss, tolerance = 1e-10)
      # the fitted values' mean relative difference, measured: 1e-8 at c = 2^30, 7e-6 at 2^40, 1e-4
      # at 2^45 (relative spread 1.6e-12)
      expect_equal(fitted(f), fitted(ref), tolerance = if (e <= 30) 1e-7 else 1e-3)
    } else {
      expect_s3_class(f, "lsmoe_error_input")
      expect_match(conditionMessage(f), "Input `x` varies too little.*Subtract a constant")
    }
  }
  # the formula interface names the variable
  d <- data.frame(t = 2^52 + i, y = y)
  expect_error(moe_lse(y ~ t, data = d, k = 2, expert = "linear", control = ctl), "Input `t`", class = "lsmoe_error_input")
  # a small input of ordinary relative spread is standardised, not taken for a constant
  set.seed(1); f <- moe_lse_fit(cbind(x = i * 1e-15), y, k = 2, expert = "linear", control = ctl)
  expect_equal(fitted(f), fitted(ref), tolerance = 1e-6)
  # too small to hold the parameters on its scale; a constant input is still a constant
  err_input(moe_lse_fit(cbind(x = i * 1e-300), y, k = 1, expert = "linear"), "Input `x` is too small")
  for (v in c(2^52 + 1, 0.1, 1e300, 1e-300)) {
    sc <- lsmoe:::fit_scales(cbind(x = i, z = rep(v, 3000)), rep(y, 15), numeric(0), expert_linear(), TRUE, "softmax")
    expect_identical(c(sc$mx[2], sc$sx[2]), c(0, 1))
  }
})
