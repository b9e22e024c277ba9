test_that("bad data raise classed errors naming the argument", {
  x <- matrix(runif(100), ncol = 1)
  y <- rnorm(100)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  for (bad in list(NA, NaN, Inf)) {
    xb <- x; xb[3] <- bad
    err(moe_lse(xb, y, k = 2), "`x`")
    yb <- y; yb[5] <- bad
    err(moe_lse(x, yb, k = 2), "`y`")
  }
  err(moe_lse(x, as.character(y), k = 2), "`y`")
  err(moe_lse(x, y[-1], k = 2), "`y`")
  err(moe_lse(matrix(numeric(0), 0, 1), numeric(0), k = 2), "`x`")
  err(moe_lse(matrix(letters[1:4], 4, 1), 1:4, k = 1), "`x`")
  err(moe_lse(x, y, k = 0), "`k`")
  err(moe_lse(x, y, k = 1.5), "`k`")
  err(moe_lse(x, y, k = NA), "`k`")
  err(moe_lse(x, y, k = "2"), "`k`")
  err(moe_lse(x[1:5, , drop = FALSE], y[1:5], k = 2), "observations")
  err(moe_lse(x, y, k = 2, expert = "spline"), "`expert`")
  err(moe_lse(x, y, k = 2, expert = list(name = "sigmoid")), "`expert`")
  err(moe_lse(x, y, k = 2, expert = 3), "`expert`")
})

test_that("bad starts and controls raise classed errors", {
  x <- matrix(runif(100), ncol = 1)
  y <- runif(100)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  good <- list(beta0 = c(0, 0), beta1 = matrix(0, 2, 1), eta = matrix(c(1, 1, 0, 0), 2))
  expect_s3_class(moe_lse(x, y, k = 2, start = good, control = lse_control(warn = FALSE)), "moe_lse")
  err(moe_lse(x, y, k = 2, start = list(beta0 = 0, beta1 = matrix(0, 2, 1), eta = good$eta)), "`start`")
  err(moe_lse(x, y, k = 2, start = list(beta0 = c(0, 0), beta1 = matrix(0, 2, 2), eta = good$eta)), "`start`")
  err(moe_lse(x, y, k = 2, start = list(beta0 = c(0, 0), beta1 = matrix(0, 2, 1), eta = matrix(0, 2, 3))), "`start`")
  err(moe_lse(x, y, k = 2, start = list(beta0 = c(NA, 0), beta1 = matrix(0, 2, 1), eta = good$eta)), "`start`")
  err(moe_lse(x, y, k = 2, start = 1:3), "`start`")
  err(moe_lse(x, y, k = 2, start = list(good, list(beta0 = 1))), "start\\[\\[2\\]\\]")
  err(lse_control(n_starts = 0), "`n_starts`")
  err(lse_control(max_iter = -1), "`max_iter`")
  err(lse_control(ftol = -1), "`ftol`")
  err(lse_control(ftol = NA), "`ftol`")
  err(lse_control(damping = 0), "`damping`")
  err(lse_control(bound_gate = 1e308), "`bound_gate`")
  err(lse_control(n_starts = .Machine$integer.max), "`n_starts`")
  err(lse_control(bound_gate = -1), "`bound_gate`")
  err(lse_control(threads = 0.5), "`threads`")
  err(lse_control(start_strategy = "kmeans"), "`start_strategy`")
  err(lse_control(warn = "yes"), "`warn`")
  err(moe_lse(x, y, k = 2, control = list(n_start = 3)), "`control`")
  err(moe_lse(x, y, k = 2, control = "fast"), "`control`")
  expect_equal(moe_lse(x, y, k = 1, control = list(n_starts = 2))$control$n_starts, 2L)
})

test_that("formula interface and predict() check newdata", {
  set.seed(1)
  d <- data.frame(t = runif(200), u = runif(200))
  d$y <- sin(3 * d$t) + d$u + rnorm(200, sd = 0.1)
  fit <- moe_lse(y ~ t + u, data = d, k = 2, expert = expert_linear(), control = lse_control(warn = FALSE))
  expect_equal(colnames(fit$x), c("t", "u"))
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  err(predict(fit, newdata = data.frame(t = 1)), "`newdata`")
  err(predict(fit, newdata = data.frame(t = NA, u = 1)), "`newdata`")
  err(predict(fit, newdata = 1:3), "`newdata`")
  # NA in a predictor: dropped by na.omit (the default), an error naming na.action with na.fail
  dna <- transform(d, t = ifelse(t > 0.9, NA, t))
  fna <- moe_lse(y ~ t, data = dna, k = 1, expert = "linear")
  expect_equal(nobs(fna), sum(!is.na(dna$t)))
  err(moe_lse(y ~ t, data = dna, k = 2, na.action = na.fail), "missing values")
  fm <- moe_lse(as.matrix(d[c("t", "u")]), d$y, k = 2, expert = expert_linear(), control = lse_control(warn = FALSE))
  err(predict(fm, newdata = matrix(1, 2, 3)), "`newdata`")
  err(predict(fm, newdata = data.frame(a = 1)), "`newdata`")
  expect_equal(predict(fm, newdata = data.frame(u = 0.5, t = 0.2)),
               predict(fm, newdata = matrix(c(0.2, 0.5), 1)))
})

