# Issue 12: every bad input gets a classed error naming the argument, and no value that cannot be
# computed finitely is returned silently.

err_input <- function(expr, pattern) expect_error(expr, pattern, class = "lsmoe_error_input")

G_sig <- function() {
  mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
}

test_that("check_count() never warns, rejects values beyond its max and returns integers", {
  cc <- lsmoe:::check_count
  for (bad in list(1e9, 3e9, .Machine$integer.max + 1, 1e300, 2^53 + 1, -1e300, 1e9 + 0.5)) {
    expect_no_warning(expect_error(cc(bad, "k", max = 1000), "`k`.*between 1 and 1000", class = "lsmoe_error_input"))
  }
  # without max the limit is the largest R integer; 3e9 used to reach as.integer()
  expect_no_warning(expect_error(cc(3e9, "k"), "2147483647", class = "lsmoe_error_input"))
  for (bad in list(NA, NA_real_, NaN, Inf, "3", TRUE, 1:2, numeric(0), list(3), NULL, 3 + 0i, factor(3), 2.5, 0)) {
    expect_no_warning(err_input(cc(bad, "k"), "`k`"))
  }
  expect_identical(cc(1000, "k", max = 1000), 1000L)
  expect_identical(cc(.Machine$integer.max, "k"), .Machine$integer.max)
  expect_identical(cc(structure(7, class = "foo"), "k"), 7L)
  # the received value is printed in full, not rounded to 1e+09
  expect_error(cc(1e9 + 0.5, "k"), "1000000000.5", class = "lsmoe_error_input")
})

test_that("check_number() is NA-safe for odd inputs", {
  cn <- lsmoe:::check_number
  for (bad in list(NA, NaN, Inf, -Inf, "1", TRUE, 1:2, numeric(0), NULL, 1i)) {
    expect_no_warning(err_input(cn(bad, "tol", min = 0), "`tol`"))
  }
  expect_identical(cn(Inf, "b", min = 0, allow_inf = TRUE), Inf)
})

test_that("expert_polynomial() limits the degree to 50", {
  expect_identical(expert_polynomial(50)$degree, 50L)
  for (p in list(51, 46342, .Machine$integer.max, 1e9, 1e300)) {
    expect_no_warning(err_input(expert_polynomial(p), "`p`.*between 1 and 50"))
  }
  # within the limit, z^p and p (p - 1) z^(p - 2) stay finite on unit-scale inputs (|z| <= 1e6):
  # compare f_G with the closed form for one atom, h = (a x + b)^50 at a x + b = 1e6
  G <- mixing_measure(0, 1, c(1, 0), expert = expert_polynomial(50))
  expect_equal(predict(G, 1e6), (1e6)^50, tolerance = 1e-12)
})

test_that("as_expert() validates hand-made moe_expert objects field by field", {
  x <- seq(0, 1, length.out = 40)
  y <- sin(3 * x)
  make <- function(...) structure(list(...), class = "moe_expert")
  bad <- list(
    make(name = 1, degree = 1L, output_weight = FALSE),
    make(name = "spline", degree = 1L, output_weight = FALSE),
    make(name = c("sigmoid", "tanh"), degree = 1L, output_weight = FALSE),
    make(name = NA_character_, degree = 1L, output_weight = FALSE),
    make(degree = 1L, output_weight = FALSE),
    make(name = "sigmoid", degree = "a", output_weight = FALSE),
    make(name = "sigmoid", degree = 3L, output_weight = FALSE),
    make(name = "polynomial", degree = 46342L, output_weight = FALSE),
    make(name = "polynomial", degree = 2.5, output_weight = FALSE),
    make(name = "polynomial", degree = NA_integer_, output_weight = FALSE),
    make(name = "polynomial", degree = 0L, output_weight = FALSE),
    make(name = "polynomial", output_weight = FALSE),
    make(name = "sigmoid", degree = 1L, output_weight = "yes"),
    make(name = "sigmoid", degree = 1L, output_weight = NA),
    make(name = "sigmoid", degree = 1L, output_weight = c(TRUE, FALSE)),
    make(name = "linear", degree = 1L, output_weight = TRUE),
    structure("sigmoid", class = "moe_expert"),
    structure(1:3, class = "moe_expert")
  )
  for (e in bad) {
    err_input(lsmoe:::as_expert(e), "`expert`")
    err_input(mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(-1, 0)), expert = e), "`expert`")
    err_input(moe_lse(x, y, k = 1, expert = e), "`expert`")
  }
  # a hand-made object with valid fields is accepted and rebuilt (label included)
  e <- lsmoe:::as_expert(make(name = "tanh", degree = 1, output_weight = TRUE))
  expect_identical(e, expert_tanh(output_weight = TRUE))
  e <- lsmoe:::as_expert(make(name = "polynomial", degree = 3))
  expect_identical(e, expert_polynomial(3))
  # an edited expert inside a mixing measure is caught wherever the measure is used
  G <- G_sig()
  G$expert$degree <- "a"
  err_input(predict(G, 0.5), "`object`")
  err_input(simulate_moe(G, 5, noise_sd = 0), "`G`")
})

