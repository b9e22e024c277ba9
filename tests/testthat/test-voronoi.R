# voronoi.R: Voronoi cells, Voronoi losses and the regression error. Expected values are worked out by hand
# from the formulas of paper-notes section 4, with the arithmetic written out.

loss <- function(G, G0, ...) as.numeric(voronoi_loss(G, G0, ...))

# A true measure with two atoms (d = 1, sigmoid experts, q = 2): atoms (beta1, a, b).
#   true 1: weight 1, (1, 1, 0);  true 2: weight 2, (-1, -1, 1)
G0_two <- function() mixing_measure(c(0, log(2)), c(1, -1), rbind(c(1, 0), c(-1, 1)), expert_sigmoid())

test_that("hand-computed losses: exact-specified", {
  G0 <- G0_two()
  # fitted 1: weight 1.5, (1.2, 1.3, 0.4): dbeta1 = 0.2, deta = (0.3, 0.4), ||deta|| = 0.5
  # fitted 2: weight 2.5, (-1, -1, 1): exactly true 2
  G <- mixing_measure(log(c(1.5, 2.5)), c(1.2, -1), rbind(c(1.3, 0.4), c(-1, 1)), expert_sigmoid())
  # weight terms: |1.5 - 1| + |2.5 - 2| = 1
  # D1 (singleton cells): 1.5 * (0.2 + 0.5) + 2.5 * 0 + 1 = 2.05
  expect_equal(loss(G, G0, "D1", align = FALSE), 1.5 * (0.2 + 0.5) + 1, tolerance = 1e-10)
  # D2, r = 1: 1.5 * (0.2 + 0.3 + 0.4) + 1 = 2.35
  expect_equal(loss(G, G0, "D2", r = 1, align = FALSE), 1.5 * (0.2 + 0.3 + 0.4) + 1, tolerance = 1e-10)
  # D2, r = 2: 1.5 * (0.04 + 0.09 + 0.16) + 1 = 1.435
  expect_equal(loss(G, G0, "D2", r = 2, align = FALSE), 1.5 * (0.04 + 0.09 + 0.16) + 1, tolerance = 1e-10)
  L <- voronoi_loss(G, G0, "D1", align = FALSE)
  expect_equal(L$breakdown$weight_term, c(0.5, 0.5), tolerance = 1e-12)
  expect_equal(L$breakdown$parameter_term, c(1.05, 0), tolerance = 1e-12)
  expect_identical(L$breakdown$cell_size, c(1L, 1L))
  expect_equal(L$value, sum(L$breakdown$weight_term) + sum(L$breakdown$parameter_term))
  # D1 ignores r
  expect_identical(loss(G, G0, "D1", r = 7, align = FALSE), loss(G, G0, "D1", align = FALSE))
})

test_that("hand-computed losses: over-specified", {
  G0 <- G0_two()
  # as above, plus fitted 3: weight 0.5, (0.9, 1, -0.2): dbeta1 = -0.1, deta = (0, -0.2)
  # cells: A_1 = {1, 3}, A_2 = {2}; weight terms |1.5 + 0.5 - 1| + |2.5 - 2| = 1.5
  G <- mixing_measure(log(c(1.5, 2.5, 0.5)), c(1.2, -1, 0.9), rbind(c(1.3, 0.4), c(-1, 1), c(1, -0.2)), expert_sigmoid())
  cells <- voronoi_cells(G, G0, align = FALSE)
  expect_identical(cells$assignment, c(1L, 2L, 1L))
  expect_identical(cells$size, c(2L, 1L))
  expect_identical(cells$cells, list(c(1L, 3L), 2L))
  # D1: A_1 has two atoms (squared terms): 1.5 * (0.04 + 0.25) + 0.5 * (0.01 + 0.04) = 0.46
  expect_equal(loss(G, G0, "D1", align = FALSE), 1.5 * (0.04 + 0.25) + 0.5 * (0.01 + 0.04) + 1.5, tolerance = 1e-10)
  # D2, r = 1: 1.5 * (0.2 + 0.3 + 0.4) + 0.5 * (0.1 + 0 + 0.2) + 1.5 = 3
  expect_equal(loss(G, G0, "D2", r = 1, align = FALSE), 1.5 * 0.9 + 0.5 * 0.3 + 1.5, tolerance = 1e-10)
  # D2, r = 2: 1.5 * 0.29 + 0.5 * (0.01 + 0 + 0.04) + 1.5 = 1.96
  expect_equal(loss(G, G0, "D2", r = 2, align = FALSE), 1.5 * 0.29 + 0.5 * 0.05 + 1.5, tolerance = 1e-10)
})

