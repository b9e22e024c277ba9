# Voronoi cells, Voronoi losses and the regression error between mixing measures.
# The computation is in C++ (inst/include/lsmoe/voronoi.hpp, glue in src/voronoi.cpp).

#' Voronoi cells of a true mixing measure
#'
#' For a fitted measure \eqn{G} with atoms \eqn{\omega_i = (\beta_{1i}, \eta_i)},
#' \eqn{i = 1, \dots, k}, and a true measure \eqn{G_*} with atoms \eqn{\omega^*_j},
#' \eqn{j = 1, \dots, k_*}, the Voronoi cell of true atom \eqn{j} is
#' \deqn{A_j = \{ i : \|\omega_i - \omega^*_j\| \le \|\omega_i - \omega^*_l\| \ \forall l \},}{A_j = { i : ||omega_i - omega*_j|| <= ||omega_i - omega*_l|| for all l },}
#' with the Euclidean distance on \eqn{R^{d+q}}. A fitted atom equidistant from several true atoms
#' belongs to the cell of the lowest \eqn{j} (convention). \eqn{|A_j|} counts the fitted atoms
#' that approximate true atom \eqn{j}.
#'
#' With `align = TRUE` (default) the gating slopes of \eqn{G} are first shifted as in
#' [voronoi_loss()] (by \eqn{t_1}, which makes the weight-averaged slopes of the two measures
#' equal; the intercept shift \eqn{t_0} does not move the atoms), so that the cells agree with
#' those of `voronoi_loss(G, G0, align = TRUE)`.
#'
#' @param G The fitted mixing measure: a [mixing_measure()] or a [moe_lse()] fit (k atoms).
#' @param G0 The true mixing measure \eqn{G_*}: a [mixing_measure()] or a [moe_lse()] fit
#'   (k* atoms), with the same input dimension d and the same expert family as `G`.
#' @param align Logical, default `TRUE`: align `G` to `G0` first (see [voronoi_loss()]).
#' @returns An object of class `voronoi_cells`, a list with
#' * `assignment`: integer vector of length k, the true atom (cell) of each fitted atom;
#' * `cells`: list of length k*, the (increasing) indices of the fitted atoms in each cell;
#' * `size`: integer vector of length k*, the cell sizes \eqn{|A_j|};
#' * `distance`: numeric matrix k x k*, \eqn{\|\omega_i - \omega^*_j\|} (after alignment);
#' * `aligned` (logical) and `shift`: list of `t0` (number) and `t1` (numeric d), zero when not
#'   aligned.
#'
#' Errors of class `lsmoe_error_input` when `G` or `G0` is not a measure or fit, or when they
#' differ in input dimension or expert family.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [voronoi_loss()]
#' @examples
#' # the gate switches at x = 0.5; experts sigmoid(12 x - 9) and sigmoid(3 - 12 x)
#' G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0),
#'                      eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
#' # over-specified: two fitted atoms near true atom 1
#' G <- mixing_measure(beta0 = log(c(0.004, 0.003, 1)), beta1 = c(10.2, 9.7, 0.1),
#'                     eta = rbind(c(12.3, -9.1), c(11.6, -8.8), c(-12, 3.1)),
#'                     expert = expert_sigmoid())
#' voronoi_cells(G, G0)
#' @export
voronoi_cells <- function(G, G0, align = TRUE) {
  G <- as_measure_arg(G, "G")
  G0 <- as_measure_arg(G0, "G0")
  measures_compatible(G, G0)
  align <- check_flag(align, "align")
  res <- cpp_voronoi_cells(G$beta0, G$beta1, t(G$eta), G0$beta0, G0$beta1, t(G0$eta), align)
  new_voronoi_cells(res, G$k, G0$k, align)
}

new_voronoi_cells <- function(res, k, k0, align) {
  assignment <- as.integer(res$assignment)
  distance <- matrix(res$distance, k, k0, dimnames = list(paste0("atom", seq_len(k)), paste0("true", seq_len(k0))))
  structure(list(
    assignment = assignment,
    cells = lapply(seq_len(k0), function(j) which(assignment == j)),
    size = as.integer(res$size),
    distance = distance,
    aligned = align,
    shift = list(t0 = res$t0, t1 = as.numeric(res$t1))
  ), class = "voronoi_cells")
}

