# identifiability.R with the sigmoid gate: check_identifiability(gate = ...), the sigmoid gate's families
# (paper-notes section 7; arXiv:2405.13997).

# An independent implementation of the expert h(x, eta) (x: n x d matrix, eta: a, b[, c]).
h_ref <- function(expert, x, eta) {
  d <- ncol(x)
  if (expert$name == "constant") return(rep(eta[1], nrow(x)))
  z <- drop(x %*% eta[seq_len(d)]) + eta[d + 1]
  phi <- switch(expert$name, sigmoid = 1 / (1 + exp(-z)), tanh = tanh(z), linear = z, polynomial = z^expert$degree,
                relu = pmax(z, 0), gelu = z * stats::pnorm(z))
  if (expert$output_weight) eta[d + 2] * phi else phi
}

# The gated expert as a function of theta = (beta1 (d), beta0, eta): sigmoid(beta1'x + beta0) h (sigmoid gate),
# exp(beta1'x) h (softmax; beta0 unused).
F_ref <- function(theta, expert, x, gate) {
  d <- ncol(x)
  g <- drop(x %*% theta[seq_len(d)])
  h <- h_ref(expert, x, theta[-seq_len(d + 1)])
  if (gate == "sigmoid") stats::plogis(g + theta[d + 1]) * h else exp(g) * h
}

# Index in theta of a variable name of the check ("beta1", "beta1_2", "beta0", "a", "a1", "b", "c").
var_index <- function(v, d, expert) {
  if (v == "beta0") return(d + 1)
  if (v == "beta1") return(1)
  if (grepl("^beta1_", v)) return(as.integer(sub("beta1_", "", v)))
  if (expert$name == "constant") return(d + 2)
  if (v == "a") return(d + 2)
  if (grepl("^a[0-9]+$", v)) return(d + 1 + as.integer(sub("a", "", v)))
  if (v == "b") return(2 * d + 2)
  if (v == "c") return(2 * d + 3)
  stop("unknown variable ", v)
}

# 5-point (fourth order) central differences of f in coordinates i (and j, nested).
fd1 <- function(f, theta, i, s = 1e-3) {
  e <- replace(numeric(length(theta)), i, s)
  (-f(theta + 2 * e) + 8 * f(theta + e) - 8 * f(theta - e) + f(theta - 2 * e)) / (12 * s)
}
fd2 <- function(f, theta, i, j, s = 1e-2) fd1(function(t) fd1(f, t, i, s), theta, j, s)

# The value of the term named e.g. "d2F/dbeta1 da[2]" at the points, by finite differences.
term_fd <- function(name, expert, x, theta_atoms, gate) {
  j <- as.integer(sub("^.*\\[([0-9]+)\\]$", "\\1", name))
  term <- sub("\\[[0-9]+\\]$", "", name)
  f <- function(t) F_ref(t, expert, x, gate)
  th <- theta_atoms[[j]]
  d <- ncol(x)
  if (term == "h") return(f(th))
  vars <- strsplit(sub("^d2?[FH]/", "", term), " ")[[1]]
  vars <- sub("^d", "", vars)
  if (length(vars) == 1 && grepl("\\^2$", vars)) vars <- rep(sub("\\^2$", "", vars), 2)
  idx <- vapply(vars, var_index, 1, d = d, expert = expert)
  if (length(idx) == 1) fd1(f, th, idx) else fd2(f, th, idx[1], idx[2])
}

cols_of <- function(expert, x, eta, gate, regime, beta0, beta1) {
  order <- if (gate == "softmax") 2L else if (regime == 1) 2L else 1L
  lsmoe:::cpp_ident_columns(x, eta, expert, order, gate, regime, beta0, t(beta1))
}

