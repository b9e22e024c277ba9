# gates.R: the sigmoid gate: core against an independent R implementation, finite differences, recovery;
# the softmax gate unchanged; print methods of hand-edited gates (and experts).

# f_G under the sigmoid gate, in R: sum_j plogis(beta0_j + x beta1_j) h(x, eta_j).
ref_fG_sig <- function(x, beta0, beta1, eta, expert, parts = FALSE) {
  x <- as.matrix(x)
  W <- stats::plogis(sweep(x %*% t(beta1), 2, beta0, "+"))
  H <- ref_fG(x, beta0, beta1, eta, expert, parts = TRUE)$experts
  f <- rowSums(W * H)
  if (parts) list(f = f, gate = W, experts = H) else f
}

# theta of the sigmoid gate, unpacked by hand (not by the package): [beta0 k][beta1 k x d][eta q x k]
ref_unpack_sig <- function(theta, k, d, q) {
  list(beta0 = theta[seq_len(k)], beta1 = matrix(theta[k + seq_len(k * d)], k, d),
       eta = t(matrix(theta[k * (d + 1) + seq_len(k * q)], q, k)))
}

test_that("gate objects: constructors, names, validation", {
  expect_s3_class(gate_softmax(), "moe_gate")
  expect_identical(gate_sigmoid()$name, "sigmoid")
  expect_identical(lsmoe:::as_gate("sigmoid"), gate_sigmoid())
  expect_identical(lsmoe:::as_gate(gate_sigmoid), gate_sigmoid())
  expect_identical(lsmoe:::as_gate(NULL), gate_softmax())
  expect_error(lsmoe:::as_gate("logit"), class = "lsmoe_error_input")
  expect_error(lsmoe:::as_gate(mean), class = "lsmoe_error_input")
  expect_error(lsmoe:::as_gate(structure(list(name = "tanh"), class = "moe_gate")), class = "lsmoe_error_input")
  expect_output(print(gate_sigmoid()), "sigmoid")
  x <- matrix(runif(40), 40, 1)
  expect_error(moe_lse_fit(x, x[, 1], k = 2, expert = "linear", gate = "logit"), class = "lsmoe_error_input")
})

test_that("the free parameter count and layout of the sigmoid gate: k (d + 1) gate parameters, no anchoring", {
  expect_identical(lsmoe:::n_free_params(3, 2, 3, "sigmoid"), 3L * 3L + 3L * 3L)
  expect_identical(lsmoe:::n_free_params(3, 2, 3, "softmax"), 2L * 3L + 3L * 3L)
  b0 <- c(1, 2, 3); b1 <- matrix(c(4, 5, 6, 7, 8, 9), 3, 2); eta <- matrix(1:9 + 0, 3, 3)
  th <- lsmoe:::pack_theta(b0, b1, eta, "sigmoid")
  expect_equal(th, c(b0, as.vector(b1), as.vector(t(eta))))
  expect_equal(lsmoe:::unpack_theta(th, 3, 2, 3, "sigmoid"), list(beta0 = b0, beta1 = b1, eta = eta))
  via_cpp <- lsmoe:::cpp_pack(b0, b1, eta, expert_sigmoid(), "sigmoid")
  expect_equal(drop(via_cpp$theta), th)
  expect_equal(via_cpp$params$beta1, b1)
})

test_that("the sigmoid-gated regression function matches an independent R implementation", {
  set.seed(20)
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    for (d in c(1, 3)) for (k in 1:3) {
      x <- matrix(runif(40 * d, -1, 1), 40, d)
      q <- lsmoe:::expert_q(e, d)
      p <- ref_unpack_sig(rnorm(k * (d + 1) + k * q), k, d, q)
      got <- lsmoe:::cpp_predict(x, p$beta0, p$beta1, p$eta, e, "sigmoid")
      ref <- ref_fG_sig(x, p$beta0, p$beta1, p$eta, e, parts = TRUE)
      expect_equal(drop(got$response), ref$f, tolerance = 1e-12, label = paste(nm, d, k))
      expect_equal(got$gate, ref$gate, tolerance = 1e-12)
    }
  }
})

