# moe_dendrogram.R: the dendrogram of mixing measures (issue 27, item 4).

# Four sigmoid-expert atoms in two tight pairs, on inputs whose standardisation is the identity
# (mean 0, standard deviation 1), so that the heights can be computed by hand.
G4 <- function() {
  mixing_measure(beta0 = c(0, log(3), -1, -1), beta1 = c(1, 1.2, -2, -2.1),
                 eta = rbind(c(3, 0), c(3.1, 0.2), c(-4, 1), c(-4, 1.3)), expert = expert_sigmoid())
}
x_id <- function() rep(c(-1, 1), 50)

# k* = 3 sigmoid experts rising in the three thirds of [-1, 1] (data-raw/dendrogram-recovery.R).
saw <- function(gate) {
  if (gate == "softmax") {
    return(mixing_measure(beta0 = c(-5, 0, -5), beta1 = c(-15, 0, 15), eta = rbind(c(12, 8), c(12, 0), c(12, -8)),
                          expert = expert_sigmoid()))
  }
  mixing_measure(beta0 = c(-5, 1.5, -5), beta1 = c(-15, 0, 15), eta = rbind(c(12, 8), c(-12, 0), c(12, -8)),
                 expert = expert_sigmoid(), gate = gate_sigmoid())
}

test_that("heights and merged atoms follow the paper's rule (weights from beta0)", {
  G <- G4()
  d <- moe_dendrogram(G, x = x_id(), refit = FALSE, weight = "intercept")
  expect_s3_class(d, c("moe_dendrogram", "hclust"))
  w <- exp(G$beta0) / sum(exp(G$beta0))
  th <- cbind(G$beta1, G$eta)
  h <- function(i, j, w, th) w[i] * w[j] / (w[i] + w[j]) * sum((th[i, ] - th[j, ])^2)
  # first merge: the pair of smallest height among all six
  all_h <- combn(4, 2, function(p) h(p[1], p[2], w, th))
  expect_equal(d$dissimilarity[1], min(all_h))
  expect_identical(d$merge[1, ], c(-3L, -4L))  # atoms 3 and 4 (height 0.0039; atoms 1 and 2: 0.014)
  expect_equal(min(all_h), h(3, 4, w, th))
  # the merged atom: weights add (log-sum-exp of beta0), parameters are weighted averages
  L3 <- d$levels[[3]]
  expect_equal(L3$beta0[3], log(exp(G$beta0[3]) + exp(G$beta0[4])))
  expect_equal(L3$eta[3, ], (w[3] * G$eta[3, ] + w[4] * G$eta[4, ]) / (w[3] + w[4]))
  expect_equal(L3$beta1[3, 1], (w[3] * G$beta1[3] + w[4] * G$beta1[4]) / (w[3] + w[4]))
  # second merge: atoms 1 and 2 (against the merged atom), then everything
  w3 <- exp(L3$beta0) / sum(exp(L3$beta0))
  expect_equal(d$dissimilarity[2], h(1, 2, w3, cbind(L3$beta1, L3$eta)))
  expect_identical(d$merge[2, ], c(-1L, -2L))
  expect_identical(d$merge[3, ], c(1L, 2L))
  expect_identical(lengths(lapply(d$levels, `[[`, "beta0")), 1:4)
  expect_equal(d$height, cummax(d$dissimilarity))
  expect_true(setequal(d$order, 1:4))
  # without the response: the tree only
  expect_true(all(is.na(d$table$rss)))
  expect_true(all(is.na(d$selected[c("bic", "dic")])))
  expect_error(select_k(d), class = "lsmoe_error_input")
})

test_that("the gate masses are the mean gate values over the data", {
  G <- G4()
  x <- seq(-2, 2, length.out = 101)
  d <- moe_dendrogram(G, x = x, refit = FALSE)
  expect_identical(d$weight, "gate")
  sc <- lsmoe:::fit_scales(matrix(x), rep(0, 101), NULL, G$expert, TRUE, G$gate)
  at <- lsmoe:::measure_atoms(G, sc)
  m <- colMeans(predict(G, x, type = "gate"))
  hs <- combn(4, 2, function(p) m[p[1]] * m[p[2]] / sum(m[p]) * sum((at$theta[p[1], ] - at$theta[p[2], ])^2))
  expect_equal(d$dissimilarity[1], min(hs))
})

