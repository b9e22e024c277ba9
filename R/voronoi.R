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
#' that approximate true atom \eqn{j}. Atoms of output-weighted tanh experts are compared in the
#' form with \eqn{c \ge 0}: \eqn{(a, b, c)} and \eqn{(-a, -b, -c)} give the same expert, and
#' [moe_lse()] reports \eqn{c > 0}.
#'
#' With `align = "moment"` (default; `TRUE` means the same) the gating slopes of \eqn{G} are
#' first shifted as in [voronoi_loss()] (by \eqn{t_1}, which makes the weight-averaged slopes of
#' the two measures equal; the intercept shift \eqn{t_0} does not move the atoms), so that the
#' cells agree with those of `voronoi_loss(G, G0, align = "moment")`. With `align = "none"` (or
#' `FALSE`) the atoms are compared as given. The cells of the infimum alignment depend on the
#' loss: read them from `voronoi_loss(G, G0, align = "infimum")$cells`.
#'
#' @param G The fitted mixing measure: a [mixing_measure()] or a [moe_lse()] fit (k atoms).
#' @param G0 The true mixing measure \eqn{G_*}: a [mixing_measure()] or a [moe_lse()] fit
#'   (k* atoms), with the same input dimension d and the same expert family as `G`.
#' @param align `"moment"` (default) or `"none"`; `TRUE` and `FALSE` are accepted for them.
#' @returns An object of class `voronoi_cells`, a list with
#' * `assignment`: integer vector of length k, the true atom (cell) of each fitted atom;
#' * `cells`: list of length k*, the (increasing) indices of the fitted atoms in each cell;
#' * `size`: integer vector of length k*, the cell sizes \eqn{|A_j|};
#' * `distance`: numeric matrix k x k*, \eqn{\|\omega_i - \omega^*_j\|}{||omega_i - omega*_j||} (after alignment);
#' * `aligned` (logical), `align` (the alignment) and `shift`: list of `t0` (number) and `t1`
#'   (numeric d), zero when not aligned, and `measure` (`"G"` or `"G0"`: which measure was
#'   translated).
#'
#' Errors of class `lsmoe_error_input` when `G` or `G0` is not a measure or fit, when they
#' differ in input dimension or expert family, or for an unknown `align`.
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
voronoi_cells <- function(G, G0, align = c("moment", "none")) {
  G <- canonical_atoms(as_measure_arg(G, "G"))
  G0 <- canonical_atoms(as_measure_arg(G0, "G0"))
  measures_compatible(G, G0)
  align <- match_align(align)
  if (align == "infimum") {
    lsmoe_abort("The cells of `align = \"infimum\"` depend on the loss: use voronoi_loss(G, G0, align = \"infimum\")$cells.",
                arg = "align")
  }
  res <- cpp_voronoi_cells(G$beta0, G$beta1, G$eta, G0$beta0, G0$beta1, G0$eta, align == "moment")
  new_voronoi_cells(res, G$k, G0$k, align)
}

# Alignment choice: "moment", "infimum" or "none"; TRUE / FALSE mean "moment" / "none".
match_align <- function(align) {
  if (is.logical(align) && length(align) == 1 && !is.na(align)) return(if (align) "moment" else "none")
  if (identical(align, c("moment", "none"))) return("moment")
  match_choice(align, c("moment", "infimum", "none"), "align")
}

new_voronoi_cells <- function(res, k, k0, align) {
  if (is.logical(align)) align <- if (align) "moment" else "none"
  assignment <- as.integer(res$assignment)
  distance <- matrix(res$distance, k, k0, dimnames = list(paste0("atom", seq_len(k)), paste0("true", seq_len(k0))))
  structure(list(
    assignment = assignment,
    cells = lapply(seq_len(k0), function(j) which(assignment == j)),
    size = as.integer(res$size),
    distance = distance,
    aligned = align != "none",
    align = align,
    shift = list(t0 = res$t0, t1 = as.numeric(res$t1), measure = if (align == "infimum") "G0" else "G")
  ), class = "voronoi_cells")
}

