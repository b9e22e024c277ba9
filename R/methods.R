# S3 methods for moe_lse fits.

#' Methods for least squares mixture-of-experts fits
#'
#' Print, summarise, extract from, predict with and plot a [moe_lse()] fit.
#'
#' * `coef()` returns a k x (1 + d + q) matrix, one row per expert: `beta0`, the gating slopes
#'   `beta1.<input>`, and the expert parameters (`a.<input>`, `b`, and `c` for an output weight).
#' * `predict()` with `type = "response"` gives \eqn{\hat f(x)} (length n); `"gate"` the softmax
#'   gate probabilities (n x k); `"experts"` the expert values \eqn{h(x, \hat\eta_j)} (n x k).
#'   `newdata` is a data frame with the formula's variables (formula fits) or a matrix / data
#'   frame with the d columns of `x`, matched by name when it has column names and by position
#'   otherwise; without it, the training inputs are used. Errors of class `lsmoe_error_input`
#'   for missing or wrong columns, new factor levels, non-finite values and an unknown `type`.
#' * `deviance()` is the RSS; `logLik()` the Gaussian log-likelihood at
#'   \eqn{\hat\sigma^2 = RSS / n}, with `df` the free parameters plus one, so `AIC()` and `BIC()`
#'   work.
#' * `plot()`: for d = 1, the data with the fitted regression function and, below, the gate
#'   probabilities; otherwise residuals against fitted values.
#'
#' @param object,x A `moe_lse` fit.
#' @param newdata See Details.
#' @param type One of `"response"` (default), `"gate"`, `"experts"`.
#' @param digits Significant digits to print.
#' @param ... Unused.
#' @returns `print()` and `plot()` return `x` invisibly; `summary()` an object of class
#'   `summary.moe_lse` (call, expert, k, d, nobs, rss, sigma, r_squared, coefficients, converged,
#'   message, iterations, on_bound, starts, best_start, AIC, BIC, residuals (quantiles)); the
#'   others as described above.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @examples
#' set.seed(2)
#' x <- runif(400)
#' y <- 2 * tanh(6 * x - 3) * (x > 0.5) + rnorm(400, sd = 0.1)
#' fit <- moe_lse(x, y, k = 2, expert = expert_tanh(output_weight = TRUE))
#' summary(fit)
#' AIC(fit)
#' plot(fit)
#' @name moe_lse-methods
NULL

#' @rdname moe_lse-methods
#' @export
coef.moe_lse <- function(object, ...) {
  p <- object$coefficients
  m <- cbind(beta0 = p$beta0, p$beta1, p$eta)
  colnames(m) <- c("beta0", paste0("beta1.", colnames(p$beta1)), colnames(p$eta))
  m
}

#' @rdname moe_lse-methods
#' @export
print.moe_lse <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("Least squares softmax-gated mixture of experts\n")
  if (!is.null(x$call)) cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat(sprintf("Experts: %d x %s, inputs d = %d, n = %d\n", x$k, x$expert$label, x$d, x$nobs))
  cat("\nParameters (last gate anchored at 0):\n")
  print(signif(coef(x), digits))
  cat(sprintf("\nRSS %s (RSS/n %s); %s after %d iterations (best of %d starts)\n",
              format(signif(x$rss, digits)), format(signif(x$rss / x$nobs, digits)),
              if (x$converged) "converged" else "NOT converged", x$iterations, nrow(x$starts)))
  if (x$on_bound > 0) cat(sprintf("%d estimate(s) on a bound\n", x$on_bound))
  invisible(x)
}

#' @rdname moe_lse-methods
#' @export
summary.moe_lse <- function(object, ...) {
  n <- object$nobs
  tss <- sum((object$y - mean(object$y))^2)
  structure(list(
    call = object$call, expert = object$expert, k = object$k, d = object$d, nobs = n,
    rss = object$rss, sigma = sqrt(object$rss / n),
    r_squared = if (tss > 0) 1 - object$rss / tss else NA_real_,
    coefficients = coef(object), converged = object$converged, message = object$message,
    iterations = object$iterations, on_bound = object$on_bound, starts = object$starts,
    best_start = object$best_start, AIC = stats::AIC(object), BIC = stats::BIC(object),
    residuals = stats::quantile(object$residuals)
  ), class = "summary.moe_lse")
}

#' @rdname moe_lse-methods
#' @export
print.summary.moe_lse <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  cat("Least squares softmax-gated mixture of experts\n")
  if (!is.null(x$call)) cat("Call: ", paste(deparse(x$call), collapse = "\n"), "\n", sep = "")
  cat(sprintf("\nExperts: %d x %s; d = %d; n = %d\n", x$k, x$expert$label, x$d, x$nobs))
  cat("\nResiduals:\n")
  r <- x$residuals
  names(r) <- c("Min", "1Q", "Median", "3Q", "Max")
  print(signif(r, digits))
  cat("\nParameters (last gate anchored at 0):\n")
  print(signif(x$coefficients, digits))
  cat(sprintf("\nRSS: %s   sigma (sqrt(RSS/n)): %s   R-squared: %s\n",
              format(signif(x$rss, digits)), format(signif(x$sigma, digits)), format(signif(x$r_squared, digits))))
  cat(sprintf("AIC: %s   BIC: %s\n", format(signif(x$AIC, digits + 2)), format(signif(x$BIC, digits + 2))))
  cat(sprintf("Optimizer: %s; %d iterations; start %d of %d was best\n",
              x$message, x$iterations, x$best_start, nrow(x$starts)))
  rss <- sort(x$starts$rss, na.last = TRUE)
  near <- sum(rss <= rss[1] * (1 + 1e-3), na.rm = TRUE)
  cat(sprintf("Smallest RSS over starts: %s%s; %d of %d start(s) within 0.1%% of the best\n",
              paste(format(signif(utils::head(rss, 5), digits)), collapse = ", "),
              if (length(rss) > 5) ", ..." else "", near, length(rss)))
  cat(sprintf("Estimates on a bound: %d\n", x$on_bound))
  invisible(x)
}

