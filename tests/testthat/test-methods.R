# methods.R: S3 methods of moe_lse fits: their definitions, plot(), print() arguments, formula(), terms(),
# model.frame(), model.matrix() as lm's, and predict() with newdata.

test_that("methods of moe_lse fits agree with their definitions", {
  set.seed(2)
  x <- runif(300)
  y <- ifelse(x < 0.5, 2 * x, 1 - x) + rnorm(300, sd = 0.05)
  dat <- data.frame(x = x, y = y)
  fit <- moe_lse(y ~ x, data = dat, k = 2, expert = expert_linear())
  co <- fit$coefficients
  expect_equal(dim(coef(fit, matrix = TRUE)), c(2, 4))
  # coef(): the free parameters, named as vcov(); the matrix view adds the anchored zeros
  expect_identical(names(coef(fit)), c("expert1:beta0", "expert1:beta1.x", "expert1:a.x", "expert1:b",
                                       "expert2:a.x", "expert2:b"))
  m <- coef(fit, matrix = TRUE)
  expect_equal(unname(coef(fit)), c(m[1, "beta0"], m[1, "beta1.x"], m[1, "a.x"], m[1, "b"], m[2, "a.x"], m[2, "b"]))
  expect_equal(unname(m[2, c("beta0", "beta1.x")]), c(0, 0))
  expect_equal(unname(fitted(fit)), ref_fG(matrix(x), co$beta0, co$beta1, co$eta, expert_linear()), tolerance = 1e-12)
  expect_equal(residuals(fit), y - fitted(fit))
  for (type in c("working", "pearson", "deviance")) expect_equal(residuals(fit, type = type), residuals(fit))
  expect_error(residuals(fit, type = "partial"), "`type`", class = "lsmoe_error_input")
  expect_equal(deviance(fit), sum(residuals(fit)^2), tolerance = 1e-10)
  expect_equal(nobs(fit), 300L)
  ll <- logLik(fit)
  expect_equal(as.numeric(ll), sum(dnorm(residuals(fit), sd = sqrt(deviance(fit) / 300), log = TRUE)), tolerance = 1e-10)
  expect_equal(sigma(fit), sqrt(deviance(fit) / (300 - length(fit$theta))))
  expect_equal(df.residual(fit), 300 - length(fit$theta))
  expect_equal(attr(ll, "df"), length(fit$theta) + 1)
  expect_equal(AIC(fit), -2 * as.numeric(ll) + 2 * (length(fit$theta) + 1))
  nd <- data.frame(x = c(0.1, 0.6, 0.9))
  parts <- ref_fG(matrix(nd$x), co$beta0, co$beta1, co$eta, expert_linear(), parts = TRUE)
  expect_equal(unname(predict(fit, nd)), parts$f, tolerance = 1e-12)
  expect_equal(unname(predict(fit, nd, type = "gate")), unname(parts$gate), tolerance = 1e-12)
  expect_equal(unname(predict(fit, nd, type = "experts")), unname(parts$experts), tolerance = 1e-12)
  expect_equal(predict(fit), fitted(fit))
  # the two-piece truth is fitted well
  expect_lt(fit$rss / 300, 2 * 0.05^2)
  expect_output(print(fit), "RSS")
  # the finishing steps are named only when taken: never "iterations and  (best of"
  out <- paste(capture.output(print(fit)), collapse = "\n")
  steps <- intersect(c("re-anchoring the gate", "a Newton polish"), fit$finish_steps)
  expect_match(out, sprintf("after %d iterations%s (best of", fit$iterations,
                            paste(vapply(steps, function(s) paste0(" and ", s), ""), collapse = "")), fixed = TRUE)
  s <- suppressWarnings(summary(fit))  # the sharp gate may sit on its bound: SE NA with a warning
  expect_s3_class(s, "summary.moe_lse")
  expect_equal(s$r_squared, 1 - deviance(fit) / sum((y - mean(y))^2))
  expect_output(print(s), "Estimates on a bound")
  expect_output(print(s), "Std. Error")
  expect_equal(s$sigma, sigma(fit))
  f <- tempfile(fileext = ".png")
  grDevices::png(f)
  expect_identical(plot(fit), fit)
  grDevices::dev.off()
  expect_gt(file.size(f), 0)
  f2 <- moe_lse(cbind(a = x, b = runif(300)), y, k = 2, expert = expert_linear(), control = lse_control(warn = FALSE))
  grDevices::png(f)
  expect_identical(plot(f2), f2)
  grDevices::dev.off()
  expect_output(print(lse_control()), "n_starts")
})

