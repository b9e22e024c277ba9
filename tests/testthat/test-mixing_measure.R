# mixing_measure.R: mixing measures: canonical shapes, validation (also of hand-edited measures),
# prediction, conversion from fits, and overflowing weights and logits.

test_that("mixing_measure() builds canonical shapes", {
  G <- mixing_measure(c(0.5, 0), c(2, -1), rbind(c(1, 0), c(-1, 2)), expert_sigmoid())
  expect_s3_class(G, "mixing_measure")
  expect_identical(c(G$k, G$d, G$q), c(2L, 1L, 2L))
  expect_equal(G$beta1, matrix(c(2, -1), 2, 1))
  expect_equal(G$eta, matrix(c(1, -1, 0, 2), 2, 2))

  # d = 2, output weight: q = d + 2
  G2 <- mixing_measure(c(0, 1, 2), matrix(1:6, 3, 2), matrix(0, 3, 4), expert_tanh(output_weight = TRUE))
  expect_identical(c(G2$k, G2$d, G2$q), c(3L, 2L, 4L))
  expect_true(is.double(G2$beta1))

  # constant expert: eta as a vector when q = 1; expert by name
  Gc <- mixing_measure(c(0, 0), c(0, 0), c(1, 3), "constant")
  expect_equal(Gc$eta, matrix(c(1, 3), 2, 1))
  expect_identical(Gc$expert$name, "constant")

  # k = 1: vectors are rows
  G1 <- mixing_measure(0, c(1, 2), c(3, 4, 5), expert_linear())
  expect_equal(G1$beta1, matrix(c(1, 2), 1, 2))
  expect_equal(G1$eta, matrix(c(3, 4, 5), 1, 3))
})

test_that("mixing_measure() rejects bad input with classed errors naming the argument", {
  eta <- rbind(c(1, 0), c(-1, 2))
  e <- expect_error(mixing_measure(c(NA, 0), c(1, 2), eta), class = "lsmoe_error_input")
  expect_identical(e$arg, "beta0")
  e <- expect_error(mixing_measure(c(0, 0), c(1, Inf), eta), class = "lsmoe_error_input")
  expect_identical(e$arg, "beta1")
  e <- expect_error(mixing_measure(c(0, 0), c(1, 2), rbind(c(1, NaN), c(0, 0))), class = "lsmoe_error_input")
  expect_identical(e$arg, "eta")
  # k = 0
  e <- expect_error(mixing_measure(numeric(0), matrix(0, 0, 1), matrix(0, 0, 2)), class = "lsmoe_error_input")
  expect_identical(e$arg, "beta0")
  # eta of the wrong length / number of columns for the expert family
  e <- expect_error(mixing_measure(c(0, 0), c(1, 2), c(1, 2)), class = "lsmoe_error_input")
  expect_identical(e$arg, "eta")
  expect_error(mixing_measure(c(0, 0), c(1, 2), rbind(c(1, 0, 1), c(-1, 2, 1))), class = "lsmoe_error_input")
  expect_error(mixing_measure(c(0, 0), c(1, 2), eta, expert_sigmoid(output_weight = TRUE)), class = "lsmoe_error_input")
  expect_error(mixing_measure(0, 1, c(1, 2, 3)), class = "lsmoe_error_input")
  # beta1 with the wrong number of rows
  e <- expect_error(mixing_measure(c(0, 0), matrix(1, 3, 1), eta), class = "lsmoe_error_input")
  expect_identical(e$arg, "beta1")
  expect_error(mixing_measure(c(0, 0), c(1, 2, 3), eta), class = "lsmoe_error_input")
  # non-numeric and unknown expert
  expect_error(mixing_measure("a", c(1, 2), eta), class = "lsmoe_error_input")
  expect_error(mixing_measure(c(0, 0), list(1, 2), eta), class = "lsmoe_error_input")
  expect_error(mixing_measure(c(0, 0), c(1, 2), eta, "softplus"), class = "lsmoe_error_input")
})

test_that("predict() of a mixing measure matches an independent f_G", {
  set.seed(21)
  for (e in all_experts()) {
    for (d in c(1, 2)) {
      k <- 3
      q <- lsmoe:::expert_q(e, d)
      b0 <- rnorm(k)
      b1 <- matrix(rnorm(k * d), k, d)
      eta <- matrix(rnorm(k * q), k, q)
      G <- mixing_measure(b0, b1, eta, e)
      x <- matrix(runif(25 * d), 25, d)
      ref <- ref_fG(x, b0, b1, eta, e, parts = TRUE)
      expect_equal(predict(G, x), ref$f, tolerance = 1e-12)
      expect_equal(unname(predict(G, x, type = "gate")), ref$gate, tolerance = 1e-12)
      expect_equal(unname(predict(G, x, type = "experts")), ref$experts, tolerance = 1e-12)
    }
  }
  G <- mixing_measure(c(0, 1), c(1, -1), rbind(c(1, 0), c(2, 1)))
  expect_equal(predict(G, c(0.1, 0.7)), predict(G, matrix(c(0.1, 0.7), 2, 1)))
  expect_identical(colnames(predict(G, 0.3, type = "gate")), c("atom1", "atom2"))
  expect_error(predict(G, matrix(0, 3, 2)), class = "lsmoe_error_input")
  expect_error(predict(G, c(0.1, NA)), class = "lsmoe_error_input")
  expect_error(predict(G, 0.5, type = "weights"), class = "lsmoe_error_input")
})

