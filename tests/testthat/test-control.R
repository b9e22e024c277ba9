# control.R: lse_control() and as_control(): bad arguments and hand-edited controls give classed errors.

test_that("the new lse_control() arguments reject bad values with classed errors naming them", {
  err <- function(expr, arg) expect_error(expr, paste0("`", arg, "`"), class = "lsmoe_error_input")
  for (a in c("n_finish", "screen_rows", "screen_iter", "refine_rows")) {
    err(do.call(lse_control, stats::setNames(list(0), a)), a)
    err(do.call(lse_control, stats::setNames(list(NA), a)), a)
    err(do.call(lse_control, stats::setNames(list(2.5), a)), a)
  }
  err(lse_control(damping = -1), "damping")
  err(lse_control(damping = Inf), "damping")
  err(lse_control(standardize = NA), "standardize")
  err(lse_control(standardize = "yes"), "standardize")
  err(lse_control(screen_iter = 1e7), "screen_iter")
  err(lse_control(restart = NA), "restart")
  err(lse_control(restart = c(TRUE, FALSE)), "restart")
})

test_that("a hand-edited control is validated without evaluating code inside it", {
  ctl <- lse_control()
  ctl$xtol <- quote(stop("evaluated"))
  err_input(lsmoe:::as_control(ctl), "`xtol`")
  err_input(print(ctl), "xtol")
  ctl <- lse_control()
  ctl$n_starts <- c(NA, 1)
  err_input(print(ctl), "n_starts")
  expect_output(print(lse_control()), "<lse_control>")
})
