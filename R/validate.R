# Validation of objects that reach the methods: a moe_lse fit may be edited by hand (or saved by
# an older version of the package), and a print method's `digits` may be anything. Every failure
# is an error of class lsmoe_error_fit_object (also lsmoe_error_input, naming the argument), never
# a subscript error from deep inside a method or a crash in compiled code.

# A moe_lse fit, checked field by field (O(n d) work: finiteness and shapes only). Returns the fit
# with `expert` and `gate` rebuilt from their validated names, so that the compiled code only
# ever sees well-formed objects.
# A single whole number between min and max (a plain double or integer, not a classed object):
# the check every validator below makes of counts such as k, d, nobs and folds.
is_whole_number <- function(v, min = 0, max = .Machine$integer.max) {
  is.numeric(v) && !is.object(v) && length(v) == 1 && isTRUE(is.finite(v) && v == round(v) && v >= min && v <= max)
}

validate_fit <- function(object, arg = "object") {
  # Longer than 60 lines: a flat list of field checks, the fit's schema read top to bottom.
  bad <- function(what) {
    lsmoe_abort(sprintf("`%s` is not a valid moe_lse fit: %s. Refit it with moe_lse() or moe_lse_fit().", arg, what),
                class = c("lsmoe_error_fit_object", "lsmoe_error_input"), arg = arg)
  }
  if (!inherits(object, "moe_lse")) bad(sprintf("it is %s", describe(object)))
  if (!is.list(object)) bad(sprintf("it must be a list, not %s", describe(unclass(object))))
  get <- function(nm) object[[nm, exact = TRUE]]
  is_num <- function(v) is.numeric(v) && !is.object(v)
  whole <- function(nm, min = 1, max = .Machine$integer.max) {
    v <- get(nm)
    if (!is_whole_number(v, min, max)) {
      bad(sprintf("`%s` must be a whole number between %s and %s, not %s", nm, format(min),
                  format(max, scientific = FALSE), describe(v)))
    }
    as.integer(v)
  }
  nested <- function(expr) {
    tryCatch(expr, lsmoe_error_input = function(e) bad(sub("\\.$", "", conditionMessage(e))))
  }
  expert <- nested(as_expert(get("expert"), "expert"))
  gate <- nested(as_gate(get("gate"), "gate"))
  k <- whole("k")
  d <- whole("d")
  q <- expert_q(expert, d)
  x <- get("x")
  if (is.null(x)) {
    # a fit made with model = FALSE: its inputs' names and ranges in place of x
    xn <- get("input_names")
    if (!is.character(xn) || length(xn) != d || anyNA(xn)) {
      bad(sprintf("`x` is absent (a fit made with model = FALSE), and `input_names` must be the d = %d input name(s), not %s",
                  d, describe(xn)))
    }
    xr <- get("input_range")
    if (!is.null(xr) && (!is_num(xr) || !identical(dim(xr), c(2L, d)) || !all_finite(xr))) {
      bad(sprintf("`input_range` must be a finite 2 x %d matrix, not %s", d, shape_of(xr)))
    }
    tss <- get("tss")
    if (!is.null(tss) && (!is_num(tss) || length(tss) != 1 || !isTRUE(is.finite(tss) && tss >= 0))) {
      bad(sprintf("`tss` must be a finite number >= 0, not %s", describe(tss)))
    }
    n <- length(get("residuals"))
    if (n < 1) bad(sprintf("`residuals` must be finite numbers, one per row of the data, not %s", shape_of(get("residuals"))))
  } else {
    if (!is_num(x) || !is.matrix(x) || nrow(x) < 1 || ncol(x) != d || !all_finite(x)) {
      bad(sprintf("`x` must be a finite numeric matrix with d = %d column(s), not %s", d, shape_of(x)))
    }
    xn <- colnames(x)
    if (!is.character(xn) || length(xn) != d || anyNA(xn)) bad("`x` must have column names")
    n <- nrow(x)
  }
  vec <- function(nm, finite = TRUE) {
    v <- get(nm)
    if (!is_num(v) || !is.null(dim(v)) && length(dim(v)) > 1 || length(v) != n || finite && !all_finite(v)) {
      bad(sprintf("`%s` must be %d finite number(s), one per row of `x`, not %s", nm, n, shape_of(v)))
    }
  }
  if (!is.null(x) || !is.null(get("y"))) vec("y")
  vec("fitted.values")
  vec("residuals")
  rnm <- get("row_names")
  compact <- is.integer(rnm) && length(rnm) == 2L && is.na(rnm[1L]) && isTRUE(abs(rnm[2L]) == n)
  if (!is.null(rnm) && !compact && (!(is.character(rnm) || is.integer(rnm)) || length(rnm) != n || anyNA(rnm))) {
    bad(sprintf("`row_names` must be NULL or the %d row names of the data, not %s", n, describe(rnm)))
  }
  w <- get("weights")
  if (!is.null(w)) {
    vec("weights")
    if (any(w < 0) || all(w == 0)) bad("`weights` must be non-negative and not all zero")
  }
  cf <- get("coefficients")
  if (!is.list(cf)) bad(sprintf("`coefficients` must be a list (beta0, beta1, eta), not %s", describe(cf)))
  shapes <- list(beta0 = k, beta1 = c(k, d), eta = c(k, q))
  for (nm in names(shapes)) {
    v <- cf[[nm, exact = TRUE]]
    dims <- if (nm == "beta0") length(v) else dim(v)
    if (!is_num(v) || (nm == "beta0") != is.null(dim(v)) || !identical(as.integer(dims), as.integer(shapes[[nm]])) ||
        any(!is.finite(v))) {
      bad(sprintf("`coefficients$%s` must be finite numbers of shape %s, not %s", nm,
                  paste(shapes[[nm]], collapse = " x "), shape_of(v)))
    }
  }
  p <- n_free_params(k, d, q, gate)
  th <- get("theta")
  if (!is_num(th) || length(th) != p || any(!is.finite(th))) {
    bad(sprintf("`theta` must be the %d finite free parameters, not %s", p, describe(th)))
  }
  rss <- get("rss")
  if (!is_num(rss) || length(rss) != 1 || !isTRUE(is.finite(rss) && rss >= 0)) {
    bad(sprintf("`rss` must be a finite number >= 0, not %s", describe(rss)))
  }
  whole("nobs", max = n)
  whole("iterations", min = 0)
  whole("on_bound", min = 0, max = p)
  conv <- get("converged")
  if (!is.logical(conv) || length(conv) != 1 || is.na(conv)) bad(sprintf("`converged` must be TRUE or FALSE, not %s", describe(conv)))
  msg <- get("message")
  if (!is.null(msg) && (!is.character(msg) || length(msg) != 1)) bad(sprintf("`message` must be a string, not %s", describe(msg)))
  fs <- get("finish_steps")
  if (!is.null(fs) && (!is.character(fs) || anyNA(fs))) {
    bad(sprintf("`finish_steps` must be NULL or a character vector, not %s", describe(fs)))
  }
  st <- get("starts")
  if (!is.data.frame(st) || nrow(st) < 1 || !is_num(st$rss)) {
    bad(sprintf("`starts` must be a data frame of starts with a numeric column rss, not %s", describe(st)))
  }
  whole("best_start", max = nrow(st))
  check_start_rounds(st, bad)
  cp <- get("crossprods")
  if (!is.null(cp)) {
    ok <- is.list(cp) && all(vapply(c("JtWJ", "meat"), function(nm) {
      v <- cp[[nm, exact = TRUE]]
      is_num(v) && identical(dim(v), c(p, p)) && all_finite(v)
    }, NA))
    if (!ok) bad(sprintf("`crossprods` must be NULL or a list of two finite %d x %d matrices JtWJ and meat", p, p))
  }
  bf <- get("bound_flags")
  if (!is.null(bf) && (!is.logical(bf) || length(bf) != p || anyNA(bf))) {
    bad(sprintf("`bound_flags` must be %d TRUE/FALSE values, not %s", p, describe(bf)))
  }
  ctl <- nested(as_control(get("control")))
  na <- get("na.action")
  if (!is.null(na) && (!is.numeric(na) || anyNA(na) || any(na < 1 | na != round(na)))) {
    bad(sprintf("`na.action` must be NULL or row numbers, not %s", describe(na)))
  }
  tt <- get("terms")
  if (!is.null(tt) && !inherits(tt, "terms")) bad(sprintf("`terms` must be NULL or a terms object, not %s", describe(tt)))
  mf <- get("model")
  if (!is.null(mf) && !is.data.frame(mf)) bad(sprintf("`model` must be NULL or a data frame, not %s", describe(mf)))
  cl <- get("call")
  if (!is.null(cl) && !is.call(cl)) bad(sprintf("`call` must be NULL or a call, not %s", describe(cl)))
  rn <- get("response_name")
  if (!is.null(rn) && (!is.character(rn) || length(rn) != 1 || is.na(rn))) {
    bad(sprintf("`response_name` must be a string, not %s", describe(rn)))
  }
  object$expert <- expert
  object$gate <- gate
  object$control <- ctl
  # the names every method prints with, rebuilt (a hand-edited matrix may have lost them)
  comp <- paste0("expert", seq_len(k))
  cf$beta0 <- stats::setNames(as.double(cf$beta0), comp)
  cf$beta1 <- matrix(as.double(cf$beta1), k, d, dimnames = list(comp, xn))
  cf$eta <- matrix(as.double(cf$eta), k, q, dimnames = list(comp, expert_param_names(expert, xn)))
  object$coefficients <- cf
  object
}

