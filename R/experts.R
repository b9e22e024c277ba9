#' Expert families
#'
#' Constructors for the expert functions \eqn{h(x, \eta)} of a softmax-gated mixture of experts,
#' used like `stats::binomial()` is used by `glm()`. Ridge (one-neuron) experts have
#' \eqn{\eta = (a, b)} with \eqn{a \in R^d}{a in R^d}, \eqn{b \in R}{b in R} and
#' \eqn{h(x, \eta) = \phi(a^\top x + b)}{h(x, eta) = phi(a' x + b)}; with `output_weight = TRUE` they gain an output weight
#' \eqn{c} and \eqn{h = c\,\phi(a^\top x + b)}{h = c phi(a' x + b)}, \eqn{\eta = (a, b, c)}, so that bounded activations
#' can fit responses on any scale. The paper's form (no output weight) is the default.
#'
#' | constructor | \eqn{\phi(z)} | strongly identifiable (paper) |
#' |---|---|---|
#' | `expert_sigmoid()` | \eqn{1 / (1 + e^{-z})}{1 / (1 + exp(-z))} | yes, when \eqn{a \ne 0}{a != 0} |
#' | `expert_tanh()` | \eqn{\tanh(z)}{tanh(z)} | yes, when \eqn{a \ne 0}{a != 0} |
#' | `expert_linear()` | \eqn{z} | no |
#' | `expert_polynomial(p)` | \eqn{z^p} | no |
#' | `expert_relu()` | \eqn{\max(0, z)}{max(0, z)} | see `check_identifiability()` |
#' | `expert_gelu()` | \eqn{z \Phi(z)} | see `check_identifiability()` |
#' | `expert_constant()` | \eqn{h = b}, \eqn{\eta = b} | no |
#'
#' Linear and polynomial experts are positively homogeneous, so an output weight would be
#' redundant and is not offered; for ReLU it only adds a sign (documented redundancy of scale).
#'
#' **Bounds.** [lse_control()] bounds expert parameters by group: parameters inside a nonlinearity
#' (\eqn{a, b} of sigmoid, tanh, ReLU, GELU and polynomial experts of degree \eqn{p \ge 2}) use
#' `bound_expert`; parameters on the scale of the response (output weight \eqn{c}, \eqn{a, b} of
#' linear experts, \eqn{b} of constant experts) use `bound_output`. Output-weighted tanh experts
#' are fitted through \eqn{1/c} and reported with \eqn{c > 0} (see [lse_control()], "Reciprocal
#' output weights").
#'
#' @param output_weight Logical, default `FALSE`: add an output weight \eqn{c} to the expert.
#' @param p Polynomial degree, a whole number between 1 and 50 (default 2).
#'   `expert_polynomial(1)` is the linear expert. The limit keeps the derivatives
#'   \eqn{p(p-1) z^{p-2}} representable and \eqn{z^p} finite for \eqn{|z| < 10^6} (see
#'   [lsmoe_limits]).
#' @returns An object of class `moe_expert`: a list with `name` (character), `degree` (integer,
#'   polynomial degree; 1 otherwise), `output_weight` (logical) and `label` (the formula of
#'   \eqn{h}). Errors of class `lsmoe_error_input` for invalid arguments.
#'
#' Wherever an expert is accepted (`moe_lse()`, `mixing_measure()`, `check_identifiability()`),
#' it may be such an object, one of these constructors (`expert_tanh`), or a name (`"tanh"`;
#' `"polynomial"` is degree 2). An object edited or built by hand is validated again: `name` one of
#' the families above, `degree` a whole number in 1..50 (1 unless polynomial), `output_weight`
#' `TRUE` or `FALSE` (`FALSE` for linear, polynomial and constant experts); anything else is an
#' error of class `lsmoe_error_input`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @examples
#' expert_sigmoid()
#' expert_tanh(output_weight = TRUE)
#' expert_polynomial(3)
#' @name experts
NULL

