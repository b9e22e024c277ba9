#' Dendrogram of mixing measures: choosing the number of experts from one over-specified fit
#'
#' Builds the dendrogram of mixing measures of Do, Do, McKinley, Terhorst and Nguyen (2024) from
#' an over-specified fit with K atoms (K experts): the two closest atoms are merged into one, then
#' the two closest of the K - 1 atoms left, and so on down to one atom. The result is a tree over
#' the K fitted experts (an `hclust` object, so that `plot()`, [stats::cutree()] and
#' [stats::rect.hclust()] work), the mixing measure \eqn{G^{(\kappa)}}{G^(kappa)} at every level
#' \eqn{\kappa = K, \dots, 1}{kappa = K, ..., 1}, and criteria that choose the number of experts
#' [select_k()].
#'
#' **Merging** (the paper's rule, written for a mixture of experts as Hai, Mai, Nguyen et al.
#' 2025 do for softmax-gated Gaussian experts). An atom is \eqn{\theta_i = (\beta_{1i}, \eta_i)}{theta_i = (beta1_i, eta_i)} with
#' mass \eqn{\pi_i}{pi_i}. The dissimilarity of atoms i and j, the height of their merge, is
#' \deqn{d(i, j) = \frac{\pi_i \pi_j}{\pi_i + \pi_j} \|\theta_i - \theta_j\|^2}{d(i, j) = pi_i pi_j / (pi_i + pi_j) * ||theta_i - theta_j||^2}
#' (the paper's dissimilarity for strongly identifiable atoms, which is Ward's merging cost), and the
#' merged atom has mass \eqn{\pi_i + \pi_j}{pi_i + pi_j} and parameters \eqn{(\pi_i \theta_i + \pi_j
#' \theta_j) / (\pi_i + \pi_j)}{(pi_i theta_i + pi_j theta_j) / (pi_i + pi_j)}. Its gating intercept
#' adds the weights: \eqn{\beta_0 = \log(e^{\beta_{0i}} + e^{\beta_{0j}})}{beta0 = log(exp(beta0_i) + exp(beta0_j))} under the softmax gate
#' (exact when the two atoms coincide: two equal experts with the same gate are one expert with the
#' summed weight), \eqn{\mathrm{sigmoid}(\beta_0) = \min(\mathrm{sigmoid}(\beta_{0i}) +
#' \mathrm{sigmoid}(\beta_{0j}), 1 - 10^{-12})}{sigmoid(beta0) = min(sigmoid(beta0_i) + sigmoid(beta0_j), 1 - 1e-12)} under the sigmoid gate.
#' Distances are taken on the standardised scale of the fitter ([lse_control()], Scaling: inputs
#' centred and scaled, the response too for experts on its scale), so that they do not depend on
#' the units of the data; the levels are reported on the data's scale.
#'
#' **Mass of an atom.** With `weight = "gate"` (default) \eqn{\pi_i}{pi_i} is the mean gate value of atom i over
#' the data, \eqn{\pi_i = n^{-1} \sum_t g_i(X_t)}{pi_i = mean_t g_i(X_t)}: the share of the data the expert
#' serves (for the softmax gate, the marginal probability of expert i in the generative reading of
#' the model). With `weight = "intercept"` it is the theory's weight, \eqn{e^{\beta_{0i}}}{exp(beta0_i)}
#' normalised to sum 1 (softmax gate) or \eqn{\mathrm{sigmoid}(\beta_{0i})}{sigmoid(beta0_i)} (sigmoid gate), at the centre of the
#' inputs. Why the gate mass is the default: \eqn{e^{\beta_{0i}}}{exp(beta0_i)} is the weight at one input
#' value only (it changes with the origin of x), and an expert whose gate is steep and active away
#' from the centre has a tiny \eqn{e^{\beta_{0i}}}{exp(beta0_i)} but a large share of the data; in
#' the simulations of `data-raw/dendrogram-recovery.R` the gate mass merged the right atoms more often.
#'
#' **Refitting** (`refit = TRUE`, default; not in the paper). After each merge the mixing measure
#' with one atom fewer is refitted by least squares on the data, and the refit is the level: a
#' local search from three starts (the merged measure, and the measure without either atom of
#' the merged pair), followed by the fitter's perturbation search from the best of them (one
#' component redrawn at a time; `n_perturb` and `perturb_patience` of `control`, see
#' [lse_control()]). The next merge is taken among the refitted atoms. Why: the paper's merged
#' measures are consistent as n grows, but at n = 1e4 the atoms of an over-specified least squares
#' fit are far from converged (surplus experts fit noise with gates and experts of their own rather
#' than duplicating a true atom), so the merged measures fit the data much worse than the
#' over-specified fit or the least squares fit with fewer experts, and no criterion read off them
#' recovered k* reliably (see the table below). The refits cost a few seconds at n = 1e4 (a local
#' search per level, not a multistart fit per k). `refit = FALSE` gives the paper's dendrogram
#' (merged measures only, no fit after the first).
#'
#' **Choosing k** ([select_k()]), with \eqn{\bar\ell_n(G)}{l_n(G)} the average Gaussian log-likelihood of a level,
#' \eqn{-\frac12(\log(2\pi \mathrm{RSS}/n) + 1)}{-(log(2 pi RSS / n) + 1) / 2} (the least squares estimator is the
#' Gaussian maximum likelihood estimator), and \eqn{h^{(\kappa)}}{h^(kappa)} the height of the merge from
#' \eqn{\kappa}{kappa} to \eqn{\kappa - 1}{kappa - 1} atoms (0 for \eqn{\kappa = 1}{kappa = 1}):
#' * `"bic"` (default): the Bayesian information criterion of each level, \eqn{-2 n \bar\ell_n +
#'   (p_\kappa + 1)\log n}{-2 n l_n + (p_kappa + 1) log n} with \eqn{p_\kappa}{p_kappa} free parameters (the level K value is `BIC()` of
#'   the fit); the dendrogram supplies the nested sequence of fits, without a multistart fit per k.
#' * `"dic"`: the paper's dendrogram information criterion, \eqn{\mathrm{DIC}(\kappa) =
#'   -(h^{(\kappa)} + \omega_n \bar\ell_n(G^{(\kappa)}))}{DIC(kappa) = -(h^(kappa) + omega_n l_n(G^(kappa)))} with \eqn{\omega_n = \log n}{omega_n = log n} by default
#'   (`omega`): heights of merges of atoms that estimate the same true atom vanish as n grows, the
#'   first merge of two distinct true atoms does not, and fewer atoms than k* lose likelihood.
#' * `"jump"`: the level \eqn{\kappa \in \{2, \dots, K - 1\}}{kappa in 2..K-1} with the largest ratio of consecutive heights
#'   \eqn{h^{(\kappa)} / h^{(\kappa + 1)}}{h^(kappa) / h^(kappa + 1)} (the height jump; it cannot choose 1 or K).
#'
#' **How often it recovers the true number of experts** (`data-raw/dendrogram-recovery.R`): 20 over-specified fits per
#' gate (K = `k*` + 1 and `k*` + 2, 10 data sets each, n = 1e4, noise sd 0.1, `k*` = 3 sigmoid experts,
#' default search of [moe_lse()]). With `refit = TRUE`, `"bic"` chose `k*` in 20 of 20 fits under
#' either gate, `"dic"` in 0 of 20 (it chose 2: the height of the last merge outweighs the
#' likelihood at this n) and `"jump"` in 0 (softmax) and 7 (sigmoid) of 20. With `refit = FALSE`
#' (the paper's merged measures) `"bic"` chose K in every fit, `"dic"` `k*` in 0 and 1 of 20 and
#' `"jump"` in 5 and 7 of 20. A dendrogram with refits took about 1 s at n = 1e4.
#'
#' @param object An over-specified fit from [moe_lse()] or [moe_lse_fit()] (its data are used
#'   unless `x` is given), or a [mixing_measure()] (then `x`, and `y` for `refit` and the
#'   criteria, are needed). At least 2 atoms.
#' @param x Inputs: numeric matrix n x d (a vector when d = 1), finite; default `NULL`: those of
#'   the fit.
#' @param y Response: numeric vector of length n, finite; default `NULL`: that of the fit. For a
#'   measure, `NULL` builds the tree only (no refits, no criteria; `refit` must be `FALSE`).
#' @param weights Optional non-negative observation weights (length n), as in [moe_lse()];
#'   default `NULL`: those of the fit (none for a measure).
#' @param refit Logical, default `TRUE`: refit each level by least squares (see Refitting).
#' @param weight Mass of an atom: `"gate"` (default, mean gate value over the data) or
#'   `"intercept"` (the theory's weight from \eqn{\beta_0}{beta0}); see Mass of an atom.
#' @param omega \eqn{\omega_n}{omega_n} of the DIC: `NULL` (default, \eqn{\log n}{log n}) or a positive number, at
#'   most 1e6.
#' @param control [lse_control()] of the refits; default `NULL`: the fit's own control (for a
#'   measure, `lse_control()`), with warnings off. Its box bounds the refits.
#' @param criterion For [select_k()]: `NULL` (default: the dendrogram's own, `"bic"`), `"bic"`,
#'   `"dic"` or `"jump"`.
#' @param ... Must be empty.
#' @returns An object of class `c("moe_dendrogram", "hclust")`, a list with the `hclust`
#'   components `merge` ((K - 1) x 2, negative entries are atoms, positive ones earlier merges),
#'   `height` (the running maximum of the merge heights, so that the tree is drawn without
#'   inversions and `cutree(h = )` works), `order`, `labels` (`"expert1"`, ...), `method`,
#'   `dist.method`, `call`; and
#' * `dissimilarity`: the merge heights themselves, in merge order (standardised scale);
#' * `levels`: list of K [mixing_measure()]s, `levels[[kappa]]` the one with kappa atoms (data
#'   scale); `groups`: list of K integer vectors, `groups[[kappa]]` the level of each original atom
#'   (as `cutree(tree, kappa)` up to the labels of the groups);
#' * `table`: data frame with one row per level, `k` (K down to 1), `height` (of the merge from k
#'   to k - 1; `NA` for k = 1), `rss`, `loglik` (average Gaussian log-likelihood), `df` (free
#'   parameters), `bic`, `dic`, `refitted` (logical: the level is a refit; `FALSE` where the refit
#'   failed and the merged measure was kept);
#' * `selected`: named integer vector, the k chosen by `"bic"`, `"dic"` and `"jump"`
#'   (`NA` without data; `"jump"` is `NA` for K = 2); `criterion`: `"bic"`;
#' * `k` (K), `nobs`, `omega`, `weight`, `refit`.
#'
#' `select_k()` returns the chosen k (an integer). `as_mixing_measure()` returns a level. `tidy()`
#' returns `table` with a logical column `selected` (the level of the default criterion).
#'
#' Errors of class `lsmoe_error_input` (naming the argument): an object that is neither a fit nor
#' a measure, fewer than 2 atoms, inputs of the wrong shape or not finite, a measure without `x`,
#' `refit = TRUE` or a criterion without `y`, an invalid `weight`, `omega`, `control`, `k` or
#' `criterion`.
#' Its methods and `select_k()` give an error of class `lsmoe_error_fit_object` (also
#' `lsmoe_error_input`) naming the field when the object was edited by hand.
#' @references
#' Do, D., Do, L., McKinley, S. A., Terhorst, J. and Nguyen, X. (2024). Dendrogram of mixing
#' measures: hierarchical clustering and model selection for finite mixture models.
#' arXiv:2403.01684. \doi{10.48550/arXiv.2403.01684}
#'
#' Hai, D. T., Mai, T. N., Nguyen, T., Ho, N., Nguyen, B. T. and Drovandi, C. (2025). Dendrograms of
#' mixing measures for softmax-gated Gaussian mixture of experts: consistency without model
#' sweeps. arXiv:2510.12744. \doi{10.48550/arXiv.2510.12744}
#'
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [moe_cv()] to choose k and the expert family by cross-validation; [stats::cutree()].
#' @examples
#' # three sigmoid experts, each rising within its third of [-1, 1]
#' G0 <- mixing_measure(beta0 = c(-5, 0, -5), beta1 = c(-15, 0, 15),
#'                      eta = rbind(c(12, 8), c(12, 0), c(12, -8)), expert = expert_sigmoid())
#' set.seed(1)
#' sim <- simulate_moe(G0, n = 2000, noise_sd = 0.05, x = function(n) runif(n, -1, 1))
#' fit <- moe_lse(sim$x, sim$y, k = 4, expert = "sigmoid",
#'                control = lse_control(n_starts = 10, bound_gate = 25, bound_expert = 15,
#'                                      warn = FALSE))
#' dend <- moe_dendrogram(fit)
#' dend
#' select_k(dend)
#' cutree(dend, k = select_k(dend))   # which of the 4 fitted experts go together
#' plot(dend)
#' as_mixing_measure(dend)            # the level chosen
#' @export
moe_dendrogram <- function(object, x = NULL, y = NULL, weights = NULL, refit = TRUE,
                           weight = c("gate", "intercept"), omega = NULL, control = NULL, ...) {
  check_dots_empty(...)
  cl <- match.call()
  refit <- check_flag(refit, "refit")
  weight <- match_choice(weight, c("gate", "intercept"), "weight")
  dat <- dendrogram_data(object, x, y, weights, control)
  G <- dat$G
  if (G$k < 2) {
    lsmoe_abort(sprintf("`object` has %d atom: a dendrogram needs an over-specified fit with at least 2 experts.", G$k),
                arg = "object")
  }
  if (is.null(dat$y) && refit) {
    lsmoe_abort("`refit = TRUE` needs the response `y`: give `y`, or use refit = FALSE for the tree only.", arg = "y")
  }
  n <- length(dat$rows)
  if (!is.null(omega)) omega <- check_number(omega, "omega", min = 0, max = 1e6, strict_min = TRUE)
  if (is.null(omega)) omega <- log(n)
  tree <- merge_atoms(G, dat, refit, weight)
  check_finite_result(tree$rss[!is.na(tree$rss)], "The residual sum of squares of a level", "y",
                      hint = "the response or the parameters are too large (rescale them)")
  K <- G$k
  crit <- dendrogram_criteria(tree, dat, omega)
  labels <- paste0("expert", seq_len(K))
  structure(list(
    merge = tree$merge, height = cummax(tree$height), order = hclust_order(tree$merge), labels = labels,
    method = "merge of mixing-measure atoms", dist.method = "mass-weighted squared distance", call = cl,
    dissimilarity = tree$height, levels = tree$levels, groups = tree$groups, table = crit$table,
    selected = crit$selected, criterion = "bic", k = K, nobs = n, omega = omega, weight = weight, refit = refit
  ), class = c("moe_dendrogram", "hclust"))
}

