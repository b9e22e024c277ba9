# identifiability.R: check_identifiability(), strong identifiability decided in high precision
# (paper-notes section 3).

# random "gentle" ridge atoms: slopes +-U(0.5, 2), intercepts U(-1, 1)
gentle_atoms <- function(d, k) {
  a <- matrix(sample(c(-1, 1), k * d, replace = TRUE) * stats::runif(k * d, 0.5, 2), k, d)
  cbind(a, stats::runif(k, -1, 1))
}

# the relation (named numeric vector) whose terms are exactly `terms`, or NULL
find_relation <- function(res, terms) {
  for (r in res$relations) if (setequal(names(r), terms)) return(r)
  NULL
}

# Independent implementation of the terms of a linear expert h = a x + b (d = 1): the value of the
# term named e.g. "d2H/dbeta1 da[2] (= ...)" at points x, from the name alone.
linear_term <- function(name, eta, x) {
  base <- sub(" \\(=.*$", "", name)
  j <- as.integer(sub("^.*\\[([0-9]+)\\]$", "\\1", base))
  term <- sub("\\[[0-9]+\\]$", "", base)
  h <- eta[j, 1] * x + eta[j, 2]
  switch(term,
         "h" = h, "dH/dbeta1" = x * h, "dH/da" = x, "dH/db" = rep(1, length(x)),
         "d2H/dbeta1^2" = x^2 * h, "d2H/dbeta1 da" = x^2, "d2H/dbeta1 db" = x,
         "d2H/da^2" = 0 * x, "d2H/da db" = 0 * x, "d2H/db^2" = 0 * x,
         stop("unknown term ", term))
}

test_that("the cases double precision got wrong decide 'identifiable'", {
  # sigmoid atoms (1.5, -0.7), (2, 0.4): double-precision ratio about 1.7e-14
  r1 <- check_identifiability(expert_sigmoid(), rbind(c(1.5, -0.7), c(2, 0.4)))
  expect_identical(r1$verdict, "identifiable")
  expect_true(r1$identifiable)
  expect_identical(r1$decided_by, "high precision")
  expect_lt(r1$ratios[["double"]], 1e-12)                 # where the old tol = 1e-12 said NOT
  expect_equal(r1$ratios[["bits150"]], r1$ratios[["bits300"]], tolerance = 1e-6)   # stable across precisions
  # the vignette's sigmoid atoms on the support of Uniform[0, 1] inputs
  set.seed(8)
  r2 <- check_identifiability(expert_sigmoid(), rbind(c(4, 0.5), c(-5, 1)), x = stats::runif(2000, 0, 1))
  expect_identical(r2$verdict, "identifiable")
  # tanh atoms (2, 0), (1, 0)
  r3 <- check_identifiability(expert_tanh(), rbind(c(2, 0), c(1, 0)))
  expect_identical(r3$verdict, "identifiable")
  expect_length(r3$relations, 0)
})

test_that("sigmoid, tanh and GELU decide 'identifiable' on random gentle atoms, d = 1, 2 and k = 2, 3", {
  set.seed(101)
  n_hp <- 0
  for (fam in c("sigmoid", "tanh", "gelu")) {
    for (d in 1:2) {
      for (k in 2:3) {
        for (r in 1:2) {                       # 3 families x 2 x 2 x 2 = 24 atom sets
          eta <- gentle_atoms(d, k)
          res <- check_identifiability(fam, eta)
          expect_identical(res$verdict, "identifiable", label = sprintf("%s, d = %d, k = %d, set %d", fam, d, k, r))
          if (res$decided_by == "high precision") {
            n_hp <- n_hp + 1
            expect_gt(res$ratios[["bits300"]], res$threshold)
            expect_lt(abs(log10(res$ratios[["bits150"]] / res$ratios[["bits300"]])), 1)
          } else {
            expect_gte(res$ratios[["double"]], 1e-10)
          }
        }
      }
    }
  }
  expect_gte(n_hp, 10)   # the d = 1 sets need high precision: the test exercises it
  # in d = 2 the pre-screen decides; the high precision agrees with it
  res <- check_identifiability(expert_sigmoid(), rbind(c(1, 0.3, -0.5), c(-0.7, 1.2, 0.4)), prescreen = FALSE)
  expect_identical(res$verdict, "identifiable")
  expect_equal(res$ratios[["bits300"]], res$ratios[["double"]], tolerance = 1e-4)
})

