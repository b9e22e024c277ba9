# experts.R: expert families: constructors, derivatives in eta, the degree limit and validation of
# hand-made objects (as_expert()).

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