test_that("the default gate gives exactly the results of before (stored, commit e9011b9)", {
  ref <- readRDS(test_path("fixtures", "identifiability-softmax-e9011b9.rds"))
  for (i in seq_along(ref$cases)) {
    cs <- ref$cases[[i]]
    for (g in list(NULL, "softmax", gate_softmax(), gate_softmax)) {
      new <- if (is.null(g)) check_identifiability(cs[[1]], cs[[2]]) else check_identifiability(cs[[1]], cs[[2]], gate = g)
      new$seconds <- NULL
      old <- ref$results[[i]]
      expect_identical(setdiff(names(new), names(old)), "gate")
      expect_identical(unclass(new)[names(old)], unclass(old), label = paste("case", i))
      expect_s3_class(new, "identifiability_check")
      expect_identical(new$gate, gate_softmax())
    }
  }
  uni <- check_identifiability(expert_sigmoid(), d = 1, k = 1:2, n_configs = 2, seed = 4)
  uni$seconds <- NULL; uni$check$seconds <- NULL; uni$configs$seconds <- NULL; uni$check$gate <- NULL
  expect_identical(unclass(uni)[names(ref$universal)], unclass(ref$universal))
})

test_that("every column equals a finite difference of F (sigmoid regimes 1 and 2, softmax), d = 1 and 2", {
  set.seed(11)
  fams <- list(expert_sigmoid(), expert_tanh(), expert_linear(), expert_polynomial(2), expert_gelu(), expert_relu(),
               expert_sigmoid(TRUE), expert_constant())
  n_checked <- 0
  for (d in 1:2) {
    x <- matrix(stats::runif(40 * d, -1, 1), ncol = d)
    for (e in fams) {
      k <- 2
      q <- if (e$name == "constant") 1 else d + 1 + e$output_weight
      eta <- if (e$name == "constant") matrix(c(0.7, -1.2), ncol = 1) else
        cbind(matrix(stats::runif(k * d, 0.5, 1.5) * c(1, -1), k, d), stats::runif(k, -0.5, 0.5),
              if (e$output_weight) c(1.3, -0.8))
      keep <- rep(TRUE, nrow(x))
      if (e$name == "relu") {       # away from the kinks, where the a.e. derivatives are the derivatives
        for (j in 1:k) keep <- keep & abs(drop(x %*% eta[j, 1:d]) + eta[j, d + 1]) > 0.1
      }
      xs <- x[keep, , drop = FALSE]
      beta0 <- c(0.4, -1.1)
      beta1 <- matrix(c(1.5, -0.9, 0.6, 1.2)[seq_len(k * d)], k, d)
      for (setup in list(list("sigmoid", 1L), list("sigmoid", 2L), list("softmax", 1L))) {
        gate <- setup[[1]]; regime <- setup[[2]]
        b1 <- if (gate == "sigmoid" && regime == 2L) beta1 else matrix(0, k, d)
        M <- cols_of(e, xs, eta, gate, regime, beta0, b1)
        theta <- lapply(1:k, function(j) c(b1[j, ], beta0[j], eta[j, ]))
        for (nm in colnames(M)) {
          ref <- term_fd(nm, e, xs, theta, gate)
          scale <- max(1, abs(ref))
          expect_lt(max(abs(M[, nm] - ref)) / scale, 1e-6,
                    label = sprintf("%s, d = %d, %s regime %d, %s", e$name, d, gate, regime, nm))
          n_checked <- n_checked + 1
        }
      }
    }
  }
  expect_gt(n_checked, 500)
  # the names of the families: regime 1 has dF/dbeta0 and orders 1-2, regime 2 the first derivatives
  M1 <- cols_of(expert_sigmoid(), matrix(0.3), rbind(c(1, 0)), "sigmoid", 1L, 1, matrix(0, 1, 1))
  expect_identical(colnames(M1), c("dF/dbeta0[1]", "dF/da[1]", "dF/db[1]", "dF/dbeta1[1]", "d2F/da^2[1]",
                                   "d2F/da db[1]", "d2F/db^2[1]", "d2F/dbeta1 da[1]", "d2F/dbeta1 db[1]",
                                   "d2F/dbeta1^2[1]"))
  M2 <- cols_of(expert_sigmoid(), matrix(0.3), rbind(c(1, 0)), "sigmoid", 2L, 1, matrix(2, 1, 1))
  expect_identical(colnames(M2), c("dF/dbeta0[1]", "dF/da[1]", "dF/db[1]", "dF/dbeta1[1]"))
})