# The measure, the data (x, y or NULL, w or NULL, rows of positive weight), their standardisation
# `sc` (fit_scales()) and the refits' control, from a fit or a measure and the optional arguments.
dendrogram_data <- function(object, x, y, weights, control) {
  if (inherits(object, "moe_lse")) {
    fit <- validate_fit(object)
    G <- as_measure_arg(fit, "object")
    if (is.null(x)) {
      x <- fit$x
      if (is.null(y)) y <- fit$y
      if (is.null(weights)) weights <- fit$weights
    }
    if (is.null(control)) control <- fit$control
  } else if (inherits(object, "mixing_measure")) {
    G <- as_measure_arg(object, "object")
    if (is.null(x)) {
      lsmoe_abort("`x` is missing: the dendrogram of a mixing measure needs the inputs (numeric matrix n x d).", arg = "x")
    }
  } else {
    lsmoe_abort(sprintf("`object` must be a moe_lse() fit or a mixing_measure(), not %s.", describe(object)), arg = "object")
  }
  x <- check_x(fix_colnames(x))
  if (ncol(x) != G$d) {
    lsmoe_abort(sprintf("`x` must have d = %d column(s), like the mixing measure, not %d.", G$d, ncol(x)), arg = "x")
  }
  if (!is.null(y)) {
    y <- check_y(y, nrow(x))
    if (!is.finite(sum(y^2))) lsmoe_abort("`y` is too large: its sum of squares overflows; rescale it.", arg = "y")
  }
  w <- check_weights(weights, nrow(x))
  if (!is.null(w) && !is.null(y)) check_weights_scale(w, y)
  control <- as_control(control)
  control$warn <- FALSE
  rows <- if (is.null(w)) seq_len(nrow(x)) else which(w > 0)
  sc <- fit_scales(x, if (is.null(y)) rep(0, nrow(x)) else y, w, G$expert, TRUE, G$gate)
  list(G = canonical_atoms(G), x = x, y = y, w = w, rows = rows, sc = sc, control = control)
}

