# Classed conditions and small argument checks. Every input error is of class
# c("lsmoe_error_input", "lsmoe_error", "error", "condition") and names the argument.

lsmoe_abort <- function(message, class = "lsmoe_error_input", arg = NULL, call = NULL) {
  cnd <- structure(
    class = c(class, "lsmoe_error", "error", "condition"),
    list(message = message, call = call, arg = arg)
  )
  stop(cnd)
}

lsmoe_warn <- function(message, class = "lsmoe_warning") {
  cnd <- structure(
    class = c(class, "lsmoe_warning", "warning", "condition"),
    list(message = message, call = NULL)
  )
  warning(cnd)
}

describe <- function(x) {
  if (is.null(x)) return("NULL")
  cl <- class(x)[1]
  if (is.atomic(x) && length(x) == 1) {
    v <- if (is.numeric(x)) format(unclass(x), digits = 15) else format(x)
    if (nchar(v) > 40) v <- paste0(substr(v, 1, 37), "...")
    return(paste0(cl, " ", v))
  }
  paste0(cl, " of length ", length(x))
}

#' Limits on sizes checked before any allocation
#'
#' lsmoe checks the arguments that set the size of a computation in R, before any memory is
#' allocated, so that an absurd value (a typing slip such as `1e9` for `1e3`) fails at once with
#' an error of class `lsmoe_error_input` naming the argument, instead of exhausting memory, running
#' for days, overflowing an integer in compiled code or returning non-finite numbers.
#'
#' | limit | value | applies to |
#' |---|---|---|
#' | polynomial degree | 50 | `p` of [expert_polynomial()]; also hand-made `moe_expert` objects. With \eqn{p \le 50}, \eqn{p(p-1)} cannot overflow and \eqn{z^p} is finite for \eqn{|z| < 10^6}. |
#' | values drawn | \eqn{10^8} | `n * d` of [simulate_moe()] and of Monte Carlo inputs drawn by [regression_error()] (`n_mc * d`); `n * nsim` of `simulate()` for [moe_lse()] fits. |
#' | rows fitted to a drawn sample | \eqn{10^7} | `n * d` of [gbar_measure()] (the noiseless sample is fitted, with several copies of it in memory). |
#' | counts | \eqn{2^{31} - 1} | every other whole-number argument (it must fit an R integer). |
#' | estimated peak memory | `max_gb` (default 4) | [simulate_moe()]: about \eqn{8 n (d + 10)}{8 n (d + 10)} bytes; an error of class `lsmoe_error_cost` (also `lsmoe_error_input`) gives the estimate, and a larger `max_gb` lets it run. |
#' | estimated run time | `max_minutes` (default 30) | [gbar_measure()]: \eqn{1.5 \cdot 10^{-6} n (k (1 + d + q) / 4)^{2.9}}{1.5e-6 n (k (1 + d + q) / 4)^2.9} seconds times the starts; an error of class `lsmoe_error_cost` (also `lsmoe_error_input`) gives the estimate, and a larger `max_minutes` lets it run. |
#'
#' Values that cannot be represented finitely are never returned silently: [simulate_moe()]
#' raises an error of class `lsmoe_error_nonfinite` (also `lsmoe_error_input`) when the
#' regression function or the responses overflow, and `predict()` for a [mixing_measure()] warns
#' with class `lsmoe_warning_nonfinite` and names the rows whose values are NaN or infinite.
#' @name lsmoe_limits
#' @seealso [experts], [simulate_moe()], [mixing_measure()]
NULL

lsmoe_limits <- list(degree = 50L, draws = 1e8, fit_draws = 1e7)

# A single whole number in [min, max] (max defaults to the largest R integer), returned as an
# integer. Never warns (no integer overflow) and never evaluates to NA in a condition.
check_count <- function(x, arg, min = 1, max = .Machine$integer.max) {
  max <- min(max, .Machine$integer.max)
  ok <- FALSE
  if (is.numeric(x) && length(x) == 1L) {
    v <- as.double(unclass(x))
    ok <- !is.na(v) && is.finite(v) && v == round(v) && v >= min && v <= max
  }
  if (!isTRUE(ok)) {
    lsmoe_abort(sprintf("`%s` must be a single whole number between %s and %s, not %s.", arg,
                        format(min, scientific = FALSE), format(max, scientific = FALSE), describe(x)), arg = arg)
  }
  as.integer(v)
}

