# fit-finish.R: finishing the best fit: the Newton polish (newton_polish(), polish_iterations()) and
# re-anchoring of a softmax gate held at a bound (reanchor_best(); reanchor_thetas(): test-params.R).

# A k = 2 sigmoid problem started off its optimum and stopped after a few iterations.
polish_problem <- function() {
  s <- sim_sigmoid2(300, 1, 0.1, seed = 11)
  start <- list(beta0 = c(1, 0), beta1 = matrix(c(0.5, 0), 2, 1), eta = rbind(c(1, -1), c(1, 1)))
  c(s, list(start = start))
}

polish_fit <- function(s, polish, max_iter = 4, w = NULL, x = s$x, y = s$y, ...) {
  moe_lse_fit(x, y, weights = w, k = 2, expert = expert_sigmoid(), start = s$start,
              control = lse_control(max_iter = max_iter, polish = polish, warn = FALSE, ...))
}

test_that("a fit stopped at the iteration limit is polished to the optimum an independent optimizer finds", {
  skip_if_not_installed("minpack.lm")
  s <- polish_problem()
  raw <- polish_fit(s, polish = FALSE)
  expect_false(raw$converged)
  expect_identical(raw$status, 10L)
  pol <- polish_fit(s, polish = TRUE)
  expect_true(pol$converged)
  expect_match(pol$message, "Newton polish", fixed = TRUE)
  expect_lt(pol$rss, raw$rss)
  expect_identical(pol$on_bound, 0L)
  # minpack.lm's Levenberg-Marquardt from the same start, run to convergence, on the user's scale
  th0 <- lsmoe:::pack_theta(s$start$beta0, s$start$beta1, s$start$eta)
  ref <- minpack.lm::nls.lm(th0, fn = function(th) s$y - ref_f_theta(th, s$x, expert_sigmoid(), 2),
                            control = minpack.lm::nls.lm.control(maxiter = 1000, ftol = 1e-14, ptol = 1e-14))
  ref_rss <- sum(ref$fvec^2)
  expect_lte(pol$rss, ref_rss * (1 + 1e-8))
  expect_lt(abs(pol$rss / ref_rss - 1), 1e-8)
  # a stationary point: the RSS's central-difference gradient vanishes at the estimate
  rss_at <- function(th) sum((s$y - ref_f_theta(th, s$x, expert_sigmoid(), 2))^2)
  g <- vapply(seq_along(pol$theta), function(i) {
    e <- 1e-6 * max(1, abs(pol$theta[i]))
    tp <- tm <- pol$theta
    tp[i] <- tp[i] + e
    tm[i] <- tm[i] - e
    (rss_at(tp) - rss_at(tm)) / (2 * e)
  }, 0)
  expect_lt(max(abs(g)), 1e-4 * pol$rss)
  # the starts table holds the polished fit in the best start's row
  expect_identical(pol$starts$rss[pol$best_start], pol$rss)
  expect_identical(pol$starts$status[pol$best_start], pol$status)
  expect_gt(pol$iterations, raw$iterations)
  expect_gt(pol$evaluations, raw$evaluations)
  # print() says so; a hand-edited fit without a message still prints
  expect_match(paste(capture.output(print(pol)), collapse = "\n"), "and a Newton polish", fixed = TRUE)
  expect_false(any(grepl("Newton polish", capture.output(print(raw)), fixed = TRUE)))
  edited <- pol
  edited$message <- NULL
  expect_output(print(edited), "Converged after")
})

test_that("the polish leaves converged fits, polish = FALSE and data beyond refine_rows alone", {
  s <- polish_problem()
  same <- function(a, b) {
    for (nm in setdiff(names(a), c("control", "call"))) expect_identical(a[[nm]], b[[nm]], label = nm)
  }
  long <- polish_fit(s, polish = TRUE, max_iter = 500)
  expect_true(long$converged)
  same(long, polish_fit(s, polish = FALSE, max_iter = 500))
  expect_false(grepl("polish", long$message))
  big <- polish_fit(s, polish = TRUE, refine_rows = 100)
  expect_identical(big$status, 10L)
  expect_identical(big$theta, polish_fit(s, polish = FALSE, refine_rows = 100)$theta)
})

test_that("the polish minimises the weighted RSS: integer weights equal repeated rows", {
  s <- polish_problem()
  w <- rep(c(1, 2, 0), length.out = nrow(s$x))
  rows <- rep(seq_len(nrow(s$x)), w)
  pw <- polish_fit(s, polish = TRUE, w = w)
  pr <- polish_fit(s, polish = TRUE, x = s$x[rows, , drop = FALSE], y = s$y[rows])
  expect_true(pw$converged)
  expect_true(pr$converged)
  expect_match(pw$message, "Newton polish", fixed = TRUE)
  expect_equal(pw$rss, pr$rss, tolerance = 1e-8)
  expect_equal(pw$theta, pr$theta, tolerance = 1e-5)
})

