# S3 methods for moe_lse fits.

#' Methods for least squares mixture-of-experts fits
#'
#' Print, summarise, extract from, predict with and plot a [moe_lse()] fit. Standard errors,
#' `vcov()`, `confint()` and `anova()` are described in [moe_lse-inference]; `tidy()`, `glance()`
#' and `augment()` in [moe_lse-tidiers].
#'
#' * `coef()` returns the p free parameters (under the softmax gate the last component's gate is
#'   anchored at 0 and not counted; under the sigmoid gate every component's gate is free) as a
#'   named vector in the layout of `vcov()`: names `expert<j>:beta0`,
#'   `expert<j>:beta1.<input>` for the gate (j < k for softmax, j <= k for sigmoid), then `expert<j>:a.<input>`, `expert<j>:b`
#'   and `expert<j>:c` (output weight) for the experts. `coef(fit, matrix = TRUE)` gives the k x
#'   (1 + d + q) matrix, one row per expert, anchored zeros included: `beta0`, the gating slopes
#'   `beta1.<input>` and the expert parameters.
#' * `summary()` gives estimates, standard errors, t values and p-values from the t distribution
#'   on `df.residual()` degrees of freedom, as [stats::nls()] does (with few residual degrees of
#'   freedom the normal's are too small; see [moe_lse-inference] for when they are valid), \eqn{\hat\sigma}{sigma_hat}, R-squared, AIC and BIC, and
#'   the optimiser's record. Its printed table marks estimates on a bound of the box with `[b]` and
#'   nearly unidentified ones with `[u]` (both without standard errors), and a footnote says what
#'   each bound means: a gating slope at `bound_gate`, a gate that is (nearly) a hard switch; a slope
#'   inside a nonlinearity at `bound_expert`, an expert that is (nearly) a step; an output weight
#'   \eqn{c} at `bound_output` with \eqn{a^\top x + b}{a'x + b} near 0 over the data, the linear limit
#'   \eqn{c \to \infty}{c -> Inf}, \eqn{a, b \to 0}{a, b -> 0} (the expert is effectively linear), or, with
#'   \eqn{a^\top x + b}{a'x + b} not near 0, a large expert offset by a small gate; an output weight at its lower
#'   limit, an expert that vanishes. The box is set by `lse_control(bound_gate =, bound_expert =,
#'   bound_output =)`; refitting with a wider one shows whether an estimate follows the bound out
#'   (a limit) or stays.
#' * `fitted()` is \eqn{\hat f(X_i)}{f_hat(X_i)}; `residuals()` of `type` `"response"` (default) and
#'   `"working"` are \eqn{Y_i - \hat f(X_i)}{Y_i - f_hat(X_i)}; `"pearson"` and `"deviance"` are
#'   \eqn{\sqrt{w_i}(Y_i - \hat f(X_i))}{sqrt(w_i) (Y_i - f_hat(X_i))} (as for `lm`: with unit weights all four agree). With
#'   `na.action = na.exclude` both are padded with `NA`.
#' * `nobs()` counts rows with positive weight; `deviance()` is the (weighted) RSS; p is the
#'   number of free parameters (`length(coef(fit))`); `df.residual()` is n - p; `sigma()` is
#'   \eqn{\sqrt{RSS/(n - p)}}{sqrt(RSS/(n - p))}; `logLik()` the Gaussian log-likelihood at the maximum-likelihood
#'   \eqn{\hat\sigma^2 = RSS/n}{sigma_hat^2 = RSS/n} (with weights as `lm` computes it), with `df` = p + 1, so `AIC()`
#'   and `BIC()` use the same p. An exact fit (RSS 0) has an infinite log-likelihood: a warning of
#'   class `lsmoe_warning_nonfinite` says so.
#' * `formula()`, `terms()`, `model.frame()` are those of the formula, as for `lm`;
#'   `model.matrix()` is the design matrix `lm` would build from the same formula (with the
#'   `(Intercept)` column, whose role the model's intercepts play); for `moe_lse_fit()` fits it is
#'   the input matrix `x`.
#' * `predict()` with `type = "response"` gives \eqn{\hat f(x)}{f_hat(x)} (length m); `"gate"` the gate
#'   values (m x k: softmax probabilities, or the k sigmoid gates, whose rows need not sum to 1); `"experts"` the expert values \eqn{h(x, \hat\eta_j)}{h(x, eta_hat_j)} (m x k).
#'   `newdata` is a data frame with the formula's variables (formula fits) or a matrix / data
#'   frame with the d columns of `x`, matched by name when it has column names and by position
#'   otherwise; without it, the training inputs are used (padded for `na.exclude`). A 0-row
#'   `newdata` gives `numeric(0)` (or a 0 x k matrix). With `se.fit = TRUE` (response only) a list
#'   `fit`, `se.fit`, `df`, `residual.scale` as for `lm`; `interval = "confidence"` gives a matrix
#'   `fit`, `lwr`, `upr` from the delta method \eqn{se(x)^2 = g(x)^\top V g(x)}{se(x)^2 = g(x)' V g(x)}, with g the gradient
#'   of \eqn{\hat f(x)}{f_hat(x)} in the free parameters and V = `vcov(fit, type = vcov_type)`;
#'   `"prediction"` adds \eqn{\hat\sigma^2}{sigma_hat^2} (for a new observation of unit weight); the limits are
#'   `fit` plus or minus the quantile of Student's t on `df.residual()` degrees of freedom times
#'   the standard error, as for `lm`. The delta method holds estimates on a bound fixed and
#'   projects off nearly unidentified directions (see [moe_lse-inference]); when no free parameter
#'   is left (every one on a bound or unidentified) it would give 0, so the standard errors are
#'   instead the standard deviations of \eqn{\hat f(x)}{f_hat(x)} over `nboot` parametric-bootstrap refits (those of
#'   `confint(method = "boot")`, seeded by `seed`), with a warning of class `lsmoe_warning_inference`;
#'   a fit without its data (`model = FALSE`) cannot be refitted: its confidence limits are then `NA`
#'   and its prediction limits use \eqn{\hat\sigma}{sigma_hat} alone, with the same warning. Intervals are `NA` only
#'   without residual degrees of freedom (n <= p). Errors of class
#'   `lsmoe_error_input` name a missing variable, a variable of the wrong type (a factor given
#'   as numbers), new factor levels, non-finite values and an unknown `type`; a prediction that
#'   overflows (inputs far outside the data) gives a warning of class `lsmoe_warning_nonfinite`.
#'   Rows of `newdata` outside the range of the training inputs (rows of positive weight; per
#'   input column, by more than 1e-6 of the larger of its range and its largest absolute value)
#'   give a warning of class `lsmoe_warning_extrapolation` naming the rows and the inputs, for
#'   `type = "response"` and `"experts"` of experts that grow without bound in x (linear,
#'   polynomial, ReLU, GELU, with or without an output weight): far out, the gate hands the
#'   prediction to one expert whose line or curve nothing in the data bounds. Mixtures of bounded
#'   experts (sigmoid, tanh, constant) stay within the experts' bounds and do not warn, nor does
#'   `type = "gate"`, nor `predict()` without `newdata`.
#' * `plot()` draws the diagnostics chosen by `which`: 1, the fit (d = 1: the data with the fitted
#'   regression function, y-limits covering both; d > 1: observed against fitted values); 2, the
#'   gate values (against the input for d = 1, against the fitted values otherwise);
#'   3, Pearson residuals against fitted values; 4, a normal Q-Q plot of the Pearson residuals
#'   divided by \eqn{\hat\sigma}{sigma_hat}. Axis labels come from the formula. Default `1:2` for d = 1, and
#'   `c(1, 3)` otherwise.
#'
#' **Checked fits.** Every method (here and in [moe_lse-inference], [moe_lse-tidiers],
#' [simulate.moe_lse()], [as_mixing_measure()]) first checks the fit, which may have been edited by
#' hand or saved by an older version: a component that is missing, of the wrong type or shape, or
#' not finite (parameters, `x`, `y`, fitted values, residuals, `rss`, counts, `expert`, `gate`,
#' `control`, ...) gives an error of class `lsmoe_error_fit_object` (also `lsmoe_error_input`)
#' naming the component, never a subscript error or a call into compiled code with bad memory.
#' `digits` must be a whole number between 1 and 22.
#'
#' **Fits without their data.** A fit made with `model = FALSE` has no `x`, `y` or model frame:
#' `predict()` without `newdata` gives its fitted values (`type = "response"` without standard
#' errors only), `model.frame()` and `model.matrix()` evaluate the call's data again, and `plot()`
#' stops with an error of class `lsmoe_error_no_data`; see "Fits without their data" in
#' [moe_lse()].
#'
#' @param object,x A `moe_lse` fit.
#' @param matrix Logical, default `FALSE`: `coef()` as the k-row matrix instead of the free vector.
#' @param newdata See Details.
#' @param type For `predict()`, one of `"response"` (default), `"gate"`, `"experts"`; for
#'   `residuals()` one of `"response"` (default), `"working"`, `"pearson"`, `"deviance"`.
#' @param se.fit Logical, default `FALSE`: also return delta-method standard errors.
#' @param interval One of `"none"` (default), `"confidence"`, `"prediction"`.
#' @param level Confidence level, default 0.95.
#' @param vcov_type Covariance used by `se.fit` and `interval`: `"classical"` (default), `"HC0"`
#'   or `"HC1"` (see [vcov.moe_lse()]).
#' @param nboot,seed For `predict()` when no free parameter is identified and off the bounds: the
#'   number of parametric-bootstrap refits (whole number >= 10, default 200) and their integer seed
#'   (default `NULL`: drawn from R's generator, so `set.seed()` makes it reproducible); unused otherwise.
#' @param which Integer vector, a subset of 1:4 (see Details).
#' @param digits Significant digits to print.
#' @param ... Unused (an error if given, where the method checks).
#' @returns `print()` and `plot()` return `x` invisibly; `summary()` an object of class
#'   `summary.moe_lse` (call, expert, k, d, nobs, df (p and n - p), rss, sigma, r_squared,
#'   coefficients (a matrix: Estimate, Std. Error, t value, Pr(>|t|)), vcov_type, converged,
#'   message, iterations, on_bound, starts, best_start, AIC, BIC, residuals (quantiles),
#'   bound_flags and unidentified (logical, named as `coef()`), bounds (a data frame with
#'   `parameter`, `group` (`"gate"`, `"expert"`, `"output"`), `control` (the [lse_control()]
#'   argument of that box) and `meaning`, one row per estimate on a bound)); the others as
#'   described above.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Seber, G. A. F. and Wild, C. J. (1989). *Nonlinear Regression*. Wiley, chapter 5.
#' \doi{10.1002/0471725315}
#' @examples
#' set.seed(2)
#' x <- runif(400)
#' y <- 2 * tanh(6 * x - 3) * (x > 0.5) + rnorm(400, sd = 0.1)
#' fit <- moe_lse(y ~ x, k = 2, expert = expert_tanh(output_weight = TRUE))
#' summary(fit)
#' coef(fit, matrix = TRUE)
#' c(sigma = sigma(fit), df = df.residual(fit), AIC = AIC(fit))
#' predict(fit, data.frame(x = c(0.25, 0.75)), interval = "confidence")
#' plot(fit)
#' plot(fit, which = 3:4)
#' @name moe_lse-methods
#' @importFrom stats formula terms model.frame model.matrix sigma df.residual vcov confint anova
NULL

