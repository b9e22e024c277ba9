#' Tuning knobs of the least squares fitter
#'
#' Every tuning parameter of [moe_lse()], validated once. The fitter runs Eigen's MINPACK-style
#' Levenberg-Marquardt with the analytic Jacobian from each of `n_starts` starts and keeps the fit
#' with the smallest residual sum of squares (RSS).
#'
#' **Starts.** `"data"` starts partition the rows of `x` by k-means (on standardised `x`), fit
#' one expert by least squares in each part, and set the gate to the softmax that picks the
#' nearest k-means centre; `"random"` starts draw gating and expert parameters at random on the
#' scale of the data; `"mixed"` (default) alternates them, starting with `"data"`. All draws use
#' R's random number generator, so `set.seed()` makes a fit reproducible.
#'
#' **Bounds (compact parameter space).** The theory assumes a compact parameter set; the fitter
#' keeps every parameter in a box through a smooth change of variables (the MINUIT/lmfit sine
#' transform), and reports how many estimates end on a bound. Gating parameters
#' (\eqn{\beta_0, \beta_1}) lie in `[-bound_gate, bound_gate]`; expert parameters inside a
#' nonlinearity in `[-bound_expert, bound_expert]`; response-scale expert parameters (output
#' weights, linear and constant experts) in `[-bound_output, bound_output]` (see [experts]).
#' Bounds are on the scale of `x` as given: scale inputs to about unit range first. `Inf` removes
#' a bound.
#'
#' @param n_starts Number of starts, whole number >= 1. Default 5.
#' @param start_strategy One of `"mixed"` (default), `"data"`, `"random"`.
#' @param max_iter Maximum Levenberg-Marquardt iterations per start (Jacobian evaluations), whole
#'   number >= 1. Default 500. A start also stops after `10 * max_iter` RSS evaluations (status 5).
#' @param ftol Relative reduction of the RSS below which the fit has converged, >= 0. Default 1e-10.
#' @param xtol Relative change of the parameters below which the fit has converged, >= 0.
#'   Default 1e-10.
#' @param gtol Cosine between the residuals and any Jacobian column below which the fit has
#'   converged, >= 0. Default 0 (off).
#' @param step_bound Initial step bound of Levenberg-Marquardt (MINPACK's `factor`), > 0.
#'   Default 100.
#' @param bound_gate,bound_expert,bound_output Positive numbers or `Inf`: the bounds above.
#'   Defaults 50, 50 and `Inf`.
#' @param threads OpenMP threads over observations, whole number from 1 to 1024. Default 1.
#'   Results do not depend on it.
#' @param warn Logical, default `TRUE`: warn (class `lsmoe_warning_convergence`) when the best
#'   fit has not converged.
#' @returns A list of class `lse_control` with the validated values.
#'   Invalid values raise an error of class `lsmoe_error_input` naming the argument.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' More, J. J. (1978). The Levenberg-Marquardt algorithm: implementation and theory.
#' *Numerical Analysis*, Lecture Notes in Mathematics 630, 105-116. \doi{10.1007/BFb0067700}
#' @examples
#' lse_control(n_starts = 10, bound_expert = 20)
#' @export
lse_control <- function(n_starts = 5, start_strategy = c("mixed", "data", "random"), max_iter = 500,
                        ftol = 1e-10, xtol = 1e-10, gtol = 0, step_bound = 100,
                        bound_gate = 50, bound_expert = 50, bound_output = Inf,
                        threads = 1, warn = TRUE) {
  if (!is.character(start_strategy)) {
    lsmoe_abort("`start_strategy` must be one of \"mixed\", \"data\", \"random\".", arg = "start_strategy")
  }
  start_strategy <- tryCatch(match.arg(start_strategy),
    error = function(e) lsmoe_abort(sprintf("`start_strategy` must be one of \"mixed\", \"data\", \"random\", not \"%s\".",
                                            paste(start_strategy, collapse = ", ")), arg = "start_strategy"))
  structure(list(
    n_starts = check_count(n_starts, "n_starts"),
    start_strategy = start_strategy,
    max_iter = check_count(max_iter, "max_iter"),
    ftol = check_number(ftol, "ftol", min = 0),
    xtol = check_number(xtol, "xtol", min = 0),
    gtol = check_number(gtol, "gtol", min = 0),
    step_bound = check_number(step_bound, "step_bound", min = 0, strict_min = TRUE),
    bound_gate = check_number(bound_gate, "bound_gate", min = 0, strict_min = TRUE, allow_inf = TRUE),
    bound_expert = check_number(bound_expert, "bound_expert", min = 0, strict_min = TRUE, allow_inf = TRUE),
    bound_output = check_number(bound_output, "bound_output", min = 0, strict_min = TRUE, allow_inf = TRUE),
    threads = check_threads(threads),
    warn = check_flag(warn, "warn")
  ), class = "lse_control")
}

check_threads <- function(threads) {
  threads <- check_count(threads, "threads")
  if (threads > 1024) lsmoe_abort(sprintf("`threads` must be at most 1024, not %d.", threads), arg = "threads")
  threads
}

# A control from lse_control() (validated again, in case it was edited by hand) or a plain list
# of lse_control()'s arguments.
as_control <- function(control) {
  if (is.null(control)) return(lse_control())
  if (is.list(control)) {
    control <- unclass(control)
    nms <- names(control)
    if (length(control) && (is.null(nms) || any(nms == ""))) {
      lsmoe_abort("`control` must be a named list of lse_control() arguments.", arg = "control")
    }
    bad <- setdiff(nms, names(formals(lse_control)))
    if (length(bad)) {
      lsmoe_abort(sprintf("`control` has unknown entries: %s.", paste(bad, collapse = ", ")), arg = "control")
    }
    return(do.call(lse_control, control))
  }
  lsmoe_abort(sprintf("`control` must come from lse_control(), not %s.", describe(control)), arg = "control")
}

#' @export
print.lse_control <- function(x, ...) {
  cat("<lse_control>\n")
  v <- vapply(unclass(x), function(v) format(v), character(1))
  cat(paste0("  ", format(names(v)), " : ", v), sep = "\n")
  invisible(x)
}
