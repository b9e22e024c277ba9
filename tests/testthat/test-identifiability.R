# check_identifiability(): numerical strong-identifiability check (paper-notes section 3).

ident_eta <- function(expert, d) {
  base <- if (d == 1) rbind(c(4, 0.5), c(-5, 1)) else rbind(c(2, -1, 0.5), c(-1, 3, 1))
  if (expert$name == "constant") return(matrix(c(1.5, -1), ncol = 1))
  if (expert$output_weight) base <- cbind(base, c(1.5, 2.2))
  base
}

# the relation (named numeric vector) whose terms are exactly `terms`, or NULL
find_relation <- function(res, terms) {
  for (r in res$relations) if (setequal(names(r), terms)) return(r)
  NULL
}

test_that("verdicts of the built-in families are stable over x samples and d = 1, 2", {
  pass <- list(sigmoid = expert_sigmoid(), tanh = expert_tanh(), gelu = expert_gelu())
  fail <- list(linear = expert_linear(), poly1 = expert_polynomial(1), poly2 = expert_polynomial(2),
               poly3 = expert_polynomial(3), constant = expert_constant(), relu = expert_relu(),
               sigmoid_ow = expert_sigmoid(TRUE), tanh_ow = expert_tanh(TRUE))
  for (d in 1:2) {
    for (seed in c(11, 22, 33)) {
      for (nm in names(pass)) {
        set.seed(seed)
        res <- check_identifiability(pass[[nm]], ident_eta(pass[[nm]], d), d = d, n_x = 1000)
        expect_true(res$identifiable, label = sprintf("%s, d = %d, seed %d", nm, d, seed))
        expect_gt(res$ratio, 1e3 * res$tol)          # a clear margin above the tolerance
        expect_length(res$relations, 0)
      }
      for (nm in names(fail)) {
        set.seed(seed)
        res <- check_identifiability(fail[[nm]], ident_eta(fail[[nm]], d), d = d, n_x = 1000)
        expect_false(res$identifiable, label = sprintf("%s, d = %d, seed %d", nm, d, seed))
        expect_lt(res$ratio, 1e-3 * res$tol)         # floating-point zero, far below the tolerance
        expect_gt(length(res$relations), 0)
      }
    }
  }
})

test_that("the result has the documented shape", {
  set.seed(1)
  res <- check_identifiability(expert_sigmoid(), rbind(c(4, 0.5), c(-5, 1)), n_x = 500)
  expect_s3_class(res, "identifiability_check")
  expect_named(res, c("identifiable", "expert", "eta", "d", "order", "tol", "singular_values", "ratio",
                      "terms", "merged", "zero_terms", "relations", "n_x"), ignore.order = TRUE)
  # d = 1, order 2: 10 terms per atom, of which x * dh/db = dh/da coincide -> 9 distinct
  expect_length(res$terms, 18)
  expect_true(all(c("h[1]", "dH/dbeta1[1]", "dH/da[2] (= d2H/dbeta1 db[2])", "d2H/dbeta1 da[1]", "d2H/db^2[2]") %in% res$terms))
  expect_length(res$singular_values, 18)
  expect_false(is.unsorted(rev(res$singular_values)))
  expect_equal(res$ratio, min(res$singular_values) / max(res$singular_values))
  expect_equal(res$n_x, 500L)
  expect_equal(res$d, 1L)
  expect_equal(res$tol, 1e-12)
  expect_equal(dim(res$eta), c(2L, 2L))
  # d = 2 names use indices; x_u dh/da_v = x_v dh/da_u is merged too
  res2 <- check_identifiability(expert_sigmoid(), c(2, -1, 0.5), n_x = 300)
  expect_equal(res2$d, 2L)
  expect_true(all(c("dH/da1[1] (= d2H/dbeta1_1 db[1])", "dH/dbeta1_2[1]", "d2H/dbeta1_1 da2[1] (= d2H/dbeta1_2 da1[1])",
                    "d2H/dbeta1_1 dbeta1_2[1]") %in% res2$terms))
  expect_true("d2H/dbeta1_2 da1[1]" %in% res2$merged$term)
  expect_length(res2$terms, 18)
})

