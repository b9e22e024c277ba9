# The data a fit keeps (issue 30, item 7): no row names on the model matrix, the row names of
# the data on fitted values and residuals, moe_lse(model = FALSE) and the methods of a fit without
# its data, and the helpers that compute R's statistics without copies of the data.

fit_pair <- function(formula = y ~ x, data = NULL, ...) {
  if (is.null(data)) {
    set.seed(3)
    x <- runif(300, -2, 2)
    data <- data.frame(x = x, z = runif(300), y = abs(x) + rnorm(300, sd = 0.2))
  }
  set.seed(1)
  full <- moe_lse(formula, data = data, k = 2, control = lse_control(n_starts = 4, warn = FALSE), ...)
  set.seed(1)
  lean <- moe_lse(formula, data = data, k = 2, control = lse_control(n_starts = 4, warn = FALSE), model = FALSE, ...)
  list(full = full, lean = lean, data = data)
}

test_that("a formula fit's input matrix has no row names; fitted() and residuals() have the data's", {
  set.seed(2)
  d <- data.frame(x = runif(200), y = runif(200))
  f <- moe_lse(y ~ x, data = d, k = 1, control = lse_control(n_starts = 1, warn = FALSE))
  expect_null(rownames(f$x))
  l <- lm(y ~ x, data = d)
  expect_identical(names(fitted(f)), names(fitted(l)))
  expect_identical(names(residuals(f)), names(residuals(l)))
  # character row names, and row names left after na.omit
  rownames(d) <- paste0("r", seq_len(nrow(d)))
  d$x[c(3, 50)] <- NA
  f <- moe_lse(y ~ x, data = d, k = 1, control = lse_control(n_starts = 1, warn = FALSE))
  l <- lm(y ~ x, data = d)
  expect_null(rownames(f$x))
  expect_identical(names(fitted(f)), names(fitted(l)))
  expect_identical(names(residuals(f, type = "pearson")), names(residuals(l, type = "pearson")))
  expect_identical(names(predict(f)), names(predict(l)))
  # the object carries no string per row: at n = 2e4 it holds x, y, the fitted values, the
  # residuals and the model frame's two columns (8 bytes a value each), and little more (row
  # names as strings would add about 60 bytes a row)
  n <- 2e4
  set.seed(3)
  d <- data.frame(x = runif(n), y = runif(n))
  f <- moe_lse(y ~ x, data = d, k = 1, control = lse_control(n_starts = 1, warn = FALSE))
  expect_lt(as.numeric(object.size(f)), 6 * 8 * n + 2e5)
  expect_identical(names(fitted(f))[c(1, n)], c("1", as.character(n)))
})

test_that("the model frame is built once without missing values, and na.action applies when they are", {
  aq <- datasets::airquality
  set.seed(4)
  f <- moe_lse(Ozone ~ Temp, data = aq, k = 2, control = lse_control(n_starts = 2, warn = FALSE))
  expect_identical(nrow(f$model), 116L)
  expect_s3_class(f$na.action, "omit")
  expect_identical(f$model, model.frame(Ozone ~ Temp, aq, drop.unused.levels = TRUE))
  # a frame without missing values: the same frame as stats::na.omit() would give, no na.action
  d <- aq[!is.na(aq$Ozone), ]
  set.seed(4)
  g <- moe_lse(Ozone ~ Temp, data = d, k = 2, na.action = na.exclude, control = lse_control(n_starts = 2, warn = FALSE))
  expect_null(g$na.action)
  expect_identical(g$model, model.frame(Ozone ~ Temp, d, na.action = na.exclude, drop.unused.levels = TRUE))
  expect_equal(coef(g), coef(f))
  # na.fail still fails on a missing value
  expect_error(moe_lse(Ozone ~ Temp, data = aq, k = 2, na.action = na.fail), class = "lsmoe_error_input")
  # a na.action of the user's own runs even without missing values
  drop_first <- function(fr) fr[-1, , drop = FALSE]
  set.seed(4)
  h <- moe_lse(Ozone ~ Temp, data = d, k = 2, na.action = drop_first, control = lse_control(n_starts = 2, warn = FALSE))
  expect_identical(nobs(h), nrow(d) - 1L)
  # a data frame's own "na.action" attribute is honoured as model.frame() honours it
  d2 <- na.exclude(aq[, c("Ozone", "Temp")])
  set.seed(4)
  e <- moe_lse(Ozone ~ Temp, data = d2, k = 2, control = lse_control(n_starts = 2, warn = FALSE))
  expect_identical(nobs(e), 116L)
})

