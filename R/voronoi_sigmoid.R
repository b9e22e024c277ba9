#' Voronoi losses of sigmoid-gated mixing measures
#'
#' The losses of the companion paper (Nguyen, Ho and Rinaldo 2024b) between a fitted
#' sigmoid-gated measure \eqn{G = \sum_i \mathrm{sigmoid}(\beta_{0i}) \delta_{(\beta_{1i}, \eta_i)}}{G = sum_i sigmoid(beta_{0i}) delta_{(beta_{1i}, eta_i)}}
#' (k atoms) and a reference measure with \eqn{k_*} atoms. Fitted atom i belongs to the Voronoi
#' cell \eqn{A_j} of the reference atom j nearest in \eqn{(\beta_1, \eta)} (Euclidean; ties to
#' the lowest j), with \eqn{\Delta\beta_{1ij} = \beta_{1i} - \beta^*_{1j}}{Delta beta_{1ij} = beta_{1i} - beta*_{1j}},
#' \eqn{\Delta\eta_{ij} = \eta_i - \eta^*_j}{Delta eta_{ij} = eta_i - eta*_j} and \eqn{s} the sigmoid. The sigmoid gate has no
#' translation invariance, so there is no alignment. Atoms of output-weighted tanh experts are
#' compared in the form with \eqn{c \ge 0} (see [voronoi_cells()]).
#'
#' * `"D1"` (Regime 1: every over-fitted true atom has gating slope 0; reference \eqn{G_*}):
#'   \deqn{\sum_j \Big|\sum_{i \in A_j} s(\beta_{0i}) - s(\beta^*_{0j})\Big|
#'   + \sum_{j: |A_j| > 1} \sum_{i \in A_j} (\|\Delta\beta_{1ij}\|^2 + \|\Delta\eta_{ij}\|^2)
#'   + \sum_{j: |A_j| = 1} \sum_{i \in A_j} (\|\Delta\beta_{1ij}\| + \|\Delta\eta_{ij}\|)}{D1 = sum_j |sum_{i in A_j} s(beta0_i) - s(beta0*_j)| + sum_{|A_j|>1} (||dbeta1||^2 + ||deta||^2) + sum_{|A_j|=1} (||dbeta1|| + ||deta||)}
#'   (no weight factor on the parameter terms, unlike the softmax loss).
#' * `"D2"` (Regime 1, polynomial and linear experts; \eqn{r \ge 1}): the same weight terms plus
#'   \eqn{\sum_j \sum_{i \in A_j} (\|\Delta\beta_{1ij}\|^r + \|\Delta a_{ij}\|^r + |\Delta b_{ij}|^r
#'   [+ |\Delta c_{ij}|^r])}{sum_j sum_{i in A_j} (||Delta beta_{1ij}||^r + ||Delta a_{ij}||^r + |Delta b_{ij}|^r [+ |Delta c_{ij}|^r])}. The intercepts \eqn{\beta_{0i}} enter through the weight terms only:
#'   within a cell of several atoms they are not identified one by one, only the sum of their
#'   weights is. (Paper notes section 7 lists \eqn{|\Delta\beta_0|^r}{|Delta beta_0|^r} among D2's terms; with it, a
#'   measure whose split atoms converge to \eqn{G_*} - weights summing to
#'   \eqn{s(\beta^*_{0j})}, slopes and experts converging - would keep a loss of at least
#'   \eqn{|\Delta\beta_0|^r > 0}{|Delta beta_0|^r > 0}, so D2 would not vanish as \eqn{G \to G_*}{G -> G_*}. The package follows
#'   the shape of D1; the tests check that D1 and D2 vanish along such a sequence.)
#' * `"D3"` (Regime 2, reference \eqn{\bar G}{G-bar} from [gbar_measure()], cells with respect to
#'   \eqn{\bar G}{G-bar}'s atoms): \eqn{\sum_j \sum_{i \in A_j} (|\beta_{0i} - \bar\beta_{0j}| +
#'   \|\beta_{1i} - \bar\beta_{1j}\| + \|\eta_i - \bar\eta_j\|)}{sum_j sum_{i in A_j} (|beta_{0i} - beta-bar_{0j}| + ||beta_{1i} - beta-bar_{1j}|| + ||eta_i - eta-bar_j||)}, no weight terms.
#'
#' An empty cell contributes \eqn{s(\beta^*_{0j})} to D1 and D2 and nothing to D3. Each loss is 0
#' when G equals the reference (up to the order of the atoms) and does not depend on that order.
#' Computed in C++ (`inst/include/lsmoe/voronoi_sigmoid.hpp`).
#'
#' @param G The fitted measure: a sigmoid-gated [mixing_measure()] or a [moe_lse()] fit with
#'   `gate = gate_sigmoid()` (k atoms).
#' @param G0 The reference measure (\eqn{G_*} for D1 and D2, \eqn{\bar G}{G-bar} for D3), sigmoid-gated,
#'   with the same input dimension and expert family.
#' @param type `"D1"` (default), `"D2"` or `"D3"`.
#' @param r Exponent of D2, a number in \[1, 100\] (default 2, as for [voronoi_loss()]); ignored
#'   otherwise.
#' @returns An object of class `voronoi_loss_sigmoid`: a list with `value` (the loss), `type`,
#'   `r`, `assignment` (integer k: the cell of every atom of `G`), `size` (integer \eqn{k_*}: atoms
#'   per cell), `distance` (k x \eqn{k_*}) and `breakdown` (a data frame per reference atom:
#'   `atom`, `cell_size`, `weight_term`, `parameter_term`). `as.double()` gives the value.
#'   Errors of class `lsmoe_error_input` for measures that are not sigmoid-gated or do not match,
#'   for an invalid `type` or `r`, and for a loss that overflows (not finite).
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024b). Sigmoid gating is more sample efficient than
#' softmax gating in mixture of experts. NeurIPS 2024. \doi{10.48550/arXiv.2405.13997}
#' @seealso [gbar_measure()], [gates], [voronoi_loss()] for softmax-gated measures.
#' @examples
#' G0 <- mixing_measure(beta0 = c(1, -1), beta1 = c(0, 4), eta = rbind(c(2, 0), c(-1, 1)),
#'                      expert = expert_relu(), gate = gate_sigmoid())
#' # two atoms near the first true atom (slope 0: Regime 1), one near the second
#' G <- mixing_measure(beta0 = c(0.3, 0.2, -1.1), beta1 = c(0.05, -0.02, 4.1),
#'                     eta = rbind(c(2.1, 0), c(1.9, 0.05), c(-1, 1.1)),
#'                     expert = expert_relu(), gate = gate_sigmoid())
#' voronoi_loss_sigmoid(G, G0, "D1")
#' voronoi_loss_sigmoid(G, G0, "D2", r = 2)
#' @export
voronoi_loss_sigmoid <- function(G, G0, type = c("D1", "D2", "D3"), r = 2) {
  type <- match_choice(type, c("D1", "D2", "D3"), "type")
  G <- canonical_atoms(as_measure_arg(G, "G"))
  G0 <- canonical_atoms(as_measure_arg(G0, "G0"))
  for (a in list(list(G, "G"), list(G0, "G0"))) {
    if (gate_name(a[[1]]$gate) != "sigmoid") {
      lsmoe_abort(sprintf("`%s` must be a sigmoid-gated measure (gate = gate_sigmoid()); use voronoi_loss() for softmax-gated ones.",
                          a[[2]]), arg = a[[2]])
    }
  }
  measures_compatible(G, G0)
  r <- check_number(r, "r", min = 1, max = 100)
  res <- tryCatch(cpp_voronoi_loss_sigmoid(G$beta0, G$beta1, G$eta, G0$beta0, G0$beta1, G0$eta, G0$expert, type, r),
                  error = function(e) {
                    if (!grepl("not finite", conditionMessage(e), fixed = TRUE)) stop(e)
                    lsmoe_abort(sprintf(paste0("The %s loss between `G` and `G0` overflows (it is not finite): the ",
                                               "deviations between the atoms are too large%s."), type,
                                        if (type == "D2") sprintf(" for r = %s", format(r)) else ""), arg = "G")
                  })
  structure(list(
    value = res$value, type = type, r = if (type == "D2") r else NA_real_,
    assignment = as.integer(res$assignment), size = as.integer(res$size), distance = res$distance,
    breakdown = data.frame(atom = seq_len(G0$k), cell_size = as.integer(res$size),
                           weight_term = as.numeric(res$weight_term), parameter_term = as.numeric(res$parameter_term))
  ), class = "voronoi_loss_sigmoid")
}