# A hand-edited object of another class reaching its print method.
invalid_object <- function(class, what, arg = "x") {
  lsmoe_abort(sprintf("`%s` is not a valid %s object: %s.", arg, class, what),
              class = c("lsmoe_error_fit_object", "lsmoe_error_input"), arg = arg)
}

# A rate_study must still be a data frame (its class may have been set by hand), whose column
# `fit`, when present, holds fit ids: whole numbers >= 0 or NA (rbind() offsets them).
check_study_df <- function(x, arg = "x") {
  if (!is.data.frame(x)) {
    invalid_object("rate_study", sprintf("it must be a data frame, not %s", describe(unclass(x))), arg)
  }
  f <- x[["fit", exact = TRUE]]
  if (!is.null(f)) {
    ok <- is.null(dim(f)) && (is.logical(f) && all(is.na(f)) ||
                              is.numeric(f) && all(is.na(f) | is.finite(f) & f >= 0 & f == round(f)))
    if (!isTRUE(ok)) {
      invalid_object("rate_study", sprintf("its column `fit` must hold fit ids (whole numbers >= 0 or NA), not %s",
                                           describe(f)), arg)
    }
  }
  invisible(x)
}

# NA (not available) for the NaN/Inf the engine leaves in an RSS it did not compute or could not.
na_if_nonfinite <- function(v) replace(as.numeric(v), !is.finite(v), NA_real_)