test_that("numeric formulas get their inputs without model.matrix(), and the same values", {
  set.seed(1)
  n <- 40
  d <- data.frame(y = rnorm(n), x = runif(n), z = runif(n), i = seq_len(n), f = factor(sample(letters[1:3], n, TRUE)))
  ref <- function(fo) {
    mf <- model.frame(fo, d)
    tt <- attr(mf, "terms")
    attr(tt, "intercept") <- 1L
    X <- model.matrix(tt, mf)
    X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
    rownames(X) <- NULL
    attr(X, "assign") <- NULL
    attr(X, "contrasts") <- NULL
    X
  }
  for (fo in list(y ~ x, y ~ x + z, y ~ log(z) + I(x^2) + i, y ~ 0 + x + z)) {
    mf <- model.frame(fo, d)
    X <- lsmoe:::numeric_inputs(attr(mf, "terms"), mf)
    expect_identical(X, ref(fo), label = deparse(fo))
  }
  # factors, interactions and matrix columns take model.matrix()'s way
  for (fo in list(y ~ x + f, y ~ x:z, y ~ poly(x, 2))) {
    mf <- model.frame(fo, d)
    expect_null(lsmoe:::numeric_inputs(attr(mf, "terms"), mf), label = deparse(fo))
    expect_identical(lsmoe:::formula_inputs(attr(mf, "terms"), mf)$x, ref(fo), label = deparse(fo))
  }
})

test_that("R's statistics without copies are R's, bit for bit, and sample_index() draws as sample.int()", {
  old <- RNGkind()
  on.exit(suppressWarnings(RNGkind(sample.kind = old[3])))
  for (s in 1:40) {
    set.seed(s)
    n <- c(1, 2, 7, 1000, 5000)[1 + s %% 5]
    x <- matrix((rnorm(2 * n, c(0, 1e3, -5, 1e8)[1 + s %% 4], c(1e-3, 1, 1e5)[1 + s %% 3]))^(1 + s %% 3), n, 2)
    m <- colMeans(x)
    expect_identical(lsmoe:::cpp_col_mean_sq_dev(x, m), unname(colMeans(sweep(x, 2, m)^2)))
    v <- x[, 1]
    mv <- sum(v) / n
    expect_identical(lsmoe:::cpp_col_mean_sq_dev(v, mv, mean = FALSE), sum((v - mv)^2))
    expect_identical(lsmoe:::cpp_mean_sq_dev(v, mean(v)), mean((v - mean(v))^2))
    expect_identical(lsmoe:::cpp_mean_sq_dev(v, 0), mean(v^2))
    # the standard deviation of a 1-column matrix (data_scales_x()) is sd() of its column
    if (n > 1) expect_identical(lsmoe:::data_scales_x(x[, 1, drop = FALSE])$sx, sd(v))
  }
  for (kind in c("Rejection", "Rounding")) {
    suppressWarnings(RNGkind(sample.kind = kind))
    for (s in 1:30) {
      n <- c(1, 2, 3, 10, 1000, 2e5)[1 + s %% 6]
      size <- min(n, c(0, 1, 2, 5, 50)[1 + s %% 5])
      set.seed(s)
      a <- sample.int(n, size)
      after_a <- runif(1)
      set.seed(s)
      b <- lsmoe:::sample_index(n, size)
      after_b <- runif(1)
      expect_identical(b, a)
      expect_identical(after_b, after_a)
    }
  }
  expect_error(lsmoe:::cpp_sample_int(3L, 4L), "larger than the population")
})

