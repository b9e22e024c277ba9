#' Mixing measures of a softmax- or sigmoid-gated mixture of experts
#'
#' A mixing measure collects the parameters of a softmax-gated mixture of experts with `k`
#' components,
#' \deqn{G = \sum_{i=1}^k \exp(\beta_{0i})\, \delta_{(\beta_{1i}, \eta_i)},}{G = sum_i exp(beta0_i) delta_(beta1_i, eta_i),}
#' with weights \eqn{\exp(\beta_{0i})}{exp(beta_{0i})} and atoms \eqn{(\beta_{1i}, \eta_i)}, and defines the
#' regression function
#' \deqn{f_G(x) = \sum_{i=1}^k \mathrm{softmax}_i(\beta_{11}^\top x + \beta_{01}, \dots,
#'   \beta_{1k}^\top x + \beta_{0k})\, h(x, \eta_i).}{f_G(x) = sum_i softmax_i(beta1' x + beta0) h(x, eta_i).}
#' With `gate = gate_sigmoid()` it is the companion paper's sigmoid-gated measure
#' \deqn{G = \sum_{i=1}^k \mathrm{sigmoid}(\beta_{0i})\, \delta_{(\beta_{1i}, \eta_i)}, \qquad
#'   f_G(x) = \sum_{i=1}^k \mathrm{sigmoid}(\beta_{1i}^\top x + \beta_{0i})\, h(x, \eta_i),}{G = sum_i sigmoid(beta0_i) delta_(beta1_i, eta_i), f_G(x) = sum_i sigmoid(beta1_i' x + beta0_i) h(x, eta_i),}
#' whose weights are \eqn{\mathrm{sigmoid}(\beta_{0i})}{sigmoid(beta_{0i})} and which has no translation invariance
#' (see [gates]; its losses are [voronoi_loss_sigmoid()]).
#'
#' `mixing_measure()` builds and validates one (typically a true measure \eqn{G_*} for
#' [simulate_moe()], [voronoi_loss()] and [regression_error()]); `as_mixing_measure()` extracts
#' one from a [moe_lse()] fit; `predict()` evaluates \eqn{f_G}, the gate or the experts.
#'
#' A softmax-gated measure is not anchored: adding the same \eqn{(t_0, t_1)} to every
#' \eqn{(\beta_{0i}, \beta_{1i})} gives the same \eqn{f_G} (losses remove this by alignment, see
#' [voronoi_loss()]).
#'
#' @param beta0 Gating intercepts: numeric vector of length k >= 1, finite. The weights of the
#'   atoms are `exp(beta0)`.
#' @param beta1 Gating slopes: numeric matrix k x d, finite. A plain vector of length k is read
#'   as a k x 1 matrix (d = 1); when k = 1 a vector of length d is read as a 1 x d matrix.
#' @param eta Expert parameters: numeric matrix k x q, one row per atom, finite, with
#'   q = d + 1 for ridge experts \eqn{(a, b)}, d + 2 with an output weight \eqn{(a, b, c)},
#'   and 1 for [expert_constant()] \eqn{(b)}. A plain vector of length k is read as k x 1 when
#'   q = 1; when k = 1 a vector of length q is read as a 1 x q matrix.
#' @param expert Expert family: an object from [experts] such as `expert_sigmoid()` (default),
#'   or its name as a string.
#' @param gate The gate: `gate_softmax()` (default) or `gate_sigmoid()`, or its name; see [gates].
#' @returns An object of class `mixing_measure`: a list with `beta0` (numeric k), `beta1`
#'   (numeric matrix k x d), `eta` (numeric matrix k x q), `expert` (the `moe_expert` family),
#'   `gate` (the `moe_gate`), and the integers `k`, `d`, `q`. Invalid input (non-numeric or non-finite values, k = 0, shapes
#'   that do not agree, `eta` with the wrong number of columns for the expert family, unknown
#'   expert) raises an error of class `lsmoe_error_input` naming the argument.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). Sigmoid gating is more sample efficient than
#' softmax gating in mixture of experts. NeurIPS 2024. \doi{10.48550/arXiv.2405.13997}
#' @seealso [simulate_moe()], [voronoi_loss()], [regression_error()], [gates]
#' @examples
#' # the gate switches at x = 0.5; experts sigmoid(12 x - 9) and sigmoid(3 - 12 x)
#' G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0),
#'                      eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
#' G0
#' predict(G0, c(0, 0.5, 1))
#' predict(G0, c(0, 0.5, 1), type = "gate")
#'
#' set.seed(1)
#' x <- runif(300)
#' y <- predict(G0, x) + rnorm(300, sd = 0.05)
#' fit <- moe_lse(x, y, k = 2, expert = expert_sigmoid(), control = lse_control(n_starts = 2))
#' as_mixing_measure(fit)
#' voronoi_loss(fit, G0)  # fits are accepted wherever a measure is
#'
#' # a sigmoid-gated measure: weights sigmoid(beta0), gate values need not sum to 1
#' G1 <- mixing_measure(beta0 = c(1, -1), beta1 = c(0, 4), eta = rbind(c(2, 0), c(-1, 1)),
#'                      expert = expert_linear(), gate = gate_sigmoid())
#' G1
#' predict(G1, c(0, 1), type = "gate")
#' @export
mixing_measure <- function(beta0, beta1, eta, expert = expert_sigmoid(), gate = gate_softmax()) {
  expert <- as_expert(expert)
  gate <- as_gate(gate)
  if (!is.numeric(beta0) || !is.null(dim(beta0)) && !(is.matrix(beta0) && ncol(beta0) == 1)) {
    lsmoe_abort(sprintf("`beta0` must be a numeric vector (one gating intercept per atom), not %s.", describe(beta0)), arg = "beta0")
  }
  beta0 <- as.numeric(beta0)
  k <- length(beta0)
  if (k == 0) lsmoe_abort("`beta0` must have at least one entry: a mixing measure needs k >= 1 atoms.", arg = "beta0")
  check_finite_param(beta0, "beta0")
  if (gate$name == "softmax" && any(beta0 > log(.Machine$double.xmax) - log(k))) {
    lsmoe_abort("`beta0` is too large: the weights exp(beta0) overflow.", arg = "beta0")
  }
  if (!is.numeric(beta1)) {
    lsmoe_abort(sprintf("`beta1` must be a numeric matrix k x d, not %s.", describe(beta1)), arg = "beta1")
  }
  if (is.null(dim(beta1))) {
    beta1 <- if (length(beta1) == k) matrix(beta1, ncol = 1) else if (k == 1) matrix(beta1, nrow = 1) else beta1
  }
  if (!is.matrix(beta1) || nrow(beta1) != k || ncol(beta1) == 0) {
    lsmoe_abort(sprintf("`beta1` must be a numeric matrix with one row per atom (%d x d, d >= 1), not %s.", k, shape_of(beta1)), arg = "beta1")
  }
  check_finite_param(beta1, "beta1")
  d <- ncol(beta1)
  q <- expert_q(expert, d)
  if (!is.numeric(eta)) {
    lsmoe_abort(sprintf("`eta` must be a numeric matrix k x q, not %s.", describe(eta)), arg = "eta")
  }
  if (is.null(dim(eta))) {
    eta <- if (q == 1 && length(eta) == k) matrix(eta, ncol = 1) else if (k == 1) matrix(eta, nrow = 1) else eta
  }
  if (!is.matrix(eta) || nrow(eta) != k || ncol(eta) != q) {
    lsmoe_abort(sprintf(paste0("`eta` must be a %d x %d matrix (one row per atom, q = %d expert parameters of the %s ",
                               "expert with d = %d), not %s."), k, q, q, expert$name, d, shape_of(eta)), arg = "eta")
  }
  check_finite_param(eta, "eta")
  new_mixing_measure(beta0, beta1, eta, expert, gate)
}