test_that("as_mixing_measure() reads fits and passes measures through", {
  set.seed(22)
  x <- runif(200)
  y <- ifelse(x < 0.5, 0.2, 0.8) + rnorm(200, sd = 0.05)
  fit <- moe_lse(x, y, k = 2, expert = expert_sigmoid(), control = lse_control(n_starts = 1, warn = FALSE))
  G <- as_mixing_measure(fit)
  expect_s3_class(G, "mixing_measure")
  expect_equal(G$beta0, unname(fit$coefficients$beta0))
  expect_equal(G$beta1, unname(fit$coefficients$beta1))
  expect_equal(G$eta, unname(fit$coefficients$eta))
  expect_identical(G$expert, fit$expert)
  expect_equal(predict(G, x), unname(fitted(fit)), tolerance = 1e-12)
  expect_identical(as_mixing_measure(G), G)
  expect_error(as_mixing_measure(list(beta0 = 1)), class = "lsmoe_error_input")
  expect_error(as_mixing_measure(42), class = "lsmoe_error_input")
})

test_that("measures_compatible() requires the same d and expert family", {
  G <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(2, 1)), expert_sigmoid())
  expect_true(lsmoe:::measures_compatible(G, G))
  G_d2 <- mixing_measure(c(0, 0), matrix(1, 2, 2), matrix(0, 2, 3), expert_sigmoid())
  expect_error(lsmoe:::measures_compatible(G, G_d2), class = "lsmoe_error_input")
  G_tanh <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(2, 1)), expert_tanh())
  expect_error(lsmoe:::measures_compatible(G, G_tanh), class = "lsmoe_error_input")
  G_p2 <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(2, 1)), expert_polynomial(2))
  G_p3 <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(2, 1)), expert_polynomial(3))
  expect_error(lsmoe:::measures_compatible(G_p2, G_p3), class = "lsmoe_error_input")
  G_ow <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0, 1), c(2, 1, 1)), expert_sigmoid(TRUE))
  expect_error(lsmoe:::measures_compatible(G, G_ow), class = "lsmoe_error_input")
  expect_true(lsmoe:::measures_compatible(G, G_tanh, same_expert = FALSE))
})

test_that("print() shows k, d, the expert and the weights", {
  G <- mixing_measure(log(c(2, 0.5)), c(1, -1), rbind(c(1, 0), c(2, 1)), expert_tanh())
  out <- capture.output(res <- print(G))
  expect_identical(res, G)
  expect_match(out[1], "k = 2 atoms, d = 1")
  expect_match(out[1], "tanh", fixed = TRUE)
  expect_true(any(grepl("weight", out)))
  expect_true(any(grepl("^atom2 +0\\.5 ", out)))
})

test_that("predict() for a mixing measure warns (classed) where values are not finite", {
  # newdata of 1e308: linear experts overflow
  G <- mixing_measure(c(0, 0), c(1, -1), rbind(c(10, 0), c(-10, 0)), expert = expert_linear())
  expect_warning(f <- predict(G, c(0.5, 1e308)), "1 of 2", class = "lsmoe_warning_nonfinite")
  expect_true(is.finite(f[1]))
  expect_false(is.finite(f[2]))
  # gate logits +-1e300 * x: beta1' x = Inf - Inf is NaN for atom 1, and so is its probability
  G2 <- mixing_measure(c(0, 0), rbind(c(1e300, 1e300), c(0, 0)), rbind(c(1, 0, 0), c(-1, 0, 0)))
  expect_warning(g <- predict(G2, rbind(c(1e10, -1e10), c(0.5, 0.5)), type = "gate"), "gate", class = "lsmoe_warning_nonfinite")
  expect_true(all(is.finite(g[2, ])))
  expect_equal(sum(g[2, ]), 1)
  expect_warning(predict(G2, rbind(c(1e10, -1e10))), class = "lsmoe_warning_nonfinite")
  # finite values: no warning
  expect_no_warning(predict(G_sig(), c(0, 0.5, 1e308), type = "gate"))
})

test_that("hand-edited mixing measures are validated by predict() and print()", {
  edits <- list(list("eta", "a"), list("beta0", NULL), list("beta1", matrix(NA_real_, 2, 1)),
                list("eta", matrix(1, 3, 2)), list("expert", "nope"), list("beta0", c(1e300, 0)))
  for (ed in edits) {
    G <- G_sig()
    G[ed[[1]]] <- list(ed[[2]])
    err_input(predict(G, 0.5), "`object`")
    err_input(print(G), "`x`")
    err_input(simulate_moe(G, 5, noise_sd = 0.1), "`G`")
  }
  err_input(predict(structure(1, class = "mixing_measure"), 0.5), "`object`.*list")
  expect_output(out <- print(G_sig()), "k = 2 atoms")
  expect_identical(out, G_sig())
})

test_that("overflowing weights and infinite logits are handled", {
  expect_error(mixing_measure(c(800, 0), c(1, 0), rbind(c(1, 0), c(2, 0))), "`beta0`", class = "lsmoe_error_input")
  G <- mixing_measure(c(700, 0), c(1e308, 0), rbind(c(1, 0), c(2, 0)), expert = "linear")
  p <- predict(G, c(0.5, 1), type = "gate")
  expect_true(all(is.finite(p)))
  expect_equal(unname(p[, 1]), c(1, 1))
})