test_that("linear, polynomial, ReLU, constant and output-weighted experts decide 'not' on random atoms", {
  set.seed(102)
  fams <- list(linear = expert_linear(), poly2 = expert_polynomial(2), poly3 = expert_polynomial(3),
               relu = expert_relu(), constant = expert_constant(), sigmoid_ow = expert_sigmoid(TRUE))
  for (d in 1:2) {
    for (nm in names(fams)) {
      e <- fams[[nm]]
      eta <- if (nm == "constant") matrix(stats::runif(2, -2, 2), ncol = 1) else gentle_atoms(d, 2)
      if (e$output_weight) eta <- cbind(eta, stats::runif(2, 0.5, 2))
      res <- check_identifiability(e, eta, d = d)
      expect_identical(res$verdict, "not identifiable", label = sprintf("%s, d = %d", nm, d))
      expect_false(res$identifiable)
      expect_true(res$ratios[["bits300"]] <= res$threshold)
      expect_gt(length(res$relations), 0)
    }
  }
  # the ratio of an exactly dependent family falls with the precision (rounding level)
  res <- check_identifiability(expert_polynomial(3), rbind(c(1.2, -0.3), c(-0.8, 0.6)))
  expect_length(res$zero_terms, 0)                       # no zero column: decided by the ratio
  expect_lt(res$ratios[["bits150"]], 1e-40)
  expect_lt(res$ratios[["bits300"]], 1e-85)
  expect_gt(res$ratios[["bits150"]] / res$ratios[["bits300"]], 1e30)
})

test_that("atoms with eta_2 = -eta_1 make sigmoid, tanh and GELU families dependent", {
  for (fam in c("sigmoid", "tanh", "gelu")) {
    for (eta in list(rbind(c(1.3, -0.4), c(-1.3, 0.4)), rbind(c(1.1, -0.6, 0.3), c(-1.1, 0.6, -0.3)))) {
      res <- check_identifiability(fam, eta)
      expect_identical(res$verdict, "not identifiable", label = sprintf("%s, d = %d", fam, ncol(eta) - 1))
      expect_lt(res$ratios[["bits300"]], res$threshold)
      expect_gt(res$ratios[["bits150"]], res$ratios[["bits300"]])
    }
  }
  # a slightly different second atom is independent again
  expect_identical(check_identifiability("sigmoid", rbind(c(1.3, -0.4), c(-1.3, 0.45)))$verdict, "identifiable")
})

test_that("linear experts: the Euler relation h = a dh/da + b dh/db has coefficients a, b to 1e-20", {
  for (ab in list(c(0.3, -1.7), c(2.25, 0.1), c(-1.4, 3.3))) {
    res <- check_identifiability(expert_linear(), ab)
    r <- find_relation(res, c("h[1]", "dH/da[1] (= d2H/dbeta1 db[1])", "dH/db[1]"))
    expect_false(is.null(r))
    expect_lt(max(abs(r[c("h[1]", "dH/da[1] (= d2H/dbeta1 db[1])", "dH/db[1]")] - c(1, -ab[1], -ab[2]))), 1e-20)
    # the PDE through the gate: dH/dbeta1 = a d2H/dbeta1 da + b d2H/dbeta1 db (= b dH/da)
    r <- find_relation(res, c("dH/dbeta1[1]", "d2H/dbeta1 da[1]", "dH/da[1] (= d2H/dbeta1 db[1])"))
    expect_lt(max(abs(r[c("dH/dbeta1[1]", "d2H/dbeta1 da[1]", "dH/da[1] (= d2H/dbeta1 db[1])")] - c(1, -ab[1], -ab[2]))), 1e-20)
  }
  # d = 2: h = a1 dh/da1 + a2 dh/da2 + b dh/db
  res <- check_identifiability(expert_linear(), c(0.7, -1.9, 0.35))
  nm <- c("h[1]", "dH/da1[1] (= d2H/dbeta1_1 db[1])", "dH/da2[1] (= d2H/dbeta1_2 db[1])", "dH/db[1]")
  r <- find_relation(res, nm)
  expect_lt(max(abs(r[nm] - c(1, -0.7, 1.9, -0.35))), 1e-20)
  # polynomial of degree 3: h = (a dh/da + b dh/db) / 3
  res <- check_identifiability(expert_polynomial(3), c(0.6, -1.2))
  r <- find_relation(res, c("h[1]", "dH/da[1] (= d2H/dbeta1 db[1])", "dH/db[1]"))
  expect_equal(unname(r[c("dH/da[1] (= d2H/dbeta1 db[1])", "dH/db[1]")]), c(-0.2, 0.4), tolerance = 1e-14)
  # output weight: h = c dh/dc
  res <- check_identifiability(expert_sigmoid(TRUE), c(1.5, 0.5, 1.7))
  r <- find_relation(res, c("h[1]", "dH/dc[1]"))
  expect_lt(abs(r[["dH/dc[1]"]] + 1.7), 1e-20)
  expect_true("d2H/dc^2[1]" %in% res$zero_terms)
})