# Component and term of every free parameter, in the order of theta (see R/params.R).
theta_terms <- function(object) {
  k <- object$k
  xn <- fit_xnames(object)
  comp <- paste0("expert", seq_len(k))
  pn <- expert_param_names(object$expert, xn)
  g <- gated_components(k, object$gate)
  data.frame(
    component = c(comp[seq_len(g)], rep(comp[seq_len(g)], length(xn)), rep(comp, each = length(pn))),
    term = c(rep("beta0", g), rep(paste0("beta1.", xn), each = g), rep(pn, k)),
    stringsAsFactors = FALSE
  )
}

theta_names <- function(object) {
  tt <- theta_terms(object)
  paste0(tt$component, ":", tt$term)
}

#' @rdname moe_lse-methods
#' @export
coef.moe_lse <- function(object, matrix = FALSE, ...) {
  object <- validate_fit(object)
  check_flag(matrix, "matrix")
  if (!matrix) return(stats::setNames(object$theta, theta_names(object)))
  p <- object$coefficients
  m <- cbind(beta0 = p$beta0, p$beta1, p$eta)
  colnames(m) <- c("beta0", paste0("beta1.", colnames(p$beta1)), colnames(p$eta))
  m
}

#' @rdname moe_lse-methods
#' @export
print.moe_lse <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  orig <- x
  x <- validate_fit(x, "x")
  digits <- check_digits(digits)
  cat(sprintf("Least squares %s-gated mixture of experts\n", gate_name(x$gate)))
  if (!is.null(x$call)) cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat(sprintf("Experts: %d x %s, inputs d = %d, n = %d%s\n", x$k, x$expert$label, x$d, x$nobs,
              if (is.null(x$weights)) "" else " (weighted)"))
  if (length(x$na.action)) cat(sprintf("(%d observation(s) deleted due to missingness)\n", length(x$na.action)))
  cat(if (gate_name(x$gate) == "softmax") "\nParameters (last gate anchored at 0):\n" else "\nParameters (sigmoid gates, none anchored):\n")
  print(signif(coef(x, matrix = TRUE), digits))
  cat(sprintf("\nRSS %s; residual standard error %s on %d degrees of freedom\n",
              format(signif(x$rss, digits)), format(signif(sigma(x), digits)), df.residual(x)))
  steps <- intersect(c("re-anchoring the gate", "a Newton polish"), x$finish_steps)
  cat(sprintf("%s after %d iterations%s (best of %s)\n",
              if (x$converged) "Converged" else "NOT converged", x$iterations,
              if (length(steps)) paste0(" and ", steps, collapse = "") else "", describe_starts(x$starts)))
  if (x$on_bound > 0) {
    fl <- theta_on_bound(x)
    cat(sprintf("%d estimate(s) on a bound%s (treated as fixed; see summary())\n", x$on_bound,
                if (length(fl) == length(x$theta) && any(fl)) paste0(": ", paste(theta_names(x)[fl], collapse = ", ")) else ""))
  }
  invisible(orig)
}