# Parameters of a measure on the standardised scale (`std = TRUE`) or the data's scale, as a list
# (beta0, theta = cbind(beta1, eta)).
measure_atoms <- function(G, sc, std = TRUE) {
  p <- transform_params(list(beta0 = G$beta0, beta1 = G$beta1, eta = G$eta), sc, G$expert, inverse = std)
  list(beta0 = p$beta0, theta = cbind(p$beta1, p$eta))
}

# The measure with atoms (beta0, theta) on the standardised scale, back on the data's scale.
atoms_measure <- function(beta0, theta, G, sc) {
  d <- G$d
  p <- transform_params(list(beta0 = beta0, beta1 = theta[, seq_len(d), drop = FALSE],
                             eta = theta[, -seq_len(d), drop = FALSE]), sc, G$expert)
  new_mixing_measure(p$beta0, p$beta1, p$eta, G$expert, G$gate)
}

# Mass of each atom (standardised beta0, measure G on the data's scale): mean gate over the rows
# used (weighted), or the weights from beta0.
atom_mass <- function(beta0, G, dat, weight) {
  if (weight == "intercept") {
    if (gate_name(G$gate) == "sigmoid") return(stats::plogis(beta0))
    v <- exp(beta0 - max(beta0))
    return(v / sum(v))
  }
  g <- eval_measure(G, dat$x[dat$rows, , drop = FALSE], type = "gate", arg = "x")$gate
  w <- if (is.null(dat$w)) NULL else dat$w[dat$rows]
  if (is.null(w)) colMeans(g) else colSums(g * w) / sum(w)
}

