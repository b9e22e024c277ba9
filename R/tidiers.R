# broom-style tidiers through the generics package.

#' Tidy, glance at and augment moe_lse fits
#'
#' The [generics::tidy()], [generics::glance()] and [generics::augment()] methods for [moe_lse()]
#' fits (used by broom and the tidymodels packages).
#'
#' * `tidy()`: one row per free parameter (under the softmax gate the last gate is anchored at 0
#'   and not listed), in the
#'   order of `coef()`: `component` (`"expert1"`, ...), `term` (`beta0`, `beta1.<input>`,
#'   `a.<input>`, `b`, `c`), `estimate`, `std.error` (from `vcov(x, type = vcov_type)`),
#'   `statistic` (t value), `p.value` (t distribution on `df.residual()` degrees of freedom, as
#'   in `summary()`), with `conf.int = TRUE` `conf.low`, `conf.high`
#'   (Wald, from `confint()`), then `on_bound` (the estimate is on a bound of the box and held
#'   fixed: no standard error; `summary()`'s `[b]`) and `unidentified` (nearly unidentified: no
#'   standard error; `summary()`'s `[u]`), both logical.
#' * `glance()`: one row with `nobs`, `k`, `expert` (the family's name), `gate` (`"softmax"` or
#'   `"sigmoid"`), `df` (free parameters),
#'   `df.residual`, `rss`, `sigma`, `r.squared`, `logLik`, `AIC`, `BIC`, `converged`, `on_bound`.
#' * `augment()`: `data` (default: the model frame for formula fits, the inputs and response for
#'   matrix fits) with `.fitted`, `.resid` (response residuals) and `.gate_expert1`, ...,
#'   `.gate_expert<k>` (gate values); with `se_fit = TRUE` also `.se.fit`. With `newdata`,
#'   the predictions at `newdata` (no residuals unless it holds the response). Rows dropped by
#'   `na.action` get `NA` when `data` has all the original rows. Without `newdata`, a fit made
#'   with `model = FALSE` gives an error of class `lsmoe_error_no_data` (the gate values need its
#'   inputs).
#'
#' @param x A `moe_lse` fit.
#' @param conf.int Logical, default `TRUE`: add Wald confidence limits (t quantiles on the
#'   residual degrees of freedom, as `confint()`).
#' @param conf.level Confidence level, default 0.95.
#' @param vcov_type `"classical"` (default), `"HC0"` or `"HC1"`, as in [vcov.moe_lse()].
#' @param data Data frame to augment (see Details).
#' @param newdata Optional data frame of new inputs.
#' @param se_fit Logical, default `FALSE`: add delta-method standard errors `.se.fit`.
#' @param ... Unused.
#' @returns A data frame with the columns above.
#' @references
#' Robinson, D., Hayes, A. and Couch, S. (2023). broom: convert statistical objects into tidy
#' tibbles. <https://broom.tidymodels.org/>
#'
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @examples
#' set.seed(4)
#' d <- data.frame(x = runif(300))
#' d$y <- ifelse(d$x < 0.5, 2 * d$x, 1 - d$x) + rnorm(300, sd = 0.05)
#' fit <- moe_lse(y ~ x, data = d, k = 2, expert = "linear")
#' tidy(fit)
#' glance(fit)
#' head(augment(fit))
#' @name moe_lse-tidiers
NULL

#' @importFrom generics tidy glance augment
#' @export
generics::tidy

#' @export
generics::glance

#' @export
generics::augment

as_tidy_df <- function(df) {
  rownames(df) <- NULL
  df
}

#' @rdname moe_lse-tidiers
#' @export
tidy.moe_lse <- function(x, conf.int = TRUE, conf.level = 0.95, vcov_type = c("classical", "HC0", "HC1"), ...) {
  x <- validate_fit(x, "x")
  check_flag(conf.int, "conf.int")
  tt <- theta_terms(x)
  est <- coef(x)
  vcov_type <- match_choice(vcov_type, c("classical", "HC0", "HC1"), "vcov_type")
  info <- lse_inference(x, vcov_type)  # what vcov(x, type = vcov_type) returns as $V, with the flags
  se <- sqrt(diag(info$V))
  tval <- est / se
  out <- data.frame(component = tt$component, term = tt$term, estimate = unname(est), std.error = unname(se),
                    statistic = unname(tval), p.value = unname(t_pvalue(tval, stats::df.residual(x))),
                    stringsAsFactors = FALSE)
  if (conf.int) {
    level <- check_number(conf.level, "conf.level", min = 0, max = 1, strict_min = TRUE)
    if (level >= 1) lsmoe_abort("`conf.level` must be below 1.", arg = "conf.level")
    q <- t_quantile(level, stats::df.residual(x))
    out$conf.low <- out$estimate - q * out$std.error
    out$conf.high <- out$estimate + q * out$std.error
  }
  # the summary's [b] and [u] marks (summary.moe_lse(): bound_flags, unidentified)
  out$on_bound <- as.logical(info$bound)
  out$unidentified <- as.logical(info$sing)
  as_tidy_df(out)
}

