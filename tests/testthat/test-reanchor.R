# Re-anchoring of softmax-gated fits whose gate is held at a bound (lse_control(reanchor),
# params.R reanchor_thetas(), engine.R reanchor_best()).

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

test_that("re-anchoring keeps the regression function and moves the anchor", {
  set.seed(3)
  for (d in 1:2) for (k in 3:4) {
    x <- matrix(rnorm(40 * d), 40, d)
    q <- lsmoe:::expert_q(expert_tanh(output_weight = TRUE), d)
    p <- lsmoe:::n_free_params(k, d, q)
    theta <- runif(p, -2, 2)
    b <- list(lower = rep(-50, p), upper = rep(50, p))
    m <- lsmoe:::reanchor_thetas(theta, k, d, q, b)
    expect_identical(dim(m), c(p, k - 1L))
    par <- lsmoe:::unpack_theta(theta, k, d, q)
    f0 <- ref_f_theta(theta, x, expert_tanh(output_weight = TRUE), k)
    for (j in seq_len(k - 1)) {
      o <- c(seq_len(k)[-j], j)
      pj <- lsmoe:::unpack_theta(m[, j], k, d, q)
      # component j is now last and anchored: its gate was subtracted from every gate
      expect_equal(pj$beta0, par$beta0[o] - par$beta0[j], tolerance = 1e-14)
      expect_equal(pj$beta1, sweep(par$beta1[o, , drop = FALSE], 2, par$beta1[j, ]), tolerance = 1e-14)
      expect_identical(pj$eta, par$eta[o, , drop = FALSE])
      expect_equal(ref_f_theta(m[, j], x, expert_tanh(output_weight = TRUE), k), f0, tolerance = 1e-12)
    }
  }
  # a gate difference beyond the box is clamped into it
  theta <- c(40, -40, 0, 0, 1, 0, 1, 0, 1, 0)  # k = 3, d = 1, linear: beta0 (2), beta1 (2), eta (3 x 2)
  m <- lsmoe:::reanchor_thetas(theta, 3, 1, 2, list(lower = rep(-50, 10), upper = rep(50, 10)))
  expect_identical(m[1:2, 1], c(-50, -40))  # anchor 1: (-40 - 40, 0 - 40) -> (-80 clamped, -40)
})

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