# The merge of atoms i and j (i < j): the merged atom takes the place of i, j is removed.
merge_pair <- function(beta0, theta, i, j, mass, gate) {
  s <- mass[i] + mass[j]
  a <- if (s > 0) mass[i] / s else 0.5
  theta[i, ] <- a * theta[i, ] + (1 - a) * theta[j, ]
  if (gate_name(gate) == "sigmoid") {
    beta0[i] <- stats::qlogis(min(stats::plogis(beta0[i]) + stats::plogis(beta0[j]), 1 - 1e-12))
  } else {
    m <- max(beta0[i], beta0[j])
    beta0[i] <- m + log(exp(beta0[i] - m) + exp(beta0[j] - m))
  }
  list(beta0 = beta0[-j], theta = theta[-j, , drop = FALSE])
}

# The closest pair: heights d(i, j) = m_i m_j / (m_i + m_j) ||theta_i - theta_j||^2 (0 when both masses are
# 0); the first pair (in the order (1, 2), (1, 3), ..., (2, 3), ...) of smallest height.
closest_pair <- function(theta, mass) {
  m <- nrow(theta)
  best <- c(Inf, NA, NA)
  for (i in seq_len(m - 1)) {
    for (j in (i + 1):m) {
      s <- mass[i] + mass[j]
      h <- if (s > 0) mass[i] * mass[j] / s * sum((theta[i, ] - theta[j, ])^2) else 0
      if (!is.finite(h)) {
        lsmoe_abort("The distances between the atoms overflow: their parameters are too large (rescale the inputs).",
                    class = c("lsmoe_error_nonfinite", "lsmoe_error_input"), arg = "object")
      }
      if (h < best[1]) best <- c(h, i, j)
    }
  }
  best
}