new_mixing_measure <- function(beta0, beta1, eta, expert, gate = gate_softmax()) {
  beta1 <- unname(beta1) + 0
  eta <- unname(eta) + 0
  storage.mode(beta1) <- "double"
  storage.mode(eta) <- "double"
  structure(list(beta0 = unname(as.numeric(beta0)), beta1 = beta1, eta = eta, expert = expert, gate = gate,
                 k = length(beta0), d = ncol(beta1), q = ncol(eta)),
            class = "mixing_measure")
}

shape_of <- function(x) {
  if (is.matrix(x)) sprintf("a %d x %d matrix", nrow(x), ncol(x)) else describe(x)
}

check_finite_param <- function(x, arg) {
  bad <- sum(!is.finite(x))
  if (bad) lsmoe_abort(sprintf("`%s` must be finite: it has %d NA, NaN or infinite value(s).", arg, bad), arg = arg)
  invisible(x)
}

#' @rdname mixing_measure
#' @param x For `as_mixing_measure()`: a [moe_lse()] fit (its `coefficients`, `expert` and `gate`) or a
#'   `mixing_measure` (returned unchanged). For `print()`: a `mixing_measure`.
#' @param ... Unused.
#' @export
as_mixing_measure <- function(x, ...) UseMethod("as_mixing_measure")