#' @rdname voronoi_loss_sigmoid
#' @param x A `voronoi_loss_sigmoid` object.
#' @param ... Unused.
#' @export
print.voronoi_loss_sigmoid <- function(x, ...) {
  check_vls_object(x)
  lab <- if (x$type == "D2") sprintf("D2 (r = %s)", format(x$r)) else x$type
  cat(sprintf("<voronoi_loss_sigmoid> %s = %s\n", lab, format(signif(x$value, 6))))
  print(x$breakdown, row.names = FALSE)
  invisible(x)
}

#' @rdname voronoi_loss_sigmoid
#' @export
as.double.voronoi_loss_sigmoid <- function(x, ...) {
  v <- if (is.list(x)) x[["value", exact = TRUE]]
  if (!is.numeric(v) || length(v) != 1) {
    invalid_object("voronoi_loss_sigmoid", sprintf("`value` must be a single number, not %s", describe(v)))
  }
  as.double(v)
}

# A voronoi_loss_sigmoid object, possibly edited by hand: the fields print() uses.
check_vls_object <- function(x) {
  bad <- function(what) invalid_object("voronoi_loss_sigmoid", what)
  if (!is.list(x)) bad(sprintf("it must be a list, not %s", describe(unclass(x))))
  ty <- x[["type", exact = TRUE]]
  if (!is.character(ty) || length(ty) != 1 || is.na(ty) || !ty %in% c("D1", "D2", "D3")) {
    bad(sprintf("`type` must be \"D1\", \"D2\" or \"D3\", not %s", describe(ty)))
  }
  v <- x[["value", exact = TRUE]]
  if (!is.numeric(v) || length(v) != 1) bad(sprintf("`value` must be a single number, not %s", describe(v)))
  r <- x[["r", exact = TRUE]]
  if (ty == "D2" && (!is.numeric(r) || length(r) != 1)) bad(sprintf("`r` must be a single number, not %s", describe(r)))
  if (!is.data.frame(x[["breakdown", exact = TRUE]])) bad("`breakdown` must be a data frame")
  invisible(x)
}