test_that("the PDE d2H/(dbeta1 db) = dH/da is a coincidence of every ridge expert", {
  set.seed(2)
  eta <- rbind(c(4, 0.5), c(-5, 1))
  for (e in list(expert_linear(), expert_sigmoid(), expert_polynomial(3))) {
    res <- check_identifiability(e, eta, n_x = 500)
    expect_true(all(c("d2H/dbeta1 db[1]", "d2H/dbeta1 db[2]") %in% res$merged$term))
    expect_equal(res$merged$kept[match("d2H/dbeta1 db[1]", res$merged$term)], "dH/da[1]")
    expect_false("d2H/dbeta1 db[1]" %in% res$terms)
  }
  # nothing coincides for the constant expert
  expect_equal(nrow(check_identifiability(expert_constant(), c(1.5, -1), n_x = 200)$merged), 0L)
})

test_that("linear experts: relations between named terms with the right coefficients", {
  set.seed(3)
  a <- c(4, -5); b <- c(0.5, 1)
  res <- check_identifiability(expert_linear(), cbind(a, b), n_x = 800)
  expect_false(res$identifiable)
  # zero second derivatives in eta
  expect_setequal(res$zero_terms, c(paste0(c("d2H/da^2", "d2H/da db", "d2H/db^2"), "[1]"),
                                    paste0(c("d2H/da^2", "d2H/da db", "d2H/db^2"), "[2]")))
  expect_true(any(vapply(res$relations, function(r) identical(names(r), "d2H/db^2[1]"), TRUE)))
  # dH/da (which is also d2H/dbeta1 db) is the same function x for both atoms
  r <- find_relation(res, c("dH/da[2] (= d2H/dbeta1 db[2])", "dH/da[1] (= d2H/dbeta1 db[1])"))
  expect_false(is.null(r))
  expect_equal(abs(unname(r[1])), abs(unname(r[2])), tolerance = 1e-6)
  expect_equal(sign(unname(r[1])), -sign(unname(r[2])))
  # Euler: h = a dH/da + b dH/db
  r <- find_relation(res, c("h[1]", "dH/da[1] (= d2H/dbeta1 db[1])", "dH/db[1]"))
  expect_equal(unname(r[c("h[1]", "dH/da[1] (= d2H/dbeta1 db[1])", "dH/db[1]")]), c(1, -a[1], -b[1]), tolerance = 1e-6)
  # gate slope through the expert parameters: dH/dbeta1 = a d2H/dbeta1 da + b d2H/dbeta1 db,
  # where d2H/dbeta1 db is the merged dH/da
  r <- find_relation(res, c("dH/dbeta1[1]", "d2H/dbeta1 da[1]", "dH/da[1] (= d2H/dbeta1 db[1])"))
  expect_equal(unname(r[c("dH/dbeta1[1]", "d2H/dbeta1 da[1]", "dH/da[1] (= d2H/dbeta1 db[1])")]), c(1, -a[1], -b[1]), tolerance = 1e-6)
})

test_that("order 1, a = 0, output weights and ReLU give the documented relations", {
  set.seed(4)
  # order 1: linear fails through Euler alone, sigmoid passes
  lin1 <- check_identifiability(expert_linear(), c(2, 0.5), order = 1, n_x = 300)
  expect_false(lin1$identifiable)
  expect_length(lin1$terms, 4)
  expect_equal(unname(lin1$relations[[1]][c("h[1]", "dH/da[1]", "dH/db[1]")]), c(1, -2, -0.5), tolerance = 1e-6)
  expect_true(check_identifiability(expert_sigmoid(), c(2, 0.5), order = 1, n_x = 300)$identifiable)
  # ReLU is positively homogeneous: the same relation
  relu1 <- check_identifiability(expert_relu(), c(2, 0.5), order = 1, n_x = 300)
  expect_equal(unname(relu1$relations[[1]][c("h[1]", "dH/da[1]", "dH/db[1]")]), c(1, -2, -0.5), tolerance = 1e-6)
  # sigmoid with a = 0 is constant in x: x h and dH/da are proportional
  s0 <- check_identifiability(expert_sigmoid(), c(0, 0.5), n_x = 300)
  expect_false(s0$identifiable)
  # output weight: h = c dh/dc and d2H/dc^2 = 0
  ow <- check_identifiability(expert_sigmoid(TRUE), c(4, 0.5, 2), n_x = 300)
  expect_true("d2H/dc^2[1]" %in% ow$zero_terms)
  r <- find_relation(ow, c("h[1]", "dH/dc[1]"))
  expect_equal(unname(r[c("h[1]", "dH/dc[1]")]), c(1, -2), tolerance = 1e-6)
})