test_that("every relation returned for linear experts holds (independent evaluation of the terms)", {
  eta <- rbind(c(1.5, -0.7), c(2, 0.4))
  res <- check_identifiability(expert_linear(), eta)
  expect_length(res$relations, 14)
  x <- seq(-3, 3, length.out = 41)                           # outside the points used by the check, too
  for (r in res$relations) {
    vals <- vapply(names(r), function(nm) linear_term(nm, eta, x), numeric(length(x)))
    expect_lt(max(abs(vals %*% r)), 1e-12 * max(1, max(abs(vals))))
  }
  # and the null space is complete: 18 terms, rank 4 (span of 1, x, x^2, x^3)
  expect_length(res$terms, 18)
  expect_equal(length(res$terms) - length(res$relations), 4)
})

test_that("the verdict does not change when the number of points doubles", {
  cases <- list(list("sigmoid", rbind(c(1.5, -0.7), c(2, 0.4), c(-0.8, 0.2))),
                list("tanh", rbind(c(2, 0), c(1, 0))), list("gelu", rbind(c(1.2, 0.3), c(-0.6, 0.9))),
                list("linear", rbind(c(1.5, -0.7), c(2, 0.4))), list("relu", c(1.1, 0.2)),
                list("gelu", rbind(c(1.3, -0.4), c(-1.3, 0.4))))
  for (cs in cases) {
    r1 <- check_identifiability(cs[[1]], cs[[2]])
    r2 <- check_identifiability(cs[[1]], cs[[2]], n_x = 2 * r1$n_x)
    expect_gt(r2$n_x, r1$n_x)
    expect_identical(r2$verdict, r1$verdict, label = cs[[1]])
  }
  # uniform points, twice as many
  set.seed(9)
  r1 <- check_identifiability("sigmoid", rbind(c(1.5, -0.7), c(2, 0.4)), points = "uniform", n_x = 100)
  r2 <- check_identifiability("sigmoid", rbind(c(1.5, -0.7), c(2, 0.4)), points = "uniform", n_x = 200)
  expect_identical(c(r1$verdict, r2$verdict), c("identifiable", "identifiable"))
})

test_that("a ratio below the resolution of 150 bits is 'undecided', with advice", {
  res <- check_identifiability("sigmoid", rbind(c(0.2, 0.1), c(0.25, -0.1), c(0.3, 0), c(0.35, 0.05)))
  expect_identical(res$verdict, "undecided")
  expect_true(is.na(res$identifiable))
  expect_gt(res$ratios[["bits300"]], res$threshold)
  expect_gt(res$ratios[["bits150"]] / res$ratios[["bits300"]], 10)
  expect_match(res$advice, "wider `box`")
  expect_output(print(res), "UNDECIDED")
  # a wider box resolves it
  wide <- check_identifiability("sigmoid", rbind(c(0.2, 0.1), c(0.25, -0.1), c(0.3, 0), c(0.35, 0.05)), box = c(-8, 8))
  expect_identical(wide$verdict, "identifiable")
})