# `digits` of a print method: a whole number of significant digits between 1 and 22.
check_digits <- function(digits, arg = "digits") check_count(digits, arg, min = 1, max = 22)

# The column `round` of a fit's starts (perturbation rounds, lse_control()), when present: whole
# numbers >= 0; `bad` raises the caller's classed error.
check_start_rounds <- function(st, bad) {
  for (nm in c("round", "chain")) {
    rd <- st[[nm]]
    if (!is.null(rd) && (!is.numeric(rd) || anyNA(rd) || any(!is.finite(rd) | rd < 0 | rd != round(rd)))) {
      bad(sprintf("`starts$%s` must be whole numbers >= 0, not %s", nm, describe(rd)))
    }
  }
}

# A summary.moe_lse object as its print method needs it (it may be edited by hand).
validate_summary <- function(x, arg = "x") {
  bad <- function(what) {
    lsmoe_abort(sprintf("`%s` is not a valid summary.moe_lse object: %s. Use summary() of a moe_lse fit.", arg, what),
                class = c("lsmoe_error_fit_object", "lsmoe_error_input"), arg = arg)
  }
  if (!is.list(x)) bad(sprintf("it must be a list, not %s", describe(unclass(x))))
  get <- function(nm) x[[nm, exact = TRUE]]
  nested <- function(expr) tryCatch(expr, lsmoe_error_input = function(e) bad(sub("\\.$", "", conditionMessage(e))))
  x$expert <- nested(as_expert(get("expert"), "expert"))
  x$gate <- nested(as_gate(get("gate"), "gate"))
  for (nm in c("k", "d", "nobs", "iterations", "best_start", "on_bound")) {
    v <- get(nm)
    if (!is_whole_number(v)) {
      bad(sprintf("`%s` must be a whole number, not %s", nm, describe(v)))
    }
    x[[nm]] <- as.integer(v)
  }
  for (nm in c("rss", "sigma", "r_squared", "AIC", "BIC")) {
    v <- get(nm)
    if (!is.numeric(v) || length(v) != 1) bad(sprintf("`%s` must be a single number, not %s", nm, describe(v)))
  }
  df <- get("df")
  if (!is.numeric(df) || length(df) != 2 || anyNA(df)) bad(sprintf("`df` must be two numbers, not %s", describe(df)))
  cf <- get("coefficients")
  if (!is.numeric(cf) || !is.matrix(cf) || ncol(cf) != 4) {
    bad(sprintf("`coefficients` must be a numeric matrix with 4 columns, not %s", shape_of(cf)))
  }
  r <- get("residuals")
  if (!is.numeric(r) || length(r) != 5) bad(sprintf("`residuals` must be 5 quantiles, not %s", describe(r)))
  for (nm in c("bound_flags", "unidentified")) {
    v <- get(nm)
    if (!is.null(v) && (!is.logical(v) || anyNA(v))) {
      bad(sprintf("`%s` must be NULL or TRUE/FALSE flags, not %s", nm, describe(v)))
    }
  }
  fs <- get("finish_steps")
  if (!is.null(fs) && (!is.character(fs) || anyNA(fs))) {
    bad(sprintf("`finish_steps` must be NULL or a character vector, not %s", describe(fs)))
  }
  st <- get("starts")
  if (!is.data.frame(st) || !is.numeric(st$rss)) bad(sprintf("`starts` must be a data frame with a numeric column rss, not %s", describe(st)))
  check_start_rounds(st, bad)
  for (nm in c("message", "vcov_type")) {
    v <- get(nm)
    if (!is.character(v) || length(v) != 1 || is.na(v)) bad(sprintf("`%s` must be a string, not %s", nm, describe(v)))
  }
  w <- get("weighted")
  if (!is.logical(w) || length(w) != 1 || is.na(w)) bad(sprintf("`weighted` must be TRUE or FALSE, not %s", describe(w)))
  cl <- get("call")
  if (!is.null(cl) && !is.call(cl)) bad(sprintf("`call` must be NULL or a call, not %s", describe(cl)))
  x
}

