# moe_lse.R: moe_lse() and moe_lse_fit(): input errors, the formula interface as lm's (update(), subset,
# na.action, factors, the matrix interface; issue 9) and weights (check_weights(), fit_weighted()).

test_that("bad data raise classed errors naming the argument", {
  x <- matrix(runif(100), ncol = 1)
  y <- rnorm(100)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  for (bad in list(NA, NaN, Inf)) {
    xb <- x; xb[3] <- bad
    err(moe_lse(xb, y, k = 2, expert = "sigmoid"), "`x`")
    yb <- y; yb[5] <- bad
    err(moe_lse(x, yb, k = 2, expert = "sigmoid"), "`y`")
  }
  err(moe_lse(x, as.character(y), k = 2, expert = "sigmoid"), "`y`")
  err(moe_lse(x, y[-1], k = 2, expert = "sigmoid"), "`y`")
  err(moe_lse(matrix(numeric(0), 0, 1), numeric(0), k = 2, expert = "sigmoid"), "`x`")
  err(moe_lse(matrix(letters[1:4], 4, 1), 1:4, k = 1, expert = "sigmoid"), "`x`")
  err(moe_lse(x, y, k = 0, expert = "sigmoid"), "`k`")
  err(moe_lse(x, y, k = 1.5, expert = "sigmoid"), "`k`")
  err(moe_lse(x, y, k = NA, expert = "sigmoid"), "`k`")
  err(moe_lse(x, y, k = "2", expert = "sigmoid"), "`k`")
  err(moe_lse(x[1:5, , drop = FALSE], y[1:5], k = 2, expert = "sigmoid"), "observations")
  err(moe_lse(x, y, k = 2, expert = "spline"), "`expert`")
  err(moe_lse(x, y, k = 2, expert = list(name = "sigmoid")), "`expert`")
  err(moe_lse(x, y, k = 2, expert = 3), "`expert`")
})

test_that("bad starts and controls raise classed errors", {
  x <- matrix(runif(100), ncol = 1)
  y <- runif(100)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  good <- list(beta0 = c(0, 0), beta1 = matrix(0, 2, 1), eta = matrix(c(1, 1, 0, 0), 2))
  # (y is pure noise: from this one start the fit may end a hair worse than a constant, which warns
  # whatever lse_control(warn =) says)
  expect_s3_class(suppressWarnings(moe_lse(x, y, k = 2, expert = "sigmoid", start = good, control = lse_control(warn = FALSE)),
                                   classes = "lsmoe_warning_fit"), "moe_lse")
  err(moe_lse(x, y, k = 2, expert = "sigmoid", start = list(beta0 = 0, beta1 = matrix(0, 2, 1), eta = good$eta)), "`start`")
  err(moe_lse(x, y, k = 2, expert = "sigmoid", start = list(beta0 = c(0, 0), beta1 = matrix(0, 2, 2), eta = good$eta)), "`start`")
  err(moe_lse(x, y, k = 2, expert = "sigmoid",
              start = list(beta0 = c(0, 0), beta1 = matrix(0, 2, 1), eta = matrix(0, 2, 3))), "`start`")
  err(moe_lse(x, y, k = 2, expert = "sigmoid", start = list(beta0 = c(NA, 0), beta1 = matrix(0, 2, 1), eta = good$eta)), "`start`")
  err(moe_lse(x, y, k = 2, expert = "sigmoid", start = 1:3), "`start`")
  err(moe_lse(x, y, k = 2, expert = "sigmoid", start = list(good, list(beta0 = 1))), "start\\[\\[2\\]\\]")
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
  err(moe_lse(x, y, k = 2, expert = "sigmoid", control = list(n_start = 3)), "`control`")
  err(moe_lse(x, y, k = 2, expert = "sigmoid", control = "fast"), "`control`")
  expect_equal(moe_lse(x, y, k = 1, expert = "sigmoid", control = list(n_starts = 2))$control$n_starts, 2L)
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
  err(moe_lse(y ~ t, data = d, k = 2, expert = "sigmoid", subsett = t > 0.5), "subsett")
  err(moe_lse(d$t, d$y, k = 2, expert = "sigmoid", contol = lse_control(n_starts = 1)), "contol")
  err(moe_lse(y ~ t + offset(t), data = d, k = 2, expert = "sigmoid"), "offset")
  fit <- moe_lse(y ~ t, data = d, k = 1, expert = "linear")
  err(predict(fit, type = "foo"), "`type`")
  err(predict(fit, data.frame(t = "a")), "`newdata`")
})