# The refit of a level with one atom fewer (see ?moe_dendrogram, Refitting): a least squares fit
# from the merged measure and from the measures without one atom of the merged pair (data scale),
# followed by the fitter's perturbation search; NULL when it fails.
refit_level <- function(merged, pruned, dat) {
  start <- lapply(c(list(merged), pruned), function(G) list(beta0 = G$beta0, beta1 = G$beta1, eta = G$eta))
  fit <- tryCatch(
    withCallingHandlers(
      refit_search(dat, merged$k, merged$expert, start, merged$gate),
      lsmoe_warning = function(w) invokeRestart("muffleWarning")),
    lsmoe_error = function(e) NULL)
  if (is.null(fit) || !all(is.finite(c(fit$rss, fit$theta)))) return(NULL)
  fit
}

# The merges from K atoms down to 1: merge matrix and heights (hclust convention), the level
# measures (data scale) and each original atom's group at every level, the RSS of every level
# (NA without y) and whether it was refitted.
merge_atoms <- function(G, dat, refit, weight) {
  K <- G$k
  sc <- dat$sc
  at <- measure_atoms(G, sc)
  beta0 <- at$beta0
  theta <- at$theta
  ids <- -seq_len(K)                 # hclust ids of the current atoms
  group <- seq_len(K)                # current atom of every original atom
  merge <- matrix(0L, K - 1, 2)
  height <- numeric(K - 1)
  levels <- vector("list", K)
  groups <- vector("list", K)
  rss <- rep(NA_real_, K)
  refitted <- rep(FALSE, K)
  levels[[K]] <- G
  groups[[K]] <- group
  rss[K] <- level_rss(G, dat)
  Gk <- G
  for (s in seq_len(K - 1)) {
    mass <- atom_mass(beta0, Gk, dat, weight)
    best <- closest_pair(theta, mass)
    i <- best[2]
    j <- best[3]
    height[s] <- best[1]
    merge[s, ] <- sort_merge(ids[i], ids[j])
    light <- if (mass[j] < mass[i]) j else i
    heavy <- if (light == i) j else i
    pruned <- list(atoms_measure(beta0[-light], theta[-light, , drop = FALSE], G, sc),
                   atoms_measure(beta0[-heavy], theta[-heavy, , drop = FALSE], G, sc))
    mp <- merge_pair(beta0, theta, i, j, mass, G$gate)
    beta0 <- mp$beta0
    theta <- mp$theta
    ids[i] <- s
    ids <- ids[-j]
    group[group == j] <- i
    group[group > j] <- group[group > j] - 1L
    Gk <- atoms_measure(beta0, theta, G, sc)
    kk <- K - s
    fit <- if (refit) refit_level(Gk, pruned, dat)
    if (!is.null(fit)) {
      Gk <- new_mixing_measure(fit$coefficients$beta0, fit$coefficients$beta1, fit$coefficients$eta, G$expert, G$gate)
      Gk <- canonical_atoms(Gk)
      at <- measure_atoms(Gk, sc)
      beta0 <- at$beta0
      theta <- at$theta
      refitted[kk] <- TRUE
      rss[kk] <- fit$rss
    } else {
      rss[kk] <- level_rss(Gk, dat)
    }
    levels[[kk]] <- Gk
    groups[[kk]] <- group
  }
  list(merge = merge, height = height, levels = levels, groups = groups, rss = rss, refitted = refitted)
}