# The expert families and their traits: the one place where the R code asks what a family is.
#   phi            the label of h without an output weight ("%d": the polynomial degree)
#   ridge          h depends on x through a'x + b (FALSE: h = b, eta = b)
#   output_weight  whether an output weight c may be added
#   range          the values h can reach without an output weight (NULL: any); check_reachable()
#   response       how the response is standardised (fit_scales(), transform_params()) and random
#                  expert parameters drawn (random_eta()): "affine" (h is affine in its parameters:
#                  y centred under the softmax gate and scaled by its sd, a and b scaled with y),
#                  "power" (y scaled by its root mean square, a and b by its degree-th root),
#                  "bounded" (y unscaled, or scaled by its root mean square with an output weight)
#   inner          a, b lie inside a nonlinearity (bound_expert; otherwise bound_output); for
#                  polynomial experts from degree 2 on
#   reciprocal     with an output weight, fitted through s = 1 / c (uses_reciprocal())
#   unbounded      h grows without bound in x for fixed parameters (linear, polynomial, ReLU, GELU; with
#                  or without an output weight, which only scales h): predict() warns when newdata
#                  leaves the range of the training inputs (warn_extrapolation()). Sigmoid and tanh
#                  (|h| <= |c|) and constant experts are bounded: a softmax mixture of them stays
#                  within the experts' bounds however far x goes.
expert_traits <- list(
  sigmoid = list(phi = "sigmoid(a'x + b)", ridge = TRUE, output_weight = TRUE, range = c(0, 1), response = "bounded",
                 inner = TRUE, reciprocal = FALSE, unbounded = FALSE),
  tanh = list(phi = "tanh(a'x + b)", ridge = TRUE, output_weight = TRUE, range = c(-1, 1), response = "bounded",
              inner = TRUE, reciprocal = TRUE, unbounded = FALSE),
  linear = list(phi = "a'x + b", ridge = TRUE, output_weight = FALSE, range = NULL, response = "affine",
                inner = FALSE, reciprocal = FALSE, unbounded = TRUE),
  polynomial = list(phi = "(a'x + b)^%d", ridge = TRUE, output_weight = FALSE, range = NULL, response = "power",
                    inner = TRUE, reciprocal = FALSE, unbounded = TRUE),
  relu = list(phi = "max(0, a'x + b)", ridge = TRUE, output_weight = TRUE, range = c(0, Inf), response = "bounded",
              inner = TRUE, reciprocal = FALSE, unbounded = TRUE),
  gelu = list(phi = "gelu(a'x + b)", ridge = TRUE, output_weight = TRUE, range = c(-0.17, Inf), response = "bounded",
              inner = TRUE, reciprocal = FALSE, unbounded = TRUE),
  constant = list(phi = "b", ridge = FALSE, output_weight = FALSE, range = NULL, response = "affine",
                  inner = FALSE, reciprocal = FALSE, unbounded = FALSE)
)
expert_families <- names(expert_traits)

# One trait of an expert's family (see expert_traits).
expert_trait <- function(expert, trait) expert_traits[[expert$name]][[trait]]

new_expert <- function(name, degree = 1L, output_weight = FALSE) {
  output_weight <- check_flag(output_weight, "output_weight")
  phi <- expert_traits[[name]]$phi
  if (grepl("%d", phi, fixed = TRUE)) phi <- sprintf(phi, degree)
  label <- if (output_weight) paste0("c * ", phi) else phi
  structure(list(name = name, degree = as.integer(degree), output_weight = output_weight, label = label),
            class = "moe_expert")
}

#' @rdname experts
#' @export
expert_sigmoid <- function(output_weight = FALSE) new_expert("sigmoid", 1L, output_weight)

#' @rdname experts
#' @export
expert_tanh <- function(output_weight = FALSE) new_expert("tanh", 1L, output_weight)

#' @rdname experts
#' @export
expert_linear <- function() new_expert("linear", 1L, FALSE)

#' @rdname experts
#' @export
expert_polynomial <- function(p = 2) {
  p <- check_count(p, "p", min = 1, max = lsmoe_limits$degree)
  new_expert("polynomial", p, FALSE)
}

#' @rdname experts
#' @export
expert_relu <- function(output_weight = FALSE) new_expert("relu", 1L, output_weight)

#' @rdname experts
#' @export
expert_gelu <- function(output_weight = FALSE) new_expert("gelu", 1L, output_weight)

#' @rdname experts
#' @export
expert_constant <- function() new_expert("constant", 1L, FALSE)

#' @export
print.moe_expert <- function(x, ...) {
  orig <- x
  x <- validate_expert(x, "x")
  cat("<moe_expert> ", x$name, ": h(x, eta) = ", x$label, "\n", sep = "")
  invisible(orig)
}

expert_constructors <- function() {
  list(sigmoid = expert_sigmoid, tanh = expert_tanh, linear = expert_linear, polynomial = expert_polynomial,
       relu = expert_relu, gelu = expert_gelu, constant = expert_constant)
}