test_that("linear experts, regime 1: the PDE d2F/dbeta1 db = d2F/da dbeta0 and the relations it leaves", {
  for (cs in list(list(c(2, 0.5), 0.7), list(c(-1.4, 3.3), -1.2))) {
    ab <- cs[[1]]; b0 <- cs[[2]]
    res <- check_identifiability(expert_linear(), ab, gate = "sigmoid", beta0 = b0)
    expect_identical(res$verdict, "not identifiable")
    # the PDE, by finite differences of F (independent of the check): d2F/dbeta1 db = d2F/da dbeta0
    x <- matrix(seq(-1, 1, length.out = 9))
    f <- function(t) F_ref(t, expert_linear(), x, "sigmoid")
    th <- c(0, b0, ab)
    lhs <- fd2(f, th, 1, 4)          # beta1, b
    rhs <- fd2(f, th, 3, 2)          # a, beta0
    expect_lt(max(abs(lhs - rhs)), 1e-8)
    # the check counts the two members once, with the factor of the PDE: d2F/dbeta1 db = (1 - sigmoid(beta0)) dF/da
    i <- match("d2F/dbeta1 db[1]", res$merged$term)
    expect_identical(res$merged$kept[i], "dF/da[1]")
    expect_equal(res$merged$factor[i], 1 - stats::plogis(b0), tolerance = 1e-14)
    expect_equal(res$merged$factor[i], max(abs(rhs)) / max(abs(fd1(f, th, 3))), tolerance = 1e-8)
    kept <- "dF/da[1] (~ d2F/dbeta1 db[1])"
    expect_true(kept %in% res$terms)
    # the gate PDE among the kept terms: dF/dbeta1 = a d2F/dbeta1 da + b (1 - sigmoid(beta0)) dF/da
    r <- NULL
    for (rr in res$relations) if (setequal(names(rr), c("dF/dbeta1[1]", "d2F/dbeta1 da[1]", kept))) r <- rr
    expect_false(is.null(r))
    expect_lt(max(abs(r[c("dF/dbeta1[1]", "d2F/dbeta1 da[1]", kept)] -
                        c(1, -ab[1], -ab[2] * (1 - stats::plogis(b0))))), 1e-15)   # reference in double
    # Euler through the intercept: dF/dbeta0 = (1 - sigmoid(beta0)) (a dF/da + b dF/db)
    r <- NULL
    for (rr in res$relations) if (setequal(names(rr), c("dF/dbeta0[1]", kept, "dF/db[1]"))) r <- rr
    expect_false(is.null(r))
    expect_lt(max(abs(r[c(kept, "dF/db[1]")] + (1 - stats::plogis(b0)) * ab)), 1e-15)
    expect_true(all(c("d2F/da^2[1]", "d2F/da db[1]", "d2F/db^2[1]") %in% res$zero_terms))
  }
})

test_that("every relation returned for linear experts, regime 1, holds (independent evaluation)", {
  eta <- rbind(c(1.5, -0.7), c(2, 0.4)); b0 <- c(0.3, -0.8)
  res <- check_identifiability(expert_linear(), eta, gate = "sigmoid", beta0 = b0)
  x <- seq(-3, 3, length.out = 41)
  term <- function(name) {
    base <- sub(" \\((=|~).*$", "", name)
    j <- as.integer(sub("^.*\\[([0-9]+)\\]$", "\\1", base))
    s <- stats::plogis(b0[j]); s1 <- s * (1 - s); s2 <- s1 * (1 - 2 * s)
    h <- eta[j, 1] * x + eta[j, 2]
    switch(sub("\\[[0-9]+\\]$", "", base),
           "dF/dbeta0" = s1 * h, "dF/dbeta1" = s1 * x * h, "dF/da" = s * x, "dF/db" = s + 0 * x,
           "d2F/dbeta1^2" = s2 * x^2 * h, "d2F/dbeta1 da" = s1 * x^2, "d2F/dbeta1 db" = s1 * x,
           "d2F/da^2" = 0 * x, "d2F/da db" = 0 * x, "d2F/db^2" = 0 * x, stop("unknown term ", base))
  }
  expect_gt(length(res$relations), 10)
  for (r in res$relations) {
    vals <- vapply(names(r), term, numeric(length(x)))
    expect_lt(max(abs(vals %*% r)), 1e-12 * max(1, max(abs(vals))))
  }
  # rank 4 again (span of 1, x, x^2, x^3): the gate factors are constants at beta1 = 0
  expect_equal(length(res$terms) - length(res$relations), 4)
})

