# moe_cv.R: cross-validation over k and the expert family (issue 27, item 4).

cv_data <- function(n = 120) {
  set.seed(8)
  d <- data.frame(x = runif(n, -1, 1))
  d$y <- ifelse(d$x < 0, 1 + 2 * d$x, 1 - 3 * d$x) + rnorm(n, sd = 0.1)
  d
}
ctl_cv <- function() lse_control(n_starts = 3, n_perturb = 2)

test_that("the table holds the fold errors, their mean and standard error, and the selections", {
  d <- cv_data()
  set.seed(1)
  cv <- moe_cv(y ~ x, data = d, k = 1:3, expert = list(lin = expert_linear(), "constant"), folds = 4,
               control = ctl_cv())
  expect_s3_class(cv, "moe_cv")
  tab <- cv$table
  expect_identical(tab$k, rep(1:3, 2))
  expect_identical(tab$expert, rep(c("lin", "constant"), each = 3))
  expect_identical(names(cv$experts), c("lin", "constant"))
  expect_identical(dim(cv$mse), c(6L, 4L))
  expect_equal(tab$mse, rowMeans(cv$mse))
  expect_equal(tab$se, apply(cv$mse, 1, sd) / 2)
  expect_identical(tab$df, c(2L, 6L, 10L, 1L, 4L, 7L))
  expect_identical(sort(unique(cv$foldid)), 1:4)
  expect_identical(as.vector(table(cv$foldid)), rep(30L, 4))
  # smallest mean error, and the fewest parameters within one standard error of it
  i_min <- which.min(tab$mse)
  expect_identical(which(tab$min), i_min)
  near <- which(tab$mse <= tab$mse[i_min] + tab$se[i_min])
  expect_identical(which(tab$one_se), near[which.min(tab$df[near])])
  expect_identical(cv$selected$min$k, tab$k[i_min])
  expect_s3_class(cv$selected$one_se$expert, "moe_expert")
  # the truth is two linear pieces: two linear experts win, and beat one by far
  expect_identical(cv$selected$one_se$k, 2L)
  expect_identical(cv$selected$one_se$name, "lin")
  expect_lt(tab$mse[2], tab$mse[1] / 5)
  expect_identical(nrow(cv$errors), 0L)
  td <- tidy(cv)
  expect_identical(td$std.error, tab$se)
  expect_output(print(cv), "one-standard-error rule: k = 2, lin experts")
  pdf(NULL)
  on.exit(dev.off())
  expect_identical(plot(cv), cv)
})

test_that("a fold error is the held-out MSE of the fit on the other folds (one linear expert is lm)", {
  d <- cv_data()
  fid <- rep(1:3, 40)
  w <- rep(c(1, 2, 0.5), length.out = 120)
  cv <- moe_cv(y ~ x, data = d, weights = w, k = 1, expert = "linear", foldid = fid, control = ctl_cv())
  for (v in 1:3) {
    tr <- fid != v
    m <- lm(y ~ x, data = d[tr, ], weights = w[tr])
    r2 <- (d$y[!tr] - predict(m, d[!tr, ]))^2
    expect_equal(cv$mse[1, v][[1]], sum(w[!tr] * r2) / sum(w[!tr]), tolerance = 1e-6)
  }
  expect_identical(cv$foldid, fid)
  expect_identical(cv$folds, 3L)
})

test_that("the matrix interface gives the formula interface's numbers; set.seed() makes it reproducible", {
  d <- cv_data()
  set.seed(3)
  a <- moe_cv(y ~ x, data = d, k = 1:2, folds = 3, control = ctl_cv())
  set.seed(3)
  b <- moe_cv(d$x, d$y, k = 1:2, folds = 3, control = ctl_cv())
  expect_identical(a$foldid, b$foldid)
  expect_identical(a$mse, b$mse)
  set.seed(3)
  a2 <- moe_cv(y ~ x, data = d, k = 1:2, folds = 3, control = ctl_cv())
  expect_identical(a$mse, a2$mse)
})