# "50 starts" or "50 starts and 20 perturbed" (column `round` of a fit's `starts`).
describe_starts <- function(starts) {
  pert <- if (is.null(starts$round)) 0L else sum(starts$round > 0, na.rm = TRUE)
  n0 <- nrow(starts) - pert
  paste0(n0, if (n0 == 1) " start" else " starts", if (pert > 0) sprintf(" and %d perturbed", pert) else "")
}

#' @rdname moe_lse-methods
#' @param vcov_type For `summary()`: the covariance behind the standard errors, as in
#'   [vcov.moe_lse()].
#' @export
summary.moe_lse <- function(object, vcov_type = c("classical", "HC0", "HC1"), ...) {
  object <- validate_fit(object)
  vcov_type <- match_choice(vcov_type, c("classical", "HC0", "HC1"), "vcov_type")
  n <- object$nobs
  w <- object$weights
  tss <- fit_tss(object)
  est <- coef(object)
  info <- lse_inference(object, vcov_type)
  se <- sqrt(diag(info$V))
  tval <- est / se
  tab <- cbind(Estimate = est, `Std. Error` = se, `t value` = tval, `Pr(>|t|)` = t_pvalue(tval, stats::df.residual(object)))
  rownames(tab) <- names(est)
  structure(list(
    call = object$call, expert = object$expert, gate = as_gate(object$gate), k = object$k, d = object$d, nobs = n,
    df = c(length(est), stats::df.residual(object)),
    rss = object$rss, sigma = stats::sigma(object),
    r_squared = if (tss > 0) 1 - object$rss / tss else NA_real_,
    coefficients = tab, vcov_type = vcov_type, converged = object$converged, message = object$message,
    iterations = object$iterations, on_bound = object$on_bound, starts = object$starts,
    best_start = object$best_start, AIC = stats::AIC(object), BIC = stats::BIC(object),
    # the Pearson residuals' quantiles, from the residuals without the n row names residuals() adds
    residuals = stats::quantile(if (is.null(w)) object$residuals else sqrt(w) * object$residuals, names = TRUE),
    weighted = !is.null(w), na.action = object$na.action,
    # the estimates treated as fixed (on a bound) and those left without a standard error as
    # nearly unidentified, named as coef(), and what each bound means (bound_meanings())
    bound_flags = stats::setNames(info$bound, names(est)), unidentified = stats::setNames(info$sing, names(est)),
    bounds = bound_meanings(object, info$bound)
  ), class = "summary.moe_lse")
}