test_that("extreme counts, scales and edited controls give classed errors, not crashes", {
  set.seed(8)
  x <- runif(100); y <- x + rnorm(100, sd = 0.1)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  err(moe_lse(x, y, k = 1e10, expert = "sigmoid"), "`k`")
  err(lse_control(max_iter = 1e10), "`max_iter`")
  err(lse_control(n_starts = 1e10), "`n_starts`")
  err(lse_control(threads = 1e5), "`threads`")
  err(moe_lse(x, y * 1e200, k = 2, expert = "linear"), "`y`")
  ctl <- lse_control()
  ctl$bound_gate <- -1
  err(moe_lse(x, y, k = 2, expert = "sigmoid", control = ctl), "`bound_gate`")
  ctl <- lse_control(); ctl$max_iter <- NA
  err(moe_lse(x, y, k = 2, expert = "sigmoid", control = ctl), "`max_iter`")
  err(moe_lse(x, y, k = 2, expert = "sigmoid", control = list(1)), "`control`")
  # a huge iteration limit does not overflow the evaluation limit in C++
  fit <- moe_lse(x, y, k = 1, expert = "linear", control = lse_control(max_iter = 1e6, n_starts = 1))
  expect_true(fit$converged)
  expect_false(fit$status == 5)
})

test_that("update() changes the formula and arguments as for lm", {
  skip_if_not_installed("MASS")
  Boston <- MASS::Boston
  set.seed(1)
  fit <- moe_lse(medv ~ lstat + rm, data = Boston, k = 2, expert = "linear", control = lse_control(n_starts = 2))
  l <- lm(medv ~ lstat + rm, data = Boston)
  set.seed(1)
  f2 <- update(fit, . ~ . + ptratio)
  l2 <- update(l, . ~ . + ptratio)
  expect_identical(formula(f2), formula(l2))
  expect_equal(model.frame(f2), model.frame(l2))
  expect_equal(model.matrix(f2), model.matrix(l2))
  expect_equal(colnames(f2$x), c("lstat", "rm", "ptratio"))
  expect_equal(length(coef(f2)) - length(coef(fit)), 3)  # one gate slope and one slope per expert
  f3 <- update(fit, k = 1)
  expect_equal(f3$k, 1L)
  expect_equal(unname(coef(f3)), unname(coef(l)[c(2, 3, 1)]), tolerance = 1e-6)
  expect_warning(f4 <- update(fit, subset = chas == 1), class = "lsmoe_warning_few_data")  # 35 rows, 9 parameters
  expect_equal(nobs(f4), sum(Boston$chas == 1))
  expect_equal(model.frame(f4), model.frame(update(l, subset = chas == 1)))
})

test_that("airquality: na.omit drops the 37 rows with NA, na.exclude pads", {
  aq <- airquality
  f1 <- moe_lse(Ozone ~ I((Temp - 75) / 10), data = aq, k = 1, expert = "linear")
  expect_equal(nobs(f1), 153L - 37L)
  expect_equal(length(f1$na.action), 37L)
  expect_equal(as.vector(f1$na.action), which(is.na(aq$Ozone)))
  expect_identical(f1$na.action, na.action(model.frame(lm(Ozone ~ Temp, data = aq))))
  l1 <- lm(Ozone ~ I((Temp - 75) / 10), data = aq)
  expect_equal(model.frame(f1), model.frame(l1))
  expect_equal(unname(fitted(f1)), unname(fitted(l1)), tolerance = 1e-6)
  set.seed(3)
  f2 <- moe_lse(Ozone ~ I((Temp - 75) / 10), data = aq, k = 2, expert = "linear", na.action = na.exclude)
  set.seed(3)
  f3 <- moe_lse(Ozone ~ I((Temp - 75) / 10), data = aq, k = 2, expert = "linear")
  expect_equal(f2$theta, f3$theta)
  r <- residuals(f2)
  expect_length(r, 153L)
  expect_identical(unname(which(is.na(r))), which(is.na(aq$Ozone)))
  expect_equal(unname(r[!is.na(r)]), unname(residuals(f3)))
  expect_length(fitted(f2), 153L)
  expect_length(predict(f2), 153L)
  expect_length(residuals(f3), 116L)
  expect_equal(nrow(augment(f2, data = aq)), 153L)
  expect_equal(augment(f2, data = aq)$.resid, unname(r))
  expect_error(moe_lse(Ozone ~ Temp, data = aq, k = 1, expert = "linear", na.action = na.fail),
               "missing", class = "lsmoe_error_input")
})

test_that("the matrix interface: moe_lse_fit(x, y) and the moe_lse(x, y) shortcut", {
  set.seed(4)
  x <- runif(200)
  y <- ifelse(x < 0.5, x, 1 - x) + rnorm(200, sd = 0.05)
  set.seed(1); a <- moe_lse_fit(cbind(x = x), y, k = 2, expert = "linear")
  set.seed(1); b <- moe_lse(cbind(x = x), y, k = 2, expert = "linear")
  set.seed(1); d <- moe_lse(y ~ x, k = 2, expert = "linear")
  expect_equal(a$theta, b$theta)
  expect_equal(a$theta, d$theta)
  expect_identical(b$call[[1]], quote(moe_lse_fit))
  expect_equal(update(b, k = 1)$k, 1L)
  expect_error(formula(a), "matrix interface", class = "lsmoe_error_input")
  expect_equal(model.matrix(a), a$x)
  expect_error(moe_lse(cbind(x), y, subset = x > 0.5, expert = "sigmoid"), "formula", class = "lsmoe_error_input")
  expect_error(moe_lse(cbind(x)), "`y`", class = "lsmoe_error_input")
})

