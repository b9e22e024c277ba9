#' Cross-validation over the number of experts and the expert family
#'
#' Estimates the prediction error of [moe_lse()] fits by V-fold cross-validation for every
#' number of experts in `k` and every expert family in `expert`, and chooses one: the smallest
#' mean held-out error, and the one-standard-error rule (the model with the fewest free
#' parameters whose mean error is within one standard error of the smallest; Breiman et al. 1984,
#' Hastie, Tibshirani and Friedman 2009, section 7.10).
#'
#' The rows are split into `folds` folds at random (`sample()`, so `set.seed()` makes the split
#' reproducible) or as `foldid` says. For each fold v, each k and each family, the model is fitted
#' to the other folds (with `control`, its warnings off) and its held-out error is the mean squared
#' error on fold v, \eqn{\mathrm{MSE}_v = \sum_{t \in v} w_t (y_t - \hat f_{-v}(x_t))^2 / \sum_{t \in v} w_t}{MSE_v = sum_{t in v} w_t (y_t - fhat_{-v}(x_t))^2 / sum_{t in v} w_t}
#' (\eqn{w_t = 1}{w_t = 1} without weights). A model's cross-validation error is the mean of its
#' `folds` fold errors, with standard error \eqn{\mathrm{sd}(\mathrm{MSE}_v) / \sqrt{V}}{sd(MSE_v) / sqrt(V)}.
#' A fit that fails on a fold (for example sigmoid experts on a response outside \[0, 1\], an error
#' of class `lsmoe_error_range`) gives `NA` for that fold, its message is kept in `errors`, and
#' the model is not eligible for selection. Predictions outside the range of a fold's training
#' inputs are made without the extrapolation warning of `predict()`.
#'
#' **Parallel and reproducible.** The (fold, k, family) fits run through
#' `future.apply::future_lapply(..., future.seed = TRUE)`: choose a backend with
#' `future::plan()` (the package never sets one). Each fit gets its own random-number stream
#' derived from R's seed (its starts are random), and carries the session's `lsmoe.*` options
#' (see [lsmoe-package]), so the result is the same with one or several workers. Progress is
#' signalled through `progressr` (wrap the call in `progressr::with_progress()` to see it).
#'
#' @param formula A model formula `y ~ x1 + x2`, as in [moe_lse()]; or a numeric matrix (or
#'   vector) of inputs n x d, with the response as the second argument (`moe_cv(x, y, ...)`).
#' @param data A data frame (or list, or environment) holding the formula's variables; with a
#'   matrix `formula`, the numeric response vector of length n.
#' @param subset,na.action As in [moe_lse()] (formula interface only).
#' @param weights Optional non-negative observation weights (length n), as in [moe_lse()]; they
#'   weight the fits and the held-out errors.
#' @param k Numbers of experts to compare: whole numbers from 1 to 1000, distinct. Default `1:3`.
#' @param expert The expert families to compare: one family (an object from [experts] or its
#'   name), or a list of them, named or not (names default to the families' short labels, such
#'   as `"linear"` or `"c*tanh"`). Default `expert_linear()`.
#' @param folds Number of folds V, a whole number from 2 to n. Default 5. Ignored when `foldid`
#'   is given.
#' @param foldid Optional fold of every row: whole numbers 1, ..., V (every value used, V >= 2),
#'   one per row of the data (after `subset` and `na.action`). Default `NULL`: a random split.
#' @param control A list from [lse_control()] for every fit (its warnings are turned off).
#' @param gate The gate of every fit: `gate_softmax()` (default) or `gate_sigmoid()`, or its name.
#' @param ... Must be empty.
#' @returns An object of class `moe_cv`, a list with
#' * `table`: data frame with one row per model (k varying fastest): `k`, `expert` (name), `df`
#'   (free parameters of the fit), `mse` (cross-validation error), `se` (its standard error),
#'   `n_failed` (folds whose fit failed), `min` and `one_se` (logical: the selected models);
#' * `mse`: matrix of fold errors, one row per model (as `table`), one column per fold;
#' * `selected`: list with `min` and `one_se`, each a list of `k`, `expert` (the family object,
#'   ready for `moe_lse(expert = )`) and `name`;
#' * `experts`: named list of the families; `foldid`; `folds`; `errors`: data frame (`k`,
#'   `expert`, `fold`, `message`) of the failed fits; `nobs`; `gate`; `call`; `seconds`.
#'
#' `tidy()` gives `table` with `std.error` in place of `se`; `plot()` draws the errors against k.
#'
#' Errors of class `lsmoe_error_input` (naming the argument): invalid data (as in [moe_lse()]),
#' `k`, `expert`, `folds`, `foldid`, `control` or `gate`; no model fitted on every fold.
#' `print()`, `plot()` and `tidy()` give an error of class `lsmoe_error_fit_object` (also
#' `lsmoe_error_input`) naming the field when the object was edited by hand.
#' @references
#' Breiman, L., Friedman, J. H., Olshen, R. A. and Stone, C. J. (1984). *Classification and
#' Regression Trees*. Wadsworth. (The one-standard-error rule, section 3.4.)
#'
#' Hastie, T., Tibshirani, R. and Friedman, J. (2009). *The Elements of Statistical Learning*,
#' 2nd ed., section 7.10. Springer. \doi{10.1007/978-0-387-84858-7}
#'
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [moe_dendrogram()] to choose k from one over-specified fit.
#' @examples
#' set.seed(1)
#' d <- data.frame(x = runif(200, -1, 1))
#' d$y <- ifelse(d$x < 0, 1 + 2 * d$x, 1 - 3 * d$x) + rnorm(200, sd = 0.1)
#' experts <- list(linear = expert_linear(), constant = "constant")
#' cv <- moe_cv(y ~ x, data = d, k = 1:3, expert = experts, folds = 5,
#'              control = lse_control(n_starts = 5))
#' cv
#' plot(cv)
#' cv$selected$one_se$k
#' \donttest{
#' # folds on 2 workers: the same numbers
#' if (requireNamespace("future", quietly = TRUE)) {
#'   future::plan(future::multisession, workers = 2)
#'   set.seed(1)
#'   cv2 <- moe_cv(y ~ x, data = d, k = 1:3, expert = experts, folds = 5,
#'                 control = lse_control(n_starts = 5))
#'   future::plan(future::sequential)
#' }
#' }
#' @export
moe_cv <- function(formula, data, subset, weights, na.action, k = 1:3, expert = expert_linear(), folds = 5,
                   foldid = NULL, control = lse_control(), gate = gate_softmax(), ...) {
  check_dots_empty(...)
  cl <- match.call()
  if (missing(formula)) lsmoe_abort("`formula` is missing: give a model formula such as y ~ x.", arg = "formula")
  if (inherits(formula, "formula")) {
    mf <- match.call(expand.dots = FALSE)
    m <- match(c("formula", "data", "subset", "weights", "na.action"), names(mf), 0L)
    mf <- mf[c(1L, m)]
    mf$drop.unused.levels <- TRUE
    mf[[1L]] <- quote(stats::model.frame)
    fr <- moe_frame(mf, parent.frame())
    x <- fr$x
    y <- fr$y
    w <- fr$w
  } else {
    if (!missing(subset) || !missing(na.action)) {
      lsmoe_abort("`subset` and `na.action` need the formula interface: moe_cv(y ~ x, data = ...).", arg = "subset")
    }
    if (missing(data)) lsmoe_abort("`data` is missing: give the response, moe_cv(x, y, ...), or a formula.", arg = "data")
    x <- check_x(fix_colnames(formula), "formula")
    y <- check_y(data, nrow(x), "data")
    w <- check_weights(if (missing(weights)) NULL else weights, nrow(x))
  }
  n <- nrow(x)
  ks <- check_k_values(k)
  experts <- check_expert_list(expert)
  control <- as_control(control)
  control$warn <- FALSE
  gate <- as_gate(gate)
  foldid <- make_foldid(foldid, folds, n)
  nf <- max(foldid)
  tasks <- expand.grid(fold = seq_len(nf), k = ks, e = seq_along(experts))
  t0 <- proc.time()[["elapsed"]]
  res <- cv_tasks(tasks, x, y, w, foldid, experts, control, gate)
  seconds <- proc.time()[["elapsed"]] - t0
  new_moe_cv(res, tasks, ks, experts, foldid, gate, x, n, cl, seconds)
}