#' @rdname moe_lse-methods
#' @export
print.summary.moe_lse <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  orig <- x
  x <- validate_summary(x)
  digits <- check_digits(digits)
  cat(sprintf("Least squares %s-gated mixture of experts\n", gate_name(x$gate)))
  if (!is.null(x$call)) cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat(sprintf("\nExperts: %d x %s; d = %d; n = %d\n", x$k, x$expert$label, x$d, x$nobs))
  cat(if (x$weighted) "\nWeighted residuals:\n" else "\nResiduals:\n")
  r <- x$residuals
  names(r) <- c("Min", "1Q", "Median", "3Q", "Max")
  print(signif(r, digits))
  cat(sprintf("\nFree parameters (%s; %s standard errors):\n",
              if (gate_name(x$gate) == "softmax") "last gate anchored at 0" else "sigmoid gates, none anchored",
              if (x$vcov_type == "classical") "Gauss-Newton" else paste("sandwich", x$vcov_type)))
  cf <- x$coefficients
  bf <- x$bound_flags
  un <- x$unidentified
  if (length(bf) == nrow(cf) && length(un) == nrow(cf)) {
    rownames(cf) <- paste0(rownames(cf), ifelse(bf, " [b]", ifelse(un, " [u]", "")))
  }
  stats::printCoefmat(cf, digits = digits, has.Pvalue = TRUE, P.values = TRUE, na.print = "NA")
  print_bound_notes(x)
  cat(sprintf("\nResidual standard error: %s on %d degrees of freedom (RSS %s)\n",
              format(signif(x$sigma, digits)), x$df[2], format(signif(x$rss, digits))))
  if (length(x$na.action)) cat(sprintf("  (%d observation(s) deleted due to missingness)\n", length(x$na.action)))
  cat(sprintf("R-squared: %s   AIC: %s   BIC: %s\n", format(signif(x$r_squared, digits)),
              format(signif(x$AIC, digits + 2)), format(signif(x$BIC, digits + 2))))
  rb <- if (is.null(x$starts$round)) 0L else x$starts$round[x$best_start]
  cat(sprintf("Optimizer: %s; %d iterations; best: start %d%s of %s\n",
              x$message, x$iterations, x$best_start,
              if (isTRUE(rb > 0)) {
                ch <- if (is.null(x$starts$chain)) 0L else x$starts$chain[x$best_start]
                sprintf(" (perturbation round %d%s)", rb, if (isTRUE(ch > 0)) sprintf(" of the chain from start %d", ch) else "")
              } else "", describe_starts(x$starts)))
  rss <- sort(x$starts$rss, na.last = TRUE)
  near <- sum(rss <= rss[1] * (1 + 1e-3), na.rm = TRUE)
  cat(sprintf("Smallest RSS over starts: %s%s; %d of %d start(s) within 0.1%% of the best, %d within 1e-6\n",
              paste(format(signif(utils::head(rss, 5), digits)), collapse = ", "),
              if (length(rss) > 5) ", ..." else "", near, length(rss), starts_reaching_best(x$starts)))
  cat(sprintf("Estimates on a bound: %d\n", x$on_bound))
  invisible(orig)
}

