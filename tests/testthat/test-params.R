# params.R: the theta layout (pack_theta(), unpack_theta()), re-anchoring of thetas (reanchor_thetas())
# and the reciprocal output-weight coordinates (to_reciprocal(), from_reciprocal(), theta_bounds()).

test_that("pack and unpack are inverse and anchor the last gate", {
  b0 <- c(1, 2, 3); b1 <- matrix(c(4, 5, 6, 7, 8, 9), 3, 2); eta <- matrix(1:9 + 0, 3, 3)
  th <- lsmoe:::pack_theta(b0, b1, eta)
  p <- lsmoe:::unpack_theta(th, 3, 2, 3)
  expect_equal(p$beta0, b0 - 3)
  expect_equal(p$beta1, sweep(b1, 2, b1[3, ]))
  expect_equal(p$eta, eta)
  via_cpp <- lsmoe:::cpp_pack(b0, b1, eta, expert_sigmoid())
  expect_equal(drop(via_cpp$theta), th)
})

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

test_that("reciprocal output weights: the change of coordinates keeps the function and the box", {
  set.seed(22)
  e <- expert_tanh(output_weight = TRUE)
  k <- 3L
  d <- 2L
  x <- matrix(rnorm(200), 100, 2)
  th <- rnorm(lsmoe:::n_free_params(k, d, d + 2))
  ic <- lsmoe:::output_weight_index(k, d)
  th[ic] <- c(-3, 0.5, 40)  # a negative weight, a small one, one above bound_output = 20
  phi <- lsmoe:::to_reciprocal(th, k, d, "softmax", 20, 1e-4)
  expect_equal(phi[ic], 1 / c(3, 0.5, 20))
  # a weight below c_min is raised to it
  tiny <- th
  tiny[ic[2]] <- 1e-9
  expect_equal(lsmoe:::to_reciprocal(tiny, k, d, "softmax", 20, 1e-4)[ic[2]], 1e4)
  # c_min: 1e-4 times the smaller of bound_output and the response's root mean square
  expect_equal(lsmoe:::reciprocal_c_min(c(3, -4), 20), 1e-4 * sqrt(12.5))
  expect_equal(lsmoe:::reciprocal_c_min(c(300, -400), 20), 1e-4 * 20)
  expect_equal(lsmoe:::reciprocal_c_min(c(0, 0), 20), 1e-4)
  b <- lsmoe:::theta_bounds(k, d, e, lse_control(), "softmax", reciprocal = TRUE, c_min = 1e-3)
  expect_equal(b$lower[ic], rep(1 / 20, k))
  expect_equal(b$upper[ic], rep(1e3, k))
  expect_equal(b[["lower"]][-ic], lsmoe:::theta_bounds(k, d, e, lse_control())$lower[-ic])
  back <- lsmoe:::from_reciprocal(phi, k, d, "softmax")
  expect_true(all(back[ic] > 0))
  # the negative weight moved its sign into (a, b): the same expert, the same fitted values
  clip <- th
  clip[ic[3]] <- 20
  expect_equal(lsmoe:::cpp_fitted(x, back, e, k), lsmoe:::cpp_fitted(x, clip, e, k), tolerance = 1e-14)
  # columns of a matrix are mapped one by one
  m <- cbind(th, -th)
  expect_equal(lsmoe:::to_reciprocal(m, k, d, "softmax", 20, 1e-4)[, 2], lsmoe:::to_reciprocal(-th, k, d, "softmax", 20, 1e-4))
  expect_equal(lsmoe:::from_reciprocal(lsmoe:::to_reciprocal(m, k, d, "softmax", 20, 1e-4), k, d, "softmax")[, 1], back)
  # used only for tanh experts with an output weight and a finite bound_output
  expect_true(lsmoe:::uses_reciprocal(e, lse_control()))
  expect_false(lsmoe:::uses_reciprocal(e, lse_control(reciprocal_weight = FALSE)))
  expect_false(lsmoe:::uses_reciprocal(e, lse_control(bound_output = Inf)))
  expect_false(lsmoe:::uses_reciprocal(e, lse_control(bound_output = 1e60)))
  expect_true(lsmoe:::uses_reciprocal(e, lse_control(bound_output = 1e50)))
  expect_false(lsmoe:::uses_reciprocal(expert_sigmoid(TRUE), lse_control()))
  expect_false(lsmoe:::uses_reciprocal(expert_tanh(), lse_control()))
  expect_error(lse_control(reciprocal_weight = NA), "`reciprocal_weight`", class = "lsmoe_error_input")
  expect_error(lse_control(reciprocal_weight = "yes"), "`reciprocal_weight`", class = "lsmoe_error_input")
  ctl <- lse_control(n_starts = 1)
  ctl$reciprocal_weight <- NA  # edited by hand: validated again
  expect_error(moe_lse(x[, 1], x[, 2], k = 2, expert = e, control = ctl), "`reciprocal_weight`",
               class = "lsmoe_error_input")
})