# The time gbar_measure() would take, in seconds, before anything is drawn: measured on one core
# (n = 500 to 2000, k = 4 to 40, linear experts, d = 1) it grows like n k^2.9 times the number of
# starts (2 k* split starts, one when k = k*, and the n_starts global ones): 12 s at k = 16, 124 s
# at k = 40 (n = 500, 5 starts); k = 100 is about 40 minutes (the issue 29 run: 70). An error of
# class lsmoe_error_cost when it exceeds max_minutes. Other families and dimensions: k^2.9 is read
# as the number of parameters to the power 2.9, scaled by (1 + d + q) / 4 per atom.
gbar_seconds <- function(k, n, k0, n_starts, d = 1, q = 2) {
  1.5e-6 * n * (k * (1 + d + q) / 4)^2.9 * ((if (k > k0) 2 * k0 else 1) + n_starts)
}

check_gbar_cost <- function(k, n, k0, n_starts, max_minutes, d = 1, q = 2) {
  est <- gbar_seconds(k, n, k0, n_starts, d, q)
  if (est <= 60 * max_minutes) return(invisible(est))
  lsmoe_abort(sprintf(paste0(
    "gbar_measure() would take about %s (estimated for k = %d, n = %d and %d starts: the time grows like n k^2.9 ",
    "times the starts), more than `max_minutes` = %s. Lower `k` or `n`, or raise `max_minutes` (Inf to skip this check)."),
    format_duration(est), k, n, (if (k > k0) 2 * k0 else 1) + n_starts, format(max_minutes)),
    class = c("lsmoe_error_cost", "lsmoe_error_input"), arg = "max_minutes")
}