# Distinct whole numbers of experts from 1 to 1000.
check_k_values <- function(k) {
  if (!is.numeric(k) || length(k) < 1 || !is.null(dim(k))) {
    lsmoe_abort(sprintf("`k` must be a vector of whole numbers from 1 to 1000, not %s.", describe(k)), arg = "k")
  }
  ks <- vapply(seq_along(k), function(i) check_count(k[[i]], "k", max = 1000), integer(1))
  if (anyDuplicated(ks)) lsmoe_abort(sprintf("`k` must not repeat a value: %s.", paste(k, collapse = ", ")), arg = "k")
  ks
}

# A named list of expert families from one family (object, constructor or name) or a list of them.
check_expert_list <- function(expert) {
  single <- inherits(expert, "moe_expert") || is.function(expert) || (is.character(expert) && length(expert) == 1)
  lst <- if (single) list(expert) else expert
  if (!is.list(lst) || length(lst) == 0) {
    lsmoe_abort(sprintf("`expert` must be an expert family or a non-empty list of them, not %s.", describe(expert)),
                arg = "expert")
  }
  out <- lapply(seq_along(lst), function(i) {
    as_expert(lst[[i]], arg = if (single) "expert" else sprintf("expert[[%d]]", i))
  })
  nms <- names(lst)
  short <- vapply(out, expert_short, character(1))
  nms <- if (is.null(nms)) short else ifelse(is.na(nms) | !nzchar(nms), short, nms)
  if (anyDuplicated(nms)) {
    lsmoe_abort(sprintf("The expert families must have distinct names, not %s: name the list.", paste(nms, collapse = ", ")),
                arg = "expert")
  }
  stats::setNames(out, nms)
}