test_that("hand-computed losses: an empty cell contributes its weight", {
  # add true 3: weight 0.25, atom (5, 0, 5), far from every fitted atom
  G0 <- mixing_measure(c(0, log(2), log(0.25)), c(1, -1, 5), rbind(c(1, 0), c(-1, 1), c(0, 5)), expert_sigmoid())
  G <- mixing_measure(log(c(1.5, 2.5)), c(1.2, -1), rbind(c(1.3, 0.4), c(-1, 1)), expert_sigmoid())
  L <- voronoi_loss(G, G0, "D1", align = FALSE)
  expect_identical(L$cells$size, c(1L, 1L, 0L))
  expect_identical(L$cells$cells[[3]], integer(0))
  expect_equal(L$breakdown$weight_term[3], 0.25)
  expect_equal(L$breakdown$parameter_term[3], 0)
  # exact-specified values plus |0 - 0.25|
  expect_equal(L$value, 1.5 * (0.2 + 0.5) + 1 + 0.25, tolerance = 1e-10)
  expect_equal(loss(G, G0, "D2", r = 1, align = FALSE), 1.5 * 0.9 + 1 + 0.25, tolerance = 1e-10)
  expect_equal(loss(G, G0, "D2", r = 2, align = FALSE), 1.5 * 0.29 + 1 + 0.25, tolerance = 1e-10)
})

test_that("hand-computed losses: d = 2 with an output weight, and constant experts", {
  # tanh with output weight, d = 2, q = 4: eta = (a1, a2, b, c)
  G0 <- mixing_measure(0, c(0, 0), c(1, 2, 0, 1), expert_tanh(output_weight = TRUE))
  # weight 2; dbeta1 = (3, 4), norm 5; deta = (0.6, 0.8, -0.5, 2): ||da|| = 1, |db| = 0.5, |dc| = 2
  G <- mixing_measure(log(2), c(3, 4), c(1.6, 2.8, -0.5, 3), expert_tanh(output_weight = TRUE))
  expect_equal(loss(G, G0, "D1", align = FALSE), 2 * (5 + sqrt(0.36 + 0.64 + 0.25 + 4)) + 1, tolerance = 1e-10)
  expect_equal(loss(G, G0, "D2", r = 1, align = FALSE), 2 * (5 + 1 + 0.5 + 2) + 1, tolerance = 1e-10)
  expect_equal(loss(G, G0, "D2", r = 2, align = FALSE), 2 * (25 + 1 + 0.25 + 4) + 1, tolerance = 1e-10)
  expect_equal(loss(G, G0, "D2", r = 3, align = FALSE), 2 * (125 + 1 + 0.125 + 8) + 1, tolerance = 1e-10)

  # (a, b, c) and (-a, -b, -c) are the same tanh expert: the atoms are compared with c >= 0, so
  # a fitted atom written with the other sign has the same loss
  Gm <- mixing_measure(log(2), c(3, 4), -c(1.6, 2.8, -0.5, 3), expert_tanh(output_weight = TRUE))
  G0m <- mixing_measure(0, c(0, 0), -c(1, 2, 0, 1), expert_tanh(output_weight = TRUE))
  for (pair in list(list(Gm, G0), list(G, G0m), list(Gm, G0m))) {
    expect_equal(loss(pair[[1]], pair[[2]], "D1", align = FALSE), loss(G, G0, "D1", align = FALSE), tolerance = 1e-14)
    expect_equal(loss(pair[[1]], pair[[2]], "D2", r = 2, align = FALSE), loss(G, G0, "D2", r = 2, align = FALSE),
                 tolerance = 1e-14)
  }
  expect_equal(as.numeric(voronoi_loss(G0m, G0, align = "none")), 0)
  # the same function: predictions agree, so the identification loses nothing
  xx <- matrix(rnorm(20), 10, 2)
  expect_equal(predict(Gm, xx), predict(G, xx), tolerance = 1e-14)
  # a tanh expert without output weight is compared as given: (a, b) and (-a, -b) differ
  Gt <- mixing_measure(0, c(0, 0), c(1, 2, 0.5), expert_tanh())
  Gt2 <- mixing_measure(0, c(0, 0), -c(1, 2, 0.5), expert_tanh())
  expect_gt(as.numeric(voronoi_loss(Gt2, Gt, align = "none")), 0)
  # sigmoid gates too
  Gs0 <- mixing_measure(0, c(1, 0), c(1, 2, 0, 1), expert_tanh(output_weight = TRUE), gate_sigmoid())
  Gs <- mixing_measure(0, c(1, 0), -c(1, 2, 0, 1), expert_tanh(output_weight = TRUE), gate_sigmoid())
  expect_equal(as.numeric(voronoi_loss(Gs, Gs0)), 0)
  expect_identical(voronoi_cells(Gm, G0m)$size, 1L)

  # constant experts (eta = b), d = 1: true atoms (0, 1) and (0, 3), weights 1 and 1
  G0c <- mixing_measure(c(0, 0), c(0, 0), c(1, 3), expert_constant())
  # fitted (0.5, 1.5) weight 0.5 -> cell 1; fitted (-0.2, 3) weight 2 -> cell 2
  Gc <- mixing_measure(log(c(0.5, 2)), c(0.5, -0.2), c(1.5, 3), expert_constant())
  # weight terms |0.5 - 1| + |2 - 1| = 1.5
  expect_equal(loss(Gc, G0c, "D1", align = FALSE), 0.5 * (0.5 + 0.5) + 2 * (0.2 + 0) + 1.5, tolerance = 1e-10)
  expect_equal(loss(Gc, G0c, "D2", r = 1, align = FALSE), 0.5 * (0.5 + 0.5) + 2 * 0.2 + 1.5, tolerance = 1e-10)
  expect_equal(loss(Gc, G0c, "D2", r = 2, align = FALSE), 0.5 * (0.25 + 0.25) + 2 * 0.04 + 1.5, tolerance = 1e-10)
})