format_duration <- function(sec) {
  if (sec < 3600) sprintf("%.0f minutes", sec / 60) else if (sec < 48 * 3600) sprintf("%.1f hours", sec / 3600) else
    sprintf("%.0f days", sec / 86400)
}

#' The best k-atom approximation of a sigmoid-gated truth (G-bar)
#'
#' In Regime 2 of the companion paper (an over-fitted true atom has a non-zero gating slope), the
#' least squares estimator with k atoms converges not to the truth \eqn{G_*} but to
#' \deqn{\bar G \in \arg\min_{G \text{ with } k \text{ atoms}} \|f_G - f_{G_*}\|_{L^2(\mu)}.}{G-bar in argmin over G with k atoms of ||f_G - f_G*||_L2(mu).}
#' `gbar_measure()` computes it by fitting the k-atom sigmoid-gated model with [moe_lse_fit()] to a
#' large noiseless sample \eqn{(X_s, f_{G_*}(X_s))}, \eqn{s = 1, \dots, n}, \eqn{X_s \sim \mu}{X_s ~ mu}
#' (default n = 1e5 draws from Uniform\eqn{[0,1]^d}), from starts that split each true atom into
#' \eqn{k - k_* + 1} jittered copies (weights shared so that they sum to the atom's weight), plus
#' the fitter's own global starts (`control`); the smallest RSS wins. The empirical
#' \eqn{L^2} norm on n noiseless points replaces the \eqn{L^2(\mu)} norm; n = 1e5 is large enough
#' that the result moves by less than the fitter's tolerance-level noise when n doubles, when the
#' minimiser is unique (the package's tests check D3 between the fits at n and 2n for a case
#' where no atom can hide). Check it for your truth: fit at n and 2n and compare with
#' [voronoi_loss_sigmoid()] (`type = "D3"`).
#'
#' **Caveats.** The minimum is taken within the fitter's box (see [lse_control()]). For families
#' with a null expert (\eqn{h(x, 0) = 0}: linear, polynomial, ReLU, GELU, tanh) or positively
#' homogeneous ones (linear, ReLU: an atom's expert can be split between two atoms with the same
#' gate), \eqn{f_{G_*}} itself is representable with k atoms, so the minimum is 0 and
#' \eqn{\bar G}{G-bar} is not unique. Even without such experts an extra atom can hide inside the box
#' (gate or expert values near 0 at a large \eqn{|\beta_0|} or \eqn{|b|}). A warning of class
#' `lsmoe_warning_gbar` says so when k exceeds the number of true atoms and the mean squared
#' approximation error is below \eqn{10^{-10}} times the mean square of \eqn{f_{G_*}}, and when
#' estimates sit on a bound of the box (then \eqn{\bar G}{G-bar} depends on the box). With k equal to the
#' number of true atoms, \eqn{\bar G = G_*}{G-bar = G_*}. Sigmoid experts under the sigmoid gate are also
#' symmetric in \eqn{(\beta_{0i}, \beta_{1i}) \leftrightarrow (b_i, a_i)}{(beta_{0i}, beta_{1i}) <-> (b_i, a_i)} per atom (the product of
#' two sigmoids), so \eqn{\bar G}{G-bar} is unique at best up to that swap. And since
#' \eqn{s(z) = 1 - s(-z)}, an atom \eqn{(\beta_0, \beta_1, \eta)} equals its reflection
#' \eqn{(-\beta_0, -\beta_1, -\eta)} (for experts odd in \eqn{\eta}) plus the expert
#' \eqn{h(x, \eta)} itself, which a gating-slope-0 atom can absorb for linear and (rescaled)
#' ReLU experts: for those, \eqn{\bar G}{G-bar} can be \eqn{G_*} written with reflected atoms.
#'
#' @section Cost: The run time grows like \eqn{n k^{2.9}} times the number of starts
#'   (\eqn{2 k_*} split starts, one when \eqn{k = k_*}, plus `control$n_starts`): measured on one
#'   core with linear experts and d = 1, 12 s at k = 16 and 2 minutes at k = 40 (n = 500, 5 starts),
#'   about an hour at k = 100. Before drawing anything, `gbar_measure()` estimates it as
#'   \eqn{1.5 \cdot 10^{-6} n (k (1 + d + q) / 4)^{2.9}}{1.5e-6 n (k (1 + d + q) / 4)^2.9} seconds times the starts (q expert
#'   parameters per atom; \eqn{1 + d + q = 4} for linear experts in one dimension), and when the estimate exceeds
#'   `max_minutes` it stops with an error of class `lsmoe_error_cost` (also `lsmoe_error_input`)
#'   that gives the estimate; raise `max_minutes` to run it anyway. See [lsmoe_limits].
#'
#' @param G0 The truth \eqn{G_*}: a sigmoid-gated [mixing_measure()].
#' @param k Number of atoms, a whole number >= the number of atoms of `G0` (default one more).
#' @param n Size of the noiseless sample, whole number, at most 1e7 / d (see [lsmoe_limits];
#'   default 1e5; the package's tests check that the result does not move when it doubles).
#' @param x `NULL` (Uniform\eqn{[0,1]^d} inputs) or a function of `n` returning an n x d matrix.
#' @param control A [lse_control()] list for the fits (default 10 global starts).
#' @param jitter Relative jitter of the split starts, a number >= 0 (default 0.1).
#' @param seed Seed for the sample and the starts (default 1), or `NULL` to use the current state
#'   of R's generator; with a seed the generator's state is restored afterwards.
#' @param max_minutes Largest estimated run time accepted, in minutes, a number >= 0 or `Inf`
#'   (default 30). See Cost.
#' @returns A sigmoid-gated `mixing_measure` with k atoms and an extra component `gbar`: a list
#'   with `n`, `mse` (the mean squared approximation error \eqn{\frac1n \sum_s (f_{\bar G}(X_s) -
#'   f_{G_*}(X_s))^2}{(1/n) sum_s (f_{G-bar}(X_s) - f_{G_*}(X_s))^2}), `converged` and `on_bound` (estimates on a bound). Errors of class
#'   `lsmoe_error_input` for invalid arguments, and of class `lsmoe_error_cost` for a run estimated
#'   to take more than `max_minutes`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024b). Sigmoid gating is more sample efficient than
#' softmax gating in mixture of experts. NeurIPS 2024. \doi{10.48550/arXiv.2405.13997}
#' @seealso [voronoi_loss_sigmoid()] (`type = "D3"`)
#' @examples
#' # one true atom with a non-zero gating slope, fitted with two atoms (Regime 2)
#' G0 <- mixing_measure(beta0 = 0.5, beta1 = 6, eta = rbind(c(8, -4)),
#'                      expert = expert_sigmoid(), gate = gate_sigmoid())
#' Gbar <- gbar_measure(G0, k = 2, n = 5000, control = lse_control(n_starts = 2))
#' Gbar
#' Gbar$gbar$mse
#' @export
gbar_measure <- function(G0, k = NULL, n = 1e5, x = NULL, control = lse_control(n_starts = 10), jitter = 0.1, seed = 1,
                         max_minutes = 30) {
  G0 <- as_measure_arg(G0, "G0")
  if (gate_name(G0$gate) != "sigmoid") {
    lsmoe_abort("`G0` must be a sigmoid-gated measure (gate = gate_sigmoid()).", arg = "G0")
  }
  k <- if (is.null(k)) G0$k + 1L else check_count(k, "k", min = G0$k, max = 1000)
  n <- check_count(n, "n", max = floor(lsmoe_limits$fit_draws / G0$d))
  if (!is.null(x) && !is.function(x)) lsmoe_abort("`x` must be NULL or a function(n) returning an n x d matrix.", arg = "x")
  jitter <- check_number(jitter, "jitter", min = 0)
  control <- as_control(control)
  control$warn <- FALSE
  max_minutes <- check_number(max_minutes, "max_minutes", min = 0, allow_inf = TRUE)
  check_gbar_cost(k, n, G0$k, control$n_starts, max_minutes, G0$d, G0$q)
  if (!is.null(seed)) {
    seed <- check_count(seed, "seed", min = 0)
    if (!exists(".Random.seed", envir = .GlobalEnv, inherits = FALSE)) stats::runif(1)
    old <- get(".Random.seed", envir = .GlobalEnv)
    on.exit(assign(".Random.seed", old, envir = .GlobalEnv))
    set.seed(seed)
  }
  X <- draw_inputs(x, n, G0$d)
  f0 <- as.vector(eval_measure(G0, X, arg = "G0")$response)
  m <- k - G0$k + 1
  split_start <- function(j) {
    rest <- setdiff(seq_len(G0$k), j)
    wj <- stats::plogis(G0$beta0[j]) / m
    jit <- function(v) v + stats::rnorm(length(v), 0, jitter * (1 + abs(v)))
    copies <- function(v) matrix(unlist(lapply(seq_len(m), function(s) jit(v))), nrow = m, byrow = TRUE)
    list(beta0 = c(G0$beta0[rest], rep(stats::qlogis(wj), m)),
         beta1 = rbind(G0$beta1[rest, , drop = FALSE], copies(G0$beta1[j, ])),
         eta = rbind(G0$eta[rest, , drop = FALSE], copies(G0$eta[j, ])))
  }
  starts <- unlist(lapply(seq_len(G0$k), function(j) lapply(1:2, function(s) split_start(j))), recursive = FALSE)
  if (m == 1) starts <- list(list(beta0 = G0$beta0, beta1 = G0$beta1, eta = G0$eta))
  fit1 <- moe_fit(X, f0, numeric(0), k, G0$expert, starts, control, gate_sigmoid())
  fit2 <- tryCatch(moe_fit(X, f0, numeric(0), k, G0$expert, NULL, control, gate_sigmoid()),
                   error = function(e) NULL)
  fit <- if (!is.null(fit2) && fit2$rss < fit1$rss) fit2 else fit1
  p <- fit$coefficients
  out <- mixing_measure(unname(p$beta0), unname(p$beta1), unname(p$eta), G0$expert, gate_sigmoid())
  mse <- fit$rss / n
  out$gbar <- list(n = n, mse = mse, converged = fit$converged, on_bound = fit$on_bound)
  if (k > G0$k && mse <= 1e-10 * mean(f0^2)) {
    lsmoe_warn(sprintf(paste0("The k = %d atom fit reproduces f_G0 exactly (mean squared error %.3g): G-bar is not unique ",
                              "(f_G0 is representable with k atoms, e.g. by a null or split expert)."), k, mse),
               class = "lsmoe_warning_gbar")
  }
  if (fit$on_bound > 0) {
    lsmoe_warn(sprintf("%d estimate(s) of G-bar lie on a bound of the fitter's box: G-bar then depends on the bounds (see lse_control()).",
                       fit$on_bound), class = "lsmoe_warning_gbar")
  }
  out
}