# An identifiability_check as its print method reads it (it may be edited by hand). Returns it
# with `expert` rebuilt and the counts as integers.
validate_ident <- function(x, arg = "x", nested = FALSE) {
  # Longer than 60 lines: a flat list of field checks, the object's schema read top to bottom.
  bad <- function(what) invalid_object("identifiability_check", what, arg)
  if (!is.list(x)) bad(sprintf("it must be a list, not %s", describe(unclass(x))))
  get <- function(nm) x[[nm, exact = TRUE]]
  x$expert <- tryCatch(validate_expert(get("expert"), "expert"),
                       lsmoe_error_input = function(e) bad(sub("\\.$", "", conditionMessage(e))))
  whole <- function(nm) {
    v <- get(nm)
    if (!is_whole_number(v)) {
      bad(sprintf("`%s` must be a whole number, not %s", nm, describe(v)))
    }
    as.integer(v)
  }
  string <- function(nm, choices = NULL) {
    v <- get(nm)
    if (!is.character(v) || length(v) != 1 || is.na(v) || !is.null(choices) && !v %in% choices) {
      bad(sprintf("`%s` must be %s, not %s", nm, if (is.null(choices)) "a string" else
        paste0("one of ", paste0("\"", choices, "\"", collapse = ", ")), describe(v)))
    }
  }
  x$d <- whole("d")
  x$order <- whole("order")
  string("verdict", c("identifiable", "not identifiable", "undecided"))
  g <- get("gate")
  if (!is.null(g)) {
    gn <- if (is.list(g)) g[["name", exact = TRUE]]
    if (!is.character(gn) || length(gn) != 1 || !gn %in% c("softmax", "sigmoid")) {
      bad(sprintf("`gate` must be a gate object (gate_softmax() or gate_sigmoid()), not %s", describe(g)))
    }
  }
  rg <- get("regime")
  if (!is.null(rg) && !(is.numeric(rg) && length(rg) == 1 && rg %in% 1:2)) {
    bad(sprintf("`regime` must be 1 or 2, not %s", describe(rg)))
  }
  if (!nested && identical(get("scope"), "universal")) {
    cf <- get("configs")
    if (!is.data.frame(cf) || !nrow(cf) || !is.numeric(cf$k) || anyNA(cf$k) || !is.character(cf$verdict)) {
      bad("`configs` must be a data frame with columns k and verdict")
    }
    r <- get("ratio")
    if (!is.numeric(r) || length(r) != 1) bad(sprintf("`ratio` must be a single number, not %s", describe(r)))
    if (!is.null(get("eta")) && !(is.numeric(get("eta")) && is.matrix(get("eta")))) bad("`eta` must be a numeric matrix")
    x$check <- validate_ident(get("check"), paste0(arg, "$check"), nested = TRUE)
    return(x)
  }
  if (!is.numeric(get("eta")) || !is.matrix(get("eta"))) bad(sprintf("`eta` must be a numeric matrix, not %s", describe(get("eta"))))
  x$n_x <- whole("n_x")
  rt <- get("ratios")
  if (!is.numeric(rt) || !all(c("double", "bits150", "bits300") %in% names(rt)) || any(lengths(list(rt)) == 0)) {
    bad("`ratios` must be numbers named double, bits150 and bits300")
  }
  string("decided_by")
  if (get("verdict") == "undecided") string("advice")
  rel <- get("relations")
  if (!is.null(rel) && (!is.list(rel) || !all(vapply(rel, function(r) is.numeric(r) && !is.null(names(r)) && all(is.finite(r)),
                                                        logical(1))))) {
    bad("`relations` must be a list of named finite numeric vectors")
  }
  mg <- get("merged")
  if (!is.data.frame(mg) || !all(c("term", "kept") %in% names(mg))) bad("`merged` must be a data frame with columns term and kept")
  x
}

