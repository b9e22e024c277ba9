test_that("the C++ regression function matches an independent R implementation", {
  set.seed(10)
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    for (d in c(1, 3)) for (k in 1:3) {
      x <- matrix(runif(40 * d, -1, 1), 40, d)
      q <- lsmoe:::expert_q(e, d)
      theta <- rnorm(lsmoe:::n_free_params(k, d, q))
      p <- lsmoe:::unpack_theta(theta, k, d, q)
      got <- lsmoe:::cpp_predict(x, p$beta0, p$beta1, t(p$eta), e)
      ref <- ref_fG(x, p$beta0, p$beta1, p$eta, e, parts = TRUE)
      expect_equal(drop(got$response), ref$f, tolerance = 1e-12, label = paste(nm, d, k))
      expect_equal(got$gate, ref$gate, tolerance = 1e-12)
      expect_equal(got$experts, ref$experts, tolerance = 1e-12)
    }
  }
})

test_that("the analytic Jacobian equals a finite-difference Jacobian for every family, k and d", {
  set.seed(11)
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    for (d in c(1, 3)) for (k in 1:3) {
      n <- 30
      x <- matrix(runif(n * d, -1, 1), n, d)
      y <- rnorm(n)
      q <- lsmoe:::expert_q(e, d)
      theta <- rnorm(lsmoe:::n_free_params(k, d, q))
      J <- lsmoe:::cpp_residuals(x, y, theta, e, k)$jacobian
      h <- 1e-6
      Jfd <- vapply(seq_along(theta), function(s) {
        tp <- theta; tm <- theta
        tp[s] <- tp[s] + h; tm[s] <- tm[s] - h
        (ref_f_theta(tp, x, e, k) - ref_f_theta(tm, x, e, k)) / (2 * h)
      }, numeric(n))
      rel <- max(abs(J - Jfd)) / max(1, max(abs(J)))
      expect_lt(rel, 1e-6, label = sprintf("%s d=%d k=%d relative error", nm, d, k))
    }
  }
})

test_that("the residuals and RSS are f - y and its squared norm", {
  set.seed(12)
  x <- matrix(runif(50), 50, 1)
  y <- rnorm(50)
  theta <- rnorm(lsmoe:::n_free_params(2, 1, 2))
  r <- lsmoe:::cpp_residuals(x, y, theta, expert_sigmoid(), 2L)
  f <- ref_f_theta(theta, x, expert_sigmoid(), 2)
  expect_equal(drop(r$residuals), f - y, tolerance = 1e-12)
  expect_equal(r$rss, sum((f - y)^2), tolerance = 1e-12)
})

test_that("the gate and f_G stay finite for logits of magnitude 1e4", {
  x <- matrix(c(-1, 0, 1), 3, 1)
  for (e in list(expert_sigmoid(), expert_linear(), expert_tanh(TRUE))) {
    q <- lsmoe:::expert_q(e, 1)
    eta <- matrix(rep(c(1, 0.5, 2)[seq_len(q)], 3), 3, q, byrow = TRUE)
    out <- lsmoe:::cpp_predict(x, c(1e4, -1e4, 0), matrix(c(1e4, -1e4, 0), 3, 1), t(eta), e)
    expect_true(all(is.finite(out$gate)))
    expect_true(all(is.finite(out$response)))
    expect_equal(rowSums(out$gate), rep(1, 3), tolerance = 1e-12)
    # logits: 1e4 (1 + x), -1e4 (1 - x), 0. Component 1 wins wherever x > -1; at x = -1 all
    # three logits are 0 and the gate splits evenly.
    expect_equal(out$gate[, 1], c(1 / 3, 1, 1))
    theta <- lsmoe:::pack_theta(c(1e4, -1e4, 0), matrix(c(1e4, -1e4, 0), 3, 1), eta)
    J <- lsmoe:::cpp_residuals(x, rep(0, 3), theta, e, 3L)$jacobian
    expect_true(all(is.finite(J)))
  }
})

test_that("pack and unpack are inverse and anchor the last gate", {
  b0 <- c(1, 2, 3); b1 <- matrix(c(4, 5, 6, 7, 8, 9), 3, 2); eta <- matrix(1:9 + 0, 3, 3)
  th <- lsmoe:::pack_theta(b0, b1, eta)
  p <- lsmoe:::unpack_theta(th, 3, 2, 3)
  expect_equal(p$beta0, b0 - 3)
  expect_equal(p$beta1, sweep(b1, 2, b1[3, ]))
  expect_equal(p$eta, eta)
  via_cpp <- lsmoe:::cpp_pack(b0, b1, t(eta), expert_sigmoid())
  expect_equal(drop(via_cpp$theta), th)
})
