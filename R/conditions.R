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
  if (is.atomic(x) && length(x) == 1) return(paste0(cl, " ", format(x)))
  paste0(cl, " of length ", length(x))
}

check_count <- function(x, arg, min = 1) {
  if (!is.numeric(x) || length(x) != 1 || is.na(x) || !is.finite(x) || x != round(x) || x < min ||
      x > .Machine$integer.max) {
    lsmoe_abort(sprintf("`%s` must be a single whole number >= %s (and at most %d), not %s.", arg, min,
                        .Machine$integer.max, describe(x)), arg = arg)
  }
  as.integer(x)
}

check_number <- function(x, arg, min = -Inf, max = Inf, allow_inf = FALSE, strict_min = FALSE) {
  ok <- is.numeric(x) && length(x) == 1 && !is.na(x) && (allow_inf || is.finite(x))
  ok <- ok && (if (strict_min) x > min else x >= min) && x <= max
  if (!ok) {
    rng <- sprintf("%s %s and <= %s", if (strict_min) ">" else ">=", min, max)
    lsmoe_abort(sprintf("`%s` must be a single number %s, not %s.", arg, rng, describe(x)), arg = arg)
  }
  as.numeric(x)
}

check_flag <- function(x, arg) {
  if (!is.logical(x) || length(x) != 1 || is.na(x)) {
    lsmoe_abort(sprintf("`%s` must be TRUE or FALSE, not %s.", arg, describe(x)), arg = arg)
  }
  x
}

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
  if (any(!is.finite(x))) {
    lsmoe_abort(sprintf("`%s` must be finite: it has %d NA, NaN or infinite value(s).", arg, sum(!is.finite(x))), arg = arg)
  }
  storage.mode(x) <- "double"
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
  if (any(!is.finite(y))) {
    lsmoe_abort(sprintf("`%s` must be finite: it has %d NA, NaN or infinite value(s).", arg, sum(!is.finite(y))), arg = arg)
  }
  as.numeric(y)
}