# hclust's convention for a merge row: two atoms in increasing order of index (-1 before -2 is
# written c(-1, -2)), an atom before a cluster, two clusters in increasing order.
sort_merge <- function(a, b) {
  if (a < 0 && b < 0) return(as.integer(c(max(a, b), min(a, b))))
  if (a < 0 || b < 0) return(as.integer(c(min(a, b), max(a, b))))
  as.integer(sort(c(a, b)))
}

# Leaf order of an hclust merge matrix in which no branches cross.
hclust_order <- function(merge) {
  walk <- function(r) unlist(lapply(merge[r, ], function(e) if (e < 0) -e else walk(e)))
  as.integer(walk(nrow(merge)))
}

# The fit pipeline (fit.R) on the rows of positive weight from the given starts, with the
# perturbation search that moe_fit() runs only for generated starts.
refit_search <- function(dat, k, expert, start, gate) {
  keep <- dat$rows
  w <- if (is.null(dat$w)) numeric(0) else dat$w[keep]
  prob <- moe_problem(dat$x[keep, , drop = FALSE], dat$y[keep], w, k, expert, start, dat$control, gate)
  res <- search_starts(prob)
  # (an exact fit, RSS 0, cannot improve: and the search divides by its RSS)
  if (prob$control$n_perturb > 0 && isTRUE(res$rss > 0)) res <- search_perturb(prob, res)
  res <- finish_fit(prob, res)
  moe_fit_object(prob, res)
}