# Fold of every row: checked `foldid`, or a random split into `folds` folds of (nearly) equal size.
make_foldid <- function(foldid, folds, n) {
  if (is.null(foldid)) {
    folds <- check_count(folds, "folds", min = 2, max = n)
    return(sample(rep_len(seq_len(folds), n)))
  }
  ok <- is.numeric(foldid) && is.null(dim(foldid)) && length(foldid) == n && all(is.finite(foldid)) &&
    all(foldid == round(foldid)) && min(foldid) >= 1
  if (ok) {
    v <- max(foldid)
    ok <- v >= 2 && all(seq_len(v) %in% foldid)
  }
  if (!isTRUE(ok)) {
    lsmoe_abort(sprintf(paste0("`foldid` must give every row (%d) a fold 1, ..., V with every fold used and V >= 2, ",
                               "not %s."), n, describe(foldid)), arg = "foldid")
  }
  as.integer(foldid)
}

# The fits of all (fold, k, family) tasks: list of (mse, message) per task.
cv_tasks <- function(tasks, x, y, w, foldid, experts, control, gate) {
  p <- progressr::progressor(steps = nrow(tasks))
  opts <- task_options()  # lsmoe's options travel with each task (workers.R)
  one <- function(i) with_task_options(opts, {
    out <- cv_one(tasks$fold[i], tasks$k[i], experts[[tasks$e[i]]], x, y, w, foldid, control, gate)
    p(sprintf("fold %d, k = %d, %s", tasks$fold[i], tasks$k[i], names(experts)[tasks$e[i]]))
    out
  })
  future.apply::future_lapply(seq_len(nrow(tasks)), one, future.seed = TRUE)
}