# The footnotes of summary()'s coefficient table: estimates on a bound ([b]) with what each
# bound means, and nearly unidentified ones ([u]).
print_bound_notes <- function(x) {
  b <- x$bounds
  if (is.data.frame(b) && nrow(b)) {
    cat("---\n[b] On a bound of the box (treated as fixed: no standard error; the others' are conditional on it):\n")
    w <- max(nchar(b$parameter))
    width <- max(40L, getOption("width", 80L) - w - 4L)
    for (i in seq_len(nrow(b))) {
      txt <- strwrap(b$meaning[i], width = width)
      cat(paste0("  ", formatC(c(b$parameter[i], rep("", length(txt) - 1L)), width = -w), "  ", txt, "\n"), sep = "")
    }
    ctl <- unique(b$control)
    cat("    The box: lse_control(bound_gate =, bound_expert =, bound_output =)\n")
    note <- sprintf(paste("(on the standardised scale; Inf removes a bound). Refit with a wider %s to see whether the box",
                          "holds them: an estimate that follows the bound out describes a limit (a hard switch, a linear",
                          "expert), not a point, and the others' intervals, which hold it at the bound, can be biased when",
                          "the data want it further out."), paste0("`", ctl, "`", collapse = " or "))
    cat(paste0(strwrap(note, width = max(40L, getOption("width", 80L) - 1L), indent = 4L, exdent = 4L), "\n"), sep = "")
  }
  un <- x$unidentified
  if (length(un) && any(un)) {
    if (!(is.data.frame(b) && nrow(b))) cat("---\n")
    txt <- sprintf("[u] Nearly unidentified (variance inflation in J'WJ above 1 / tol), no standard error: %s",
                   paste(names(un)[un], collapse = ", "))
    cat(paste0(strwrap(txt, width = max(40L, getOption("width", 80L) - 1L), exdent = 4L), "\n"), sep = "")
  }
  invisible()
}

#' @rdname moe_lse-methods
#' @export
fitted.moe_lse <- function(object, ...) {
  object <- validate_fit(object)
  stats::napredict(object$na.action, with_fit_row_names(object$fitted.values, object))
}

# v (a vector or a matrix with one row per row of X) named by the row names of X, as lm names its
# fitted values, residuals and predictions.
with_row_names <- function(v, X) name_rows(v, rownames(X))
# v named by the row names of the fit's data (fit_row_names()).
with_fit_row_names <- function(v, object) name_rows(v, fit_row_names(object))
name_rows <- function(v, rn) {
  if (is.null(rn) || NROW(v) != length(rn)) return(v)
  if (is.matrix(v)) rownames(v) <- rn else names(v) <- rn
  v
}

#' @rdname moe_lse-methods
#' @export
residuals.moe_lse <- function(object, type = c("response", "working", "pearson", "deviance"), ...) {
  object <- validate_fit(object)
  type <- match_choice(type, c("response", "working", "pearson", "deviance"), "type")
  r <- object$residuals
  if (type %in% c("pearson", "deviance") && !is.null(object$weights)) r <- sqrt(object$weights) * r
  stats::naresid(object$na.action, with_fit_row_names(as.vector(r), object))
}

#' @rdname moe_lse-methods
#' @export
nobs.moe_lse <- function(object, ...) validate_fit(object)$nobs

#' @rdname moe_lse-methods
#' @export
deviance.moe_lse <- function(object, ...) validate_fit(object)$rss

#' @rdname moe_lse-methods
#' @export
df.residual.moe_lse <- function(object, ...) {
  object <- validate_fit(object)
  object$nobs - length(object$theta)
}

#' @rdname moe_lse-methods
#' @export
sigma.moe_lse <- function(object, ...) {
  object <- validate_fit(object)
  df <- stats::df.residual(object)
  if (df <= 0) {
    lsmoe_warn(sprintf("sigma() is undefined: %d observations for %d free parameters.", object$nobs, length(object$theta)),
               class = "lsmoe_warning_inference")
    return(NA_real_)
  }
  sqrt(object$rss / df)
}

#' @rdname moe_lse-methods
#' @export
logLik.moe_lse <- function(object, ...) {
  object <- validate_fit(object)
  n <- object$nobs
  w <- object$weights
  lw <- if (is.null(w)) 0 else sum(log(w[w > 0]))
  val <- 0.5 * (lw - n * (log(2 * pi) + 1 - log(n) + log(object$rss)))
  if (object$rss == 0) {
    lsmoe_warn("The log-likelihood is infinite: the fit is exact (RSS 0), so the Gaussian likelihood has no maximum.",
               class = "lsmoe_warning_nonfinite")
  }
  structure(val, nall = length(object$residuals), nobs = n, df = length(object$theta) + 1L, class = "logLik")
}

no_formula <- function(what) {
  lsmoe_abort(sprintf("%s: this fit came from the matrix interface moe_lse_fit(x, y), which has no formula.", what),
              arg = "object")
}

#' @rdname moe_lse-methods
#' @export
formula.moe_lse <- function(x, ...) {
  x <- validate_fit(x, "x")
  if (is.null(x$terms)) no_formula("formula()")
  stats::formula(x$terms)
}