test_that("moe_lse(model = FALSE) leaves the data out and gives the same estimates and inference", {
  p <- fit_pair()
  full <- p$full
  lean <- p$lean
  expect_null(lean[["x", exact = TRUE]])
  expect_null(lean[["y", exact = TRUE]])
  expect_null(lean[["model", exact = TRUE]])
  # at least x, y and the model frame's two columns (8 bytes a value) fewer
  expect_gt(as.numeric(object.size(full)) - as.numeric(object.size(lean)), 4 * 8 * nrow(p$data))
  expect_identical(coef(lean), coef(full))
  expect_identical(fitted(lean), fitted(full))
  expect_identical(residuals(lean), residuals(full))
  expect_equal(predict(lean), predict(full), tolerance = 1e-12)  # the fitted values, not recomputed
  nd <- data.frame(x = c(-1, 0.5, 1.5), z = 0.5)
  expect_identical(predict(lean, nd), predict(full, nd))
  expect_identical(predict(lean, nd, type = "gate"), predict(full, nd, type = "gate"))
  for (type in c("classical", "HC0", "HC1")) expect_equal(vcov(lean, type = type), vcov(full, type = type), tolerance = 1e-8)
  expect_equal(predict(lean, nd, interval = "confidence"), predict(full, nd, interval = "confidence"), tolerance = 1e-8)
  expect_equal(confint(lean), confint(full), tolerance = 1e-8)
  sl <- summary(lean)
  sf <- summary(full)
  expect_equal(sl$coefficients, sf$coefficients, tolerance = 1e-8)
  expect_identical(sl$r_squared, sf$r_squared)
  expect_identical(AIC(lean), AIC(full))
  expect_identical(nobs(lean), nobs(full))
  expect_output(print(lean), "Least squares")
  expect_identical(simulate(lean, seed = 1), simulate(full, seed = 1))
  expect_equal(tidy(lean), tidy(full), tolerance = 1e-8)
  expect_equal(glance(lean), glance(full))
  expect_identical(augment(lean, newdata = nd), augment(full, newdata = nd))
  expect_s3_class(as_mixing_measure(lean), "mixing_measure")
  # the formula's own: formula(), terms(), model.frame() and model.matrix() from the data again,
  # update() refits (keeping model = FALSE)
  expect_identical(formula(lean), formula(full))
  expect_equal(model.frame(lean, data = p$data), model.frame(full), ignore_attr = TRUE)
  expect_equal(model.matrix(lean, data = p$data), model.matrix(full))
  up <- update(lean, . ~ . + z, data = p$data)
  expect_null(up[["x", exact = TRUE]])
  expect_identical(up$input_names, c("x", "z"))
  expect_s3_class(anova(lean, up), "anova")
  # extrapolation is still seen from the inputs' ranges kept in place of x
  expect_warning(predict(lean, data.frame(x = 5)), class = "lsmoe_warning_extrapolation")
  expect_no_warning(predict(lean, data.frame(x = 1)))
})

test_that("methods that need the data of a model = FALSE fit give a classed error saying to refit", {
  lean <- fit_pair()$lean
  no_data <- function(expr) expect_error(expr, "model = TRUE", class = "lsmoe_error_no_data")
  no_data(hatvalues(lean))
  no_data(rstandard(lean))
  no_data(cooks.distance(lean))
  no_data(plot(lean))
  no_data(confint(lean, method = "boot", nboot = 10))
  no_data(predict(lean, type = "gate"))
  no_data(predict(lean, se.fit = TRUE))
  no_data(predict(lean, interval = "prediction"))
  no_data(augment(lean))
  expect_error(hatvalues(lean), class = "lsmoe_error_input")  # also an input error
  # the matrix interface: no model.matrix() without x
  set.seed(1)
  x <- matrix(runif(200), ncol = 1)
  m <- moe_lse_fit(x, 2 * x[, 1] + rnorm(200, sd = 0.1), k = 1, control = lse_control(n_starts = 1), model = FALSE)
  no_data(model.matrix(m))
  expect_length(fitted(m), 200)
  expect_null(names(fitted(m)))
  expect_true(all(is.finite(vcov(m))))
  # model must be a flag
  expect_error(moe_lse(y ~ x, data = fit_pair()$data, k = 1, model = NA), "`model`", class = "lsmoe_error_input")
  expect_error(moe_lse_fit(x, x[, 1], model = "no"), "`model`", class = "lsmoe_error_input")
})