test_that("the sigmoid-gate Jacobian equals finite differences for every family, k = 1..3, d = 1 and 3", {
  set.seed(21)
  worst <- 0
  for (nm in names(all_experts())) {
    e <- all_experts()[[nm]]
    for (d in c(1, 3)) for (k in 1:3) {
      n <- 30
      x <- matrix(runif(n * d, -1, 1), n, d)
      y <- rnorm(n)
      q <- lsmoe:::expert_q(e, d)
      theta <- rnorm(k * (d + 1) + k * q)
      J <- lsmoe:::cpp_residuals(x, y, theta, e, k, "sigmoid")$jacobian
      expect_identical(dim(J), c(as.integer(n), length(theta)))
      f_of <- function(th) {
        p <- ref_unpack_sig(th, k, d, q)
        ref_fG_sig(x, p$beta0, p$beta1, p$eta, e)
      }
      h <- 1e-6
      Jfd <- vapply(seq_along(theta), function(s) {
        tp <- theta; tm <- theta
        tp[s] <- tp[s] + h; tm[s] <- tm[s] - h
        (f_of(tp) - f_of(tm)) / (2 * h)
      }, numeric(n))
      rel <- max(abs(J - Jfd)) / max(1, max(abs(J)))
      worst <- max(worst, rel)
      expect_lt(rel, 1e-6, label = sprintf("%s d=%d k=%d relative error", nm, d, k))
      # the fused pass accumulates the same J'J and J'r (weighted)
      w <- runif(n, 0.5, 2)
      # (both builds of the pass: AVX2 where the CPU has it, and portable)
      r <- f_of(theta) - y
      for (simd in c(TRUE, FALSE)) {
        ne <- lsmoe:::cpp_normal_equations(x, y, w, theta, e, k, 1L, "sigmoid", simd)
        expect_equal(ne$JtJ, crossprod(J * sqrt(w)), tolerance = 1e-10)
        expect_equal(drop(ne$Jtr), drop(crossprod(J, w * r)), tolerance = 1e-10)
        expect_equal(ne$rss, sum(w * r^2), tolerance = 1e-12)
      }
    }
  }
  expect_lt(worst, 1e-6)
})

test_that("the fused pass of the sigmoid gate gives the same bits for 1 and 2 threads", {
  set.seed(22)
  n <- 20000
  x <- matrix(runif(2 * n), n, 2)
  y <- rnorm(n)
  theta <- rnorm(2 * 3 + 2 * 3)
  a <- lsmoe:::cpp_normal_equations(x, y, numeric(0), theta, expert_relu(), 2L, 1L, "sigmoid")
  b <- lsmoe:::cpp_normal_equations(x, y, numeric(0), theta, expert_relu(), 2L, 2L, "sigmoid", adapt_threads = FALSE)
  expect_identical(a, b)
})

test_that("moe_lse() with the default gate gives exactly the fit with gate = gate_softmax()", {
  set.seed(23)
  x <- runif(600)
  y <- ifelse(x < 0.5, 1 + 2 * x, 3 - 2 * x) + rnorm(600, sd = 0.1)
  ctl <- lse_control(n_starts = 6)
  set.seed(1); a <- moe_lse_fit(cbind(x = x), y, k = 2, expert = "linear", control = ctl)
  set.seed(1); b <- moe_lse_fit(cbind(x = x), y, k = 2, expert = "linear", control = ctl, gate = gate_softmax())
  set.seed(1); cc <- moe_lse_fit(cbind(x = x), y, k = 2, expert = "linear", control = ctl, gate = "softmax")
  expect_identical(a$theta, b$theta)
  expect_identical(a$theta, cc$theta)
  expect_identical(a$rss, b$rss)
  expect_identical(a$gate, gate_softmax())
  expect_length(coef(a), 2 + 2 * 2)
})