test_that("plot() honours `which`, covers the fitted curve and labels axes from the formula", {
  set.seed(3)
  d <- data.frame(speed = runif(200))
  d$dist <- ifelse(d$speed < 0.5, 2 * d$speed, 1 - d$speed) + rnorm(200, sd = 0.05)
  fit <- moe_lse(dist ~ speed, data = d, k = 2, expert = "linear", control = lse_control(warn = FALSE))
  grDevices::pdf(NULL)
  on.exit(grDevices::dev.off())
  # each panel's coordinates show what it draws: residuals against fitted values, or normal quantiles
  plot(fit, which = 3)
  u3 <- graphics::par("usr")
  expect_true(u3[1] <= min(fitted(fit)) && u3[2] >= max(fitted(fit)) && u3[2] - u3[1] < 1.2 * diff(range(fitted(fit))))
  expect_true(u3[3] <= min(residuals(fit)) && u3[4] >= max(residuals(fit)))
  plot(fit, which = 4)
  u4 <- graphics::par("usr")
  q <- range(qnorm(ppoints(200)))
  expect_true(u4[1] <= q[1] && u4[2] >= q[2] && u4[2] - u4[1] < 1.2 * diff(q))
  plot(fit, which = 2)
  expect_true(graphics::par("usr")[3] < 0 && graphics::par("usr")[4] > 1 && graphics::par("usr")[4] < 1.1)
  # axis labels: the response and the input, from the formula
  expect_identical(lsmoe:::plot_labels(fit), c(x = "speed", y = "dist"))
  fm <- moe_lse(cbind(speed = d$speed), d$dist, k = 1, expert = "linear")
  expect_identical(lsmoe:::plot_labels(fm), c(x = "speed", y = "d$dist"))
  # a fit whose curve leaves the range of the data: the y-limits still cover it
  off <- fit
  off$coefficients$eta[, "b"] <- off$coefficients$eta[, "b"] + 10
  plot(off, which = 1)
  usr <- graphics::par("usr")
  expect_lte(usr[3], min(d$dist))
  expect_gte(usr[4], 10)
  expect_error(plot(fit, which = 7), "`which`", class = "lsmoe_error_input")
})