#' @rdname moe_lse-methods
#' @export
terms.moe_lse <- function(x, ...) {
  x <- validate_fit(x, "x")
  if (is.null(x$terms)) no_formula("terms()")
  x$terms
}

#' @rdname moe_lse-methods
#' @param formula A `moe_lse` fit (for `model.frame()`).
#' @export
model.frame.moe_lse <- function(formula, ...) {
  formula <- validate_fit(formula, "formula")
  if (is.null(formula$terms)) no_formula("model.frame()")
  dots <- list(...)
  nargs <- dots[match(c("data", "na.action", "subset"), names(dots), 0)]
  if (length(nargs) == 0 && !is.null(formula$model)) return(formula$model)
  fcall <- formula$call
  m <- match(c("formula", "data", "subset", "weights", "na.action"), names(fcall), 0L)
  fcall <- fcall[c(1L, m)]
  fcall$drop.unused.levels <- TRUE
  fcall[[1L]] <- quote(stats::model.frame)
  fcall$xlev <- formula$xlevels
  fcall$formula <- formula$terms
  fcall[names(nargs)] <- nargs
  env <- environment(formula$terms)
  if (is.null(env)) env <- parent.frame()
  eval(fcall, env)
}

#' @rdname moe_lse-methods
#' @export
model.matrix.moe_lse <- function(object, ...) {
  object <- validate_fit(object)
  if (is.null(object$terms)) {
    if (!fit_has_data(object)) need_data("model.matrix() of a fit of the matrix interface")
    return(object$x)
  }
  tt <- object$terms
  attr(tt, "intercept") <- 1L
  stats::model.matrix(tt, stats::model.frame(object, ...), contrasts.arg = object$contrasts)
}

# Model matrix for new data, checked against the fit's inputs.
newdata_matrix <- function(object, newdata) {
  if (is.null(newdata)) {
    if (!fit_has_data(object)) need_data("predict() without `newdata` (but for the fitted values, type = \"response\")")
    return(object$x)
  }
  if (!is.null(object$terms)) {
    if (!is.data.frame(newdata) && !is.list(newdata)) {
      lsmoe_abort(sprintf("`newdata` must be a data frame with the model's variables, not %s.", describe(newdata)), arg = "newdata")
    }
    tt <- stats::delete.response(object$terms)
    need <- all.vars(tt)
    miss <- setdiff(need, names(newdata))
    if (length(miss)) {
      lsmoe_abort(sprintf("`newdata` lacks the variable(s) %s.", paste0("`", miss, "`", collapse = ", ")), arg = "newdata")
    }
    X <- tryCatch({
      # model.frame() only warns about a factor given as numbers; .checkMFClasses() names it in an error
      m <- suppressWarnings(stats::model.frame(tt, newdata, na.action = stats::na.pass, xlev = object$xlevels))
      cl <- attr(tt, "dataClasses")
      if (!is.null(cl)) stats::.checkMFClasses(cl, m)
      formula_matrix(tt, m, object$contrasts)
    }, error = function(e) lsmoe_abort(paste0("`newdata`: ", conditionMessage(e)), arg = "newdata"))
    if (nrow(X) == 0) return(X)
    bad <- colSums(!is.finite(X)) > 0
    if (any(bad)) {
      lsmoe_abort(sprintf("`newdata`: variable(s) %s must be finite: they have NA, NaN or infinite values.",
                          paste0("`", colnames(X)[bad], "`", collapse = ", ")), arg = "newdata")
    }
  } else {
    # columns are matched by name when newdata has names, by position otherwise
    X <- newdata
    if (is.numeric(X) && is.null(dim(X)) && object$d == 1) X <- matrix(X, ncol = 1)
    X <- fix_colnames(X)
    nms <- colnames(X)
    if (!is.null(nms)) {
      miss <- setdiff(fit_xnames(object), nms)
      if (length(miss)) {
        lsmoe_abort(sprintf("`newdata` lacks the column(s) %s.", paste0("`", miss, "`", collapse = ", ")), arg = "newdata")
      }
      X <- if (is.data.frame(X)) X[fit_xnames(object)] else X[, fit_xnames(object), drop = FALSE]
    }
    if ((is.matrix(X) || is.data.frame(X)) && nrow(X) == 0) {
      if (ncol(X) != object$d) {
        lsmoe_abort(sprintf("`newdata` must have %d column(s), like the inputs of the fit, not %d.", object$d, ncol(X)), arg = "newdata")
      }
      return(matrix(numeric(0), 0, object$d, dimnames = list(NULL, fit_xnames(object))))
    }
  }
  X <- check_x(X, "newdata")
  if (ncol(X) != object$d) {
    lsmoe_abort(sprintf("`newdata` must have %d column(s), like the inputs of the fit, not %d.", object$d, ncol(X)), arg = "newdata")
  }
  X
}