#' @rdname mixing_measure
#' @export
as_mixing_measure.mixing_measure <- function(x, ...) x

#' @rdname mixing_measure
#' @export
as_mixing_measure.moe_lse <- function(x, ...) as_measure_arg(validate_fit(x, "x"), "x")

#' @rdname mixing_measure
#' @export
as_mixing_measure.default <- function(x, ...) {
  lsmoe_abort(sprintf("Cannot convert %s to a mixing measure: use mixing_measure() or a moe_lse() fit.", describe(x)),
              arg = "x")
}

# Convert an argument to a mixing measure, with the argument's name in the error.
# A mixing_measure is re-validated, since its list components can be modified by hand.
as_measure_arg <- function(G, arg) {
  if (inherits(G, c("mixing_measure", "moe_lse"))) {
    if (!is.list(G)) {
      lsmoe_abort(sprintf("`%s` is not a valid %s: it must be a list, not %s.", arg, class(G)[1], describe(unclass(G))), arg = arg)
    }
    if (inherits(G, "moe_lse") && !inherits(G, "mixing_measure")) {
      cf <- G[["coefficients", exact = TRUE]]
      if (!is.list(cf)) {
        lsmoe_abort(sprintf("`%s` is not a valid moe_lse fit: its `coefficients` must be a list (beta0, beta1, eta), not %s.",
                            arg, describe(cf)), arg = arg)
      }
      G <- list(beta0 = cf[["beta0", exact = TRUE]], beta1 = cf[["beta1", exact = TRUE]],
                eta = cf[["eta", exact = TRUE]], expert = G[["expert", exact = TRUE]], gate = G[["gate", exact = TRUE]])
    }
    return(tryCatch(mixing_measure(G[["beta0", exact = TRUE]], G[["beta1", exact = TRUE]], G[["eta", exact = TRUE]],
                                   G[["expert", exact = TRUE]], G[["gate", exact = TRUE]]),
                    lsmoe_error_input = function(e) {
                      lsmoe_abort(sprintf("`%s` is not a valid mixing measure: %s", arg, conditionMessage(e)), arg = arg)
                    }))
  }
  lsmoe_abort(sprintf("`%s` must be a mixing_measure() or a moe_lse() fit, not %s.", arg, describe(G)), arg = arg)
}

# Two measures are compatible when they have the same input dimension d, the same gate and
# (unless same_expert = FALSE) the same expert family (name, degree, output weight).
measures_compatible <- function(G, G0, same_expert = TRUE, arg = "G", arg0 = "G0") {
  if (!inherits(G, "mixing_measure")) G <- as_measure_arg(G, arg)
  if (!inherits(G0, "mixing_measure")) G0 <- as_measure_arg(G0, arg0)
  if (G$d != G0$d) {
    lsmoe_abort(sprintf("`%s` and `%s` must have the same input dimension d: %d and %d.", arg, arg0, G$d, G0$d), arg = arg)
  }
  if (gate_name(G$gate) != gate_name(G0$gate)) {
    lsmoe_abort(sprintf("`%s` and `%s` must have the same gate: %s and %s.", arg, arg0, gate_name(G$gate), gate_name(G0$gate)),
                arg = arg)
  }
  if (same_expert) {
    e <- G$expert
    e0 <- G0$expert
    if (!identical(e$name, e0$name) || !identical(as.integer(e$degree), as.integer(e0$degree)) ||
        !identical(isTRUE(e$output_weight), isTRUE(e0$output_weight))) {
      lsmoe_abort(sprintf("`%s` and `%s` must have the same expert family: h = %s and h = %s.", arg, arg0, e$label, e0$label),
                  arg = arg)
    }
  }
  invisible(TRUE)
}

# Atoms of output-weighted tanh experts in the form with c >= 0: (a, b, c) and (-a, -b, -c) give
# the same expert (tanh is odd), and fits report c > 0 (lse_control(), "Reciprocal output
# weights"), so the Voronoi cells and losses compare atoms in that form. Other measures as given.
canonical_atoms <- function(G) {
  if (!identical(G$expert$name, "tanh") || !isTRUE(G$expert$output_weight)) return(G)
  q <- ncol(G$eta)
  neg <- G$eta[, q] < 0
  G$eta[neg, ] <- -G$eta[neg, ]
  G
}