test_that("weighted and NA-padded fits without their data keep names, weights and inference", {
  aq <- datasets::airquality
  aq$w <- rep(c(1, 2, 0.5, 0), length.out = nrow(aq))
  set.seed(6)
  full <- moe_lse(Ozone ~ Temp + Wind, data = aq, weights = w, k = 1, na.action = na.exclude,
                  control = lse_control(n_starts = 2, warn = FALSE))
  set.seed(6)
  lean <- moe_lse(Ozone ~ Temp + Wind, data = aq, weights = w, k = 1, na.action = na.exclude,
                  control = lse_control(n_starts = 2, warn = FALSE), model = FALSE)
  expect_identical(residuals(lean, type = "pearson"), residuals(full, type = "pearson"))
  expect_identical(names(fitted(lean)), names(fitted(full)))
  expect_length(fitted(lean), nrow(aq))
  for (type in c("classical", "HC0", "HC1")) expect_equal(vcov(lean, type = type), vcov(full, type = type), tolerance = 1e-8)
  expect_identical(summary(lean)$r_squared, summary(full)$r_squared)
  expect_identical(lsmoe:::fit_x_range(lean), lsmoe:::fit_x_range(full))
  expect_identical(logLik(lean), logLik(full))
})

test_that("a hand-edited fit without its data is checked as the others are", {
  lean <- fit_pair()$lean
  bad <- lean
  bad$input_names <- NULL
  err_object(coef(bad), "input_names")
  bad <- lean
  bad$input_range <- matrix(1, 3, 1)
  err_object(predict(bad, data.frame(x = 0)), "input_range")
  bad <- lean
  bad$crossprods$meat <- bad$crossprods$meat[-1, ]
  err_object(vcov(bad), "crossprods")
  bad <- lean
  bad$tss <- -1
  err_object(summary(bad), "tss")
  bad <- lean
  bad$row_names <- c("a", "b")
  err_object(fitted(bad), "row_names")
  # without the cross-products, standard errors need the data
  bad <- lean
  bad$crossprods <- NULL
  expect_error(vcov(bad), "model = TRUE", class = "lsmoe_error_no_data")
})

test_that("data or na.action that cannot be evaluated still give the classed error of the model frame", {
  err_input(moe_lse(y ~ x, data = no_such_data_frame, k = 1), "model frame")
  d <- data.frame(x = runif(20), y = runif(20))
  err_input(moe_lse(y ~ x, data = d, k = 1, na.action = no_such_function), "model frame")
})

test_that("an integer response with zero weights reaches the compiled code as doubles (summary, vcov, hatvalues)", {
  # before: fit$y kept airquality's integer Ozone, and summary() stopped in compiled code with the
  # unclassed "Wrong R type for mapped vector"
  aq <- datasets::airquality
  aq$w <- rep(c(1, 2, 0.5, 0), length.out = nrow(aq))
  set.seed(6)
  f <- moe_lse(Ozone ~ Temp + Wind, data = aq, weights = w, k = 1, na.action = na.exclude,
               control = lse_control(n_starts = 2, warn = FALSE))
  expect_type(f$y, "double")
  expect_s3_class(summary(f), "summary.moe_lse")
  expect_true(all(is.finite(vcov(f))))
  expect_length(hatvalues(f), nrow(aq))
})