#' @rdname moe_lse-methods
#' @export
predict.moe_lse <- function(object, newdata = NULL, type = c("response", "gate", "experts"), se.fit = FALSE,
                            interval = c("none", "confidence", "prediction"), level = 0.95,
                            vcov_type = c("classical", "HC0", "HC1"), nboot = 200, seed = NULL, ...) {
  check_dots_empty(...)
  object <- validate_fit(object)
  type <- match_choice(type, c("response", "gate", "experts"), "type")
  interval <- match_choice(interval, c("none", "confidence", "prediction"), "interval")
  vcov_type <- match_choice(vcov_type, c("classical", "HC0", "HC1"), "vcov_type")
  check_flag(se.fit, "se.fit")
  level <- check_number(level, "level", min = 0, max = 1, strict_min = TRUE)
  if (level >= 1) lsmoe_abort("`level` must be below 1.", arg = "level")
  # checked here, not only where the bootstrap fallback uses them
  nboot <- check_count(nboot, "nboot", min = 10)
  if (!is.null(seed)) seed <- check_count(seed, "seed", min = 0)
  if ((se.fit || interval != "none") && type != "response") {
    lsmoe_abort("`se.fit` and `interval` are available for type = \"response\" only.", arg = "type")
  }
  pad <- function(v) {
    if (is.null(newdata)) stats::napredict(object$na.action, with_fit_row_names(v, object)) else with_row_names(v, X)
  }
  if (is.null(newdata) && !fit_has_data(object) && type == "response" && !se.fit && interval == "none") {
    return(pad(as.vector(object$fitted.values)))  # the fitted values, which a fit without its data keeps
  }
  X <- newdata_matrix(object, newdata)
  if (!is.null(newdata) && type != "gate") warn_extrapolation(object, X)
  k <- object$k
  if (nrow(X) == 0) {
    if (type != "response") return(matrix(numeric(0), 0, k, dimnames = list(NULL, names(object$coefficients$beta0))))
    fit <- numeric(0)
  } else {
    p <- object$coefficients
    out <- cpp_predict(X, p$beta0, p$beta1, p$eta, object$expert, gate_name(object$gate))
    res <- out[[type]]
    if (any(!is.finite(res))) {
      lsmoe_warn(sprintf(paste0("%d prediction(s) are not finite: `newdata` is far outside the inputs of the fit ",
                                "(largest |value| %.3g), where the model overflows."),
                         sum(!is.finite(res)), max(abs(X))), class = "lsmoe_warning_nonfinite")
    }
    if (type != "response") {
      colnames(res) <- names(p$beta0)
      return(pad(res))
    }
    fit <- as.vector(res)
  }
  if (!se.fit && interval == "none") return(pad(fit))
  info <- lse_inference(object, vcov_type)
  se <- if (length(fit)) prediction_se(object, info, X) else numeric(0)
  if (!length(info$C) && length(fit) && stats::df.residual(object) > 0) {
    # no free identified parameter: the delta method has nothing to work on (prediction_fallback())
    se <- prediction_fallback(object, X, fit, nboot, seed)
  }
  sigma_only <- isTRUE(attr(se, "sigma_only"))
  attr(se, "sigma_only") <- NULL
  if (!sigma_only && any(!is.finite(se) & is.finite(fit))) {
    lsmoe_warn(sprintf(paste0("%d standard error(s) of finite predictions are not finite: `newdata` is far outside the ",
                              "inputs of the fit (largest |value| %.3g), where their variance overflows."),
                       sum(!is.finite(se) & is.finite(fit)), max(abs(X))), class = "lsmoe_warning_nonfinite")
  }
  s <- stats::sigma(object)
  if (interval != "none") {
    z <- t_quantile(level, stats::df.residual(object))
    half <- z * if (interval == "confidence") se else if (sigma_only) rep(s, length(se)) else sqrt(se^2 + s^2)
    m <- cbind(fit = fit, lwr = fit - half, upr = fit + half)
    m <- pad(m)
    if (!se.fit) return(m)
    return(list(fit = m, se.fit = pad(se), df = stats::df.residual(object), residual.scale = s))
  }
  list(fit = pad(fit), se.fit = pad(se), df = stats::df.residual(object), residual.scale = s)
}

# The warning of class lsmoe_warning_extrapolation: rows of `X` (new inputs, model-matrix columns)
# beyond the range of the inputs that entered the fit (rows of positive weight), per column, by more
# than 1e-6 times the larger of the column's range and its largest absolute value (rounding of data
# read back from text does not warn). Only for experts that grow without bound in x (trait
# `unbounded`: linear, polynomial, ReLU, GELU): far out the gate hands the prediction to one expert,
# whose line or curve nothing in the data bounds; a mixture of bounded experts (sigmoid, tanh,
# constant) stays within their bounds.
warn_extrapolation <- function(object, X) {
  if (!nrow(X) || !expert_trait(object$expert, "unbounded")) return(invisible())
  rng <- fit_x_range(object)
  lo <- rng[1, ]
  hi <- rng[2, ]
  tol <- 1e-6 * pmax(hi - lo, abs(lo), abs(hi))
  out <- sweep(X, 2, lo - tol, "<") | sweep(X, 2, hi + tol, ">")
  rows <- which(rowSums(out) > 0)
  if (!length(rows)) return(invisible())
  cols <- which(colSums(out) > 0)
  rn <- rownames(X)
  lab <- if (is.null(rn) || identical(rn, as.character(seq_len(nrow(X))))) as.character(rows) else rn[rows]
  show <- if (length(rows) > 5) paste0(paste(lab[1:5], collapse = ", "), ", ...") else paste(lab, collapse = ", ")
  rng <- vapply(cols, function(j) sprintf("`%s` in [%s, %s]", colnames(X)[j], format(signif(lo[j], 4)),
                                          format(signif(hi[j], 4))), "")
  lsmoe_warn(sprintf(paste0("%d row(s) of `newdata` (%s) lie outside the range of the training inputs (%s): ",
                            "the %s experts grow without bound in x, so predictions there are extrapolations the data do not support."),
                     length(rows), show, paste(rng, collapse = ", "), object$expert$label),
             class = "lsmoe_warning_extrapolation")
}