test_that("factors in a formula are coded by contrasts, not by one dummy per level", {
  set.seed(5)
  d <- data.frame(t = runif(300), g = factor(sample(c("a", "b"), 300, TRUE)))
  d$y <- sin(3 * d$t) + (d$g == "b") + rnorm(300, sd = 0.1)
  fg <- moe_lse(y ~ t + g, data = d, k = 2, expert = "linear", control = lse_control(warn = FALSE))
  expect_equal(colnames(fg$x), c("t", "gb"))
  # the Jacobian has full column rank, so logLik's df counts identified parameters
  sv <- svd(lsmoe:::cpp_residuals(fg$x, fg$y, fg$theta, fg$expert, 2L)$jacobian)$d
  expect_gt(min(sv) / max(sv), 1e-8)
  d$gb <- as.numeric(d$g == "b")
  f2 <- moe_lse(y ~ t + gb, data = d, k = 2, expert = "linear", control = lse_control(warn = FALSE))
  expect_equal(attr(logLik(fg), "df"), attr(logLik(f2), "df"))
  expect_equal(predict(fg, data.frame(t = 0.3, g = "b")), predict(f2, data.frame(t = 0.3, gb = 1)), tolerance = 1e-6)
  expect_error(predict(fg, data.frame(t = 0.5, g = "c")), "`newdata`", class = "lsmoe_error_input")
})

test_that("unknown arguments, offsets and bad predict types are classed errors", {
  set.seed(6)
  d <- data.frame(t = runif(100)); d$y <- d$t + rnorm(100, sd = 0.1)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  expect_equal(nobs(moe_lse(y ~ t, data = d, k = 1, expert = "linear", subset = t > 0.5)), sum(d$t > 0.5))
  err(moe_lse(y ~ t, data = d, k = 2, subsett = t > 0.5), "subsett")
  err(moe_lse(d$t, d$y, k = 2, contol = lse_control(n_starts = 1)), "contol")
  err(moe_lse(y ~ t + offset(t), data = d, k = 2), "offset")
  fit <- moe_lse(y ~ t, data = d, k = 1, expert = "linear")
  err(predict(fit, type = "foo"), "`type`")
  err(predict(fit, data.frame(t = "a")), "`newdata`")
})

test_that("predict() matches named matrix columns by name", {
  set.seed(7)
  X <- cbind(a = runif(200), b = 5 * runif(200))
  y <- X[, 1] - 0.2 * X[, 2] + rnorm(200, sd = 0.05)
  fm <- moe_lse(X, y, k = 1, expert = "linear")
  expect_equal(predict(fm, X[1:3, ]), predict(fm, X[1:3, c("b", "a")]))
  expect_equal(predict(fm, unname(X[1:3, ])), predict(fm, X[1:3, ]))
  expect_error(predict(fm, data.frame(zz = 1, ww = 2)), "lacks", class = "lsmoe_error_input")
})

test_that("extreme counts, scales and edited controls give classed errors, not crashes", {
  set.seed(8)
  x <- runif(100); y <- x + rnorm(100, sd = 0.1)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  err(moe_lse(x, y, k = 1e10), "`k`")
  err(lse_control(max_iter = 1e10), "`max_iter`")
  err(lse_control(n_starts = 1e10), "`n_starts`")
  err(lse_control(threads = 1e5), "`threads`")
  err(moe_lse(x, y * 1e200, k = 2, expert = "linear"), "`y`")
  ctl <- lse_control()
  ctl$bound_gate <- -1
  err(moe_lse(x, y, k = 2, control = ctl), "`bound_gate`")
  ctl <- lse_control(); ctl$max_iter <- NA
  err(moe_lse(x, y, k = 2, control = ctl), "`max_iter`")
  err(moe_lse(x, y, k = 2, control = list(1)), "`control`")
  # a huge iteration limit does not overflow the evaluation limit in C++
  fit <- moe_lse(x, y, k = 1, expert = "linear", control = lse_control(max_iter = 1e6, n_starts = 1))
  expect_true(fit$converged)
  expect_false(fit$status == 5)
})

test_that("overflowing weights and infinite logits are handled", {
  expect_error(mixing_measure(c(800, 0), c(1, 0), rbind(c(1, 0), c(2, 0))), "`beta0`", class = "lsmoe_error_input")
  G <- mixing_measure(c(700, 0), c(1e308, 0), rbind(c(1, 0), c(2, 0)), expert = "linear")
  p <- predict(G, c(0.5, 1), type = "gate")
  expect_true(all(is.finite(p)))
  expect_equal(unname(p[, 1]), c(1, 1))
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