test_that("cutree() and the groups agree with the merges at every level", {
  G <- G4()
  d <- moe_dendrogram(G, x = x_id(), refit = FALSE)
  same_partition <- function(a, b) {
    all(vapply(seq_along(a), function(i) identical(a == a[i], b == b[i]), logical(1)))
  }
  for (k in 1:4) {
    ct <- stats::cutree(d, k = k)
    expect_length(unique(ct), k)
    expect_true(same_partition(unname(ct), d$groups[[k]]), label = sprintf("k = %d", k))
  }
  expect_named(stats::cutree(d, k = 2), d$labels)
  # cutting at a height works because `height` is non-decreasing
  expect_length(unique(stats::cutree(d, h = d$height[2] + 1e-12)), 2)
  # the merges replay the groups: merging the members of row s joins two groups of level K - s + 1
  members <- list()
  for (s in seq_len(nrow(d$merge))) {
    side <- lapply(d$merge[s, ], function(e) if (e < 0) -e else members[[e]])
    members[[s]] <- sort(unlist(side))
    g <- d$groups[[4 - s]]
    expect_length(unique(g[members[[s]]]), 1)
  }
})

test_that("a fit's dendrogram starts from the fit: RSS and BIC of level K are the fit's", {
  fit <- fit_small()
  d <- moe_dendrogram(fit)
  expect_identical(d$k, 2L)
  expect_identical(d$table$k, 2:1)
  expect_equal(d$table$rss[1], fit$rss, tolerance = 1e-10)
  expect_equal(d$table$bic[1], stats::BIC(fit), tolerance = 1e-10)
  expect_equal(d$table$df[1], length(fit$theta))
  # every level's RSS is that of its measure on the data
  for (k in 1:2) {
    expect_equal(d$table$rss[d$table$k == k], sum((fit$y - predict(d$levels[[k]], fit$x))^2), tolerance = 1e-8)
  }
  expect_true(d$table$refitted[2])
  # the refitted one-expert level is no worse than the merged one
  d0 <- moe_dendrogram(fit, refit = FALSE)
  expect_lte(d$table$rss[2], d0$table$rss[2] * (1 + 1e-8))
  expect_identical(as_mixing_measure(d, k = 2), as_mixing_measure(fit))
  expect_identical(d$selected[["jump"]], NA_integer_)
  expect_error(select_k(d, "jump"), class = "lsmoe_error_input")
  expect_output(print(d), "moe_dendrogram")
  td <- tidy(d)
  expect_identical(td$k, d$table$k)
  expect_identical(td$selected, d$table$k == select_k(d))
  pdf(NULL)
  on.exit(dev.off())
  expect_silent(plot(d))
  expect_silent(plot(d, which = 2))
})

test_that("zero weights leave rows out as in the fit", {
  set.seed(3)
  s <- simulate_moe(G_sig(), 150, noise_sd = 0.05)
  w <- rep(c(1, 2, 0), 50)
  fit <- moe_lse_fit(s$x, s$y, weights = w, k = 3, expert = "sigmoid", control = lse_control(n_starts = 3, warn = FALSE))
  d <- moe_dendrogram(fit)
  expect_identical(d$nobs, 100L)
  expect_equal(d$table$rss[1], fit$rss, tolerance = 1e-10)
  expect_equal(d$table$bic[1], stats::BIC(fit), tolerance = 1e-10)
})

test_that("the dendrogram recovers k* = 3 from over-specified fits (both gates, n = 1e4)", {
  # a small version of data-raw/dendrogram-recovery.R (20 of 20 fits per gate there)
  skip_on_cran()
  unif <- function(n) matrix(runif(n, -1, 1), ncol = 1)
  ctl <- lse_control(bound_gate = 25, bound_expert = 15, warn = FALSE)
  cases <- list(list("softmax", 2001, 4), list("sigmoid", 2002, 5))
  for (cs in cases) {
    G0 <- saw(cs[[1]])
    set.seed(cs[[2]])
    sim <- simulate_moe(G0, n = 1e4, noise_sd = 0.1, x = unif)
    fit <- moe_lse(sim$x, sim$y, k = cs[[3]], expert = "sigmoid", gate = G0$gate, control = ctl)
    d <- moe_dendrogram(fit)
    expect_identical(select_k(d), 3L, label = cs[[1]])
    # the chosen level explains the data as well as the over-specified fit, the level below it does not
    rss <- setNames(d$table$rss, d$table$k)
    expect_lt(rss[["3"]] / fit$rss, 1.01)
    expect_gt(rss[["2"]] / fit$rss, 2)
    # its experts are the true ones (same gate family; Voronoi cells one atom each)
    G3 <- as_mixing_measure(d)
    expect_identical(G3$k, 3L)
    cells <- voronoi_cells(G3, G0, align = if (cs[[1]] == "softmax") "moment" else "none")
    expect_identical(sort(cells$size), c(1L, 1L, 1L), label = cs[[1]])
  }
})