test_that("hand-computed aligned loss and shift", {
  # truth: weights (1, 1), slopes (1, -1), eta (1, 0) and (-1, 0)
  G0 <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(-1, 0)), expert_sigmoid())
  # fitted: weights (3, 1) * exp(0.7), slopes (2, -2) + 0.3, same eta.
  # t0: 3 e^0.7 + e^0.7 -> 2, t0 = log(2) - log(4) - 0.7 = -log(2) - 0.7; weights become (1.5, 0.5).
  # normalised weights (0.75, 0.25): mean slope 0.75 * 2.3 + 0.25 * (-1.7) = 1.3 vs 0: t1 = -1.3;
  # slopes become (1, -3). Atom 1 equals true 1; atom 2 has dbeta1 = -2.
  G <- mixing_measure(log(c(3, 1)) + 0.7, c(2.3, -1.7), rbind(c(1, 0), c(-1, 0)), expert_sigmoid())
  L <- voronoi_loss(G, G0, "D1")
  expect_true(L$aligned)
  expect_equal(L$shift$t0, -log(2) - 0.7, tolerance = 1e-12)
  expect_equal(L$shift$t1, -1.3, tolerance = 1e-12)
  # D1: 1.5 * 0 + 0.5 * (2 + 0) + |1.5 - 1| + |0.5 - 1| = 2
  expect_equal(L$value, 0.5 * 2 + 0.5 + 0.5, tolerance = 1e-10)
  # D2: r = 1: 0.5 * 2 + 1 = 2; r = 2: 0.5 * 4 + 1 = 3
  expect_equal(loss(G, G0, "D2", r = 1), 0.5 * 2 + 1, tolerance = 1e-10)
  expect_equal(loss(G, G0, "D2", r = 2), 0.5 * 4 + 1, tolerance = 1e-10)
  # without alignment the shift is zero and the loss differs
  L0 <- voronoi_loss(G, G0, "D1", align = FALSE)
  expect_false(L0$aligned)
  expect_identical(L0$shift$t0, 0)
  expect_false(isTRUE(all.equal(L0$value, L$value)))
})

test_that("Voronoi cells: known assignments, alignment and the tie rule", {
  e <- expert_sigmoid()
  # true atoms (beta1, a, b): (-1, 0, 0), (1, 0, 0), (0, 5, 5)
  G0 <- mixing_measure(c(0, 0, 0), c(-1, 1, 0), rbind(c(0, 0), c(0, 0), c(5, 5)), e)
  G <- mixing_measure(rep(0, 5), c(-0.9, 1.1, 0.2, -1.3, 0.1), rbind(c(0, 0.1), c(0, 0), c(4.5, 5), c(0.2, 0), c(5, 4.9)), e)
  cl <- voronoi_cells(G, G0, align = FALSE)
  expect_s3_class(cl, "voronoi_cells")
  expect_identical(cl$assignment, c(1L, 2L, 3L, 1L, 3L))
  expect_identical(cl$cells, list(c(1L, 4L), 2L, c(3L, 5L)))
  expect_identical(cl$size, c(2L, 1L, 2L))
  expect_equal(unname(cl$distance[1, 1]), sqrt(0.01 + 0.01))

  # tie: fitted atom (0, 0, 0) is at distance 1 from true (-1, 0, 0) and (1, 0, 0): lowest j wins
  Gt <- mixing_measure(0, 0, c(0, 0), e)
  G0t <- mixing_measure(c(0, 0), c(-1, 1), rbind(c(0, 0), c(0, 0)), e)
  expect_identical(voronoi_cells(Gt, G0t, align = FALSE)$assignment, 1L)
  G0t_swapped <- mixing_measure(c(0, 0), c(1, -1), rbind(c(0, 0), c(0, 0)), e)
  expect_identical(voronoi_cells(Gt, G0t_swapped, align = FALSE)$assignment, 1L)
  # just off the tie the nearer atom wins
  expect_identical(voronoi_cells(mixing_measure(0, 0.001, c(0, 0), e), G0t, align = FALSE)$assignment, 2L)
  # the tie rule in the loss: the tied atom counts in cell 1, cell 2 is empty
  # D1 = 1 * (1 + 0) + |1 - 1| + |0 - 1| = 2
  expect_equal(loss(Gt, G0t, "D1", align = FALSE), 1 + 0 + 1, tolerance = 1e-12)

  # alignment moves the slopes before the cells are formed: G = truth with slopes + 3
  G0a <- mixing_measure(c(0, 0), c(-1, 1), rbind(c(0, 0), c(0, 0)), e)
  Ga <- mixing_measure(c(0, 0), c(2, 4), rbind(c(0, 0), c(0, 0)), e)
  expect_identical(voronoi_cells(Ga, G0a, align = FALSE)$size, c(0L, 2L))
  ca <- voronoi_cells(Ga, G0a)
  expect_identical(ca$size, c(1L, 1L))
  expect_equal(ca$shift$t1, -3)
})