# One fit on the rows outside fold v and its weighted mean squared error on fold v.
cv_one <- function(v, k, expert, x, y, w, foldid, control, gate) {
  train <- foldid != v
  test <- !train
  wt <- if (is.null(w)) NULL else w[train]
  fit <- tryCatch(
    withCallingHandlers(fit_weighted(x[train, , drop = FALSE], y[train], wt, k, expert, NULL, control, gate),
                        lsmoe_warning = function(cnd) invokeRestart("muffleWarning")),
    lsmoe_error = function(e) e)
  if (inherits(fit, "error")) return(list(mse = NA_real_, message = conditionMessage(fit)))
  cf <- fit$coefficients
  f <- as.vector(cpp_predict(x[test, , drop = FALSE], cf$beta0, cf$beta1, cf$eta, fit$expert, gate_name(gate))$response)
  r2 <- (y[test] - f)^2
  wv <- if (is.null(w)) rep(1, sum(test)) else w[test]
  mse <- if (sum(wv) > 0) sum(wv * r2) / sum(wv) else NA_real_
  if (!is.finite(mse)) return(list(mse = NA_real_, message = "the held-out predictions are not finite"))
  list(mse = mse, message = NA_character_)
}

new_moe_cv <- function(res, tasks, ks, experts, foldid, gate, x, n, cl, seconds) {
  nf <- max(foldid)
  nm <- names(experts)
  grid <- expand.grid(k = ks, e = seq_along(experts))
  mse <- matrix(NA_real_, nrow(grid), nf, dimnames = list(NULL, paste0("fold", seq_len(nf))))
  row_of <- match(paste(tasks$k, tasks$e), paste(grid$k, grid$e))
  for (i in seq_len(nrow(tasks))) mse[row_of[i], tasks$fold[i]] <- res[[i]]$mse
  df <- vapply(seq_len(nrow(grid)), function(r) {
    n_free_params(grid$k[r], ncol(x), expert_q(experts[[grid$e[r]]], ncol(x)), gate)
  }, integer(1))
  n_failed <- rowSums(is.na(mse))
  m <- rowMeans(mse)
  se <- apply(mse, 1, stats::sd) / sqrt(nf)
  if (any(is.nan(c(m, se)) | is.infinite(c(m, se)))) {
    lsmoe_abort("The held-out errors overflow: the response is too large (rescale it).",
                class = c("lsmoe_error_nonfinite", "lsmoe_error_input"), arg = "data")
  }
  table <- data.frame(k = grid$k, expert = nm[grid$e], df = df, mse = m, se = se, n_failed = as.integer(n_failed),
                      stringsAsFactors = FALSE)
  ok <- n_failed == 0
  if (!any(ok)) {
    msgs <- unique(stats::na.omit(vapply(res, `[[`, character(1), "message")))
    lsmoe_abort(sprintf("No model was fitted on every fold. %s", paste(utils::head(msgs, 3), collapse = " | ")),
                arg = "expert")
  }
  i_min <- which(ok)[which.min(m[ok])]
  near <- which(ok & m <= m[i_min] + se[i_min])
  i_1se <- near[order(df[near], m[near])[1]]
  table$min <- seq_len(nrow(grid)) == i_min
  table$one_se <- seq_len(nrow(grid)) == i_1se
  pick <- function(r) list(k = grid$k[r], expert = experts[[grid$e[r]]], name = nm[grid$e[r]])
  failed <- which(!is.na(vapply(res, `[[`, character(1), "message")))
  errors <- data.frame(k = tasks$k[failed], expert = nm[tasks$e[failed]], fold = tasks$fold[failed],
                       message = vapply(res[failed], `[[`, character(1), "message"), stringsAsFactors = FALSE)
  structure(list(table = table, mse = mse, selected = list(min = pick(i_min), one_se = pick(i_1se)),
                 experts = experts, foldid = foldid, folds = nf, errors = errors, nobs = n, gate = gate, call = cl,
                 seconds = seconds), class = "moe_cv")
}