# A moe_cv object as its methods read it (it may be edited by hand).
validate_cv <- function(x, arg = "x") {
  bad <- function(what) invalid_object("moe_cv", what, arg)
  if (!is.list(x)) bad(sprintf("it must be a list, not %s", describe(unclass(x))))
  get <- function(nm) x[[nm, exact = TRUE]]
  tab <- get("table")
  cols <- c("k", "expert", "df", "mse", "se", "n_failed", "min", "one_se")
  if (!is.data.frame(tab) || !nrow(tab) || !all(cols %in% names(tab))) {
    bad(sprintf("`table` must be a data frame with columns %s", paste(cols, collapse = ", ")))
  }
  if (!is.numeric(tab$k) || !is.character(tab$expert) || !is.numeric(tab$mse) || !is.numeric(tab$se) ||
      !is.logical(tab$min) || !is.logical(tab$one_se) || sum(tab$min %in% TRUE) != 1 || sum(tab$one_se %in% TRUE) != 1) {
    bad("`table` has columns of the wrong type, or not one row marked `min` and one `one_se`")
  }
  ex <- get("experts")
  if (!is.list(ex) || is.null(names(ex)) || !all(tab$expert %in% names(ex))) {
    bad("`experts` must be the named list of the table's expert families")
  }
  sel <- get("selected")
  ok_pick <- function(p) is.list(p) && is.numeric(p$k) && length(p$k) == 1 && is.character(p$name) && length(p$name) == 1
  if (!is.list(sel) || !ok_pick(sel[["min", exact = TRUE]]) || !ok_pick(sel[["one_se", exact = TRUE]])) {
    bad("`selected` must hold the models `min` and `one_se`, each with k and name")
  }
  er <- get("errors")
  if (!is.data.frame(er)) bad(sprintf("`errors` must be a data frame, not %s", describe(er)))
  for (nm in c("folds", "nobs")) {
    v <- get(nm)
    if (!is_whole_number(v, min = 1)) bad(sprintf("`%s` must be a whole number, not %s", nm, describe(v)))
  }
  x$gate <- tryCatch(as_gate(get("gate"), "gate"), lsmoe_error_input = function(e) bad(sub("\\.$", "", conditionMessage(e))))
  x
}