test_that("Voronoi cells agree with a brute-force R computation", {
  set.seed(41)
  for (rep in 1:20) {
    d <- sample(1:3, 1)
    k <- sample(1:5, 1)
    k0 <- sample(1:4, 1)
    G <- mixing_measure(rnorm(k), matrix(rnorm(k * d), k, d), matrix(rnorm(k * (d + 1)), k, d + 1))
    G0 <- mixing_measure(rnorm(k0), matrix(rnorm(k0 * d), k0, d), matrix(rnorm(k0 * (d + 1)), k0, d + 1))
    om <- cbind(G$beta1, G$eta)
    om0 <- cbind(G0$beta1, G0$eta)
    dist <- outer(seq_len(k), seq_len(k0), Vectorize(function(i, j) sqrt(sum((om[i, ] - om0[j, ])^2))))
    cl <- voronoi_cells(G, G0, align = FALSE)
    expect_identical(cl$assignment, apply(dist, 1, which.min))
    expect_equal(unname(cl$distance), dist, tolerance = 1e-12)
    expect_identical(cl$size, tabulate(cl$assignment, k0))
  }
})

# G with its beta0 shifted so that its total weight equals G0's (the first step of the infimum
# alignment: a common shift of a fit's beta0 leaves f_G unchanged).
on_total_weight <- function(G, G0) {
  mixing_measure(G$beta0 - log(sum(exp(G$beta0))) + log(sum(exp(G0$beta0))), G$beta1, G$eta, expert = G$expert)
}

random_measure <- function(k, d, e = expert_sigmoid()) {
  q <- lsmoe:::expert_q(e, d)
  mixing_measure(rnorm(k), matrix(rnorm(k * d, sd = 2), k, d), matrix(rnorm(k * q, sd = 2), k, q), e)
}

test_that("the loss is 0 at the truth, for translates and permutations of it, and positive otherwise", {
  set.seed(42)
  for (e in list(expert_sigmoid(), expert_linear(), expert_tanh(TRUE), expert_constant())) {
    G0 <- random_measure(3, 2, e)
    for (type in c("D1", "D2")) for (r in c(1, 2)) {
      expect_identical(loss(G0, G0, type, r = r, align = FALSE), 0)
      expect_lt(loss(G0, G0, type, r = r), 1e-10)
      for (rep in 1:3) {
        perm <- sample(3)
        t0 <- rnorm(1, sd = 2)
        t1 <- rnorm(2, sd = 2)
        Gt <- mixing_measure(G0$beta0[perm] + t0, sweep(G0$beta1[perm, , drop = FALSE], 2, t1, "+"),
                             G0$eta[perm, , drop = FALSE], e)
        L <- voronoi_loss(Gt, G0, type, r = r)
        expect_lt(L$value, 1e-10)
        expect_equal(L$shift$t0, -t0, tolerance = 1e-10)
        expect_equal(L$shift$t1, -t1, tolerance = 1e-10)
        expect_identical(L$cells$assignment, perm)
        # a perturbed measure has a positive loss
        Gp <- Gt
        Gp$eta[1, 1] <- Gp$eta[1, 1] + 0.1
        expect_gt(loss(Gp, G0, type, r = r), 1e-3)
      }
    }
  }
})

test_that("the loss does not depend on the order of the atoms", {
  set.seed(43)
  G0 <- random_measure(3, 2)
  G <- random_measure(5, 2)
  for (type in c("D1", "D2")) for (align in c(TRUE, FALSE)) {
    ref <- loss(G, G0, type, r = 1.5, align = align)
    for (rep in 1:4) {
      p <- sample(5)
      p0 <- sample(3)
      Gp <- mixing_measure(G$beta0[p], G$beta1[p, ], G$eta[p, ])
      G0p <- mixing_measure(G0$beta0[p0], G0$beta1[p0, ], G0$eta[p0, ])
      expect_equal(loss(Gp, G0p, type, r = 1.5, align = align), ref, tolerance = 1e-12)
    }
  }
})

test_that("voronoi_loss() returns its documented object and accepts fits", {
  G0 <- G0_two()
  G <- mixing_measure(log(c(1.5, 2.5, 0.5)), c(1.2, -1, 0.9), rbind(c(1.3, 0.4), c(-1, 1), c(1, -0.2)))
  L <- voronoi_loss(G, G0, type = "D2", r = 1)
  expect_s3_class(L, "voronoi_loss")
  expect_identical(L$type, "D2")
  expect_identical(L$r, 1)
  expect_s3_class(L$cells, "voronoi_cells")
  expect_identical(names(L$breakdown), c("atom", "cell_size", "weight_term", "split_term", "single_term", "parameter_term"))
  expect_identical(L$align, "moment")
  expect_identical(nrow(L$breakdown), 2L)
  expect_identical(as.numeric(L), L$value)
  expect_identical(as.double(L), L$value)
  expect_true(is.na(voronoi_loss(G, G0)$r))
  expect_identical(voronoi_cells(G, G0)$assignment, voronoi_loss(G, G0)$cells$assignment)
  expect_output(print(L), "D2 \\(r = 1\\)")
  expect_output(print(voronoi_cells(G, G0)), "A_1 \\(size 2\\)")

  set.seed(44)
  sim <- simulate_moe(G0, n = 200, noise_sd = 0.05)
  fit <- moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", start = list(beta0 = G0$beta0, beta1 = G0$beta1, eta = G0$eta),
                 control = lse_control(n_starts = 1, warn = FALSE))
  expect_identical(voronoi_loss(fit, G0), voronoi_loss(as_mixing_measure(fit), G0))
  expect_identical(voronoi_cells(fit, G0), voronoi_cells(as_mixing_measure(fit), G0))
})

