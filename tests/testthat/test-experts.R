test_that("expert constructors build valid families", {
  e <- expert_polynomial(3)
  expect_s3_class(e, "moe_expert")
  expect_equal(e$degree, 3L)
  expect_equal(lsmoe:::expert_q(expert_sigmoid(), 2), 3L)
  expect_equal(lsmoe:::expert_q(expert_sigmoid(TRUE), 2), 4L)
  expect_equal(lsmoe:::expert_q(expert_constant(), 5), 1L)
  expect_output(print(expert_tanh(TRUE)), "c \\* tanh")
  expect_error(expert_polynomial(0), class = "lsmoe_error_input")
  expect_error(expert_polynomial(1.5), class = "lsmoe_error_input")
  expect_error(expert_sigmoid(output_weight = NA), class = "lsmoe_error_input")
})

test_that("expert derivatives in eta match finite differences", {
  set.seed(3)
  x <- matrix(runif(20 * 2, -1, 1), 20, 2)
  for (e in all_experts()) {
    q <- lsmoe:::expert_q(e, 2)
    eta <- rnorm(q)
    out <- lsmoe:::cpp_expert_eval(x, eta, e)
    val <- function(et) ref_fG(x, 0, matrix(0, 1, 2), matrix(et, 1), e)
    expect_equal(drop(out$value), val(eta), tolerance = 1e-12)
    h <- 1e-5
    g_fd <- vapply(seq_len(q), function(s) {
      ep <- eta; em <- eta; ep[s] <- ep[s] + h; em[s] <- em[s] - h
      (val(ep) - val(em)) / (2 * h)
    }, numeric(20))
    expect_equal(unname(out$gradient), matrix(g_fd, 20), tolerance = 1e-7)
    if (e$name != "relu") {
      for (s in seq_len(q)) {
        ep <- eta; em <- eta; ep[s] <- ep[s] + h; em[s] <- em[s] - h
        Hfd <- (lsmoe:::cpp_expert_eval(x, ep, e)$gradient - lsmoe:::cpp_expert_eval(x, em, e)$gradient) / (2 * h)
        expect_equal(unname(out$hessian[, (s - 1) * q + seq_len(q), drop = FALSE]), unname(Hfd), tolerance = 1e-6,
                     label = paste(e$name, "Hessian column", s))
      }
    }
  }
})