test_that("as_expert() calls only the package's constructors", {
  called <- FALSE
  f <- function() {
    called <<- TRUE
    expert_sigmoid()
  }
  err_input(lsmoe:::as_expert(f), "arbitrary function")
  expect_false(called)
  expect_identical(lsmoe:::as_expert(expert_tanh), expert_tanh())
  expect_identical(lsmoe:::as_expert(expert_polynomial), expert_polynomial(2))
  err_input(lsmoe:::as_expert(NA_character_), "`expert`")
  err_input(lsmoe:::as_expert(strrep("z", 1e4)), "\\.\\.\\.")
})

test_that("simulate_moe() with a huge noise_sd is an error, not -Inf", {
  G <- G_sig()
  set.seed(1)
  # with 200 draws some |eps| exceed 1.8 sd, so some y = f + eps overflow
  expect_error(simulate_moe(G, 200, noise_sd = 1e308), "`noise_sd`", class = "lsmoe_error_nonfinite")
  expect_error(simulate_moe(G, 200, noise_sd = 1e308), class = "lsmoe_error_input")
  err_input(simulate_moe(G, 5, noise_sd = Inf), "`noise_sd`")
  # a large but representable sd is fine
  set.seed(1)
  s <- simulate_moe(G, 200, noise_sd = 1e300)
  expect_true(all(is.finite(s$y)))
})

test_that("simulate_moe() with overflowing f_G is an error naming x (or G)", {
  # h = 10 x overflows at x = 1e308 (the gate is then exactly (1, 0) or (0, 1))
  G <- mixing_measure(c(0, 0), c(1, -1), rbind(c(10, 0), c(-10, 0)), expert = expert_linear())
  expect_error(simulate_moe(G, x = c(0.5, 1e308, -1e308), noise_sd = 0), "2 of 3", class = "lsmoe_error_nonfinite")
  cnd <- tryCatch(simulate_moe(G, x = c(0.5, 1e308, -1e308), noise_sd = 0), error = function(e) e)
  expect_identical(cnd$arg, "x")
  Gp <- mixing_measure(0, 1, c(1e10, 0), expert = expert_polynomial(50))
  expect_error(simulate_moe(Gp, 5, noise_sd = 0), class = "lsmoe_error_nonfinite")
  cnd <- tryCatch(simulate_moe(Gp, 5, noise_sd = 0), error = function(e) e)
  expect_identical(cnd$arg, "G")
})

test_that("simulate_moe() limits the number of drawn values and wraps a failing x()", {
  G <- G_sig()
  for (n in list(1e9, .Machine$integer.max, 1e8 + 1)) err_input(simulate_moe(G, n, noise_sd = 0.1), "`n`")
  err_input(simulate_moe(G, 10, noise_sd = 0.1, x = function(n) stop("boom")), "`x`.*boom")
  err_input(regression_error(G, G, n_mc = 1e9), "`n_mc`")
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

test_that("simulate() for a hand-edited moe_lse fit gives classed errors", {
  set.seed(2)
  s <- simulate_moe(G_sig(), 100, noise_sd = 0.05)
  fit <- moe_lse(s$x, s$y, k = 2, control = lse_control(n_starts = 1, warn = FALSE))
  err_input(simulate(fit, nsim = 1e9), "`nsim`")
  err_input(simulate(fit, nsim = 1, seed = "a"), "`seed`")
  err_input(simulate(fit, nsim = 1, seed = 1e10), "`seed`")
  f2 <- fit
  f2$rss <- NaN
  err_input(simulate(f2), "`object`")
  f2 <- fit
  f2$fitted.values <- "a"
  err_input(simulate(f2), "`object`")
  # the fit itself still simulates reproducibly
  expect_identical(simulate(fit, nsim = 2, seed = 3), simulate(fit, nsim = 2, seed = 3))
})

test_that("regression_error() between measures whose difference overflows is a classed error", {
  G <- mixing_measure(c(0, 0), c(1, 0), rbind(c(1e300, 0), c(-1e300, 0)), expert = "linear")
  G0 <- mixing_measure(c(0, 0), c(1, 0), rbind(c(1, 0), c(2, 0)), expert = "linear")
  expect_error(regression_error(G, G0, n_mc = 100), class = "lsmoe_error_nonfinite")
  # an ordinary pair stays finite
  expect_true(is.finite(regression_error(G0, G0, n_mc = 100)))
})