test_that("without eta: random configurations, the first dependent one reported with its relations", {
  relu <- check_identifiability(expert_relu(), d = 1, seed = 3)
  expect_identical(relu$scope, "universal")
  expect_identical(relu$verdict, "not identifiable")
  expect_equal(nrow(relu$configs), 1L)          # stops at the first dependent configuration
  expect_gt(length(relu$relations), 0)
  expect_identical(relu$check$eta, relu$eta)
  # Euler for the random atom: h = a dh/da + b dh/db
  r <- find_relation(relu, c("h[1]", "dH/da[1] (= d2H/dbeta1 db[1])", "dH/db[1]"))
  expect_lt(max(abs(r[-1] + relu$eta[1, ])), 1e-20)
  sig <- check_identifiability(expert_sigmoid(), d = 1, k = 1:2, n_configs = 2, seed = 4)
  expect_identical(sig$verdict, "identifiable")
  expect_equal(nrow(sig$configs), 4L)
  expect_equal(sig$configs$k, c(1L, 1L, 2L, 2L))
  top <- ifelse(is.na(sig$configs$ratio_300), sig$configs$ratio_double, sig$configs$ratio_300)
  expect_equal(sig$ratio, min(top))
  expect_output(print(sig), "independent at all 4 configurations")
  expect_output(print(relu), "NOT strongly identifiable")
  # the seed makes it reproducible and leaves the global generator alone
  set.seed(5); before <- stats::runif(1)
  set.seed(5); s2 <- check_identifiability(expert_sigmoid(), d = 1, k = 1:2, n_configs = 2, seed = 4); after <- stats::runif(1)
  expect_identical(s2$configs$ratio_double, sig$configs$ratio_double)
  expect_identical(before, after)
})

test_that("the result has the documented shape and names", {
  res <- check_identifiability(expert_sigmoid(), rbind(c(4, 0.5), c(-5, 1)), n_x = 200)
  expect_s3_class(res, "identifiability_check")
  expect_true(all(c("identifiable", "verdict", "advice", "scope", "expert", "eta", "d", "order", "n_x", "ratio",
                    "ratios", "singular_values", "decided_by", "threshold", "terms", "merged", "zero_terms",
                    "relations") %in% names(res)))
  # d = 1, order 2: 10 terms per atom, of which x * dh/db = dh/da coincide -> 9 distinct
  expect_length(res$terms, 18)
  expect_true(all(c("h[1]", "dH/dbeta1[1]", "dH/da[2] (= d2H/dbeta1 db[2])", "d2H/dbeta1 da[1]", "d2H/db^2[2]") %in% res$terms))
  expect_equal(res$merged$kept[match("d2H/dbeta1 db[1]", res$merged$term)], "dH/da[1]")
  expect_false(is.unsorted(rev(res$singular_values)))
  expect_equal(res$ratio, min(res$singular_values) / max(res$singular_values))
  expect_equal(res$threshold, 2^(-225))
  expect_equal(res$n_x, 200L)
  expect_named(res$ratios, c("double", "bits150", "bits300"))
  # d = 2 names use indices; x_u dh/da_v = x_v dh/da_u is merged too
  res2 <- check_identifiability(expert_sigmoid(), c(2, -1, 0.5))
  expect_equal(res2$d, 2L)
  expect_true(all(c("dH/da1[1] (= d2H/dbeta1_1 db[1])", "dH/dbeta1_2[1]", "d2H/dbeta1_1 da2[1] (= d2H/dbeta1_2 da1[1])",
                    "d2H/dbeta1_1 dbeta1_2[1]") %in% res2$terms))
  expect_length(res2$terms, 18)
  # order 1: 4 terms, linear fails through Euler alone, sigmoid passes
  lin1 <- check_identifiability(expert_linear(), c(2, 0.5), order = 1)
  expect_length(lin1$terms, 4)
  expect_identical(lin1$verdict, "not identifiable")
  expect_identical(check_identifiability(expert_sigmoid(), c(2, 0.5), order = 1)$verdict, "identifiable")
  # nothing coincides for the constant expert; d from x
  expect_equal(nrow(check_identifiability(expert_constant(), c(1.5, -1))$merged), 0L)
  expect_equal(check_identifiability(expert_constant(), 1, x = cbind(seq(-1, 1, length.out = 30), 0))$d, 2L)
})