#' @rdname voronoi_cells
#' @param x A `voronoi_cells` object.
#' @param ... Unused.
#' @export
print.voronoi_cells <- function(x, ...) {
  k0 <- length(x$size)
  cat(sprintf("<voronoi_cells> %d fitted atom(s) in the cells of %d true atom(s)%s\n", length(x$assignment), k0,
              if (x$aligned) " (aligned)" else ""))
  for (j in seq_len(k0)) {
    cat(sprintf("  A_%d (size %d): %s\n", j, x$size[j],
                if (x$size[j]) paste(x$cells[[j]], collapse = ", ") else "empty"))
  }
  invisible(x)
}

#' Voronoi losses between mixing measures
#'
#' Computes the Voronoi loss of a fitted mixing measure \eqn{G} (k atoms) against a true one
#' \eqn{G_*} (k* atoms), the loss in which Nguyen, Ho and Rinaldo (2024) state the parameter
#' rates of the least squares estimator. With the Voronoi cells \eqn{A_j} of [voronoi_cells()],
#' \eqn{\Delta\beta_{1ij} = \beta_{1i} - \beta^*_{1j}} and \eqn{\Delta\eta_{ij} = \eta_i - \eta^*_j}:
#'
#' **D1** (strongly identifiable experts such as sigmoid and tanh):
#' \deqn{D_1(G, G_*) = \sum_{j: |A_j| > 1} \sum_{i \in A_j} e^{\beta_{0i}} (\|\Delta\beta_{1ij}\|^2 + \|\Delta\eta_{ij}\|^2)
#'   + \sum_{j: |A_j| = 1} \sum_{i \in A_j} e^{\beta_{0i}} (\|\Delta\beta_{1ij}\| + \|\Delta\eta_{ij}\|)
#'   + \sum_{j=1}^{k_*} \Big| \sum_{i \in A_j} e^{\beta_{0i}} - e^{\beta^*_{0j}} \Big|.}{D1 = sum_{j: |A_j| > 1} sum_{i in A_j} exp(beta0_i) (||dbeta1||^2 + ||deta||^2) + sum_{j: |A_j| = 1} sum_{i in A_j} exp(beta0_i) (||dbeta1|| + ||deta||) + sum_j |sum_{i in A_j} exp(beta0_i) - exp(beta0*_j)|.}
#'
#' **D2,r** (linear and polynomial experts, \eqn{r \ge 1}), with ridge expert parameters
#' \eqn{\eta = (a, b)}:
#' \deqn{D_{2,r}(G, G_*) = \sum_{j=1}^{k_*} \sum_{i \in A_j} e^{\beta_{0i}} (\|\Delta\beta_{1ij}\|^r + \|\Delta a_{ij}\|^r + |\Delta b_{ij}|^r)
#'   + \sum_{j=1}^{k_*} \Big| \sum_{i \in A_j} e^{\beta_{0i}} - e^{\beta^*_{0j}} \Big|.}{D2r = sum_j sum_{i in A_j} exp(beta0_i) (||dbeta1||^r + ||da||^r + |db|^r) + sum_j |sum_{i in A_j} exp(beta0_i) - exp(beta0*_j)|.}
#' The expert parameter is split into blocks, each contributing its own \eqn{\|\cdot\|^r}: for
#' an output-weighted ridge expert \eqn{\eta = (a, b, c)} the output weight adds
#' \eqn{|\Delta c_{ij}|^r} (it is treated like \eqn{b}); for [expert_constant()],
#' \eqn{\eta = b} and the expert term is \eqn{|\Delta b_{ij}|^r}. In D1 the whole vector
#' \eqn{\eta} (including any \eqn{c}) enters through \eqn{\|\Delta\eta_{ij}\|}.
#'
#' An empty cell contributes its weight term \eqn{e^{\beta^*_{0j}}}. Neither loss is symmetric;
#' both are zero exactly when \eqn{G = G_*}, and neither depends on the order of the atoms
#' (up to ties between cells, which go to the lowest true atom).
#'
#' **Alignment** (`align = TRUE`, the package's convention). The softmax gate is invariant to a
#' common shift of all \eqn{(\beta_{0i}, \beta_{1i})}, so \eqn{G} is first shifted by
#' \eqn{(t_0, t_1)} with
#' \deqn{\sum_i e^{\beta_{0i} + t_0} = \sum_j e^{\beta^*_{0j}}, \qquad
#'   \sum_i w_i (\beta_{1i} + t_1) = \sum_j w^*_j \beta^*_{1j},}{sum_i exp(beta0_i + t0) = sum_j exp(beta0*_j),  sum_i w_i (beta1_i + t1) = sum_j w*_j beta1*_j,}
#' where \eqn{w = \mathrm{softmax}(\beta_0)} and \eqn{w^* = \mathrm{softmax}(\beta^*_0)} are the
#' normalised weights; cells and loss are computed at the shifted \eqn{G}. An exact translate of
#' \eqn{G_*} then has loss 0. Use `align = FALSE` when both measures are already anchored the
#' same way.
#'
#' @inheritParams voronoi_cells
#' @param type One of `"D1"` (default) or `"D2"`.
#' @param r The exponent \eqn{r \ge 1} of D2, a finite number. Default 2. Ignored (and not
#'   checked) for D1.
#' @param align Logical, default `TRUE`: align \eqn{G} to \eqn{G_*} first (see Details).
#' @returns An object of class `voronoi_loss`, a list with
#' * `value`: the loss, a non-negative number (also given by `as.numeric()`);
#' * `type` (`"D1"` or `"D2"`), `r` (`NA` for D1), `aligned` (logical);
#' * `shift`: list of `t0` (number) and `t1` (numeric d), zero when not aligned;
#' * `cells`: the [voronoi_cells()] object;
#' * `breakdown`: data frame with one row per true atom: `atom`, `cell_size`, `weight_term`
#'   (\eqn{|\sum_{i \in A_j} e^{\beta_{0i}} - e^{\beta^*_{0j}}|}) and `parameter_term` (the
#'   cell's parameter part of the loss); `value` is the sum of the last two columns.
#'
#' Errors of class `lsmoe_error_input` when `G` or `G0` is not a measure or fit, when they
#' differ in input dimension or expert family, for an unknown `type`, for `r` below 1 (D2), or a
#' non-logical `align`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Nguyen, T. and Ho, N. (2023). Demystifying softmax gating function in Gaussian
#' mixture of experts. NeurIPS 2023. \doi{10.48550/arXiv.2305.03288}
#' @seealso [voronoi_cells()], [regression_error()]
#' @examples
#' # the gate switches at x = 0.5; experts sigmoid(12 x - 9) and sigmoid(3 - 12 x)
#' G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0),
#'                      eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
#' # over-specified: two fitted atoms near true atom 1
#' G <- mixing_measure(beta0 = log(c(0.004, 0.003, 1)), beta1 = c(10.2, 9.7, 0.1),
#'                     eta = rbind(c(12.3, -9.1), c(11.6, -8.8), c(-12, 3.1)),
#'                     expert = expert_sigmoid())
#' loss <- voronoi_loss(G, G0)
#' loss
#' as.numeric(loss)
#' loss$breakdown
#' voronoi_loss(G, G0, type = "D2", r = 1)
#'
#' # a translate of the truth has loss 0 after alignment
#' G1 <- mixing_measure(G0$beta0 + 1, G0$beta1 - 2, G0$eta, expert_sigmoid())
#' as.numeric(voronoi_loss(G1, G0))
#' @export
voronoi_loss <- function(G, G0, type = c("D1", "D2"), r = 2, align = TRUE) {
  G <- as_measure_arg(G, "G")
  G0 <- as_measure_arg(G0, "G0")
  measures_compatible(G, G0)
  type <- match_choice(type, c("D1", "D2"), "type")
  r <- if (type == "D2") check_number(r, "r", min = 1) else NA_real_
  align <- check_flag(align, "align")
  res <- cpp_voronoi_loss(G$beta0, G$beta1, t(G$eta), G0$beta0, G0$beta1, t(G0$eta), G0$expert, type,
                          if (is.na(r)) 1 else r, align)
  cells <- new_voronoi_cells(res, G$k, G0$k, align)
  structure(list(
    value = res$value,
    type = type,
    r = r,
    aligned = align,
    shift = cells$shift,
    cells = cells,
    breakdown = data.frame(atom = seq_len(G0$k), cell_size = cells$size,
                           weight_term = as.numeric(res$weight_term),
                           parameter_term = as.numeric(res$parameter_term))
  ), class = "voronoi_loss")
}