test_that("losses reject bad input with classed errors", {
  G0 <- G0_two()
  G_d2 <- mixing_measure(c(0, 0), matrix(1, 2, 2), matrix(0, 2, 3))
  G_lin <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0), c(-1, 1)), expert_linear())
  G_ow <- mixing_measure(c(0, 0), c(1, -1), rbind(c(1, 0, 1), c(-1, 1, 1)), expert_sigmoid(TRUE))
  for (f in list(voronoi_loss, voronoi_cells)) {
    expect_error(f(G_d2, G0), class = "lsmoe_error_input")
    expect_error(f(G_lin, G0), class = "lsmoe_error_input")
    expect_error(f(G_ow, G0), class = "lsmoe_error_input")
    expect_error(f(list(beta0 = 0), G0), class = "lsmoe_error_input")
    expect_error(f(G0, "G0"), class = "lsmoe_error_input")
    expect_error(f(G0, G0, align = NA), class = "lsmoe_error_input")
    expect_error(f(G0, G0, align = "mean"), class = "lsmoe_error_input")
  }
  expect_error(voronoi_cells(G0, G0, align = "infimum"), "voronoi_loss", class = "lsmoe_error_input")
  expect_error(voronoi_loss(G0, G0, terms = NA), class = "lsmoe_error_input")
  expect_error(voronoi_loss(G0, G0, align = "infimum", bound_gate = Inf), class = "lsmoe_error_input")
  expect_error(voronoi_loss(G0, G0, align = "infimum", bound_gate = -1), class = "lsmoe_error_input")
  # the truth's slopes span 2: no translation fits them in [-0.5, 0.5]
  e <- expect_error(voronoi_loss(G0, G0, align = "infimum", bound_gate = 0.5), class = "lsmoe_error_input")
  expect_identical(e$arg, "bound_gate")
  G0_d2 <- mixing_measure(c(0, 0), matrix(1, 2, 2), matrix(0, 2, 3))
  expect_error(voronoi_loss(G0_d2, G0_d2, align = "infimum"), "d = 1", class = "lsmoe_error_input")
  expect_error(voronoi_loss(G0, G0, type = "D3"), class = "lsmoe_error_input")
  expect_error(voronoi_loss(G0, G0, type = "D2", r = 0.5), class = "lsmoe_error_input")
  expect_error(voronoi_loss(G0, G0, type = "D2", r = NA), class = "lsmoe_error_input")
  expect_error(regression_error(G_d2, G0), class = "lsmoe_error_input")
  expect_error(regression_error(G0, G0, n_mc = 0), class = "lsmoe_error_input")
  expect_error(regression_error(G0, G0, x = matrix(0, 3, 2)), class = "lsmoe_error_input")
  expect_error(regression_error(G0, 3), class = "lsmoe_error_input")
  # a measure modified by hand into an invalid state is caught
  Gbad <- G0
  Gbad$beta0[1] <- NaN
  e <- expect_error(voronoi_loss(Gbad, G0), class = "lsmoe_error_input")
  expect_identical(e$arg, "G")
  Gbad <- G0
  Gbad$eta <- Gbad$eta[, 1, drop = FALSE]
  expect_error(regression_error(G0, Gbad), class = "lsmoe_error_input")
})

test_that("regression_error() matches closed forms and a direct computation", {
  # constant experts, constant gates: f_G = sum_i w_i b_i, a constant
  G <- mixing_measure(log(c(1, 3)), c(0, 0), c(2, -1), expert_constant())   # f = (2 - 3) / 4 = -0.25
  G0 <- mixing_measure(c(0, 0), c(0, 0), c(1, 0.5), expert_constant())     # f = 1.5 / 2 = 0.75
  set.seed(51)
  re <- regression_error(G, G0, n_mc = 1000)
  expect_equal(as.numeric(re), abs(-0.25 - 0.75), tolerance = 1e-12)
  expect_lt(attr(re, "se"), 1e-12)
  expect_identical(as.numeric(regression_error(G0, G0, n_mc = 10)), 0)

  # linear experts, constant gates: f_G(x) = A x + B with A = sum w a, B = sum w b;
  # ||D||^2 over U[0,1] = dA^2 / 3 + dA dB + dB^2
  Gl <- mixing_measure(log(c(1, 1)), c(0, 0), rbind(c(2, 0), c(0, 1)), expert_linear())   # A = 1, B = 0.5
  G0l <- mixing_measure(0, 0, c(0.5, 0), expert_linear())                                # A = 0.5, B = 0
  exact <- sqrt(0.5^2 / 3 + 0.5 * 0.5 + 0.5^2)
  set.seed(52)
  rel <- regression_error(Gl, G0l)
  expect_lt(abs(as.numeric(rel) - exact), 4 * attr(rel, "se"))
  expect_lt(attr(rel, "se"), 0.01 * exact)

  # direct computation on user inputs, with the delta-method standard error
  Gs <- mixing_measure(c(0.3, 0), c(3, 0), rbind(c(2.5, -4), c(2.5, 3)))
  G0s <- mixing_measure(c(0, 0), c(2, 0), rbind(c(2, -4), c(3, 3)))
  x <- matrix(seq(-1, 1, length.out = 101), ncol = 1)
  D2 <- (ref_fG(x, Gs$beta0, Gs$beta1, Gs$eta, expert_sigmoid()) - ref_fG(x, G0s$beta0, G0s$beta1, G0s$eta, expert_sigmoid()))^2
  re <- regression_error(Gs, G0s, x = x)
  expect_equal(as.numeric(re), sqrt(mean(D2)), tolerance = 1e-12)
  expect_equal(attr(re, "se"), sd(D2) / sqrt(101) / (2 * sqrt(mean(D2))), tolerance = 1e-10)
  expect_equal(as.numeric(regression_error(Gs, G0s, x = drop(x))), as.numeric(re))

  # sampling function and seeds: the default sampler is U[0,1] through runif
  set.seed(53)
  a <- regression_error(Gs, G0s, n_mc = 500)
  set.seed(53)
  b <- regression_error(Gs, G0s, x = matrix(runif(500), ncol = 1))
  set.seed(53)
  cc <- regression_error(Gs, G0s, n_mc = 500, x = function(n) matrix(runif(n), n, 1))
  expect_identical(a, b)
  expect_identical(a, cc)

  # measures of different expert families are allowed (f_G is defined for any family)
  expect_true(is.finite(regression_error(Gs, G0l, n_mc = 100)))
})