#' @rdname moe_lse-methods
#' @export
fitted.moe_lse <- function(object, ...) object$fitted.values

#' @rdname moe_lse-methods
#' @export
residuals.moe_lse <- function(object, ...) object$residuals

#' @rdname moe_lse-methods
#' @export
nobs.moe_lse <- function(object, ...) object$nobs

#' @rdname moe_lse-methods
#' @export
deviance.moe_lse <- function(object, ...) object$rss

#' @rdname moe_lse-methods
#' @export
logLik.moe_lse <- function(object, ...) {
  n <- object$nobs
  val <- -n / 2 * (log(2 * pi * object$rss / n) + 1)
  structure(val, df = length(object$theta) + 1L, nobs = n, class = "logLik")
}

# Model matrix for new data, checked against the fit's inputs.
newdata_matrix <- function(object, newdata) {
  if (is.null(newdata)) return(object$x)
  if (!is.null(object$terms)) {
    if (!is.data.frame(newdata) && !is.list(newdata)) {
      lsmoe_abort(sprintf("`newdata` must be a data frame with the model's variables, not %s.", describe(newdata)), arg = "newdata")
    }
    tt <- stats::delete.response(object$terms)
    need <- all.vars(tt)
    miss <- setdiff(need, names(newdata))
    if (length(miss)) {
      lsmoe_abort(sprintf("`newdata` lacks the variable(s) %s.", paste(miss, collapse = ", ")), arg = "newdata")
    }
    X <- tryCatch(formula_matrix(tt, stats::model.frame(tt, newdata, na.action = stats::na.pass, xlev = object$xlevels)),
                  error = function(e) lsmoe_abort(paste0("`newdata`: ", conditionMessage(e)), arg = "newdata"))
  } else {
    # columns are matched by name when newdata has names, by position otherwise
    X <- newdata
    if (is.numeric(X) && is.null(dim(X)) && object$d == 1) X <- matrix(X, ncol = 1)
    nms <- colnames(X)
    if (!is.null(nms)) {
      miss <- setdiff(colnames(object$x), nms)
      if (length(miss)) {
        lsmoe_abort(sprintf("`newdata` lacks the column(s) %s.", paste(miss, collapse = ", ")), arg = "newdata")
      }
      X <- if (is.data.frame(X)) X[colnames(object$x)] else X[, colnames(object$x), drop = FALSE]
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
predict.moe_lse <- function(object, newdata = NULL, type = c("response", "gate", "experts"), ...) {
  check_dots_empty(...)
  type <- match_choice(type, c("response", "gate", "experts"), "type")
  X <- newdata_matrix(object, newdata)
  p <- object$coefficients
  out <- cpp_predict(X, p$beta0, p$beta1, t(p$eta), object$expert)
  res <- out[[type]]
  if (type == "response") return(as.vector(res))
  colnames(res) <- names(p$beta0)
  res
}

#' @rdname moe_lse-methods
#' @export
plot.moe_lse <- function(x, ...) {
  if (x$d == 1) {
    op <- graphics::par(mfrow = c(2, 1), mar = c(4, 4, 1.5, 1))
    on.exit(graphics::par(op))
    xv <- x$x[, 1]
    grid <- seq(min(xv), max(xv), length.out = 400)
    gm <- matrix(grid, ncol = 1, dimnames = list(NULL, colnames(x$x)))
    p <- x$coefficients
    pr <- cpp_predict(gm, p$beta0, p$beta1, t(p$eta), x$expert)
    cols <- grDevices::hcl.colors(max(x$k, 2), "Dark 3")[seq_len(x$k)]
    graphics::plot(xv, x$y, pch = 16, cex = 0.6, col = "grey50", xlab = colnames(x$x), ylab = "response",
                   main = sprintf("%d %s experts", x$k, x$expert$name))
    graphics::lines(grid, pr$response, lwd = 2)
    graphics::matplot(grid, pr$gate, type = "l", lty = 1, lwd = 2, col = cols, ylim = c(0, 1),
                      xlab = colnames(x$x), ylab = "gate probability")
    graphics::legend("right", legend = rownames(p$beta1), col = cols, lty = 1, lwd = 2, bty = "n", cex = 0.8)
  } else {
    graphics::plot(x$fitted.values, x$residuals, xlab = "fitted", ylab = "residual",
                   main = "Residuals against fitted values", pch = 16, cex = 0.6)
    graphics::abline(h = 0, lty = 2)
  }
  invisible(x)
}