# Weighted RSS of a measure on the data (NA without y).
level_rss <- function(G, dat) {
  if (is.null(dat$y)) return(NA_real_)
  r <- dat$y[dat$rows] - as.vector(eval_measure(G, dat$x[dat$rows, , drop = FALSE], arg = "x")$response)
  if (is.null(dat$w)) sum(r^2) else sum(dat$w[dat$rows] * r^2)
}

# Table of the levels and the k chosen by each criterion (see ?moe_dendrogram, Choosing k).
# tree$height[s] is the height of merge s, from K - s + 1 to K - s atoms.
dendrogram_criteria <- function(tree, dat, omega) {
  K <- length(tree$levels)
  G <- tree$levels[[K]]
  n <- length(dat$rows)
  ks <- K:1
  hk <- function(k) if (k >= 2) tree$height[K - k + 1] else NA_real_  # merge from k to k - 1
  h <- vapply(ks, hk, numeric(1))
  rss <- tree$rss[ks]
  if (any(rss == 0, na.rm = TRUE)) {
    lsmoe_warn("A level fits the data exactly (RSS 0): its Gaussian log-likelihood is infinite, its BIC and DIC are NA.",
               class = "lsmoe_warning_nonfinite")
  }
  rl <- ifelse(rss == 0, NA_real_, rss)
  lw <- if (is.null(dat$w)) 0 else sum(log(dat$w[dat$rows]))
  loglik_total <- 0.5 * (lw - n * (log(2 * pi) + 1 - log(n) + log(rl)))  # as logLik() of a fit
  loglik <- -0.5 * (log(2 * pi * rl / n) + 1)
  df <- vapply(ks, function(k) n_free_params(k, G$d, G$q, G$gate), integer(1))
  bic <- -2 * loglik_total + (df + 1) * log(n)
  dic <- -(ifelse(is.na(h), 0, h) + omega * loglik)
  table <- data.frame(k = ks, height = h, rss = rss, loglik = loglik, df = df, bic = bic, dic = dic,
                      refitted = tree$refitted[ks])
  pick <- function(v) if (all(is.finite(v))) as.integer(ks[which.min(v)]) else NA_integer_
  jump <- NA_integer_
  if (K >= 3) {
    r <- vapply(2:(K - 1), function(k) hk(k) / max(hk(k + 1), .Machine$double.xmin), numeric(1))
    jump <- (2:(K - 1))[which.max(r)]
  }
  list(table = table, selected = c(bic = pick(bic), dic = pick(dic), jump = as.integer(jump)))
}

#' @rdname moe_dendrogram
#' @export
select_k <- function(object, criterion = NULL) {
  if (!inherits(object, "moe_dendrogram")) {
    lsmoe_abort(sprintf("`object` must come from moe_dendrogram(), not %s.", describe(object)), arg = "object")
  }
  object <- validate_dendrogram(object, "object")
  if (is.null(criterion)) criterion <- object$criterion
  criterion <- match_choice(criterion, c("bic", "dic", "jump"), "criterion")
  k <- unname(object$selected[criterion])
  if (is.na(k)) {
    lsmoe_abort(sprintf("The criterion \"%s\" is not available for this dendrogram (%s).", criterion,
                        if (criterion == "jump") "it needs at least 3 atoms" else "it was built without the response `y`"),
                arg = "criterion")
  }
  as.integer(k)
}

#' @rdname moe_dendrogram
#' @param k For `as_mixing_measure()`: the level, a whole number from 1 to K; default the selected k.
#' @export
as_mixing_measure.moe_dendrogram <- function(x, k = select_k(x), ...) {
  check_dots_empty(...)
  x <- validate_dendrogram(x)
  k <- check_count(k, "k", min = 1, max = length(x$levels))
  x$levels[[k]]
}