test_that("invalid arguments are classed errors naming the argument", {
  G <- G4()
  e <- expect_error(moe_dendrogram(list(1)), class = "lsmoe_error_input")
  expect_identical(e$arg, "object")
  e <- expect_error(moe_dendrogram(G), class = "lsmoe_error_input")
  expect_identical(e$arg, "x")
  e <- expect_error(moe_dendrogram(G, x = cbind(x_id(), x_id())), class = "lsmoe_error_input")
  expect_identical(e$arg, "x")
  e <- expect_error(moe_dendrogram(G, x = c(x_id(), NA)), class = "lsmoe_error_input")
  expect_identical(e$arg, "x")
  e <- expect_error(moe_dendrogram(G, x = x_id()), class = "lsmoe_error_input")  # refit needs y
  expect_identical(e$arg, "y")
  e <- expect_error(moe_dendrogram(G, x = x_id(), y = 1:3, refit = FALSE), class = "lsmoe_error_input")
  expect_identical(e$arg, "y")
  G1 <- mixing_measure(0, 1, c(1, 0))
  e <- expect_error(moe_dendrogram(G1, x = x_id(), refit = FALSE), class = "lsmoe_error_input")
  expect_identical(e$arg, "object")
  e <- expect_error(moe_dendrogram(G, x = x_id(), refit = FALSE, weight = "mass"), class = "lsmoe_error_input")
  expect_identical(e$arg, "weight")
  e <- expect_error(moe_dendrogram(G, x = x_id(), refit = NA), class = "lsmoe_error_input")
  expect_identical(e$arg, "refit")
  for (om in list(0, -1, "a", c(1, 2), Inf, 1e7)) {
    e <- expect_error(moe_dendrogram(G, x = x_id(), refit = FALSE, omega = om), class = "lsmoe_error_input")
    expect_identical(e$arg, "omega")
  }
  e <- expect_error(moe_dendrogram(G, x = x_id(), y = rep(1e200, 100), refit = FALSE), class = "lsmoe_error_input")
  expect_identical(e$arg, "y")
  Gbig <- mixing_measure(c(0, 0), c(1e200, -1e200), rbind(c(1e200, 0), c(-1e200, 0)), expert = expert_linear())
  e <- expect_error(moe_dendrogram(Gbig, x = x_id(), refit = FALSE, weight = "intercept"), class = "lsmoe_error_nonfinite")
  expect_identical(e$arg, "object")
  e <- expect_error(moe_dendrogram(G, x = x_id(), refit = FALSE, control = "fast"), class = "lsmoe_error_input")
  expect_identical(e$arg, "control")
  e <- expect_error(moe_dendrogram(G, x = x_id(), refit = FALSE, foo = 1), class = "lsmoe_error_input")
  expect_identical(e$arg, "...")
  e <- expect_error(select_k(fit_small()), class = "lsmoe_error_input")
  expect_identical(e$arg, "object")
  # a constant response that sigmoid experts fit exactly: the criteria of the exact levels are NA
  expect_warning(d <- moe_dendrogram(G, x = x_id(), y = rep(0.5, 100)), class = "lsmoe_warning_nonfinite")
  expect_true(any(d$table$rss == 0))
  expect_true(all(is.na(d$table$bic[d$table$rss == 0])))
  e <- expect_error(select_k(d, "aic"), class = "lsmoe_error_input")
  expect_identical(e$arg, "criterion")
  e <- expect_error(as_mixing_measure(d, k = 5), class = "lsmoe_error_input")
  expect_identical(e$arg, "k")
  e <- expect_error(plot(d, which = 3), class = "lsmoe_error_input")
  expect_identical(e$arg, "which")
})

test_that("a moe_dendrogram edited by hand gives a classed error in its methods, not a subscript error", {
  dd <- moe_dendrogram(G4(), x = x_id(), refit = FALSE)
  expect_output(print(dd), "moe_dendrogram")
  expect_s3_class(tidy(dd), "data.frame")
  ed <- function(nm, v) {
    o <- dd
    o[nm] <- list(v)
    o
  }
  edited <- list(
    ed("levels", integer(0)),                 # the fuzzer's seed 303, call 272
    ed("selected", as.Date("2020-01-01")),    # seed 303, call 340
    ed("levels", c("a", "b")),                # seed 303, call 3438
    ed("order", NA),                          # seed 303, call 3501
    ed("labels", "a"),                        # seed 303, call 2447
    ed("table", ""),                          # seed 404, call 481
    ed("selected", function(...) 1),          # seed 404, call 758
    ed("criterion", c(TRUE, NA)),             # seed 404, call 1422
    ed("selected", TRUE),                     # seed 404, call 2656
    ed("refit", list(a = 1)),                 # seed 404, call 2882
    ed("order", quote(x))                     # seed 404, call 3005
  )
  for (e in edited) {
    expect_error(print(e), class = "lsmoe_error_fit_object")
    expect_error(tidy(e), class = "lsmoe_error_fit_object")
    expect_error(plot(e), class = "lsmoe_error_fit_object")
    expect_error(as_mixing_measure(e, k = 2), class = "lsmoe_error_fit_object")
    expect_error(select_k(e), class = "lsmoe_error_fit_object")
  }
})