test_that("on mcycle (k = 3, output-weighted tanh) the polish ends the crawl at a bounded minimum", {
  skip_if_not_installed("MASS")
  skip_on_cran()
  # A fit stopped at the iteration limit, built on purpose (issue 30): 10 iterations (and 10 more
  # of the restart) from a start in the valley of a bounded minimum (RSS 62140.73, two parameters
  # on the box), where the RSS is still falling. A fit run to its end is not a test of the polish:
  # in this flat valley whether it crawls to the limit or stops early by ftol depends on the last
  # bits of the pass (with seed 1 and 10 starts the AVX2 build crawls, the portable one converges).
  start <- list(beta0 = c(13.29, -14.12, 0), beta1 = matrix(c(-0.7934, 0.4547, 0), 3, 1),
                eta = cbind(c(0.002788, -1.606, 0.2231), c(-0.02273, 75.29, -6.224), c(288.4, 3.458, 133.4)))
  fit_mc <- function(polish) {
    moe_lse(accel ~ times, data = MASS::mcycle, k = 3, expert = expert_tanh(output_weight = TRUE), start = start,
            control = lse_control(max_iter = 10, polish = polish, warn = FALSE))
  }
  raw <- fit_mc(FALSE)
  pol <- fit_mc(TRUE)
  expect_identical(raw$status, 10L)
  expect_true(pol$converged)
  expect_match(pol$message, "Newton polish", fixed = TRUE)
  expect_lt(pol$rss, raw$rss)
  expect_gt(pol$on_bound, 0L)
  # L-BFGS-B (stats::optim, not PORT's Newton) within the same box on the standardised scale:
  # no lower RSS near the polished estimate, a clearly lower one near the unpolished estimate
  ns <- asNamespace("lsmoe")
  ex <- pol$expert
  sc <- ns$fit_scales(pol$x, pol$y, numeric(0), ex, TRUE, "softmax")
  xs <- sweep(sweep(pol$x, 2, sc$mx), 2, sc$sx, "/")
  ys <- (pol$y - sc$my) / sc$sy
  b <- ns$theta_bounds(3, 1, ex, pol$control, "softmax")
  ic <- ns$output_weight_index(3, 1, "softmax")
  b$lower[ic] <- ns$reciprocal_c_min(ys, pol$control$bound_output)
  internal <- function(f) {
    m <- as_mixing_measure(f)
    th <- ns$transform_params(list(beta0 = m$beta0, beta1 = m$beta1, eta = m$eta), sc, ex, inverse = TRUE)
    pmin(pmax(ns$pack_theta(th$beta0, th$beta1, th$eta), b$lower), b$upper)
  }
  obj <- function(t) sum((ys - ref_f_theta(t, xs, ex, 3))^2)
  # the analytic gradient 2 J'r (J checked against finite differences in test-fit-core.R)
  grad <- function(t) {
    z <- ns$cpp_residuals(xs, ys, t, ex, 3L, "softmax")
    2 * drop(crossprod(z$jacobian, z$residuals))
  }
  improve <- function(f) {
    th <- internal(f)
    o <- stats::optim(th, obj, grad, method = "L-BFGS-B", lower = b$lower, upper = b$upper,
                      control = list(maxit = 2000, factr = 1, pgtol = 0))
    o$value / obj(th) - 1
  }
  expect_gt(improve(pol), -1e-7)
  expect_lt(improve(raw), -1e-5)
})

test_that("polish must be TRUE or FALSE (classed error naming it)", {
  for (v in list(NA, "yes", 1, c(TRUE, FALSE), NULL)) {
    err <- tryCatch(lse_control(polish = v), error = identity)
    expect_s3_class(err, "lsmoe_error_input")
    expect_identical(err$arg, "polish")
  }
  ctl <- lse_control()
  expect_true(ctl$polish)
  ctl$polish <- "no"
  s <- polish_problem()
  expect_error(moe_lse_fit(s$x, s$y, k = 2, expert = "sigmoid", control = ctl), class = "lsmoe_error_input")
})