#' @rdname moe_dendrogram
#' @export
tidy.moe_dendrogram <- function(x, ...) {
  x <- validate_dendrogram(x)
  tab <- x$table
  tab$selected <- tab$k == x$selected[[x$criterion]] & !is.na(x$selected[[x$criterion]])
  tab
}

#' @rdname moe_dendrogram
#' @param digits Significant digits to print, a whole number between 1 and 22.
#' @export
print.moe_dendrogram <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  x <- validate_dendrogram(x)
  digits <- check_count(digits, "digits", min = 1, max = 22)
  G <- x$levels[[x$k]]
  cat(sprintf("<moe_dendrogram> %d atoms, %s gate, experts h(x, eta) = %s; n = %d\n", x$k, gate_name(G$gate),
              G$expert$label, x$nobs))
  cat(sprintf("Masses: %s; levels %s.\n", if (x$weight == "gate") "mean gate values" else "weights from beta0",
              if (x$refit) "refitted by least squares after each merge" else "merged measures (no refits)"))
  tab <- x$table
  num <- vapply(tab, is.double, logical(1))
  tab[num] <- lapply(tab[num], signif, digits = digits)
  print(tab, row.names = FALSE)
  sel <- x$selected
  cat(sprintf("Selected k: %s (default criterion: %s)\n",
              paste(sprintf("%s %s", names(sel), ifelse(is.na(sel), "-", sel)), collapse = ", "), x$criterion))
  invisible(x)
}

#' @rdname moe_dendrogram
#' @param which For `plot()`: 1, the tree (with the cut at the selected k when it is available),
#'   2, the criteria (BIC and DIC, each scaled to \[0, 1\]) against k; default 1. Further
#'   arguments (`...`) go to the plotting function of the tree.
#' @export
plot.moe_dendrogram <- function(x, which = 1, ...) {
  x <- validate_dendrogram(x)
  main <- "Dendrogram of mixing measures"
  ylab <- "height (running maximum of merge heights)"
  if (!is.numeric(which) || length(which) < 1 || !all(which %in% 1:2)) {
    lsmoe_abort(sprintf("`which` must hold 1 (tree) and/or 2 (criteria), not %s.", describe(which)), arg = "which")
  }
  k_sel <- x$selected[x$criterion]
  if (1 %in% which) {
    hc <- x
    class(hc) <- "hclust"
    if (x$k == 2) {
      # plot.hclust() cannot draw a tree with one merge: the same picture by hand
      h <- x$height[1]
      graphics::plot(c(0.5, 2.5), c(0, h), type = "n", xaxt = "n", xlab = "", ylab = ylab, main = main, ...)
      graphics::segments(c(1, 2, 1), c(0, 0, h), c(1, 2, 2), c(h, h, h))
      graphics::axis(1, at = 1:2, labels = x$labels[x$order], las = 2, tick = FALSE)
    } else {
      graphics::plot(hc, main = main, ylab = ylab, sub = "", xlab = "", ...)
      if (!is.na(k_sel) && k_sel >= 2) stats::rect.hclust(hc, k = k_sel, border = "red")
    }
  }
  if (2 %in% which) {
    tab <- x$table
    if (all(is.na(tab$bic))) {
      lsmoe_abort("No criteria to plot: the dendrogram was built without the response `y`.", arg = "which")
    }
    sc01 <- function(v) (v - min(v)) / max(diff(range(v)), .Machine$double.eps)
    graphics::plot(tab$k, sc01(tab$bic), type = "b", pch = 19, ylim = c(0, 1), xlab = "number of experts k",
                   ylab = "criterion (scaled to [0, 1])", main = "Choosing k", xaxt = "n")
    graphics::axis(1, at = tab$k)
    graphics::lines(tab$k, sc01(tab$dic), type = "b", pch = 17, lty = 2, col = "grey40")
    graphics::abline(v = k_sel, col = "red", lty = 3)
    graphics::legend("topright", legend = c("BIC", "DIC"), pch = c(19, 17), lty = 1:2, col = c("black", "grey40"),
                     bty = "n")
  }
  invisible(x)
}