test_that("D1 of the least squares estimator decreases from n = 1e3 to n = 1e5", {
  # exact-specified k* = 2 sigmoid truth, d = 1, X ~ U[0, 1]: the gate switches at x = 0.5,
  # expert 1 (active for x > 0.5) is sigmoid(12 x - 9), expert 2 (x < 0.5) sigmoid(3 - 12 x), so
  # each expert bends inside the region where it is active (well-conditioned parameters).
  G0 <- mixing_measure(c(-5, 0), c(10, 0), rbind(c(12, -9), c(-12, 3)), expert_sigmoid())
  mean_d1 <- function(n) {
    mean(vapply(1:5, function(seed) {
      set.seed(1000 + seed)
      sim <- simulate_moe(G0, n = n, noise_sd = 0.1)
      start <- list(beta0 = G0$beta0 + rnorm(2, sd = 0.1), beta1 = G0$beta1 + rnorm(2, sd = 0.1),
                    eta = G0$eta + rnorm(4, sd = 0.1))
      fit <- moe_lse(sim$x, sim$y, k = 2, expert = expert_sigmoid(), start = start,
                     control = lse_control(n_starts = 1, max_iter = 200, warn = FALSE))
      as.numeric(voronoi_loss(fit, G0, type = "D1"))
    }, numeric(1)))
  }
  small <- mean_d1(1e3)
  large <- mean_d1(1e5)
  expect_lt(large, small)
  # the theory predicts a factor of about sqrt(100) = 10 (up to log terms); ask for 3
  expect_lt(large, small / 3)
})

# --- the decomposition ------------------------------------------------------------------------

# An independent R implementation of the per-cell terms (paper-notes section 4), for given cells.
terms_by_hand <- function(G, G0, assignment, type, r, blocks) {
  k0 <- G0$k
  size <- tabulate(assignment, k0)
  out <- data.frame(weight = numeric(k0), split = 0, single = 0)
  for (j in seq_len(k0)) {
    A <- which(assignment == j)
    out$weight[j] <- abs(sum(exp(G$beta0[A])) - exp(G0$beta0[j]))
    par <- 0
    for (i in A) {
      db <- sqrt(sum((G$beta1[i, ] - G0$beta1[j, ])^2))
      de <- G$eta[i, ] - G0$eta[j, ]
      par <- par + exp(G$beta0[i]) * if (type == "D1") {
        if (size[j] > 1) db^2 + sum(de^2) else db + sqrt(sum(de^2))
      } else {
        db^r + sum(vapply(split(de, rep(seq_along(blocks), blocks)), function(v) sqrt(sum(v^2))^r, numeric(1)))
      }
    }
    if (size[j] > 1) out$split[j] <- par else out$single[j] <- par
  }
  out
}

test_that("the terms add up to the loss and match an independent computation (exact and over-specified)", {
  set.seed(51)
  for (rep in 1:30) {
    d <- sample(1:2, 1)
    k0 <- sample(1:3, 1)
    k <- k0 + sample(0:2, 1)  # exact- and over-specified
    G0 <- random_measure(k0, d)
    G <- random_measure(k, d)
    for (type in c("D1", "D2")) for (align in c("none", "moment", if (d == 1) "infimum")) {
      r <- if (type == "D2") sample(c(1, 1.5, 2, 3), 1) else 2
      L <- voronoi_loss(G, G0, type, r = r, align = align, bound_gate = 10)
      tm <- voronoi_loss(G, G0, type, r = r, align = align, bound_gate = 10, terms = TRUE)
      expect_s3_class(tm, "voronoi_terms")
      expect_equal(sum(tm$weight) + sum(tm$split) + sum(tm$single), L$value, tolerance = 1e-12)
      expect_equal(attr(tm, "value"), L$value)
      b <- L$breakdown
      expect_equal(b$weight_term + b$split_term + b$single_term, b$weight_term + b$parameter_term, tolerance = 1e-15)
      # split terms only in cells with several atoms, single terms only in cells with one
      expect_true(all(b$split_term[b$cell_size <= 1] == 0))
      expect_true(all(b$single_term[b$cell_size != 1] == 0))
      # the same terms from an R implementation, at the aligned measures
      Ga <- G; G0a <- G0
      if (align == "moment") {
        Ga <- mixing_measure(G$beta0 + L$shift$t0, sweep(G$beta1, 2, L$shift$t1, "+"), G$eta)
      } else if (align == "infimum") {
        # the fit's weights are first put on the truth's total, then the truth is translated
        Ga <- on_total_weight(G, G0)
        G0a <- mixing_measure(G0$beta0 + L$shift$t0, G0$beta1 + L$shift$t1, G0$eta)
      }
      hand <- terms_by_hand(Ga, G0a, L$cells$assignment, type, r, c(d, 1))
      expect_equal(tm$weight, hand$weight, tolerance = 1e-10)
      expect_equal(tm$split, hand$split, tolerance = 1e-10)
      expect_equal(tm$single, hand$single, tolerance = 1e-10)
    }
  }
})