# Accept an expert object, a constructor, or a name ("sigmoid", "polynomial" = degree 2, ...).
# Only the package's own constructors are called: an arbitrary function is never evaluated.
# A moe_expert object is validated field by field and rebuilt, since it may be edited by hand.
as_expert <- function(expert, arg = "expert") {
  ctors <- expert_constructors()
  if (is.function(expert)) {
    hit <- vapply(ctors, identical, logical(1), expert)
    if (!any(hit)) {
      lsmoe_abort(sprintf("`%s` must be an expert family such as expert_sigmoid() (or one of its constructors), not an arbitrary function.", arg),
                  arg = arg)
    }
    expert <- ctors[[which(hit)[1]]]()
  }
  if (is.character(expert) && length(expert) == 1 && !is.na(expert) && !inherits(expert, "moe_expert")) {
    if (!expert %in% expert_families) {
      lsmoe_abort(sprintf("`%s` must be an expert family such as expert_sigmoid(); unknown name \"%s\" (known: %s).", arg,
                          describe_string(expert), paste(expert_families, collapse = ", ")), arg = arg)
    }
    return(ctors[[expert]]())
  }
  if (!inherits(expert, "moe_expert")) {
    lsmoe_abort(sprintf("`%s` must be an expert family such as expert_sigmoid(), not %s.", arg, describe(expert)), arg = arg)
  }
  validate_expert(expert, arg)
}

describe_string <- function(x) if (nchar(x) > 40) paste0(substr(x, 1, 37), "...") else x

# A moe_expert built or edited by hand: check name, degree and output_weight, rebuild the object.
validate_expert <- function(expert, arg) {
  bad <- function(what) {
    lsmoe_abort(sprintf("`%s` is not a valid moe_expert object: %s. Use a constructor such as expert_sigmoid().", arg, what),
                arg = arg)
  }
  if (!is.list(expert)) bad(sprintf("it must be a list, not %s", describe(unclass(expert))))
  name <- expert[["name", exact = TRUE]]
  if (!is.character(name) || length(name) != 1 || is.na(name) || !name %in% expert_families) {
    bad(sprintf("`name` must be one of %s, not %s", paste(expert_families, collapse = ", "), describe(name)))
  }
  degree <- expert[["degree", exact = TRUE]]
  if (name == "polynomial") {
    ok <- is.numeric(degree) && length(degree) == 1 && isTRUE(is.finite(degree) && degree == round(degree) &&
                                                                degree >= 1 && degree <= lsmoe_limits$degree)
    if (!ok) bad(sprintf("`degree` must be a whole number between 1 and %d, not %s", lsmoe_limits$degree, describe(degree)))
  } else {
    if (!is.null(degree) && !(is.numeric(degree) && length(degree) == 1 && isTRUE(degree == 1))) {
      bad(sprintf("`degree` must be 1 for %s experts, not %s", name, describe(degree)))
    }
    degree <- 1L
  }
  ow <- expert[["output_weight", exact = TRUE]]
  if (is.null(ow)) ow <- FALSE
  if (!is.logical(ow) || length(ow) != 1 || is.na(ow)) {
    bad(sprintf("`output_weight` must be TRUE or FALSE, not %s", describe(ow)))
  }
  if (ow && !expert_traits[[name]]$output_weight) {
    bad(sprintf("%s experts have no output weight (`output_weight` must be FALSE)", name))
  }
  new_expert(name, as.integer(degree), ow)
}

is_ridge <- function(expert) expert_trait(expert, "ridge")

# Number of expert parameters q for input dimension d.
expert_q <- function(expert, d) {
  if (!is_ridge(expert)) return(1L)
  as.integer(d + 1L + expert$output_weight)
}

# Names of the expert parameters, e.g. c("a.times", "b", "c").
expert_param_names <- function(expert, xnames) {
  if (!is_ridge(expert)) return("b")
  c(paste0("a.", xnames), "b", if (expert$output_weight) "c")
}

# Bound group of each expert parameter: "expert" (inside a nonlinearity) or "output".
expert_bound_groups <- function(expert, d) {
  if (!is_ridge(expert)) return("output")
  inner <- expert_trait(expert, "inner") && !(expert_trait(expert, "response") == "power" && expert$degree < 2)
  c(rep(if (inner) "expert" else "output", d + 1), if (expert$output_weight) "output")
}