test_that("print shows the verdict, the ratios, relations and coincident terms", {
  lin <- check_identifiability(expert_linear(), rbind(c(4, 0.5), c(-5, 1)))
  expect_output(print(lin), "NOT strongly identifiable")
  expect_output(print(lin), "d2H/db^2[2] = 0", fixed = TRUE)
  expect_output(print(lin), "d2H/dbeta1 db[1] = dH/da[1]", fixed = TRUE)
  expect_output(print(lin, n_show = 20), "h[1] - 4 dH/da[1] (= d2H/dbeta1 db[1]) - 0.5 dH/db[1] = 0", fixed = TRUE)
  out <- utils::capture.output(vis <- withVisible(print(lin)))
  expect_false(vis$visible)
  expect_identical(vis$value, lin)
  sig <- check_identifiability(expert_sigmoid(), rbind(c(4, 0.5), c(-5, 1)))
  expect_output(print(sig), "strongly identifiable \\(numerically\\)")
  expect_output(print(sig), "eta_i = -eta_j")
})

test_that("invalid input raises classed errors before any work", {
  eta <- rbind(c(4, 0.5), c(-5, 1))
  bad <- list(
    list(expert_sigmoid(), rbind(c(1, 2), c(1, 2))), list(expert_sigmoid(), eta, d = 2), list(expert_sigmoid(), 1),
    list(expert_sigmoid(TRUE), c(1, 2)), list(expert_sigmoid(), c(1, NA)), list(expert_sigmoid(), c(1, Inf)),
    list(expert_sigmoid(), "a"), list(expert_sigmoid(), numeric(0)), list(expert_sigmoid(), eta, order = 3),
    list("nonsense", eta), list(expert_sigmoid(), eta, n_x = 0), list(expert_sigmoid(), eta, n_x = 10),
    list(expert_sigmoid(), eta, x = c(0.1, NA)), list(expert_constant(), c(1, 1)),
    list(expert_sigmoid(), eta, box = c(1, -1)), list(expert_sigmoid(), eta, box = 1),
    list(expert_sigmoid(), eta, points = "random"), list(expert_sigmoid(), eta, prescreen = NA),
    list(expert_sigmoid(), eta, seed = -1), list(expert_sigmoid(), k = 0), list(expert_sigmoid(), k = 1.5),
    list(expert_sigmoid(), n_configs = 0),
    # hardening (issue 12): sizes and magnitudes beyond the documented limits
    list(expert_sigmoid(), eta, n_x = 1e9), list(expert_sigmoid(), n_x = 1e9),
    list(expert_sigmoid(), c(1e300, 1)), list(expert_sigmoid(), c(1e-300, 1)), list(expert_constant(), 1e-200),
    list(expert_sigmoid(), c(1e5, 1)), list(expert_sigmoid(), eta, x = c(1e300, 0.5)),
    list(expert_sigmoid(), eta, box = c(-1e6, 1e6)), list(expert_polynomial(50), c(1e3, 1)),
    list(expert_sigmoid(), d = 30), list(expert_sigmoid(), d = 1, k = 40)
  )
  for (b in bad) {
    err <- tryCatch(do.call(check_identifiability, b), error = identity)
    expect_s3_class(err, "lsmoe_error_input")
    expect_false(is.null(err$arg))
  }
  err <- tryCatch(check_identifiability(expert_sigmoid(), rbind(c(1, 2), c(3, 4), c(1, 2))), error = identity)
  expect_match(conditionMessage(err), "row 3")
  expect_equal(err$arg, "eta")
  expect_equal(tryCatch(check_identifiability(expert_sigmoid(), eta, n_x = 1e9), error = identity)$arg, "n_x")
  expect_warning(check_identifiability(expert_sigmoid(), eta, tol = 1e-12), class = "lsmoe_warning_deprecated")
})