# A moe_dendrogram as its methods read it (it may be edited by hand): the hclust fields and the
# levels, table and selection of lsmoe.
validate_dendrogram <- function(x, arg = "x") {
  bad <- function(what) invalid_object("moe_dendrogram", what, arg)
  if (!is.list(x)) bad(sprintf("it must be a list, not %s", describe(unclass(x))))
  get <- function(nm) x[[nm, exact = TRUE]]
  K <- get("k")
  if (!is_whole_number(K, min = 2)) {
    bad(sprintf("`k` must be a whole number of at least 2, not %s", describe(K)))
  }
  lv <- get("levels")
  if (!is.list(lv) || length(lv) != K || !all(vapply(lv, inherits, logical(1), "mixing_measure"))) {
    bad(sprintf("`levels` must be a list of %d mixing measures", K))
  }
  m <- get("merge")
  if (!is.numeric(m) || !is.matrix(m) || !identical(dim(m), c(as.integer(K) - 1L, 2L)) || anyNA(m)) {
    bad(sprintf("`merge` must be a %d x 2 matrix", K - 1))
  }
  h <- get("height")
  if (!is.numeric(h) || length(h) != K - 1 || anyNA(h)) bad(sprintf("`height` must be %d numbers", K - 1))
  o <- get("order")
  if (!is.numeric(o) || !identical(sort(as.integer(o)), seq_len(K))) bad(sprintf("`order` must be a permutation of 1:%d", K))
  lb <- get("labels")
  if (!is.character(lb) || length(lb) != K) bad(sprintf("`labels` must be %d strings", K))
  tab <- get("table")
  if (!is.data.frame(tab) || nrow(tab) != K || !all(c("k", "bic", "dic") %in% names(tab)) || !is.numeric(tab$k)) {
    bad(sprintf("`table` must be a data frame of %d levels with columns k, bic and dic", K))
  }
  sel <- get("selected")
  if (!is.numeric(sel) || !setequal(names(sel), c("bic", "dic", "jump")) || any(!is.na(sel) & !(sel %in% seq_len(K)))) {
    bad("`selected` must hold the levels chosen by bic, dic and jump (or NA)")
  }
  cr <- get("criterion")
  if (!is.character(cr) || length(cr) != 1 || !cr %in% c("bic", "dic", "jump")) {
    bad(sprintf("`criterion` must be \"bic\", \"dic\" or \"jump\", not %s", describe(cr)))
  }
  rf <- get("refit")
  if (!is.logical(rf) || length(rf) != 1 || is.na(rf)) bad(sprintf("`refit` must be TRUE or FALSE, not %s", describe(rf)))
  wt <- get("weight")
  if (!is.character(wt) || length(wt) != 1 || !wt %in% c("gate", "intercept")) {
    bad(sprintf("`weight` must be \"gate\" or \"intercept\", not %s", describe(wt)))
  }
  n <- get("nobs")
  if (!is_whole_number(n)) {
    bad(sprintf("`nobs` must be a whole number, not %s", describe(n)))
  }
  x
}