test_that("the polish works under the sigmoid gate with reciprocal output weights, d = 2", {
  set.seed(5)
  n <- 400
  x <- matrix(runif(2 * n, -1, 1), n, 2, dimnames = list(NULL, c("x1", "x2")))
  y <- 2 * tanh(3 * x[, 1] - 1) / (1 + exp(-4 * x[, 2])) + 0.5 * tanh(x[, 1] + x[, 2]) + rnorm(n, sd = 0.05)
  start <- list(beta0 = c(0.2, -0.2), beta1 = rbind(c(1, 1), c(-1, 0.5)), eta = rbind(c(1, 0, 0, 1), c(0, 1, 0, 1)))
  fit <- function(...) {
    moe_lse_fit(x, y, k = 2, expert = expert_tanh(output_weight = TRUE), gate = gate_sigmoid(), start = start,
                control = lse_control(warn = FALSE, ...))
  }
  raw <- fit(max_iter = 3, polish = FALSE)
  expect_identical(raw$status, 10L)
  pol <- fit(max_iter = 3)
  expect_match(pol$message, "Newton polish", fixed = TRUE)
  long <- fit(max_iter = 5000, polish = FALSE)
  expect_true(long$converged)
  # one start of 6 LM iterations buys the polish its minimum of 10 Newton iterations: it lowers
  # the RSS by 2, to within 1e-3 of the optimum of a long LM run
  expect_lt(pol$rss, raw$rss)
  expect_lt(pol$rss / long$rss - 1, 1e-3)
  expect_gt(raw$rss / long$rss - 1, 0.5)
  # its passes stay within the budget: at most p + 3 per Newton iteration and at the start point
  # (nlminb evaluates the RSS at most twice per iteration; the gradient at a point is computed
  # once for the gradient and the Hessian), then at most 2 max_iter + 2 for the LM run after it
  p <- length(pol$theta)
  it <- lsmoe:::polish_iterations(raw$starts$iterations, p)
  expect_identical(it, 10L)
  expect_lte(pol$evaluations - raw$evaluations, (it + 1) * (p + 3) + 2 * 3 + 2)
  expect_true(all(pol$coefficients$eta[, 4] > 0))  # output weights kept positive, as the fitter does
})

test_that("the polish's iteration limit follows the starts' LM iterations, within 10 to 200", {
  expect_identical(lsmoe:::polish_iterations(c(6, NA), 14), 10L)
  expect_identical(lsmoe:::polish_iterations(rep(500, 10), 7), 200L)
  expect_identical(lsmoe:::polish_iterations(c(500, 500, 170), 14), 73L)
})

# faithful on the standardised scale (mean 0, population sd 1), fitted with standardize = FALSE so
# that the box is the same for the fit and for the reference optimizers below.
reanchor_data <- function() {
  z <- function(v) (v - mean(v)) / sqrt(mean((v - mean(v))^2))
  list(x = matrix(z(datasets::faithful$waiting)), y = z(datasets::faithful$eruptions))
}

# A start whose fit ends with a gating slope on its bound (bound_gate = 50): a low and a high
# line, and a steep third expert where the two clusters of eruptions overlap.
reanchor_start <- function() {
  list(beta0 = c(1.4, 1.3, 0), beta1 = matrix(c(-45, -40, 0), 3, 1),
       eta = rbind(c(0.06, -1.2), c(-19, 1.5), c(0.14, 0.65)))
}

reanchor_fit <- function(reanchor, ...) {
  s <- reanchor_data()
  moe_lse_fit(s$x, s$y, k = 3, expert = expert_linear(), start = reanchor_start(),
              control = lse_control(standardize = FALSE, reanchor = reanchor, ...))
}