# --- the infimum alignment --------------------------------------------------------------------

# Brute force: the loss of G against every translate of G0 on a grid covering the box, cells by
# the tie rule (align = "none" at the translated truth), then Nelder-Mead from the best grid points.
brute_infimum <- function(G, G0, type, r, B, m = 41) {
  G <- on_total_weight(G, G0)
  t0r <- c(-B - min(G0$beta0), B - max(G0$beta0))
  t1r <- c(-B - min(G0$beta1), B - max(G0$beta1))
  f <- function(t) {
    if (t[1] < t0r[1] || t[1] > t0r[2] || t[2] < t1r[1] || t[2] > t1r[2]) return(Inf)
    # the unaligned loss at the translated truth (the internal entry of voronoi_loss(align = "none"),
    # without the R-side validation, for speed)
    lsmoe:::cpp_voronoi_loss(G$beta0, G$beta1, G$eta, G0$beta0 + t[1], G0$beta1 + t[2], G0$eta, G0$expert,
                             type, r, "none", Inf)$value
  }
  grid <- expand.grid(t0 = seq(t0r[1], t0r[2], length.out = m), t1 = seq(t1r[1], t1r[2], length.out = m))
  v <- apply(grid, 1, f)
  best <- order(v)[1:3]
  refined <- vapply(best, function(b) stats::optim(unlist(grid[b, ]), f, control = list(reltol = 1e-12, maxit = 2000))$value,
                    numeric(1))
  list(grid = min(v), refined = min(refined, v))
}

test_that("the infimum alignment agrees with a brute-force grid search on random measures", {
  skip_on_cran()
  set.seed(52)
  B <- 3
  for (rep in 1:6) {
    k0 <- 2
    k <- sample(2:3, 1)
    G0 <- mixing_measure(runif(k0, -1, 1), runif(k0, -1.5, 1.5), matrix(rnorm(2 * k0), k0, 2))
    G <- mixing_measure(rnorm(k, sd = 0.7), rnorm(k, sd = 2), matrix(rnorm(2 * k), k, 2))
    for (type in c("D1", "D2")) {
      r <- if (type == "D2") c(1, 2)[rep %% 2 + 1] else 2
      L <- voronoi_loss(G, G0, type, r = r, align = "infimum", bound_gate = B)
      bf <- brute_infimum(G, G0, type, r, B)
      # the infimum is below every attained value, and the search gets down to it
      expect_lte(L$value, bf$refined + 1e-9)
      expect_lt(bf$refined - L$value, 1e-4 * (1 + L$value))
      # the translated truth stays in the box
      expect_true(all(abs(G0$beta0 + L$shift$t0) <= B + 1e-12))
      expect_true(all(abs(G0$beta1 + L$shift$t1) <= B + 1e-12))
      expect_identical(L$shift$measure, "G0")
      # it never exceeds the unaligned loss (t = 0 is feasible here)
      expect_lte(L$value, voronoi_loss(G, G0, type, r = r, align = "none")$value + 1e-12)
    }
  }
})

test_that("the infimum alignment: translates of the truth, a binding box, and the paper-notes degeneration", {
  G0 <- G0_two()
  # a translate of the truth inside the box has infimum loss 0 ...
  Gt <- mixing_measure(G0$beta0 + 0.5, G0$beta1 - 1, G0$eta)
  L <- voronoi_loss(Gt, G0, align = "infimum", bound_gate = 5)
  expect_lt(L$value, 1e-12)
  expect_equal(L$shift$t0, 0, tolerance = 1e-12)  # the common shift of beta0 is taken out first
  expect_equal(L$shift$t1, -1, tolerance = 1e-12)
  # ... but not when the box forbids the translation: slopes 1 and -1 moved by -3 leave [-2.5, 2.5]
  Gf <- mixing_measure(G0$beta0, G0$beta1 - 3, G0$eta)
  Lf <- voronoi_loss(Gf, G0, align = "infimum", bound_gate = 2.5)
  expect_equal(Lf$shift$t1, -1.5, tolerance = 1e-12)  # the translation stops at the box
  # both atoms are 1.5 away in beta1 (singleton cells): D1 = 1 * 1.5 + 2 * 1.5
  expect_equal(Lf$value, 1.5 + 2 * 1.5, tolerance = 1e-10)
  expect_lt(voronoi_loss(Gf, G0, align = "infimum", bound_gate = 10)$value, 1e-12)
  # shrinking the fitted weights by a common factor (another anchoring of the same fit) does not
  # change the loss, and the loss does not degenerate
  Gp <- mixing_measure(G0$beta0, G0$beta1 + c(0.3, -0.2), G0$eta)
  Gs <- mixing_measure(G0$beta0 - 20, G0$beta1 + c(0.3, -0.2), G0$eta)
  Lp <- voronoi_loss(Gp, G0, align = "infimum", bound_gate = 30)
  Ls <- voronoi_loss(Gs, G0, align = "infimum", bound_gate = 30)
  expect_equal(Ls$value, Lp$value, tolerance = 1e-10)
  expect_gt(Ls$value, 0.05)
})