test_that("folds on 2 multisession workers give the sequential result", {
  skip_if_not_installed("future")
  skip_on_cran()
  withr::local_options(lsmoe.simd = FALSE)
  old <- future::plan()
  on.exit(future::plan(old), add = TRUE)
  d <- cv_data(80)
  run <- function() {
    set.seed(12)
    moe_cv(y ~ x, data = d, k = 1:2, expert = list("linear", expert_tanh(output_weight = TRUE)), folds = 3,
           control = lse_control(n_starts = 4))
  }
  future::plan(future::sequential)
  a <- run()
  future::plan(future::multisession, workers = 2)
  b <- run()
  expect_identical(a$mse, b$mse)
  expect_identical(a$table, b$table)
})

test_that("a family that fails on every fold is reported and not selected", {
  d <- cv_data()
  d$y <- d$y + 10  # outside the reach of sigmoid experts: lsmoe_error_range in every fold
  set.seed(2)
  cv <- moe_cv(y ~ x, data = d, k = 1:2, expert = list("linear", "sigmoid"), folds = 3, control = ctl_cv())
  expect_identical(cv$table$n_failed, c(0L, 0L, 3L, 3L))
  expect_true(all(is.na(cv$table$mse[3:4])))
  expect_identical(cv$selected$min$name, "linear")
  expect_identical(nrow(cv$errors), 6L)
  expect_match(cv$errors$message[1], "outside the range")
  expect_output(print(cv), "6 fold fit\\(s\\) failed")
  e <- expect_error(moe_cv(y ~ x, data = d, k = 1, expert = "sigmoid", folds = 3), class = "lsmoe_error_input")
  expect_match(conditionMessage(e), "No model was fitted on every fold")
})

test_that("invalid arguments are classed errors naming the argument", {
  d <- cv_data(30)
  arg_of <- function(expr) expect_error(expr, class = "lsmoe_error_input")$arg
  expect_identical(arg_of(moe_cv(y ~ x, data = d, folds = 1)), "folds")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, folds = 31)), "folds")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, folds = 2.5)), "folds")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, foldid = rep(1, 30))), "foldid")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, foldid = rep(1:2, 10))), "foldid")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, foldid = rep(c(1, 3), 15))), "foldid")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, foldid = c(rep(1:2, 14), NA, 1))), "foldid")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, k = 0)), "k")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, k = c(1, 1))), "k")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, k = "2")), "k")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, k = integer(0))), "k")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, expert = list())), "expert")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, expert = list("linear", "quadratic"))), "expert[[2]]")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, expert = list("linear", expert_linear()))), "expert")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, control = list(n_starts = 0))), "n_starts")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, gate = "relu")), "gate")
  expect_identical(arg_of(moe_cv(y ~ x, data = d, foo = 1)), "...")
  expect_identical(arg_of(moe_cv()), "formula")
  expect_identical(arg_of(moe_cv(d$x)), "data")
  expect_identical(arg_of(moe_cv(d$x, d$y[-1])), "data")
  expect_identical(arg_of(moe_cv(d$x, d$y, subset = 1:10)), "subset")
  expect_identical(arg_of(moe_cv(y ~ z, data = d)), "data")
})

test_that("a moe_cv object edited by hand gives a classed error in its methods, not a subscript error", {
  d <- cv_data(60)
  set.seed(2)
  cv <- moe_cv(y ~ x, data = d, k = 1:2, folds = 2, control = ctl_cv())
  expect_output(print(cv), "cross-validation")
  expect_s3_class(tidy(cv), "data.frame")
  ed <- function(nm, v) {
    o <- cv
    o[nm] <- list(v)
    o
  }
  sel_na <- cv
  sel_na$selected$min <- NA
  edited <- list(
    ed("errors", as.Date("2020-01-01")),   # the fuzzer's seed 303, call 705
    ed("table", c(1, 2, 3)),               # seed 303, call 1572
    ed("table", -Inf),                     # seed 404, call 888
    ed("errors", .Machine$integer.max),    # seed 404, call 1197
    sel_na,                                # seed 303, call 1335
    ed("experts", list()),
    ed("folds", "2")
  )
  for (e in edited) {
    expect_error(print(e), class = "lsmoe_error_fit_object")
    expect_error(tidy(e), class = "lsmoe_error_fit_object")
    expect_error(plot(e), class = "lsmoe_error_fit_object")
  }
})