#' @rdname voronoi_loss
#' @param x A `voronoi_loss` object.
#' @param ... Unused.
#' @export
print.voronoi_loss <- function(x, ...) {
  lab <- if (x$type == "D1") "D1" else sprintf("D2 (r = %s)", format(x$r))
  cat(sprintf("<voronoi_loss> %s = %s%s\n", lab, format(signif(x$value, 6)),
              if (x$aligned) sprintf(" (aligned: t0 = %s, t1 = %s)", format(signif(x$shift$t0, 4)),
                                     paste(format(signif(x$shift$t1, 4)), collapse = ", ")) else ""))
  print(x$breakdown, row.names = FALSE)
  invisible(x)
}

#' @rdname voronoi_loss
#' @export
as.double.voronoi_loss <- function(x, ...) as.double(x$value)

#' Regression error between two mixing measures
#'
#' Monte Carlo estimate of the \eqn{L^2(\mu)} distance between two regression functions,
#' \deqn{\|f_G - f_{G_*}\|_{L^2(\mu)} = \Big(\int (f_G(x) - f_{G_*}(x))^2\, d\mu(x)\Big)^{1/2}
#'   \approx \Big(\frac{1}{m} \sum_{s=1}^m (f_G(X_s) - f_{G_*}(X_s))^2\Big)^{1/2},}{||f_G - f_G0||_L2(mu) ~ sqrt(mean((f_G(X_s) - f_G0(X_s))^2)),}
#' with \eqn{X_1, \dots, X_m \sim \mu = \mathrm{Uniform}[0, 1]^d} by default (R's random number
#' generator: use `set.seed()` for reproducibility). The standard error is the delta-method one,
#' \eqn{\mathrm{sd}(D^2) / (2 \sqrt{m}\, \widehat{\|\cdot\|})} with
#' \eqn{D = f_G(X) - f_{G_*}(X)} (0 when the estimate is 0).
#'
#' The regression function is defined for any expert family, so `G` and `G0` may use different
#' families (for example a sigmoid fit against a linear truth); they must share the input
#' dimension d.
#'
#' @param G,G0 Mixing measures: [mixing_measure()] objects or [moe_lse()] fits, with the same d.
#' @param n_mc Monte Carlo sample size m, whole number >= 1. Default `1e5`. Ignored when `x` is
#'   a matrix.
#' @param x `NULL` (default: Uniform\eqn{[0, 1]^d}), a numeric matrix m x d of inputs (a vector
#'   when d = 1; the average is then over its rows), or a function of `n` returning an n x d
#'   matrix (called with `n_mc`).
#' @returns The estimate, a non-negative number with attribute `"se"` (its Monte Carlo standard
#'   error). Errors of class `lsmoe_error_input` for invalid measures, measures of different
#'   input dimension, an invalid `n_mc`, or invalid `x`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [voronoi_loss()], [simulate_moe()]
#' @examples
#' # the gate switches at x = 0.5; experts sigmoid(12 x - 9) and sigmoid(3 - 12 x)
#' G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0),
#'                      eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
#' G <- mixing_measure(beta0 = c(-4.9, 0), beta1 = c(10.2, 0),
#'                     eta = rbind(c(12, -9.1), c(-12, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' regression_error(G, G0, n_mc = 1e4)
#' @export
regression_error <- function(G, G0, n_mc = 1e5, x = NULL) {
  G <- as_measure_arg(G, "G")
  G0 <- as_measure_arg(G0, "G0")
  measures_compatible(G, G0, same_expert = FALSE)
  n <- if (is.null(x) || is.function(x)) check_count(n_mc, "n_mc") else NULL
  X <- draw_inputs(x, n, G$d, arg = "x", n_arg = "n_mc")
  D <- as.vector(eval_measure(G, X)$response) - as.vector(eval_measure(G0, X)$response)
  D2 <- D^2
  m <- mean(D2)
  est <- sqrt(m)
  se <- if (m > 0 && length(D2) > 1) stats::sd(D2) / sqrt(length(D2)) / (2 * est) else 0
  structure(est, se = se)
}