# --- numerical limits (issue 12) --------------------------------------------------------------

test_that("overflowing and underflowing losses are a classed error and a classed warning", {
  G0 <- G0_two()
  # weights near the largest double times deviations of 1e10 overflow
  Gb <- mixing_measure(c(700, 0), c(1e10, 0), rbind(c(1, 0), c(-1, 1)))
  e <- expect_error(voronoi_loss(Gb, G0, align = "none"), "overflow", class = "lsmoe_error_input")
  expect_identical(e$arg, "G")
  expect_error(voronoi_loss(Gb, G0, "D2", r = 3, align = "none"), "overflow", class = "lsmoe_error_input")
  # r is limited to [1, 100]
  expect_error(voronoi_loss(G0, G0, "D2", r = 1e10), "`r`", class = "lsmoe_error_input")
  expect_error(voronoi_loss(G0, G0, "D2", r = 101), "`r`", class = "lsmoe_error_input")
  # distinct measures whose deviations' 100th powers underflow: a warning, never a silent 0
  Gu <- mixing_measure(G0$beta0, G0$beta1 + c(1e-5, 0), G0$eta)
  expect_warning(v <- voronoi_loss(Gu, G0, "D2", r = 100, align = "none")$value, class = "lsmoe_warning_underflow")
  expect_identical(v, 0)
  # the same measures with r = 2 give the exact value, silently
  expect_silent(v2 <- voronoi_loss(Gu, G0, "D2", r = 2, align = "none")$value)
  expect_equal(v2, 1e-10, tolerance = 1e-6)
  # equal measures: 0 without a warning
  expect_silent(expect_identical(voronoi_loss(G0, G0, "D2", r = 100, align = "none")$value, 0))
})

test_that("regression_error() between measures whose difference overflows is a classed error", {
  G <- mixing_measure(c(0, 0), c(1, 0), rbind(c(1e300, 0), c(-1e300, 0)), expert = "linear")
  G0 <- mixing_measure(c(0, 0), c(1, 0), rbind(c(1, 0), c(2, 0)), expert = "linear")
  expect_error(regression_error(G, G0, n_mc = 100), class = "lsmoe_error_nonfinite")
  # an ordinary pair stays finite
  expect_true(is.finite(regression_error(G0, G0, n_mc = 100)))
})

test_that("regression_error() evaluates in chunks: the same value as in one pass", {
  G <- G_sig()
  G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(9, 0), eta = rbind(c(12, -9), c(-11, 3)), expert = expert_sigmoid())
  set.seed(9)
  X <- matrix(runif(2.5e6), ncol = 1)
  set.seed(9)
  v <- regression_error(G, G0, n_mc = 2.5e6)
  D2 <- (predict(G, X) - predict(G0, X))^2
  expect_equal(as.numeric(v), sqrt(mean(D2)))
  expect_equal(attr(v, "se"), sd(D2) / sqrt(length(D2)) / (2 * sqrt(mean(D2))))
})

test_that("print() of hand-edited Voronoi cells and losses is a classed error", {
  G <- G_sig()
  G3 <- mixing_measure(c(-5, 0, 0.1), c(10, 0, 0.2), rbind(c(12, -9), c(-12, 3), c(-11, 3.1)), expert = expert_sigmoid())
  vc <- voronoi_cells(G3, G)
  vl <- voronoi_loss(G3, G)
  expect_output(print(vc), "voronoi_cells")
  expect_output(print(vl), "voronoi_loss")
  vc$size <- NaN
  err_input(print(vc), "`size`")
  vc <- voronoi_cells(G3, G)
  vc$cells <- list()
  err_input(print(vc), "`size`")
  vl$type <- matrix(1:4, 2)
  err_input(print(vl), "`type`")
  vl <- voronoi_loss(G3, G)
  vl$shift <- 2
  err_input(print(vl), "`shift`")
  # an edited `align` (issue 29): not a string, or removed so that x$align would partially match
  # `aligned`
  vc <- voronoi_cells(G3, G)
  vc$align <- function(...) 1
  err_input(print(vc), "`align`")
  vc$align <- quote(x)
  err_input(print(vc), "`align`")
  vl <- voronoi_loss(G3, G)
  vl$align <- NULL
  vl$aligned <- c(TRUE, NA)
  expect_output(print(vl), "D1 = [0-9.e-]+\n")
  vl$aligned <- "yes"
  expect_output(print(vl), "D1 = [0-9.e-]+\n")
})