check_number <- function(x, arg, min = -Inf, max = Inf, allow_inf = FALSE, strict_min = FALSE) {
  ok <- FALSE
  if (is.numeric(x) && length(x) == 1L) {
    v <- as.double(unclass(x))
    ok <- !is.na(v) && (allow_inf || is.finite(v)) && (if (strict_min) v > min else v >= min) && v <= max
  }
  if (!isTRUE(ok)) {
    rng <- sprintf("%s %s and <= %s", if (strict_min) ">" else ">=", min, max)
    lsmoe_abort(sprintf("`%s` must be a single number %s, not %s.", arg, rng, describe(x)), arg = arg)
  }
  v
}

# Guard a computed result against NaN/Inf: an error of class lsmoe_error_nonfinite (also
# lsmoe_error_input, naming `arg`) or a warning of class lsmoe_warning_nonfinite. `what` names the
# quantity, `hint` says what to change. Returns `x` unchanged when it is finite (or when warning).
check_finite_result <- function(x, what, arg, hint = "rescale the inputs or the parameters",
                                action = c("abort", "warn")) {
  action <- match.arg(action)
  bad <- if (is.numeric(x)) !is.finite(x) else FALSE
  if (!any(bad)) return(x)
  rows <- if (is.matrix(x)) which(rowSums(bad) > 0) else which(bad)
  shown <- paste(utils::head(rows, 5), collapse = ", ")
  if (length(rows) > 5) shown <- paste0(shown, ", ...")
  msg <- sprintf("%s is not finite (NaN or infinite) at %d of %d %s (%s): %s.", what, length(rows),
                 if (is.matrix(x)) nrow(x) else length(x), if (is.matrix(x)) "row(s)" else "value(s)", shown, hint)
  if (action == "abort") lsmoe_abort(msg, class = c("lsmoe_error_nonfinite", "lsmoe_error_input"), arg = arg)
  lsmoe_warn(msg, class = "lsmoe_warning_nonfinite")
  x
}

check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    lsmoe_abort(sprintf("`%s` must be TRUE or FALSE, not %s.", arg, describe(x)), arg = arg)
  }
  x
}

# TRUE when every value of the numeric v is finite. The sum is one pass without allocation; only
# when it is not finite (a non-finite value, or an overflow of finite values) are the values tested
# one by one.
all_finite <- function(v) (is.double(v) && is.finite(sum(v))) || all(is.finite(v))

# x: numeric matrix (n x d) with finite entries, at least one row.
check_x <- function(x, arg = "x") {
  if (is.data.frame(x)) {
    if (!all(vapply(x, is.numeric, logical(1)))) {
      lsmoe_abort(sprintf("`%s` must have numeric columns only.", arg), arg = arg)
    }
    x <- as.matrix(x)
  }
  if (is.numeric(x) && is.null(dim(x))) x <- matrix(x, ncol = 1, dimnames = list(NULL, "x"))
  if (!is.numeric(x) || !is.matrix(x)) {
    lsmoe_abort(sprintf("`%s` must be a numeric matrix (n x d), not %s.", arg, describe(x)), arg = arg)
  }
  if (nrow(x) == 0 || ncol(x) == 0) {
    lsmoe_abort(sprintf("`%s` must have at least one row and one column, not %d x %d.", arg, nrow(x), ncol(x)), arg = arg)
  }
  if (!all_finite(x)) {
    lsmoe_abort(sprintf("`%s` must be finite: it has %d NA, NaN or infinite value(s).", arg, sum(!is.finite(x))), arg = arg)
  }
  if (!is.double(x)) storage.mode(x) <- "double"
  if (is.null(colnames(x))) colnames(x) <- if (ncol(x) == 1) "x" else paste0("x", seq_len(ncol(x)))
  x
}

check_y <- function(y, n, arg = "y") {
  if (is.matrix(y) && ncol(y) == 1) y <- drop(y)
  if (!is.numeric(y) || !is.null(dim(y))) {
    lsmoe_abort(sprintf("`%s` must be a numeric vector, not %s.", arg, describe(y)), arg = arg)
  }
  if (length(y) != n) {
    lsmoe_abort(sprintf("`%s` must have one value per row of `x` (%d), not %d.", arg, n, length(y)), arg = arg)
  }
  if (!all_finite(y)) {
    lsmoe_abort(sprintf("`%s` must be finite: it has %d NA, NaN or infinite value(s).", arg, sum(!is.finite(y))), arg = arg)
  }
  as.numeric(y)
}