test_that("print methods check `digits` and `n_show` (classed errors naming them)", {
  fit <- fit_small()
  for (dg in list("a", NA, NULL, 0, 23, c(3, 4), 3.5, Inf, TRUE)) {
    err_input(print(fit, digits = dg), "`digits`")
    err_input(print(summary(fit), digits = dg), "`digits`")
  }
  # valid digits still print, and print() returns the object itself
  expect_output(out <- print(fit, digits = 3), "Least squares softmax-gated")
  expect_identical(out, fit)
  s <- summary(fit)
  expect_output(out <- print(s, digits = 22), "Residual standard error")
  expect_identical(out, s)
  ident <- check_identifiability(expert_linear(), rbind(c(1, 0), c(1, 0.5)), n_x = 200)
  for (ns in list(NA, -1, "a", c(1, 2), Inf, 1.5, NULL)) err_input(print(ident, n_show = ns), "`n_show`")
  expect_output(print(ident, n_show = 0), "identifiab")
  # n_show = 0 shows no relation line, n_show = 1 at most one
  rel0 <- capture.output(print(ident, n_show = 0))
  rel1 <- capture.output(print(ident, n_show = 1))
  expect_gte(length(rel1), length(rel0))
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
  err(moe_lse(y ~ t, data = dna, k = 2, expert = "sigmoid", na.action = na.fail), "missing values")
  fm <- moe_lse(as.matrix(d[c("t", "u")]), d$y, k = 2, expert = expert_linear(), control = lse_control(warn = FALSE))
  err(predict(fm, newdata = matrix(1, 2, 3)), "`newdata`")
  err(predict(fm, newdata = data.frame(a = 1)), "`newdata`")
  expect_equal(predict(fm, newdata = data.frame(u = 0.5, t = 0.2)),
               predict(fm, newdata = matrix(c(0.2, 0.5), 1)))
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

test_that("formula(), terms(), model.frame(), model.matrix() and the call equal lm's on Boston", {
  skip_if_not_installed("MASS")
  Boston <- MASS::Boston
  set.seed(1)
  fit <- moe_lse(medv ~ lstat + rm, data = Boston, k = 2, expert = "linear", control = lse_control(n_starts = 2))
  l <- lm(medv ~ lstat + rm, data = Boston)
  expect_identical(formula(fit), formula(l))
  expect_identical(class(formula(fit)), "formula")
  expect_equal(terms(fit), terms(l))
  expect_equal(model.frame(fit), model.frame(l))
  expect_equal(dim(model.frame(fit)), c(506L, 3L))
  expect_equal(model.matrix(fit), model.matrix(l))
  expect_equal(unname(fit$x), unname(model.matrix(l)[, -1]))
  expect_equal(nobs(fit), nobs(l))
  expect_match(paste(deparse(fit$call), collapse = " "), "^moe_lse\\(formula = medv ~ lstat \\+ rm, data = Boston")
  # model.frame() with new arguments recomputes, as lm's does
  expect_equal(model.frame(fit, data = Boston[1:10, ]), model.frame(l, data = Boston[1:10, ]))
  expect_equal(nrow(model.frame(fit, data = Boston[1:10, ])), 10L)
})

test_that("predict(): 0-row newdata, unnamed columns (issue 12), overflow, variables named in errors", {
  set.seed(5)
  x <- runif(200)
  y <- 1 + x^2 + rnorm(200, sd = 0.05)
  X <- cbind(x, x^2)
  f <- moe_lse(X, y, k = 2, expert = "linear", control = lse_control(warn = FALSE))
  expect_equal(colnames(f$x), c("x", "x2"))
  expect_equal(predict(f, X), unname(fitted(f)))
  expect_identical(predict(f, X[0, , drop = FALSE]), numeric(0))
  d <- data.frame(x = x, y = y, g = factor(sample(c("a", "b"), 200, TRUE)))
  fd <- moe_lse(y ~ x + g, data = d, k = 2, expert = "linear", control = lse_control(warn = FALSE))
  expect_identical(predict(fd, d[0, ]), numeric(0))
  expect_equal(dim(predict(fd, d[0, ], type = "gate")), c(0L, 2L))
  expect_error(predict(fd, data.frame(x = 0.5)), "`g`", class = "lsmoe_error_input")
  expect_error(predict(fd, data.frame(x = 0.5, g = 1)), "'g'", class = "lsmoe_error_input")
  expect_error(predict(fd, data.frame(x = Inf, g = "a")), "`x`", class = "lsmoe_error_input")
  # a huge input: a finite prediction or a classed warning, never a silent NaN
  warned <- FALSE
  v <- withCallingHandlers(quiet_extrapolation(predict(f, cbind(x = 1e308, 1e308))),
                           lsmoe_warning_nonfinite = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") })
  expect_true(all(is.finite(v)) || warned)
  v2 <- withCallingHandlers(quiet_extrapolation(predict(fd, data.frame(x = -1e308, g = "b"))),
                            lsmoe_warning_nonfinite = function(w) { warned <<- TRUE; invokeRestart("muffleWarning") })
  expect_true(all(is.finite(v2)) || warned)
})

test_that("fitted(), residuals() and predict() carry the row names, as lm's do", {
  aq <- datasets::airquality
  set.seed(2)
  f <- moe_lse(Ozone ~ Temp, data = aq, k = 2, expert = "linear", na.action = na.exclude,
               control = lse_control(n_starts = 3))
  l <- lm(Ozone ~ Temp, data = aq, na.action = na.exclude)
  expect_identical(names(fitted(f)), names(fitted(l)))
  expect_identical(names(residuals(f)), names(residuals(l)))
  expect_identical(names(predict(f)), names(predict(l)))
  nd <- aq[c(3, 10, 20), ]
  expect_identical(names(predict(f, nd)), names(predict(l, nd)))
  expect_identical(rownames(predict(f, nd, type = "gate")), rownames(nd))
  expect_identical(rownames(predict(f, nd, interval = "confidence")), rownames(predict(l, nd, interval = "confidence")))
  # the values are those of the unnamed fit
  expect_equal(unname(fitted(f)[!is.na(fitted(f))]), as.vector(f$fitted.values))
  # matrix inputs without row names give unnamed values
  set.seed(2)
  g <- moe_lse(matrix(aq$Temp[1:50]), aq$Wind[1:50], k = 2, expert = "linear", control = lse_control(n_starts = 3, warn = FALSE))
  expect_null(names(fitted(g)))
  expect_null(names(predict(g, matrix(c(60, 70)))))
})

test_that("an exact fit's infinite log-likelihood comes with a classed warning (fuzz seed 101, issue 29)", {
  fit <- fit_small()
  expect_no_warning(logLik(fit))
  fit$rss <- 0
  expect_warning(ll <- logLik(fit), "infinite", class = "lsmoe_warning_nonfinite")
  expect_identical(as.numeric(ll), Inf)
  expect_warning(a <- AIC(fit), class = "lsmoe_warning_nonfinite")
  expect_identical(a, -Inf)
})

test_that("standard errors that overflow far outside the inputs come with a classed warning (fuzz seed 202, issue 29)", {
  set.seed(2)
  x <- sort(runif(60))
  y <- 0.3 * x + rnorm(60, sd = 0.05)
  fit <- moe_lse(x, y, k = 1, expert = "linear", control = lse_control(n_starts = 1, warn = FALSE))
  nd <- c(1e200, -1e200)
  expect_true(all(is.finite(quiet_extrapolation(predict(fit, nd)))))
  expect_warning(p <- quiet_extrapolation(predict(fit, nd, interval = "confidence")), "standard error",
                 class = "lsmoe_warning_nonfinite")
  expect_false(all(is.finite(p)))
  expect_warning(quiet_extrapolation(predict(fit, nd, se.fit = TRUE)), class = "lsmoe_warning_nonfinite")
  expect_no_warning(predict(fit, c(0.2, 0.8), interval = "confidence"))
})

test_that("predict() outside the training inputs warns for unbounded experts (class lsmoe_warning_extrapolation, issue 27)", {
  set.seed(1)
  fit <- moe_lse(eruptions ~ waiting, data = datasets::faithful, k = 2, control = lse_control(n_starts = 5))
  rng <- range(faithful$waiting)  # 43 to 96
  inside <- data.frame(waiting = c(rng, 70))
  expect_no_warning(predict(fit, inside))
  expect_no_warning(predict(fit))  # at the training data
  expect_no_warning(predict(fit, data.frame(waiting = rng[2] + 1e-9)))  # rounding, not extrapolation
  out <- data.frame(waiting = c(70, 120, 30, 80))
  expect_warning(p <- predict(fit, out), "2 row\\(s\\) of `newdata` \\(2, 3\\).*`waiting` in \\[43, 96\\]",
                 class = "lsmoe_warning_extrapolation")
  expect_length(p, 4)
  expect_warning(predict(fit, out, type = "experts"), class = "lsmoe_warning_extrapolation")
  expect_warning(predict(fit, out, interval = "confidence"), class = "lsmoe_warning_extrapolation")
  expect_no_warning(predict(fit, out, type = "gate"))  # gate values stay in [0, 1]
  # row names of newdata name the rows; augment() warns once
  rownames(out) <- c("a", "b", "c", "d")
  expect_warning(predict(fit, out), "\\(b, c\\)", class = "lsmoe_warning_extrapolation")
  n_warn <- 0
  withCallingHandlers(augment(fit, newdata = out, se_fit = TRUE),
                      lsmoe_warning_extrapolation = function(w) {
                        n_warn <<- n_warn + 1
                        invokeRestart("muffleWarning")
                      })
  expect_identical(n_warn, 1)
  # matrix fits, per column; ReLU experts are unbounded too
  set.seed(3)
  x <- cbind(u = runif(200), v = runif(200))
  y <- pmax(0, x[, 1] - 0.3) + x[, 2] + rnorm(200, sd = 0.05)
  fr <- moe_lse_fit(x, y, k = 2, expert = expert_relu(output_weight = TRUE), control = lse_control(n_starts = 3, warn = FALSE))
  expect_warning(predict(fr, cbind(u = c(0.5, 0.5), v = c(0.5, 1.5))), "1 row\\(s\\) of `newdata` \\(2\\).*`v`",
                 class = "lsmoe_warning_extrapolation")
  # rows of zero weight are not training inputs
  fw <- moe_lse_fit(x, y, k = 1, weights = as.numeric(x[, 1] < 0.8), control = lse_control(warn = FALSE))
  expect_warning(predict(fw, cbind(u = 0.9, v = 0.5)), "`u`", class = "lsmoe_warning_extrapolation")
  # bounded experts (sigmoid, tanh with or without an output weight) do not warn
  ft <- moe_lse_fit(x, y, k = 2, expert = expert_tanh(output_weight = TRUE), control = lse_control(n_starts = 3, warn = FALSE))
  expect_no_warning(predict(ft, cbind(u = 5, v = -5)))
  fs <- fit_small()
  expect_no_warning(predict(fs, data.frame(x = c(-10, 10))))
})