test_that("bad formula data give classed errors naming the variable", {
  set.seed(6)
  d <- data.frame(t = runif(100), s = letters[rep(1:4, 25)])
  d$y <- d$t + rnorm(100, sd = 0.1)
  err <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")
  err(moe_lse(s ~ t, data = d, k = 1, expert = "linear"), "`s`")
  err(moe_lse(y ~ t, data = transform(d, t = ifelse(t > 0.9, Inf, t)), k = 1, expert = "sigmoid"), "`t`")
  err(moe_lse(y ~ zz, data = d, k = 1, expert = "sigmoid"), "zz")
  err(moe_lse(y ~ 1, data = d, k = 1, expert = "sigmoid"), "no input")
  err(moe_lse(y ~ t, data = d, k = 1, expert = "sigmoid", weights = -t), "non-negative")
  err(moe_lse(y ~ t, data = d, k = 1, expert = "sigmoid", weights = 0 * t), "zero")
  err(moe_lse(y ~ t + offset(t), data = d, k = 2, expert = "sigmoid"), "offset")
  err(moe_lse(y ~ t, data = d, k = 2, expert = "sigmoid", foo = 1), "foo")
})

test_that("weights whose weighted sums overflow are a classed error naming `weights` (issue 29)", {
  set.seed(6)
  d <- data.frame(x = runif(60))
  d$y <- 0.5 + 0.3 * sin(6 * d$x) + rnorm(60, sd = 0.05)
  ctl <- lse_control(n_starts = 1, warn = FALSE)
  # the fuzzer's call: a subset of huge weights reached the fit and then `if (tss > 0 && ...)` on NaN
  err_input(moe_lse(y ~ x, data = d, weights = rep(1e308, 60), subset = 1:10, k = 1, expert = "sigmoid", control = ctl),
            "`weights`.*rescale")
  err_input(moe_lse(y ~ x, data = d, weights = rep(1e308, 60), k = 2, expert = "sigmoid", control = ctl), "`weights`.*overflows")
  err_input(moe_lse_fit(cbind(x = d$x), d$y, weights = c(1e308, 1e308, rep(1, 58)), k = 1, expert = "linear", control = ctl), "`weights`")
  # large weights whose sums are finite are fitted, with the estimates of the rescaled weights
  f1 <- moe_lse(y ~ x, data = d, weights = rep(1:2, 30), k = 1, expert = "linear", control = ctl)
  f2 <- moe_lse(y ~ x, data = d, weights = rep(1:2, 30) * 1e300, k = 1, expert = "linear", control = ctl)
  expect_equal(coef(f2), coef(f1), tolerance = 1e-8)
})

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
  f0 <- moe_lse_fit(sim$x, sim$y, weights = w, k = 2, expert = "sigmoid", start = sim$truth, control = ctl)
  fs <- moe_lse_fit(sim$x[w > 0, , drop = FALSE], sim$y[w > 0], k = 2, expert = "sigmoid", start = sim$truth, control = ctl)
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

test_that("the default expert is linear, and the default call beats lm on real data (issue 27)", {
  expect_identical(formals(moe_lse)$expert, quote(expert_linear()))
  expect_identical(formals(moe_lse_fit)$expert, quote(expert_linear()))
  # the call of the issue: it stopped with lsmoe_error_range under the old sigmoid default
  set.seed(1)
  fit <- moe_lse(eruptions ~ waiting, data = datasets::faithful, k = 2)
  expect_identical(fit$expert$name, "linear")
  r2_lm <- summary(lm(eruptions ~ waiting, data = datasets::faithful))$r.squared
  expect_gte(summary(fit)$r_squared, r2_lm)
  expect_gt(summary(fit)$r_squared, 0.85)  # 0.896 against lm's 0.812
  # the same through the matrix interface, and the paper's expert one argument away
  set.seed(1)
  fm <- moe_lse_fit(cbind(waiting = faithful$waiting), faithful$eruptions, k = 2)
  expect_identical(fm$expert$name, "linear")
  expect_equal(fm$rss, fit$rss, tolerance = 1e-6)
  expect_error(moe_lse(eruptions ~ waiting, data = datasets::faithful, k = 2, expert = "sigmoid"),
               class = "lsmoe_error_range")
  # several inputs (Boston, n = 506, d = 2)
  skip_if_not_installed("MASS")
  set.seed(1)
  fb <- moe_lse(medv ~ lstat + rm, data = MASS::Boston, k = 2)
  expect_gte(summary(fb)$r_squared, summary(lm(medv ~ lstat + rm, data = MASS::Boston))$r.squared)
})