test_that("evaluation points: seed, user x and d", {
  eta <- rbind(c(4, 0.5), c(-5, 1))
  set.seed(5); r1 <- check_identifiability(expert_tanh(), eta, n_x = 400)
  set.seed(5); r2 <- check_identifiability(expert_tanh(), eta, n_x = 400)
  expect_identical(r1$singular_values, r2$singular_values)
  x <- seq(-1, 1, length.out = 300)
  r3 <- check_identifiability(expert_tanh(), eta, x = x)
  expect_equal(r3$n_x, 300L)
  expect_true(r3$identifiable)
  expect_equal(check_identifiability(expert_constant(), 1, x = cbind(x, x))$d, 2L)
  expect_equal(check_identifiability(expert_constant(), 1, d = 3, n_x = 200)$d, 3L)
})

test_that("print shows the verdict, singular values and relations", {
  set.seed(6)
  lin <- check_identifiability(expert_linear(), rbind(c(4, 0.5), c(-5, 1)), n_x = 300)
  expect_output(print(lin), "NOT strongly identifiable")
  expect_output(print(lin), "d2H/db^2[2] = 0", fixed = TRUE)
  expect_output(print(lin), "d2H/dbeta1 db[1] = dH/da[1]", fixed = TRUE)
  expect_output(print(lin, n_show = 20), "h[1] - 4 dH/da[1] (= d2H/dbeta1 db[1]) - 0.5 dH/db[1] = 0", fixed = TRUE)
  # the gate-expert PDE d2H/dbeta1 db = dH/da appears by name inside the relations
  expect_output(print(lin, n_show = 20), "dH/dbeta1[1] - 0.5 dH/da[1] (= d2H/dbeta1 db[1]) - 4 d2H/dbeta1 da[1] = 0", fixed = TRUE)
  out <- utils::capture.output(vis <- withVisible(print(lin)))
  expect_false(vis$visible)
  expect_identical(vis$value, lin)
  sig <- check_identifiability(expert_sigmoid(), rbind(c(4, 0.5), c(-5, 1)), n_x = 300)
  expect_output(print(sig), "Verdict: strongly identifiable")
  expect_output(print(sig), "Smallest relative singular values")
})

test_that("invalid input raises classed errors", {
  eta <- rbind(c(4, 0.5), c(-5, 1))
  expect_error(check_identifiability(expert_sigmoid(), rbind(c(1, 2), c(1, 2))), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, d = 2), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), 1), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(TRUE), c(1, 2)), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), c(1, NA)), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), c(1, Inf)), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), "a"), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), numeric(0)), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, order = 3), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, order = 0), class = "lsmoe_error_input")
  expect_error(check_identifiability("nonsense", eta), class = "lsmoe_error_input")
  expect_error(check_identifiability(list(name = "sigmoid"), eta), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, tol = 0), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, tol = 1), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, n_x = 0), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, n_x = 10), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, x = cbind(1:50, 1:50) / 50), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_sigmoid(), eta, x = c(0.1, NA)), class = "lsmoe_error_input")
  expect_error(check_identifiability(expert_constant(), c(1, 1)), class = "lsmoe_error_input")
  err <- tryCatch(check_identifiability(expert_sigmoid(), rbind(c(1, 2), c(3, 4), c(1, 2))), error = identity)
  expect_match(conditionMessage(err), "row 3")
  expect_equal(err$arg, "eta")
})

test_that("overflowing expert values give a classed error, not garbage", {
  expect_error(check_identifiability(expert_polynomial(200), c(1e3, 1), n_x = 100), class = "lsmoe_error_input")
})