#' @rdname voronoi_cells
#' @param x A `voronoi_cells` object.
#' @param ... Unused.
#' @export
print.voronoi_cells <- function(x, ...) {
  if (!is.list(x)) invalid_object("voronoi_cells", sprintf("it must be a list, not %s", describe(unclass(x))))
  sz <- x[["size", exact = TRUE]]
  cells <- x[["cells", exact = TRUE]]
  if (!is.numeric(sz) || anyNA(sz) || any(sz < 0 | sz > .Machine$integer.max) || !is.list(cells) || length(cells) != length(sz)) {
    invalid_object("voronoi_cells", "`size` must be whole numbers, one per cell of `cells`")
  }
  k0 <- length(x$size)
  al <- x[["align", exact = TRUE]]
  if (!is.null(al) && (!is.character(al) || length(al) != 1 || !al %in% c("moment", "infimum", "none"))) {
    invalid_object("voronoi_cells", "`align` must be \"moment\", \"infimum\" or \"none\"")
  }
  cat(sprintf("<voronoi_cells> %d fitted atom(s) in the cells of %d true atom(s)%s\n", length(x$assignment), k0,
              if (isTRUE(x[["aligned", exact = TRUE]])) sprintf(" (%s alignment)", if (is.null(al)) "moment" else al) else ""))
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
#' \eqn{\Delta\beta_{1ij} = \beta_{1i} - \beta^*_{1j}}{Delta beta_{1ij} = beta_{1i} - beta*_{1j}} and \eqn{\Delta\eta_{ij} = \eta_i - \eta^*_j}{Delta eta_{ij} = eta_i - eta*_j}:
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
#' The expert parameter is split into blocks, each contributing its own \eqn{\|\cdot\|^r}{||.||^r}: for
#' an output-weighted ridge expert \eqn{\eta = (a, b, c)} the output weight adds
#' \eqn{|\Delta c_{ij}|^r} (it is treated like \eqn{b}); for [expert_constant()],
#' \eqn{\eta = b} and the expert term is \eqn{|\Delta b_{ij}|^r}. In D1 the whole vector
#' \eqn{\eta} (including any \eqn{c}) enters through \eqn{\|\Delta\eta_{ij}\|}{||Delta eta_{ij}||}. Atoms of
#' output-weighted tanh experts are compared in the form with \eqn{c \ge 0} (as in
#' [voronoi_cells()]).
#'
#' An empty cell contributes its weight term \eqn{e^{\beta^*_{0j}}}. Neither loss is symmetric;
#' both are zero exactly when \eqn{G = G_*}, and neither depends on the order of the atoms
#' (up to ties between cells, which go to the lowest true atom).
#'
#' **Alignment.** The softmax gate is invariant to a common shift of all
#' \eqn{(\beta_{0i}, \beta_{1i})}, so the translation must be removed before measures are
#' compared. Three choices:
#' * `align = "moment"` (default; the package's convention, `TRUE` means the same): \eqn{G} is
#'   first shifted by \eqn{(t_0, t_1)} with
#'   \deqn{\sum_i e^{\beta_{0i} + t_0} = \sum_j e^{\beta^*_{0j}}, \qquad
#'   \sum_i w_i (\beta_{1i} + t_1) = \sum_j w^*_j \beta^*_{1j},}{sum_i exp(beta0_i + t0) = sum_j exp(beta0*_j),  sum_i w_i (beta1_i + t1) = sum_j w*_j beta1*_j,}
#'   where \eqn{w = \mathrm{softmax}(\beta_0)}{w = softmax(beta_0)} and \eqn{w^* = \mathrm{softmax}(\beta^*_0)}{w* = softmax(beta*_0)} are the
#'   normalised weights; cells and loss are computed at the shifted \eqn{G}. An exact translate
#'   of \eqn{G_*} then has loss 0. A surplus component with a large gating slope and some weight
#'   moves the weighted mean slope, hence every fitted slope.
#' * `align = "infimum"` (Nguyen, Nguyen and Ho, 2023): the infimum of the loss over translations
#'   \eqn{(t_0, t_1)} of the **true** measure that keep its gating parameters in the compact box,
#'   \deqn{\inf_{(t_0, t_1):\ |\beta^*_{0j} + t_0| \le B,\ \|\beta^*_{1j} + t_1\|_\infty \le B\ \forall j} D(G, G_* + (t_0, t_1)),}{inf over (t0, t1) with |beta0*_j + t0| <= B and |beta1*_j + t1| <= B for all j of D(G, G* + (t0, t1)),}
#'   with \eqn{B} = `bound_gate` and the cells recomputed at the translated true atoms. The fitted
#'   weights stay on the parameter terms, so the loss cannot degenerate by shrinking them, and no
#'   surplus component drags the others. Computed exactly for \eqn{d = 1} (any k): the cells
#'   change only at finitely many translations \eqn{t_1} (where a fitted atom is equidistant from
#'   two translated true atoms, a linear equation in \eqn{t_1}); between them the loss splits into
#'   a weight part in \eqn{t_0} alone, minimised exactly by a weighted median of
#'   \eqn{\sum_{i \in A_j} e^{\beta_{0i}} / e^{\beta^*_{0j}}}{sum_{i in A_j} exp(beta_{0i}) / exp(beta*_{0j})} clamped to the box, and a parameter
#'   part convex in \eqn{t_1}, minimised by bisection on its one-sided derivatives down to
#'   adjacent doubles. The infimum is the smallest of these minima over the closed intervals and of
#'   the values at the breakpoints (where the tie rule forms the cells), so the returned loss is
#'   the infimum up to rounding. At the minimiser the cells reported are those of the minimising
#'   interval (on a boundary between two intervals they can differ from the tie rule's). `shift`
#'   then holds the translation of \eqn{G_*}. Not implemented for \eqn{d > 1} (an error).
#'   The fitted weights \eqn{e^{\beta_{0i}}} multiply the parameter terms, and a fit's
#'   \eqn{\beta_0} are defined only up to a common shift (a [moe_lse()] fit anchors its last
#'   component, \eqn{\beta_{0k} = 0}; when that is a small surplus component the other weights
#'   would be huge). So \eqn{G} is first shifted in \eqn{\beta_0} alone so that its total weight
#'   equals that of \eqn{G_*} (the \eqn{t_0} of the moment alignment, a symmetry of \eqn{f_G}); the
#'   loss then does not depend on how the fit is anchored. (Without this step, an over-specified
#'   sigmoid fit at n = 1000 whose anchored component was a small surplus one gave D1 = 96,960
#'   against 2.60 under the moment alignment.)
#' * `align = "none"` (or `FALSE`): the measures are compared as given, for instance when both are
#'   anchored the same way.
#'
#' **Decomposition** (`terms = TRUE`). Per true atom \eqn{j}, the loss is its weight term
#' \eqn{|\sum_{i \in A_j} e^{\beta_{0i}} - e^{\beta^*_{0j}}|}{|sum_{i in A_j} exp(beta_{0i}) - exp(beta*_{0j})|} plus the cell's parameter terms,
#' reported as `split` when \eqn{|A_j| > 1} (the atom is fitted by several components: for D1 the
#' squared distances) and as `single` when \eqn{|A_j| = 1} (for D1 the distances); the columns add
#' up to the loss.
#'
#' **Numerical limits.** \eqn{r} is at most 100, so that r-th powers of deviations between
#' \eqn{10^{-3}} and \eqn{10^3} are representable. A loss that overflows (huge weights
#' \eqn{e^{\beta_{0i}}} or deviations) is an error of class `lsmoe_error_input`; a loss that
#' underflows to zero (or a subnormal number) although the measures differ gives a warning of class
#' `lsmoe_warning_underflow`.
#'
#' @inheritParams voronoi_cells
#' @param type One of `"D1"` (default) or `"D2"`; for sigmoid-gated measures also `"D3"`: their losses
#'   are those of [voronoi_loss_sigmoid()] (paper notes, section 7), computed without alignment.
#' @param r The exponent \eqn{r} of D2, a finite number in \eqn{[1, 100]}. Default 2. Ignored (and
#'   not checked) for D1.
#' @param align `"moment"` (default), `"infimum"` or `"none"` (see Details); `TRUE` and `FALSE`
#'   are accepted for `"moment"` and `"none"`.
#' @param terms Logical, default `FALSE`. With `TRUE`, return the per-cell decomposition (a data
#'   frame of class `voronoi_terms`) instead of the loss object.
#' @param bound_gate The box \eqn{B} of the infimum alignment: a finite positive number, default
#'   the fitter's `lse_control()$bound_gate`. Used only with `align = "infimum"`; the true
#'   measure's gating parameters must fit in \eqn{[-B, B]} after some translation.
#' @returns An object of class `voronoi_loss`, a list with
#' * `value`: the loss, a non-negative number (also given by `as.numeric()`);
#' * `type` (`"D1"` or `"D2"`), `r` (`NA` for D1), `align` (the alignment), `aligned` (logical,
#'   `align != "none"`);
#' * `shift`: list of `t0` (number), `t1` (numeric d) and `measure` (`"G"` for the moment
#'   alignment, `"G0"` for the infimum: which measure was translated), zero when not aligned;
#' * `cells`: the [voronoi_cells()] object;
#' * `breakdown`: data frame with one row per true atom: `atom`, `cell_size`, `weight_term`,
#'   `split_term`, `single_term` and `parameter_term` (`split_term + single_term`); `value` is
#'   the sum of `weight_term` and `parameter_term`.
#'
#' With `terms = TRUE`, a data frame of class `voronoi_terms` with one row per true atom: `atom`,
#' `cell_size`, `weight`, `split`, `single` (the terms above), with attributes `value`, `type`,
#' `r` and `align`.
#'
#' Errors of class `lsmoe_error_input` when `G` or `G0` is not a measure or fit, when they
#' differ in input dimension or expert family, for an unknown `type` or `align`, for `r` outside
#' \eqn{[1, 100]} (D2), an invalid `bound_gate` or a true measure that does not fit in its box
#' (infimum), the infimum alignment with \eqn{d > 1}, or a loss that overflows.
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
#' voronoi_loss(G, G0, terms = TRUE)      # weight, split-cell and single-cell terms
#' voronoi_loss(G, G0, align = "infimum") # translate the truth within the box instead
#'
#' # a translate of the truth has loss 0 after alignment
#' G1 <- mixing_measure(G0$beta0 + 1, G0$beta1 - 2, G0$eta, expert_sigmoid())
#' as.numeric(voronoi_loss(G1, G0))
#' @export
voronoi_loss <- function(G, G0, type = c("D1", "D2", "D3"), r = 2, align = c("moment", "infimum", "none"),
                         terms = FALSE, bound_gate = lse_control()$bound_gate) {
  # Longer than 60 lines: its length is the validation of the arguments and of the two measures, before one C++ call.
  G <- canonical_atoms(as_measure_arg(G, "G"))
  G0 <- canonical_atoms(as_measure_arg(G0, "G0"))
  measures_compatible(G, G0)
  if (missing(type)) type <- "D1"
  if (gate_name(G0$gate) == "sigmoid") {
    # sigmoid gating has its own losses (no translation invariance, no alignment)
    if (!missing(align) || !missing(terms) || !missing(bound_gate)) {
      lsmoe_abort("`align`, `terms` and `bound_gate` apply to softmax-gated measures only.", arg = "align")
    }
    return(voronoi_loss_sigmoid(G, G0, type = type, r = r))
  }
  type <- match_choice(type, c("D1", "D2"), "type")
  r <- if (type == "D2") check_number(r, "r", min = 1, max = 100) else NA_real_
  align <- match_align(align)
  terms <- check_flag(terms, "terms")
  if (align == "infimum") {
    bound_gate <- check_number(bound_gate, "bound_gate", min = 0, strict_min = TRUE)
    if (G0$d > 1) {
      lsmoe_abort(sprintf("`align = \"infimum\"` is implemented for d = 1 only (here d = %d): use \"moment\".", G0$d),
                  arg = "align")
    }
    spread0 <- diff(range(G0$beta0)); spread1 <- diff(range(G0$beta1))
    if (spread0 > 2 * bound_gate || spread1 > 2 * bound_gate) {
      lsmoe_abort(sprintf(paste0("The gating parameters of `G0` span %s, more than the box [-bound_gate, bound_gate] = ",
                                 "[-%s, %s] allows: no translation keeps them inside."),
                          format(signif(max(spread0, spread1), 4)), format(bound_gate), format(bound_gate)),
                  arg = "bound_gate")
    }
    # the fit's weights on the truth's total (a common shift of its beta0 leaves f_G unchanged)
    lse <- function(v) max(v) + log(sum(exp(v - max(v))))
    G$beta0 <- G$beta0 - lse(G$beta0) + lse(G0$beta0)
  } else {
    bound_gate <- Inf
  }
  res <- cpp_voronoi_loss(G$beta0, G$beta1, G$eta, G0$beta0, G0$beta1, G0$eta, G0$expert, type,
                          if (is.na(r)) 1 else r, align, bound_gate)
  if (isTRUE(res$overflow)) {
    lsmoe_abort(sprintf(paste0("The %s loss between `G` and `G0` overflows (it exceeds the largest double): the weights ",
                               "exp(beta0) or the deviations between the atoms are too large%s."), type,
                        if (type == "D2") sprintf(" for r = %s", format(r)) else ""), arg = "G")
  }
  if (isTRUE(res$underflow)) {
    lsmoe_warn(sprintf(paste0("The %s loss underflows: it is %s although the measures differ (the %s of the ",
                              "deviations are below the smallest double)."), type, format(res$value),
                       if (type == "D2") sprintf("%s-th powers", format(r)) else "terms"),
               class = "lsmoe_warning_underflow")
  }
  cells <- new_voronoi_cells(res, G$k, G0$k, align)
  breakdown <- data.frame(atom = seq_len(G0$k), cell_size = cells$size,
                          weight_term = as.numeric(res$weight_term),
                          split_term = as.numeric(res$split_term),
                          single_term = as.numeric(res$single_term),
                          parameter_term = as.numeric(res$parameter_term))
  if (terms) {
    return(structure(data.frame(atom = breakdown$atom, cell_size = breakdown$cell_size,
                                weight = breakdown$weight_term, split = breakdown$split_term,
                                single = breakdown$single_term),
                     class = c("voronoi_terms", "data.frame"), value = res$value, type = type, r = r, align = align))
  }
  structure(list(
    value = res$value,
    type = type,
    r = r,
    align = align,
    aligned = align != "none",
    shift = cells$shift,
    cells = cells,
    breakdown = breakdown
  ), class = "voronoi_loss")
}

#' @rdname voronoi_loss
#' @param x A `voronoi_loss` object.
#' @param ... Unused.
#' @export
print.voronoi_loss <- function(x, ...) {
  if (!is.list(x)) invalid_object("voronoi_loss", sprintf("it must be a list, not %s", describe(unclass(x))))
  ty <- x[["type", exact = TRUE]]
  if (!is.character(ty) || length(ty) != 1 || !ty %in% c("D1", "D2", "D3")) invalid_object("voronoi_loss", "`type` must be \"D1\", \"D2\" or \"D3\"")
  sh <- x[["shift", exact = TRUE]]
  al <- x[["align", exact = TRUE]]
  if (!is.null(al) && (!is.character(al) || length(al) != 1 || !al %in% c("moment", "infimum", "none"))) {
    invalid_object("voronoi_loss", "`align` must be \"moment\", \"infimum\" or \"none\"")
  }
  if ((is.null(al) && isTRUE(x[["aligned", exact = TRUE]]) || !is.null(al) && al != "none") && (!is.list(sh) || is.null(sh$t0) || is.null(sh$t1))) {
    invalid_object("voronoi_loss", "`shift` must be a list with t0 and t1 for an aligned loss")
  }
  if (!is.numeric(x[["value", exact = TRUE]]) || !is.numeric(x[["r", exact = TRUE]]) && ty == "D2" ||
      !is.null(sh) && (!is.list(sh) || !is.numeric(sh$t0) && !is.null(sh$t0) || !is.numeric(sh$t1) && !is.null(sh$t1)) ||
      !is.data.frame(x[["breakdown", exact = TRUE]])) {
    invalid_object("voronoi_loss", "`value`, `r` and `shift` must be numbers and `breakdown` a data frame")
  }
  lab <- if (x$type == "D1") "D1" else sprintf("D2 (r = %s)", format(x$r))
  # exact matching: without `align`, x$align would be `aligned`
  if (is.null(al)) al <- if (isTRUE(x[["aligned", exact = TRUE]])) "moment" else "none"
  cat(sprintf("<voronoi_loss> %s = %s%s\n", lab, format(signif(x$value, 6)),
              if (al != "none") sprintf(" (%s alignment, %s shifted: t0 = %s, t1 = %s)", al,
                                        if (al == "infimum") "G0" else "G", format(signif(x$shift$t0, 4)),
                                        paste(format(signif(x$shift$t1, 4)), collapse = ", ")) else ""))
  print(x$breakdown, row.names = FALSE)
  invisible(x)
}

#' @rdname voronoi_loss
#' @export
as.double.voronoi_loss <- function(x, ...) {
  v <- if (is.list(x)) x[["value", exact = TRUE]]
  if (!is.numeric(v) || length(v) != 1) invalid_object("voronoi_loss", sprintf("`value` must be a single number, not %s", describe(v)))
  as.double(v)
}

#' Regression error between two mixing measures
#'
#' Monte Carlo estimate of the \eqn{L^2(\mu)} distance between two regression functions,
#' \deqn{\|f_G - f_{G_*}\|_{L^2(\mu)} = \Big(\int (f_G(x) - f_{G_*}(x))^2\, d\mu(x)\Big)^{1/2}
#'   \approx \Big(\frac{1}{m} \sum_{s=1}^m (f_G(X_s) - f_{G_*}(X_s))^2\Big)^{1/2},}{||f_G - f_G0||_L2(mu) ~ sqrt(mean((f_G(X_s) - f_G0(X_s))^2)),}
#' with \eqn{X_1, \dots, X_m \sim \mu = \mathrm{Uniform}[0, 1]^d}{X_1, ..., X_m ~ mu = Uniform[0, 1]^d} by default (R's random number
#' generator: use `set.seed()` for reproducibility). The standard error is the delta-method one,
#' \eqn{\mathrm{sd}(D^2) / (2 \sqrt{m}\, \widehat{\|\cdot\|})}{sd(D^2) / (2 sqrt(m) * estimate)} with
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
  # rows in chunks: eval_measure() also returns the n x k gate and expert values, which for
  # n_mc near the limit of 1e8 draws would need several GB at once
  D2 <- numeric(nrow(X))
  chunk <- 1e6
  for (s in seq(1, nrow(X), by = chunk)) {
    rows <- s:min(nrow(X), s + chunk - 1)
    Xc <- X[rows, , drop = FALSE]
    D2[rows] <- (as.vector(eval_measure(G, Xc)$response) - as.vector(eval_measure(G0, Xc)$response))^2
  }
  m <- mean(D2)
  est <- check_finite_result(sqrt(m), "The regression error", "G",
                             hint = "the regression functions overflow; rescale the measures' parameters")
  se <- if (m > 0 && length(D2) > 1) stats::sd(D2) / sqrt(length(D2)) / (2 * est) else 0
  structure(est, se = se)
}