# Exact-specified sigmoid-gated truth with linear experts on x ~ Uniform[-2, 2]: gate 1 opens
# above x = 1/3, gate 2 below x = -1/3. Chosen well conditioned: at n = 2e4 and noise sd 0.05 the
# largest asymptotic standard error (Gauss-Newton, at the truth) is 0.018, so 0.1 is 5.5 of them.
# (Sigmoid-gated linear experts are often weakly determined: a truth with gates crossing in the
# middle of the inputs had standard errors above 1 at this n.)
sig_truth <- function() {
  mixing_measure(beta0 = c(-2, -2), beta1 = c(6, -6), eta = rbind(c(1, 2), c(-1, 3)),
                 expert = expert_linear(), gate = gate_sigmoid())
}
unif2 <- function(n) matrix(runif(n, -2, 2), n, 1)

test_that("parameters of an exact-specified sigmoid-gated truth are recovered within 0.1 (n = 2e4)", {
  G0 <- sig_truth()
  set.seed(24)
  sim <- simulate_moe(G0, n = 2e4, noise_sd = 0.05, x = unif2)
  fit <- moe_lse_fit(sim$x, sim$y, k = 2, expert = expert_linear(), gate = gate_sigmoid(),
                     control = lse_control(n_starts = 20))
  expect_true(fit$converged)
  expect_identical(fit$gate, gate_sigmoid())
  cf <- fit$coefficients
  # components are labelled arbitrarily: match by the sign of the gating slope
  o <- order(-cf$beta1[, 1])
  err <- max(abs(cf$beta0[o] - G0$beta0), abs(cf$beta1[o, 1] - G0$beta1[, 1]), abs(cf$eta[o, ] - G0$eta))
  expect_lt(err, 0.1)
  # the RSS is at the noise level
  expect_lt(abs(fit$rss / 2e4 - 0.0025), 0.00025)
})

test_that("the sigmoid gate does not centre the response: the reported RSS is that of the reported coefficients", {
  set.seed(25)
  G0 <- mixing_measure(beta0 = c(0, 1), beta1 = c(5, -5), eta = rbind(c(1, 20), c(-2, 30)),
                       expert = expert_linear(), gate = gate_sigmoid())
  sim <- simulate_moe(G0, n = 2000, noise_sd = 0.5)
  for (e in list(expert_linear(), expert_constant(), expert_tanh(TRUE))) {
    fit <- suppressWarnings(moe_lse_fit(sim$x, sim$y, k = 2, expert = e, gate = "sigmoid",
                                        control = lse_control(n_starts = 8)))
    f <- predict(as_mixing_measure(fit), sim$x)
    expect_equal(fit$rss, sum((sim$y - f)^2), tolerance = 1e-8, label = e$name)
    expect_equal(unname(fitted(fit)), f, tolerance = 1e-10)
  }
  sc <- lsmoe:::fit_scales(sim$x, sim$y, numeric(0), expert_linear(), TRUE, "sigmoid")
  expect_identical(sc$my, 0)
  expect_equal(lsmoe:::fit_scales(sim$x, sim$y, numeric(0), expert_linear(), TRUE, "softmax")$my, mean(sim$y))
})