test_that("a fit whose gate is held at a bound is re-anchored to the optimum of an independent optimizer", {
  skip_if_not_installed("minpack.lm")
  s <- reanchor_data()
  raw <- reanchor_fit(FALSE)
  expect_true(raw$converged)
  gate_flags <- raw$bound_flags[1:4]
  expect_true(any(gate_flags))  # the gate wants to be steeper than the box allows
  fit <- reanchor_fit(TRUE)
  expect_true(fit$converged)
  expect_match(fit$message, "(after re-anchoring the gate)", fixed = TRUE)
  expect_lt(fit$rss, raw$rss * (1 - 1e-3))
  expect_equal(fit$rss, sum(residuals(fit)^2), tolerance = 1e-10)
  # within the box, under its own anchoring
  expect_true(all(abs(fit$theta[1:4]) <= 50 + 1e-12))
  expect_true(all(abs(fit$theta[5:10]) <= 20 + 1e-12))
  # but outside it under another: a gate difference beyond bound_gate, which the fit without
  # re-anchoring cannot reach in its anchoring
  b1 <- fit$coefficients$beta1[, 1]
  expect_gt(max(abs(outer(b1, b1, "-"))), 50 + 1e-6)
  # minpack.lm's bounded Levenberg-Marquardt from the other anchorings of the raw fit
  th <- lsmoe:::reanchor_thetas(raw$theta, 3, 1, 2, list(lower = c(rep(-50, 4), rep(-20, 6)),
                                                        upper = c(rep(50, 4), rep(20, 6))))
  ref <- vapply(seq_len(ncol(th)), function(j) {
    r <- minpack.lm::nls.lm(th[, j], lower = c(rep(-50, 4), rep(-20, 6)), upper = c(rep(50, 4), rep(20, 6)),
                            fn = function(t) s$y - ref_f_theta(t, s$x, expert_linear(), 3),
                            control = minpack.lm::nls.lm.control(maxiter = 1000, ftol = 1e-14, ptol = 1e-14))
    sum(r$fvec^2)
  }, 0)
  expect_lt(min(ref), raw$rss * (1 - 1e-3))
  expect_lte(fit$rss, min(ref) * (1 + 1e-8))
  # and L-BFGS-B in the box, from the estimate, finds nothing lower
  o <- stats::optim(fit$theta, function(t) sum((s$y - ref_f_theta(t, s$x, expert_linear(), 3))^2),
                    method = "L-BFGS-B", lower = c(rep(-50, 4), rep(-20, 6)), upper = c(rep(50, 4), rep(20, 6)),
                    control = list(factr = 1, maxit = 1000))
  expect_gt(o$value, fit$rss * (1 - 1e-8))
  # the starts table holds it in the best start's row; the count of iterations includes it
  expect_identical(fit$starts$rss[fit$best_start], fit$rss)
  expect_gt(fit$iterations, raw$iterations)
  # print() says so
  expect_match(paste(capture.output(print(fit)), collapse = "\n"), "iterations and re-anchoring the gate", fixed = TRUE)
  expect_false(any(grepl("re-anchoring", capture.output(print(raw)), fixed = TRUE)))
})

test_that("re-anchoring and the Newton polish finish a fit stopped at the iteration limit together", {
  full <- reanchor_fit(TRUE)
  for (mi in c(5, 10)) {
    # stopped before its gate reaches the bound: the polish takes it there, re-anchoring moves
    # on from there, and the polish ends a re-anchored refit that stops at the limit
    fit <- reanchor_fit(TRUE, max_iter = mi)
    expect_true(fit$converged)
    expect_match(fit$message, "(after a Newton polish)", fixed = TRUE)
    expect_match(fit$message, "(after re-anchoring the gate)", fixed = TRUE)
    expect_equal(fit$rss, full$rss, tolerance = 1e-8)
    # without re-anchoring the polish ends at the fit held at the bound
    raw <- reanchor_fit(FALSE, max_iter = mi)
    expect_true(raw$converged)
    expect_lt(fit$rss, raw$rss * (1 - 1e-3))
  }
})

test_that("re-anchoring leaves fits alone where it cannot apply", {
  same <- function(a, b) {
    for (nm in setdiff(names(a), c("control", "call"))) expect_identical(a[[nm]], b[[nm]], label = nm)
  }
  s <- reanchor_data()
  # k = 2 (the other anchoring negates the gate; the box is symmetric), the sigmoid gate (no
  # anchor), an infinite bound_gate, and a fit whose gate is inside the box
  for (args in list(list(k = 2, gate = gate_softmax(), bound_gate = 50), list(k = 3, gate = gate_sigmoid(), bound_gate = 50),
                    list(k = 3, gate = gate_softmax(), bound_gate = Inf), list(k = 3, gate = gate_softmax(), bound_gate = 1e4))) {
    fits <- lapply(c(TRUE, FALSE), function(ra) {
      set.seed(4)
      moe_lse_fit(s$x, s$y, k = args$k, expert = expert_linear(), gate = args$gate,
                  control = lse_control(n_starts = 5, standardize = FALSE, bound_gate = args$bound_gate, reanchor = ra))
    })
    if (identical(args$bound_gate, 1e4)) expect_false(any(fits[[1]]$bound_flags[1:4]))
    same(fits[[1]], fits[[2]])
    expect_false(grepl("re-anchoring", fits[[1]]$message, fixed = TRUE))
  }
})

test_that("bad reanchor values raise classed errors", {
  for (bad in list(NA, "yes", 1, c(TRUE, FALSE), NULL)) {
    expect_error(lse_control(reanchor = bad), class = "lsmoe_error_input")
  }
  ctl <- lse_control()
  ctl$reanchor <- "no"
  expect_error(moe_lse_fit(matrix(1:10), as.numeric(1:10), k = 3, expert = expert_linear(), control = ctl),
               class = "lsmoe_error_input")
})
