#' Gating functions
#'
#' Constructors for the gate of a mixture of experts \eqn{f_G(x) = \sum_{i=1}^k g_i(x)\, h(x,
#' \eta_i)}{f_G(x) = sum_{i=1}^k g_i(x) h(x, eta_i)}, used like the [experts] families: pass one as `gate =` to [moe_lse()],
#' [moe_lse_fit()] and [mixing_measure()].
#'
#' | constructor | gate \eqn{g_i(x)} | free gating parameters | mixing measure |
#' |---|---|---|---|
#' | `gate_softmax()` | \eqn{\mathrm{softmax}_i(\beta_{11}^\top x + \beta_{01}, \dots, \beta_{1k}^\top x + \beta_{0k})}{softmax_i(beta_{11}' x + beta_{01}, ..., beta_{1k}' x + beta_{0k})} | \eqn{(k-1)(d+1)}: the last component anchored at 0 | \eqn{\sum_i \exp(\beta_{0i}) \delta_{(\beta_{1i}, \eta_i)}}{sum_i exp(beta_{0i}) delta_{(beta_{1i}, eta_i)}} |
#' | `gate_sigmoid()` | \eqn{\mathrm{sigmoid}(\beta_{1i}^\top x + \beta_{0i}) = 1 / (1 + e^{-(\beta_{1i}^\top x + \beta_{0i})})}{sigmoid(beta_{1i}' x + beta_{0i}) = 1 / (1 + exp(-(beta_{1i}' x + beta_{0i})))} | \eqn{k(d+1)}: no anchoring | \eqn{\sum_i \mathrm{sigmoid}(\beta_{0i}) \delta_{(\beta_{1i}, \eta_i)}}{sum_i sigmoid(beta_{0i}) delta_{(beta_{1i}, eta_i)}} |
#'
#' The softmax gate (default everywhere) is the seed paper's: its probabilities sum to one and are
#' invariant to a common shift of every \eqn{(\beta_{0i}, \beta_{1i})}, so the fit anchors the
#' last component. The sigmoid gate of the companion paper gives every expert its own gate, with
#' no normalisation across experts: there is no translation invariance, every component has free
#' \eqn{(\beta_{0i}, \beta_{1i})}, and the gate values need not sum to one (so the fitter does
#' not centre the response, see [lse_control()], "Scaling").
#'
#' Under sigmoid gating two regimes arise for over-specified fits: when every over-fitted true
#' atom has zero gating slope (Regime 1) the least squares estimator converges to the truth
#' \eqn{G_*}; otherwise (Regime 2) it converges to the best k-atom approximation \eqn{\bar G}{G-bar}
#' ([gbar_measure()]). The losses of both regimes are in [voronoi_loss_sigmoid()].
#'
#' @returns An object of class `moe_gate`: a list with `name` (`"softmax"` or `"sigmoid"`) and
#'   `label` (the formula of \eqn{g_i}).
#'
#' Wherever a gate is accepted it may be such an object, one of these constructors
#' (`gate_sigmoid`) or a name (`"sigmoid"`); anything else is an error of class
#' `lsmoe_error_input`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). Sigmoid gating is more sample efficient than
#' softmax gating in mixture of experts. NeurIPS 2024. \doi{10.48550/arXiv.2405.13997}
#' @seealso [experts], [moe_lse()], [mixing_measure()]
#' @examples
#' gate_softmax()
#' gate_sigmoid()
#' G0 <- mixing_measure(beta0 = c(1, -1), beta1 = c(0, 4), eta = rbind(c(2, 0), c(-1, 1)),
#'                      expert = expert_linear(), gate = gate_sigmoid())
#' predict(G0, c(0, 0.5, 1), type = "gate")   # rows need not sum to 1
#' @name gates
NULL

gate_names <- c("softmax", "sigmoid")

new_gate <- function(name) {
  label <- switch(name,
    softmax = "softmax_i(beta1' x + beta0)",
    sigmoid = "sigmoid(beta1_i' x + beta0_i)"
  )
  structure(list(name = name, label = label), class = "moe_gate")
}

#' @rdname gates
#' @export
gate_softmax <- function() new_gate("softmax")

#' @rdname gates
#' @export
gate_sigmoid <- function() new_gate("sigmoid")

#' @export
print.moe_gate <- function(x, ...) {
  orig <- x
  x <- as_gate(x, "x")
  cat("<moe_gate> ", x$name, ": g_i(x) = ", x$label, "\n", sep = "")
  invisible(orig)
}

# Accept a gate object, a constructor or a name; NULL is the softmax gate (objects saved before
# gates existed). A moe_gate is validated and rebuilt, since it may be edited by hand.
as_gate <- function(gate, arg = "gate") {
  if (is.null(gate)) return(gate_softmax())
  if (is.function(gate)) {
    if (identical(gate, gate_softmax)) return(gate_softmax())
    if (identical(gate, gate_sigmoid)) return(gate_sigmoid())
    lsmoe_abort(sprintf("`%s` must be a gate such as gate_softmax() or gate_sigmoid(), not an arbitrary function.", arg),
                arg = arg)
  }
  name <- if (is.character(gate) && !inherits(gate, "moe_gate")) gate else if (inherits(gate, "moe_gate") && is.list(gate)) gate[["name", exact = TRUE]] else NULL
  if (is.null(name) && !inherits(gate, "moe_gate")) {
    lsmoe_abort(sprintf("`%s` must be a gate such as gate_softmax() or gate_sigmoid(), not %s.", arg, describe(gate)), arg = arg)
  }
  if (!is.character(name) || length(name) != 1 || is.na(name) || !name %in% gate_names) {
    lsmoe_abort(sprintf("`%s` must be a gate such as gate_softmax() or gate_sigmoid(); unknown gate %s (known: %s).", arg,
                        if (is.character(name) && length(name) == 1 && !is.na(name)) paste0("\"", describe_string(name), "\"") else describe(name),
                        paste(gate_names, collapse = ", ")), arg = arg)
  }
  new_gate(name)
}

# The gate's name from a gate object, a name or NULL (softmax), validated (objects may be edited
# by hand).
gate_name <- function(gate) {
  if (is.null(gate)) return("softmax")
  if (is.character(gate) && length(gate) == 1 && !is.na(gate) && gate %in% gate_names) return(gate)
  as_gate(gate)$name
}

# Weights of the atoms of a mixing measure: exp(beta0) (softmax) or sigmoid(beta0).
gate_atom_weights <- function(beta0, gate) {
  if (gate_name(gate) == "sigmoid") stats::plogis(beta0) else exp(beta0)
}

# Number of components with free gating parameters.
gated_components <- function(k, gate) if (gate_name(gate) == "sigmoid") as.integer(k) else as.integer(k - 1)