#' @rdname moe_lse-tidiers
#' @export
glance.moe_lse <- function(x, ...) {
  x <- validate_fit(x, "x")
  s <- suppressWarnings(summary(x))
  ll <- stats::logLik(x)
  as_tidy_df(data.frame(
    nobs = x$nobs, k = x$k, expert = x$expert$name, gate = gate_name(x$gate), df = length(x$theta), df.residual = stats::df.residual(x),
    rss = x$rss, sigma = stats::sigma(x), r.squared = s$r_squared, logLik = as.numeric(ll),
    AIC = stats::AIC(x), BIC = stats::BIC(x), converged = x$converged, on_bound = x$on_bound,
    stringsAsFactors = FALSE
  ))
}

#' @rdname moe_lse-tidiers
#' @export
augment.moe_lse <- function(x, data = NULL, newdata = NULL, se_fit = FALSE, ...) {
  x <- validate_fit(x, "x")
  check_flag(se_fit, "se_fit")
  add <- function(df, fit, gate, se) {
    df$.fitted <- fit
    for (j in seq_len(ncol(gate))) df[[paste0(".gate_", colnames(gate)[j])]] <- gate[, j]
    if (!is.null(se)) df$.se.fit <- se
    df
  }
  if (!is.null(newdata)) {
    fit <- stats::predict(x, newdata)  # checks newdata first
    df <- as.data.frame(newdata)
    gate <- stats::predict(x, newdata, type = "gate")
    se <- if (se_fit) {
      # the extrapolation warning, if any, came with `fit` above
      withCallingHandlers(stats::predict(x, newdata, se.fit = TRUE)$se.fit,
                          lsmoe_warning_extrapolation = function(w) invokeRestart("muffleWarning"))
    }
    df <- add(df, fit, gate, se)
    if (!is.null(x$terms)) {
      yv <- tryCatch(eval(attr(x$terms, "variables")[[2L]], newdata, environment(x$terms)), error = function(e) NULL)
      if (is.numeric(yv) && length(yv) == nrow(df)) df$.resid <- yv - fit
    }
    return(as_tidy_df(df))
  }
  if (!is.null(data) && !is.data.frame(data) && !is.matrix(data)) {
    lsmoe_abort(sprintf("`data` must be a data frame (or matrix) of the fit's rows, not %s.", describe(data)), arg = "data")
  }
  if (!fit_has_data(x)) need_data("augment() without `newdata`", "x")
  if (is.null(data)) {
    df <- if (!is.null(x$model)) as.data.frame(x$model) else {
      d <- as.data.frame(x$x)
      d[[x$response_name]] <- x$y
      d
    }
    na <- NULL
  } else {
    df <- as.data.frame(data)
    na <- x$na.action
  }
  n_used <- length(x$fitted.values)
  pad <- function(v) {
    if (nrow(df) == n_used) return(v)
    if (!is.null(na) && nrow(df) == n_used + length(na)) {
      if (is.matrix(v)) {
        out <- matrix(NA_real_, nrow(df), ncol(v), dimnames = list(NULL, colnames(v)))
        out[-na, ] <- v
      } else {
        out <- rep(NA_real_, nrow(df))
        out[-na] <- v
      }
      return(out)
    }
    lsmoe_abort(sprintf("`data` has %d rows; the fit used %d (of %d before na.action).", nrow(df), n_used,
                        n_used + length(x$na.action)), arg = "data")
  }
  p <- x$coefficients
  gate <- cpp_predict(x$x, p$beta0, p$beta1, p$eta, x$expert, gate_name(x$gate))$gate
  colnames(gate) <- names(p$beta0)
  se <- if (se_fit) pad(prediction_se(x, lse_inference(x), x$x)) else NULL
  df <- add(df, pad(x$fitted.values), pad(gate), se)
  df$.resid <- pad(x$residuals)
  as_tidy_df(df)
}