test_that("methods honour the sigmoid gate: coef, vcov, predict(type = 'gate'), summary, print, tidiers", {
  G0 <- sig_truth()
  set.seed(26)
  sim <- simulate_moe(G0, n = 3000, noise_sd = 0.1, x = unif2)
  d <- data.frame(x = sim$x[, 1], y = sim$y)
  fit <- moe_lse(y ~ x, data = d, k = 2, expert = "linear", gate = gate_sigmoid(),
                 control = lse_control(n_starts = 10))
  expect_identical(names(coef(fit)),
                   c("expert1:beta0", "expert2:beta0", "expert1:beta1.x", "expert2:beta1.x",
                     "expert1:a.x", "expert1:b", "expert2:a.x", "expert2:b"))
  cf <- fit$coefficients
  expect_equal(unname(coef(fit)), unname(c(cf$beta0, cf$beta1[, 1], as.vector(t(cf$eta)))))
  V <- vcov(fit)
  expect_identical(dim(V), c(8L, 8L))
  expect_true(all(is.finite(diag(V))) && all(diag(V) > 0))
  nd <- data.frame(x = c(-0.5, 0, 0.7))
  g <- predict(fit, nd, type = "gate")
  expect_equal(unname(g), stats::plogis(outer(nd$x, cf$beta1[, 1]) + rep(cf$beta0, each = 3)), tolerance = 1e-12,
               ignore_attr = TRUE)
  expect_equal(predict(fit, nd), rowSums(g * predict(fit, nd, type = "experts")), tolerance = 1e-12)
  # delta-method standard errors use the sigmoid Jacobian: compare with finite differences of f
  se <- predict(fit, nd, se.fit = TRUE)$se.fit
  th <- coef(fit)
  fth <- function(t) {
    p <- lsmoe:::unpack_theta(t, 2, 1, 2, "sigmoid")
    lsmoe:::cpp_predict(as.matrix(nd$x), p$beta0, p$beta1, p$eta, expert_linear(), "sigmoid")$response
  }
  Gm <- vapply(seq_along(th), function(s) { e <- replace(numeric(8), s, 1e-6); (fth(th + e) - fth(th - e)) / 2e-6 }, numeric(3))
  expect_equal(unname(se), sqrt(rowSums((Gm %*% V) * Gm)), tolerance = 1e-5)
  expect_output(print(fit), "sigmoid-gated")
  expect_output(print(fit), "none anchored")
  expect_output(print(summary(fit)), "sigmoid gates, none anchored")
  expect_identical(summary(fit)$gate, gate_sigmoid())
  td <- tidy(fit)
  expect_identical(nrow(td), 8L)
  expect_identical(td$term[1:4], c("beta0", "beta0", "beta1.x", "beta1.x"))
  expect_identical(glance(fit)$gate, "sigmoid")
  au <- augment(fit)
  expect_equal(au$.gate_expert1, unname(predict(fit, type = "gate")[, 1]))
  G <- as_mixing_measure(fit)
  expect_identical(G$gate, gate_sigmoid())
  expect_output(print(G), "sigmoid\\(beta0\\)")
  # anova does not nest fits with different gates
  fs <- moe_lse(y ~ x, data = d, k = 2, expert = "linear", control = lse_control(n_starts = 4))
  expect_true(is.na(anova(fs, fit)$F[2]))
  # a bootstrap refit keeps the gate
  ci <- suppressWarnings(confint(fit, method = "boot", nboot = 10, seed = 1))
  expect_identical(dim(ci), c(8L, 2L))
})

test_that("sigmoid-gated mixing measures: weights sigmoid(beta0), prediction and simulation", {
  G0 <- sig_truth()
  expect_identical(G0$gate, gate_sigmoid())
  tab <- lsmoe:::measure_table(G0)
  expect_equal(tab$weight, stats::plogis(G0$beta0))
  x <- matrix(seq(-2, 2, length.out = 7), 7, 1)
  expect_equal(predict(G0, x), ref_fG_sig(x, G0$beta0, G0$beta1, G0$eta, expert_linear()), tolerance = 1e-12)
  set.seed(27)
  sim <- simulate_moe(G0, n = 50, noise_sd = 0)
  expect_equal(sim$y, ref_fG_sig(sim$x, G0$beta0, G0$beta1, G0$eta, expert_linear()), tolerance = 1e-12)
  # a large beta0 is fine for the sigmoid gate (no exp overflow)
  expect_silent(mixing_measure(800, 1, rbind(c(1, 0)), expert_linear(), gate_sigmoid()))
  G1 <- mixing_measure(G0$beta0, G0$beta1, G0$eta, expert_linear())
  expect_error(lsmoe:::measures_compatible(G0, G1), class = "lsmoe_error_input")
  # a hand-edited gate is caught
  bad <- G0
  bad$gate <- "logit"
  expect_error(predict(bad, x), class = "lsmoe_error_input")
})

test_that("print methods of experts and gates validate hand-edited objects", {
  e <- expert_sigmoid()
  e$name <- 1
  err_input(print(e), "`x`")
  g <- gate_sigmoid()
  g$name <- "relu"
  err_input(print(g), "`x`")
  g <- gate_sigmoid()
  g$label <- function() 1
  expect_output(print(g), "sigmoid\\(beta1_i' x \\+ beta0_i\\)")  # the label is rebuilt from the name
})