#' @rdname moe_cv
#' @param x A `moe_cv` object (for the methods); for `plot()`, further arguments (`...`) go to
#'   [graphics::plot()].
#' @param digits Significant digits to print, a whole number between 1 and 22.
#' @export
print.moe_cv <- function(x, digits = max(3L, getOption("digits") - 3L), ...) {
  x <- validate_cv(x)
  digits <- check_count(digits, "digits", min = 1, max = 22)
  cat(sprintf("<moe_cv> %d-fold cross-validation, n = %d, %s gate: %d models\n", x$folds, x$nobs, gate_name(x$gate),
              nrow(x$table)))
  tab <- x$table
  tab$mse <- signif(tab$mse, digits)
  tab$se <- signif(tab$se, digits)
  tab$selected <- ifelse(tab$min & tab$one_se, "min, 1-SE", ifelse(tab$min, "min", ifelse(tab$one_se, "1-SE", "")))
  print(tab[c("k", "expert", "df", "mse", "se", "n_failed", "selected")], row.names = FALSE)
  s <- x$selected
  cat(sprintf("Smallest error: k = %d, %s experts; one-standard-error rule: k = %d, %s experts.\n", s$min$k, s$min$name,
              s$one_se$k, s$one_se$name))
  if (nrow(x$errors)) cat(sprintf("%d fold fit(s) failed: see $errors.\n", nrow(x$errors)))
  invisible(x)
}

#' @rdname moe_cv
#' @export
plot.moe_cv <- function(x, ...) {
  x <- validate_cv(x)
  main <- "Cross-validation"
  xlab <- "number of experts k"
  ylab <- "held-out MSE"
  tab <- x$table
  nm <- names(x$experts)
  cols <- grDevices::hcl.colors(max(length(nm), 2), "Dark 3")[seq_along(nm)]
  ok <- is.finite(tab$mse)
  lo <- tab$mse - tab$se
  hi <- tab$mse + tab$se
  ylim <- range(c(lo[ok], hi[ok]))
  ks <- sort(unique(tab$k))
  off <- if (length(nm) > 1) (seq_along(nm) - (length(nm) + 1) / 2) * 0.06 else 0
  graphics::plot(range(ks) + c(-0.3, 0.3), ylim, type = "n", xlab = xlab, ylab = ylab, main = main, xaxt = "n", ...)
  graphics::axis(1, at = ks)
  for (e in seq_along(nm)) {
    r <- which(tab$expert == nm[e] & ok)
    if (!length(r)) next
    xx <- tab$k[r] + off[e]
    graphics::lines(xx, tab$mse[r], type = "b", pch = 19, col = cols[e])
    graphics::arrows(xx, lo[r], xx, hi[r], angle = 90, code = 3, length = 0.03, col = cols[e])
  }
  i_min <- which(tab$min)
  graphics::abline(h = tab$mse[i_min] + tab$se[i_min], lty = 3, col = "grey50")
  i_1se <- which(tab$one_se)
  e_1se <- match(tab$expert[i_1se], nm)
  graphics::points(tab$k[i_1se] + off[e_1se], tab$mse[i_1se], cex = 2.2, col = "red")
  graphics::legend("topright", legend = c(nm, "1-SE choice"), col = c(cols, "red"), pch = c(rep(19, length(nm)), 1),
                   bty = "n")
  invisible(x)
}

#' @rdname moe_cv
#' @export
tidy.moe_cv <- function(x, ...) {
  x <- validate_cv(x)
  tab <- x$table
  names(tab)[names(tab) == "se"] <- "std.error"
  tab
}