test_that("regime 1: GELU identifiable, ReLU not (zero a.e. second derivatives and homogeneity)", {
  set.seed(21)
  for (d in 1:2) {
    eta <- cbind(matrix(c(1.2, -0.8, 0.9, 1.4)[seq_len(2 * d)], 2, d), c(0.3, -0.5))
    g <- check_identifiability(expert_gelu(), eta, gate = "sigmoid", beta0 = c(0.5, -1))
    expect_identical(g$verdict, "identifiable", label = sprintf("gelu, d = %d", d))
    # beta0 only rescales columns: the softmax verdict and ratio
    s <- check_identifiability(expert_gelu(), eta)
    expect_identical(s$verdict, g$verdict)
    expect_equal(g$ratio, s$ratio, tolerance = 1e-6)
    r <- check_identifiability(expert_relu(), eta, gate = "sigmoid", beta0 = c(0.5, -1))
    expect_identical(r$verdict, "not identifiable", label = sprintf("relu, d = %d", d))
    expect_true(all(c("d2F/db^2[1]", "d2F/db^2[2]") %in% r$zero_terms))
  }
  # Euler for ReLU: dF/dbeta0 = (1 - sigmoid(beta0)) (a dF/da + b dF/db), a relation among first derivatives
  r <- check_identifiability(expert_relu(), c(1.1, 0.2), gate = "sigmoid", beta0 = -0.6)
  kept <- "dF/da[1] (~ d2F/dbeta1 db[1])"
  rel <- NULL
  for (rr in r$relations) if (setequal(names(rr), c("dF/dbeta0[1]", kept, "dF/db[1]"))) rel <- rr
  expect_false(is.null(rel))
  expect_lt(max(abs(rel[c(kept, "dF/db[1]")] + (1 - stats::plogis(-0.6)) * c(1.1, 0.2))), 1e-15)
  # ... which is an exact non-identifiability: sigmoid(beta0) relu(z) = sigmoid(beta0') relu(c z)
  x <- matrix(seq(-1, 1, length.out = 101))
  b0p <- 0.8; cc <- stats::plogis(-0.6) / stats::plogis(b0p)
  expect_equal(F_ref(c(0, -0.6, 1.1, 0.2), expert_relu(), x, "sigmoid"),
               F_ref(c(0, b0p, cc * 1.1, cc * 0.2), expert_relu(), x, "sigmoid"), tolerance = 1e-15)
  # beta0 = 0: sigmoid''(0) = 0 makes d2F/dbeta1^2 identically zero, for every expert
  z <- check_identifiability(expert_gelu(), rbind(c(1.2, 0.3), c(-0.8, -0.5)), gate = "sigmoid", beta0 = c(0, 1))
  expect_identical(z$verdict, "not identifiable")
  expect_identical(z$zero_terms, "d2F/dbeta1^2[1]")
  expect_output(print(z), "beta0 != 0")
})

test_that("regime 2 (first-order family at beta1 != 0): linear and ReLU identifiable, not at beta1 = 0", {
  eta <- rbind(c(1.5, -0.7), c(-2, 0.4))
  b1 <- c(2, -1.5); b0 <- c(0.3, -0.2)
  for (e in list(expert_linear(), expert_relu(), expert_gelu(), expert_polynomial(2))) {
    res <- check_identifiability(e, eta, gate = gate_sigmoid(), regime = 2, beta1 = b1, beta0 = b0)
    expect_identical(res$verdict, "identifiable", label = e$name)
    expect_identical(res$order, 1L)
    expect_equal(nrow(res$merged), 0L)
    expect_output(print(res), "weakly identifiable")
  }
  # with zero slopes the gate factor 1 - sigmoid(beta0) is a constant: Euler's relation returns (linear)
  res <- check_identifiability(expert_linear(), eta, gate = "sigmoid", regime = 2, beta1 = c(0, 0), beta0 = b0)
  expect_identical(res$verdict, "not identifiable")
  # two linear atoms under the same gate merge into one linear expert: dependent
  res <- check_identifiability(expert_linear(), eta, gate = "sigmoid", regime = 2, beta1 = c(1, 1), beta0 = c(0.2, 0.2))
  expect_identical(res$verdict, "not identifiable")
  # universal scope
  u <- check_identifiability(expert_linear(), d = 1, k = 1:2, n_configs = 2, seed = 3, gate = "sigmoid", regime = 2)
  expect_identical(u$verdict, "identifiable")
  expect_identical(dim(u$beta1), c(nrow(u$eta), 1L))
  expect_true(all(u$beta1 != 0))
})