# Table of a measure's parameters, one row per atom.
measure_table <- function(G) {
  xn <- if (G$d == 1) "x" else paste0("x", seq_len(G$d))
  tab <- data.frame(weight = gate_atom_weights(G$beta0, G$gate), beta0 = G$beta0)
  b1 <- G$beta1
  colnames(b1) <- paste0("beta1.", xn)
  et <- G$eta
  colnames(et) <- expert_param_names(G$expert, xn)
  tab <- cbind(tab, b1, et)
  rownames(tab) <- paste0("atom", seq_len(G$k))
  tab
}

#' @rdname mixing_measure
#' @param digits Significant digits to print, a whole number between 1 and 22.
#' @export
print.mixing_measure <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  obj <- x
  x <- as_measure_arg(x, "x")
  digits <- check_count(digits, "digits", min = 1, max = 22)
  sig <- gate_name(x$gate) == "sigmoid"
  cat(sprintf("<mixing_measure> k = %d atoms, d = %d, experts h(x, eta) = %s, %s gate\n", x$k, x$d, x$expert$label,
              gate_name(x$gate)))
  cat(if (sig) "Weights sigmoid(beta0) and atoms (beta1, eta):\n" else "Weights exp(beta0) and atoms (beta1, eta):\n")
  print(signif(measure_table(x), digits))
  invisible(obj)
}

#' @rdname mixing_measure
#' @param object A `mixing_measure` (validated again, in case it was edited by hand).
#' @param newdata Inputs: numeric matrix n x d (a vector when d = 1), finite.
#' @param type One of `"response"` (default: \eqn{f_G(x)}, numeric n), `"gate"` (gate values,
#'   n x k: softmax probabilities or sigmoid gates) or `"experts"` (expert values \eqn{h(x, \eta_i)}, n x k).
#'   When a value cannot be represented (for example the experts or the gating logits overflow
#'   at inputs of \eqn{10^{308}}), it is returned as NaN or Inf with a warning of class
#'   `lsmoe_warning_nonfinite` naming the rows.
#' @export
predict.mixing_measure <- function(object, newdata, type = c("response", "gate", "experts"), ...) {
  type <- match_choice(type, c("response", "gate", "experts"), "type")
  object <- as_measure_arg(object, "object")
  if (missing(newdata)) lsmoe_abort("`newdata` is missing: give a numeric matrix n x d of inputs.", arg = "newdata")
  X <- check_x(newdata, "newdata")
  if (ncol(X) != object$d) {
    lsmoe_abort(sprintf("`newdata` must have d = %d column(s), like the measure, not %d.", object$d, ncol(X)), arg = "newdata")
  }
  out <- eval_measure(object, X, type = type, arg = "newdata", action = "warn")[[type]]
  if (type == "response") return(as.vector(out))
  colnames(out) <- paste0("atom", seq_len(object$k))
  out
}

# List of f_G (`response`, numeric n), `gate` and `experts` (n x k) at a checked input matrix X
# (n x d). Non-finite values of component `type` are an error of class lsmoe_error_nonfinite
# naming `arg` (action = "abort"), or a warning of class lsmoe_warning_nonfinite ("warn").
eval_measure <- function(G, X, type = "response", arg = "x", action = c("abort", "warn")) {
  out <- cpp_predict(X, G$beta0, G$beta1, G$eta, G$expert, gate_name(G$gate))
  what <- switch(type, response = "The regression function f_G(x)", gate = "The gate probability",
                 experts = "The expert value h(x, eta)")
  check_finite_result(out[[type]], what, arg, hint = "the inputs or the parameters are too large (rescale them)",
                      action = action)
  out
}

# match.arg with a classed error.
match_choice <- function(x, choices, arg) {
  if (identical(x, choices)) return(choices[1])
  if (!is.character(x) || length(x) != 1 || !(x %in% choices)) {
    lsmoe_abort(sprintf("`%s` must be one of %s, not %s.", arg, paste0("\"", choices, "\"", collapse = ", "),
                        if (is.character(x)) paste0("\"", paste(x, collapse = ", "), "\"") else describe(x)), arg = arg)
  }
  x
}