# Two-sided p-values of t statistics on df residual degrees of freedom (NaN without any, as lm's).
t_pvalue <- function(tval, df) if (df > 0) 2 * stats::pt(-abs(tval), df) else rep(NaN, length(tval))

# The two-sided critical value of Student's t on df degrees of freedom at confidence `level` (as
# confint.lm() and predict.lm() use), NaN without residual degrees of freedom.
t_quantile <- function(level, df) if (df > 0) stats::qt((1 + level) / 2, df) else NaN

# Axis labels: the (first) input and the response, as named in the formula or the call.
plot_labels <- function(x) {
  yl <- x$response_name
  c(x = fit_xnames(x)[1], y = if (is.null(yl)) "response" else yl)
}

#' @rdname moe_lse-methods
#' @export
plot.moe_lse <- function(x, which = if (x$d == 1) 1:2 else c(1, 3), ...) {
  orig <- x
  x <- validate_fit(x, "x")
  if (!fit_has_data(x)) need_data("plot()", "x")
  if (!is.numeric(which) || length(which) == 0 || any(!which %in% 1:4) || anyDuplicated(which)) {
    lsmoe_abort(sprintf("`which` must be distinct values in 1:4, not %s.", describe(which)), arg = "which")
  }
  nw <- length(which)
  op <- graphics::par(mfrow = if (nw <= 2) c(nw, 1) else c(2, 2), mar = c(4, 4, 2, 1))
  on.exit(graphics::par(op))
  labs <- plot_labels(x)
  yl <- labs[["y"]]
  p <- x$coefficients
  cols <- grDevices::hcl.colors(max(x$k, 2), "Dark 3")[seq_len(x$k)]
  ftd <- x$fitted.values
  pr <- stats::residuals(x, type = "pearson")
  if (length(x$na.action)) pr <- pr[!is.na(pr)]
  if (x$d == 1) {
    xv <- x$x[, 1]
    grid <- seq(min(xv), max(xv), length.out = 400)
    gm <- matrix(grid, ncol = 1, dimnames = list(NULL, colnames(x$x)))
    pg <- cpp_predict(gm, p$beta0, p$beta1, p$eta, x$expert, gate_name(x$gate))
  }
  for (wh in which) {
    if (wh == 1 && x$d == 1) {
      graphics::plot(xv, x$y, pch = 16, cex = 0.6, col = "grey50", xlab = labs[["x"]], ylab = yl,
                     ylim = range(x$y, pg$response, finite = TRUE),
                     main = sprintf("Fit: %d %s experts", x$k, x$expert$name))
      graphics::lines(grid, pg$response, lwd = 2)
    } else if (wh == 1) {
      graphics::plot(ftd, x$y, pch = 16, cex = 0.6, col = "grey40", xlab = paste("fitted", yl), ylab = yl,
                     main = "Observed against fitted")
      graphics::abline(0, 1, lty = 2)
    } else if (wh == 2) {
      if (x$d == 1) {
        graphics::matplot(grid, pg$gate, type = "l", lty = 1, lwd = 2, col = cols, ylim = c(0, 1),
                          xlab = labs[["x"]], ylab = "gate value", main = sprintf("Gate (%s)", gate_name(x$gate)))
      } else {
        gt <- cpp_predict(x$x, p$beta0, p$beta1, p$eta, x$expert, gate_name(x$gate))$gate
        graphics::matplot(ftd, gt, pch = 16, cex = 0.5, col = cols, ylim = c(0, 1),
                          xlab = paste("fitted", yl), ylab = "gate value", main = sprintf("Gate (%s)", gate_name(x$gate)))
      }
      graphics::legend("right", legend = rownames(p$beta1), col = cols, lty = 1, lwd = 2, bty = "n", cex = 0.8)
    } else if (wh == 3) {
      graphics::plot(ftd, pr, xlab = paste("fitted", yl), ylab = if (is.null(x$weights)) "residual" else "Pearson residual",
                     main = "Residuals against fitted values", pch = 16, cex = 0.6)
      graphics::abline(h = 0, lty = 2)
    } else {
      s <- suppressWarnings(stats::sigma(x))
      stats::qqnorm(pr / s, main = "Normal Q-Q", ylab = "standardised residual", pch = 16, cex = 0.6)
      stats::qqline(pr / s, lty = 2)
    }
  }
  invisible(orig)
}