test_that("print shows the gate; the result carries regime, beta0 and beta1", {
  res <- check_identifiability(expert_gelu(), rbind(c(1.2, 0.3), c(-0.8, -0.5)), gate = "sigmoid")
  expect_output(print(res), "gate: sigmoid, regime 1")
  expect_output(print(res), "strongly identifiable")
  expect_identical(res$regime, 1L)
  expect_identical(res$beta0, c(1, 1))
  expect_identical(res$beta1, matrix(0, 2, 1))
  expect_identical(res$gate, gate_sigmoid())
  expect_output(print(check_identifiability(expert_gelu(), c(1.2, 0.3))), "gate: softmax")
  lin <- check_identifiability(expert_linear(), c(2, 0.5), gate = "sigmoid", beta0 = 0.4)
  expect_output(print(lin), sprintf("d2F/dbeta1 db[1] = %s dF/da[1]", format(signif(1 - stats::plogis(0.4), 6))),
                fixed = TRUE)
})

test_that("bad gate, regime, beta0, beta1 and order raise lsmoe_error_input naming the argument", {
  eta <- rbind(c(1.2, 0.3), c(-0.8, -0.5))
  bad <- list(
    list(args = list(gate = "nonsense"), arg = "gate"), list(args = list(gate = 3), arg = "gate"),
    list(args = list(gate = mean), arg = "gate"), list(args = list(gate = NA_character_), arg = "gate"),
    list(args = list(gate = "sigmoid", regime = 3), arg = "regime"),
    list(args = list(gate = "sigmoid", regime = "1"), arg = "regime"),
    list(args = list(gate = "sigmoid", regime = c(1, 2)), arg = "regime"),
    list(args = list(regime = 2), arg = "regime"), list(args = list(beta0 = 1), arg = "beta0"),
    list(args = list(beta1 = c(1, 1)), arg = "beta1"),
    list(args = list(gate = "sigmoid", order = 1), arg = "order"),
    list(args = list(gate = "sigmoid", regime = 2, order = 2), arg = "order"),
    list(args = list(gate = "sigmoid", regime = 2), arg = "beta1"),
    list(args = list(gate = "sigmoid", beta1 = c(1, 0)), arg = "beta1"),
    list(args = list(gate = "sigmoid", regime = 2, beta1 = c(1, 2, 3)), arg = "beta1"),
    list(args = list(gate = "sigmoid", regime = 2, beta1 = c(1, NA)), arg = "beta1"),
    list(args = list(gate = "sigmoid", regime = 2, beta1 = matrix(1, 1, 2)), arg = "beta1"),
    list(args = list(gate = "sigmoid", beta0 = c(1, 2, 3)), arg = "beta0"),
    list(args = list(gate = "sigmoid", beta0 = NA), arg = "beta0"),
    list(args = list(gate = "sigmoid", beta0 = "1"), arg = "beta0"),
    list(args = list(gate = "sigmoid", beta0 = 1e6), arg = "beta0"),
    list(args = list(gate = "sigmoid", regime = 2, beta1 = c(1, 1), beta0 = c(0, 0), eta = rbind(c(1, 1), c(1, 1))),
         arg = "eta"))
  for (b in bad) {
    args <- c(list(expert_gelu()), if (is.null(b$args$eta)) list(eta = eta), b$args)
    err <- tryCatch(do.call(check_identifiability, args), error = identity)
    expect_s3_class(err, "lsmoe_error_input")
    expect_identical(err$arg, b$arg, label = paste(names(b$args), collapse = ", "))
  }
  # without eta: beta0 / beta1 are drawn, not given
  err <- tryCatch(check_identifiability(expert_gelu(), d = 1, gate = "sigmoid", beta0 = 1), error = identity)
  expect_s3_class(err, "lsmoe_error_input")
  expect_identical(err$arg, "beta0")
  # regime 2 atoms may share eta when their gates differ
  expect_identical(check_identifiability(expert_gelu(), rbind(c(1, 0.2), c(1, 0.2)), gate = "sigmoid", regime = 2,
                                         beta1 = c(1, -1), beta0 = c(0.1, 0.2))$verdict, "identifiable")
})
