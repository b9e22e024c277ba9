#' Least squares estimator of a softmax- or sigmoid-gated mixture of experts
#'
#' Fits the regression function
#' \deqn{f_G(x) = \sum_{i=1}^k \mathrm{softmax}_i(\beta_{11}^\top x + \beta_{01}, \dots,
#'   \beta_{1k}^\top x + \beta_{0k})\, h(x, \eta_i)}{f_G(x) = sum_i softmax_i(beta_1i' x + beta_0i) h(x, eta_i)}
#' by minimising the (weighted) residual sum of squares \eqn{\sum_{i=1}^n w_i (Y_i - f_G(X_i))^2}
#' over mixing measures with `k` atoms (the least squares estimator, LSE). `k` equal to the true
#' number of experts is the exact-specified case, `k` larger is over-specified. The softmax gate is
#' invariant to a common shift of all \eqn{(\beta_{0i}, \beta_{1i})}; the fit anchors the last
#' component, \eqn{\beta_{0k} = 0}, \eqn{\beta_{1k} = 0}, and its free parameters (`coef()`) are
#' the others. With `gate = gate_sigmoid()` the gate is instead one sigmoid per expert,
#' \eqn{f_G(x) = \sum_i \mathrm{sigmoid}(\beta_{1i}^\top x + \beta_{0i})\, h(x, \eta_i)}{f_G(x) = sum_i sigmoid(beta_{1i}' x + beta_{0i}) h(x, eta_i)} (the
#' companion paper's model): no normalisation, no anchoring, all k components have free
#' \eqn{(\beta_{0i}, \beta_{1i})}, and the response is scaled but not centred inside the fitter
#' (see [gates]).
#'
#' `moe_lse()` is the formula interface, built on [stats::model.frame()] as [stats::lm()] is, so
#' that [update()], [formula()], [terms()], [model.frame()], [model.matrix()], `subset`,
#' `weights` and `na.action` work as for `lm`. The model's own intercepts (\eqn{\beta_{0i}} and the
#' experts' `b`) replace the formula's: the formula's intercept is dropped, and factors are coded by
#' the contrasts `lm` would use with an intercept. `moe_lse_fit()` is the matrix interface (as
#' [stats::lm.fit()]). `moe_lse(x, y, ...)` with a numeric matrix or vector `x` in place of the
#' formula is a shortcut for `moe_lse_fit(x, y, ...)`.
#'
#' The objective is non-convex: the fit runs lsmoe's own Levenberg-Marquardt on the normal
#' equations (analytic Jacobian, one fused pass over the observations per iteration, C++) from
#' many starts within box bounds, perturbs the best fit one component at a time while that lowers
#' the RSS, and keeps the smallest RSS (see [lse_control()] for the screening of starts on
#' subsamples and the perturbation search). Inputs and, where the experts allow it, the response are
#' standardised inside the fitter, so the defaults suit data on any scale; every estimate is
#' reported on the data's scale.
#'
#' **Default expert.** The default `expert_linear()`, \eqn{h = a^\top x + b}{h = a' x + b}, follows a
#' response on any scale, as in the mixtures of regressions of flexmix and MoEClust: k linear
#' experts nest the linear model (equal experts, or a gate that picks one), so the least squares
#' fit's R-squared is at least that of [stats::lm()] on the same inputs. The paper's own expert is
#' one argument away: `expert = "sigmoid"` (or `expert_sigmoid()`),
#' \eqn{h = 1/(1 + e^{-(a^\top x + b)})}{h = 1/(1 + exp(-(a' x + b)))}. Choose it (or `"tanh"`)
#' to study the estimator of the paper, whose fast parameter rates need strongly identifiable
#' experts (linear experts are not: their gate and expert interact, and their parameters can
#' converge much more slowly, see [check_identifiability()] and the vignettes), for a response
#' that is a proportion in \[0, 1\], or with `output_weight = TRUE` for bounded experts on any
#' scale. Earlier versions defaulted to `expert_sigmoid()`, which stopped with
#' `lsmoe_error_range` on most real responses; calls that relied on it now need `expert = "sigmoid"`. A response whose median lies outside the range the experts can
#' reach (\[0, 1\] for sigmoid, \[-1, 1\] for tanh, \[0, Inf) for ReLU) is an error of class
#' `lsmoe_error_range` that names the alternatives (experts with an output weight, linear
#' experts); a fit worse than a constant warns with class `lsmoe_warning_fit`.
#'
#' **Weights.** Non-negative observation weights \eqn{w_i} (for example inverse variances, or
#' counts of replicated rows: integer weights give the fit of the data with each row repeated
#' \eqn{w_i} times). Rows with zero weight do not enter the fit and are not counted in `nobs()`
#' (as in `lm`), but have fitted values and residuals.
#'
#' **Fits without their data.** With `model = FALSE` the fit keeps, in place of `x`, `y` and
#' `model`, what its methods need from them: the fitted values, residuals and weights (as always),
#' the inputs' names and ranges, the total sum of squares and the two p x p cross-products of the
#' Jacobian behind [vcov()][moe_lse-inference] (one more pass over the rows each, at the end of the
#' fit). `print()`, `summary()`, `coef()`, `vcov()`, `confint()` (Wald), `fitted()`, `residuals()`,
#' `predict()` with `newdata` (and without it, the fitted values), `logLik()`, `AIC()`, `anova()`,
#' `simulate()`, `tidy()`, `glance()`, `augment(newdata = )`, `formula()`, `terms()` and
#' `update()` work as for a fit with its data (standard errors equal to rounding); `model.frame()`
#' and `model.matrix()` evaluate the call's data again, as for `lm`. Methods that need the inputs
#' row by row (`hatvalues()`, `rstandard()`, `cooks.distance()`, `plot()`, `confint(method =
#' "boot")`, `predict()` without `newdata` of the gate, the experts or with standard errors,
#' `augment()` without `newdata`, and `model.matrix()` of a matrix-interface fit) stop with an
#' error of class `lsmoe_error_no_data` (also `lsmoe_error_input`) that says to refit with
#' `model = TRUE`.
#'
#' **Memory.** A fit holds one copy of the inputs (`x`, without row names: the data's row names
#' are kept once, in `row_names`, and name the fitted values and residuals as for `lm`) and, while
#' it runs, one more of the inputs and of the response on the fitting scale; the formula
#' interface builds its model frame without copying the data (as long as nothing is missing) and
#' the inputs of a formula of numeric variables without `model.matrix()`'s intermediate copies.
#' At n = 5e6, d = 1 the default fit's peak is about 1.6 times the data's size above what the
#' session held before (`bench/memory.R`).
#'
#' **Progress.** A fit that runs longer than 2 seconds reports its stage (the multistart, the
#' perturbation search, the finishing), its Levenberg-Marquardt iterations so far and the seconds
#' through \pkg{progressr}, at most four times a second; wrap the call in
#' `progressr::with_progress()` (or set `progressr::handlers(global = TRUE)`) to see it. Reporting
#' changes neither the fit nor the random number generator's state. The options `lsmoe.progress`
#' and `lsmoe.progress_after` turn it off or change the 2 seconds ([lsmoe-package], "Package
#' options").
#'
#' **Missing values.** Rows with `NA` in a variable of the formula are handled by `na.action`
#' (default `getOption("na.action")`, normally [stats::na.omit()]: the rows are dropped);
#' with [stats::na.exclude()] `fitted()`, `residuals()` and `predict()` without `newdata` are
#' padded with `NA` to the rows of `data`.
#'
#' @param formula A model formula `y ~ x1 + x2` (`offset()` terms are not supported).
#' @param data A data frame (or list, or environment) holding the formula's variables; by default
#'   the formula's environment.
#' @param subset Optional expression selecting rows of `data`, as in `lm`.
#' @param weights Optional non-negative, finite observation weights (length n); `NULL` (default)
#'   for an unweighted fit. In `moe_lse()` evaluated in `data` as in `lm`. The weighted sum of
#'   squares of the response must not overflow (weights near `1e308` are an error; only their
#'   ratios matter for the estimates, so rescale them).
#' @param na.action Function handling missing values (see Details).
#' @param x Numeric matrix of inputs, n x d (a vector is one column), finite (`moe_lse_fit()`).
#' @param y Numeric response vector of length n, finite (`moe_lse_fit()`).
#' @param k Number of experts (atoms of the mixing measure), whole number from 1 to 1000. Default 2.
#' @param expert Expert family: an object from [experts] such as `expert_linear()` (default) or
#'   `expert_sigmoid()` (the paper's expert), or its name as a string (`"linear"`, `"sigmoid"`,
#'   ...). See Default expert.
#' @param start `NULL` (default: starts from `control`) or a user start `list(beta0, beta1, eta)`
#'   with `beta0` of length k, `beta1` a k x d matrix and `eta` a k x q matrix (one row per
#'   component), or a list of such lists. When given, only these starts are used (more than
#'   `n_finish` of them are screened and refined as generated starts are, see [lse_control()]),
#'   and no perturbation search follows.
#' @param control A list from [lse_control()] (or a plain list of its arguments).
#' @param gate The gate: `gate_softmax()` (default, the last component anchored) or
#'   `gate_sigmoid()` (one sigmoid per expert, no anchoring), or its name; see [gates].
#' @param model Logical, default `TRUE`: keep the data in the fit (as [stats::lm()]'s `model`):
#'   the inputs `x` (n x d), the response `y` and, for `moe_lse()`, the model frame `model`. With
#'   `FALSE` they are left out, for a smaller object (at n = 5e6 and d = 1, 76 MB instead of 229 MB,
#'   `bench/memory.R` in the sources); see "Fits without their data".
#' @param ... Must be empty: unknown arguments are an error.
#' @returns An object of class `moe_lse`, a list with
#' * `call`; `expert` (the family); `gate` (the `moe_gate`); `k`, `d` (input dimension), `q`
#'   (expert parameters);
#' * `coefficients`: list of `beta0` (length k), `beta1` (k x d), `eta` (k x q), with the last
#'   component's gate anchored at 0 under the softmax gate (`coef()` gives the free parameters as
#'   a named vector);
#' * `theta`: the free parameter vector; `rss`: (weighted) residual sum of squares; `nobs`: the
#'   number of rows with positive weight;
#' * `fitted.values`, `residuals` (\eqn{y - \hat f}{y - f_hat}, unweighted), one per row used;
#' * `weights` (`NULL` for an unweighted fit);
#' * `converged` (logical), `status` (integer code) and `message`; `iterations` and `evaluations`
#'   (passes over the rows) of the best start; `on_bound`: number of estimates on a bound (on the scale the bounds hold, see
#'   [lse_control()]) and `bound_flags` (logical, one per free parameter);
#' * `starts`: data frame of every start (`start`, `rss`, `status`, `iterations`, and `screen_rss`,
#'   `refine_rss` on the subsamples; `round`: 0 for the multistart's starts, r for the perturbed
#'   starts of round r of a chain of the perturbation search, see [lse_control()]; `chain`: 0 for
#'   the multistart's starts, else the row of the multistart start that chain began from); an RSS is `NA` where it was
#'   not computed (a start screened out before the finish) or is not finite (the start's `status`
#'   tells which); `best_start`: the row of `starts` whose fit is the estimate;
#' * `kernel`: the build of the fused pass that ran, `"avx2"` or `"portable"` (option
#'   `lsmoe.simd`, see [lsmoe-package]);
#' * `control`, `x` (n x d inputs, without an intercept column or row names), `y`,
#'   `response_name`; `row_names`: the data's row names (for formula fits as the model frame holds
#'   them, `c(NA, -n)` for the automatic 1 to n; for `moe_lse_fit()` the row names of `x`, or
#'   `NULL`);
#' * formula fits also: `terms`, `model` (the model frame), `xlevels`, `contrasts` and
#'   `na.action` (when rows were dropped);
#' * with `model = FALSE`, no `x`, `y` or `model`, but `input_names` (the d input names),
#'   `input_range` (2 x d: their smallest and largest values over the rows of positive weight),
#'   `tss` (the weighted total sum of squares) and `crossprods` (list of the p x p matrices
#'   `JtWJ`, \eqn{J^\top W J}{J'WJ}, and `meat`, \eqn{J^\top W \mathrm{diag}(r^2) W J}{J'W diag(r^2) W J},
#'   with J the Jacobian in the parameters of the centred inputs, each input shifted by the
#'   midpoint of its range and divided by its half-width, where the standard errors are computed;
#'   attribute `centred = TRUE`).
#'
#' Errors of class `lsmoe_error_input` name the offending argument or variable (non-finite or
#' non-numeric data, a non-numeric response, negative or non-finite weights or weights so large that
#' the weighted sum of squares overflows, zero rows, invalid
#' `k`, fewer observations than free parameters, unknown `expert`, wrong-shaped `start`, invalid
#' `control`, a variable the model frame cannot find, a response whose squares overflow, an input
#' whose spread is too small against its size or too small to hold the parameters on its scale
#' (see Scaling in [lse_control()]), or every
#' start giving a non-finite RSS). A fit that has not converged gives a warning of class
#' `lsmoe_warning_convergence` and `converged = FALSE`; a fit whose smallest RSS was reached by
#' only one of its generated starts (perturbed ones included) warns with class
#' `lsmoe_warning_search` (see "How sure the search is" in [lse_control()]); inputs beyond 1e3 in
#' absolute value give a warning of class `lsmoe_warning_scale`; fewer than 10 rows (of positive
#' weight) per free parameter give a warning of class `lsmoe_warning_few_data`: below that, on real
#' data, the held-out error was a median 1.7 to 27 times the in-sample error and R-squared and
#' standard errors flatter the fit (the 10-20 per parameter rule of regression modelling, Harrell
#' 2015; measured by `tools/few-data.R` in the sources). `lse_control(warn = FALSE)` silences the
#' convergence, search and few-data warnings. `predict()` outside the training inputs warns with
#' class `lsmoe_warning_extrapolation` for unbounded experts (see [moe_lse-methods]).
#' @seealso [moe_lse-methods] (summary, standard errors, predict, plot), [moe_lse-inference]
#'   (`vcov()`, `confint()`, `anova()`), [moe_lse-tidiers].
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). Sigmoid gating is more sample efficient than
#' softmax gating in mixture of experts. NeurIPS 2024. \doi{10.48550/arXiv.2405.13997}
#'
#' Harrell, F. E. (2015). *Regression Modeling Strategies*, 2nd ed., section 4.4. Springer.
#' \doi{10.1007/978-3-319-19425-7}
#'
#' More, J. J. (1978). The Levenberg-Marquardt algorithm: implementation and theory.
#' *Numerical Analysis*, Lecture Notes in Mathematics 630, 105-116. \doi{10.1007/BFb0067700}
#' @examples
#' set.seed(1)
#' x <- runif(500)
#' y <- ifelse(x < 0.5, 1 / (1 + exp(-(8 * x - 2))), 1 / (1 + exp(6 * x - 4))) + rnorm(500, sd = 0.05)
#' d <- data.frame(x = x, y = y)
#' fit <- moe_lse(y ~ x, data = d, k = 2, expert = "sigmoid")
#' fit
#' coef(fit)
#' head(predict(fit, newdata = data.frame(x = c(0.1, 0.9)), type = "gate"))
#'
#' # matrix interface, with weights
#' fit2 <- moe_lse_fit(cbind(x = x), y, weights = rep(1:2, 250), k = 2)
#' nobs(fit2)
#'
#' # missing values
#' aq <- transform(airquality, temp = (Temp - 75) / 10)
#' fa <- moe_lse(Ozone ~ temp, data = aq, k = 2, expert = "linear", na.action = na.exclude)
#' length(residuals(fa))   # 153, NA where Ozone is missing
#'
#' # a sigmoid gate: one gate per expert, no anchoring
#' fs <- moe_lse(y ~ x, data = d, k = 2, expert = "sigmoid", gate = gate_sigmoid(),
#'               control = lse_control(n_starts = 10))
#' coef(fs, matrix = TRUE)
#' @export
moe_lse <- function(formula, data, subset, weights, na.action, k = 2, expert = expert_linear(),
                    start = NULL, control = lse_control(), gate = gate_softmax(), model = TRUE, ...) {
  if (missing(formula)) lsmoe_abort("`formula` is missing: give a model formula such as y ~ x.", arg = "formula")
  if (!inherits(formula, "formula")) {
    # shortcut for the matrix interface: moe_lse(x, y, ...)
    if (!missing(subset) || !missing(na.action)) {
      lsmoe_abort("`subset` and `na.action` need the formula interface: moe_lse(y ~ x, data = ...).", arg = "subset")
    }
    if (missing(data)) lsmoe_abort("`y` is missing: use moe_lse(y ~ x, data) or moe_lse_fit(x, y).", arg = "y")
    check_dots_empty(...)
    cl <- match.call()
    cl[[1]] <- quote(moe_lse_fit)
    names(cl)[names(cl) == "formula"] <- "x"
    names(cl)[names(cl) == "data"] <- "y"
    fit <- moe_lse_fit(formula, data, weights = if (missing(weights)) NULL else weights, k = k, expert = expert,
                       start = start, control = control, gate = gate, model = model)
    fit$call <- cl
    fit$response_name <- deparse_label(cl$y)
    return(fit)
  }
  check_dots_empty(...)
  check_flag(model, "model")
  cl <- match.call()
  mf <- match.call(expand.dots = FALSE)
  m <- match(c("formula", "data", "subset", "weights", "na.action"), names(mf), 0L)
  mf <- mf[c(1L, m)]
  mf$drop.unused.levels <- TRUE
  mf[[1L]] <- quote(stats::model.frame)
  env <- parent.frame()
  # data or a na.action that cannot be evaluated fail in moe_frame(), with its classed error
  naa <- tryCatch(if (!missing(na.action)) na.action else if (!missing(data)) attr(data, "na.action"),
                  error = function(e) e)
  fr <- moe_frame(mf, env, !inherits(naa, "error") && na_standard(naa))
  fit <- fit_weighted(fr$x, fr$y, fr$w, k, expert, start, control, gate)
  fit$call <- cl
  fit$terms <- fr$terms
  fit$model <- fr$model
  fit$xlevels <- stats::.getXlevels(fr$terms, fr$model)
  fit$contrasts <- fr$contrasts
  fit$na.action <- attr(fr$model, "na.action")
  fit$response_name <- fr$yname
  fit$row_names <- .row_names_info(fr$model, 0L)
  if (!model) fit <- drop_fit_data(fit)
  fit
}

# Whether the na.action a model frame would apply (`naa`: the argument, or the data's
# "na.action" attribute; NULL for neither, when getOption("na.action") applies) is one of stats'
# own, which return a frame without missing values unchanged: then the frame is first built with
# na.pass, and built again with it only when a value is missing (moe_frame()). stats::na.omit()
# copies every column of a frame even when nothing is missing (2 copies of the data at n = 5e6).
na_standard <- function(naa) {
  if (is.null(naa) || is.numeric(naa)) naa <- getOption("na.action")
  if (is.character(naa) && length(naa) == 1) return(naa %in% c("na.omit", "na.exclude", "na.fail", "na.pass"))
  is.function(naa) && any(vapply(list(stats::na.omit, stats::na.exclude, stats::na.fail, stats::na.pass), identical, NA, naa))
}

# The first stage of a formula fit (fit.R): the model frame of the call `mf` (a call of
# stats::model.frame) evaluated in `env`, and from it the response y, the weights w (NULL or
# checked), the inputs x (formula_inputs()), terms, contrasts and the response's label. Errors of
# class lsmoe_error_input for a frame that cannot be built, offsets, a missing or non-numeric or
# non-finite response, no rows, no inputs and non-finite inputs.
moe_frame <- function(mf, env, na_standard = FALSE) {
  build <- function(call) {
    tryCatch(eval(call, env), error = function(e) {
      lsmoe_abort(paste0("Cannot build the model frame of `formula` from `data`: ", conditionMessage(e)), arg = "data")
    })
  }
  if (na_standard) {
    # without a missing value the standard na.actions return the frame unchanged (na_standard())
    fast <- mf
    fast$na.action <- quote(stats::na.pass)
    mf0 <- build(fast)
    mf <- if (any(vapply(mf0, anyNA, NA))) build(mf) else mf0
  } else {
    mf <- build(mf)
  }
  tt <- attr(mf, "terms")
  if (!is.null(attr(tt, "offset")) || !is.null(stats::model.offset(mf))) {
    lsmoe_abort("offset() terms are not supported in `formula`.", arg = "formula")
  }
  if (attr(tt, "response") == 0) lsmoe_abort("`formula` must have a response on its left-hand side.", arg = "formula")
  yname <- deparse_label(attr(tt, "variables")[[2L]])
  # the frame's first column, as stats::model.response() finds it, but without the row names it
  # would add (a character vector of n strings, and a copy of y to drop them)
  y <- mf[[1L]]
  if (!is.numeric(y) || (is.matrix(y) && ncol(y) != 1)) {
    lsmoe_abort(sprintf("The response `%s` must be a numeric vector, not %s.", yname, describe(y)), arg = "formula")
  }
  y <- as.vector(y)  # no copy of a plain vector
  if (!is.double(y)) storage.mode(y) <- "double"
  if (!all_finite(y)) {
    lsmoe_abort(sprintf("The response `%s` must be finite: it has %d NaN or infinite value(s) after `na.action`.",
                        yname, sum(!is.finite(y))), arg = "formula")
  }
  if (length(y) == 0) lsmoe_abort("No rows left to fit (after `subset` and `na.action`).", arg = "data")
  w <- check_weights(stats::model.weights(mf), length(y))
  fm <- formula_inputs(tt, mf)
  X <- fm$x
  if (ncol(X) == 0) {
    lsmoe_abort("`formula` has no input variable: the gate and the experts need at least one.", arg = "formula")
  }
  if (!all_finite(X)) {
    bad <- colSums(!is.finite(X)) > 0
    lsmoe_abort(sprintf("Input variable(s) %s must be finite: they have NaN or infinite values.",
                        paste0("`", colnames(X)[bad], "`", collapse = ", ")), arg = "data")
  }
  list(x = X, y = y, w = w, terms = tt, model = mf, contrasts = fm$contrasts, yname = yname)
}

#' @rdname moe_lse
#' @export
moe_lse_fit <- function(x, y, weights = NULL, k = 2, expert = expert_linear(), start = NULL,
                        control = lse_control(), gate = gate_softmax(), model = TRUE, ...) {
  check_dots_empty(...)
  check_flag(model, "model")
  cl <- match.call()
  x <- check_x(fix_colnames(x))
  y <- check_y(y, nrow(x))
  w <- check_weights(weights, nrow(x))
  fit <- fit_weighted(x, y, w, k, expert, start, control, gate)
  fit$call <- cl
  fit$response_name <- deparse_label(cl$y)
  fit$row_names <- rownames(x)
  if (!model) fit <- drop_fit_data(fit)
  fit
}

deparse_label <- function(e) {
  s <- paste(deparse(e, width.cutoff = 60L), collapse = " ")
  if (is.null(e) || !nzchar(s)) "y" else if (nchar(s) > 40) "response" else s
}

# Inputs of a formula fit: the model matrix coded with an intercept (so that a factor gets
# contrasts, not one dummy per level, which would duplicate the gate and expert intercepts),
# then the intercept column dropped: the model's intercepts are beta0 and b. Without row names
# unless `row_names` (predict()'s new data): the fit keeps the frame's row names once
# (`row_names`), not as n strings on its matrix (72 bytes a row).
formula_inputs <- function(tt, mf, contrasts = NULL, row_names = FALSE) {
  X <- if (!row_names) numeric_inputs(tt, mf)
  if (!is.null(X)) return(list(x = X, contrasts = NULL))
  attr(tt, "intercept") <- 1L
  X <- stats::model.matrix(tt, mf, contrasts.arg = contrasts)
  ctr <- attr(X, "contrasts")
  rn <- if (row_names) rownames(X)
  dimnames(X) <- list(NULL, colnames(X))  # before the subset, which would build the row names' strings
  X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
  if (!is.null(rn)) rownames(X) <- rn
  attr(X, "assign") <- NULL
  attr(X, "contrasts") <- NULL
  list(x = X, contrasts = ctr)
}
formula_matrix <- function(tt, mf, contrasts = NULL) formula_inputs(tt, mf, contrasts, row_names = TRUE)$x

# The inputs of a formula whose terms are all numeric variables of the frame (y ~ x1 + log(x2) +
# I(x1^2), no factor, interaction or matrix): model.matrix() would give their values, in one
# n x d matrix, to which it adds the intercept's column and the row names, each dropped again at
# the price of copies (3 times the inputs' size at n = 5e6). NULL for any other formula.
numeric_inputs <- function(tt, mf) {
  labs <- attr(tt, "term.labels")
  cls <- attr(tt, "dataClasses")
  simple <- length(labs) > 0 && all(attr(tt, "order") == 1L) && all(labs %in% names(mf)) &&
    !is.null(cls) && all(labs %in% names(cls)) && all(cls[labs] == "numeric") &&
    all(vapply(labs, function(l) is.numeric(mf[[l]]) && is.null(dim(mf[[l]])), NA))
  if (!simple) return(NULL)
  # one vector of the n x d values made a matrix in place (X[, j] <- v would allocate n row indices)
  X <- unlist(lapply(labs, function(l) as.double(mf[[l]])), use.names = FALSE)
  dim(X) <- c(nrow(mf), length(labs))
  dimnames(X) <- list(NULL, labs)
  X
}

# Column names that predict() can match: empty or NA names become x<j>, duplicates are made unique.
fix_colnames <- function(x) {
  nms <- colnames(x)
  if (is.null(nms) || (!is.matrix(x) && !is.data.frame(x))) return(x)
  bad <- is.na(nms) | !nzchar(nms)
  if (any(bad) || anyDuplicated(nms)) {
    nms[bad] <- paste0("x", which(bad))
    colnames(x) <- make.unique(nms)
  }
  x
}

# Observation weights: NULL, or n non-negative finite numbers, not all zero.
check_weights <- function(w, n, arg = "weights") {
  if (is.null(w)) return(NULL)
  if (!is.numeric(w) || !is.null(dim(w)) && length(dim(w)) > 1 && ncol(w) != 1) {
    lsmoe_abort(sprintf("`%s` must be a numeric vector, not %s.", arg, describe(w)), arg = arg)
  }
  if (length(w) != n) {
    lsmoe_abort(sprintf("`%s` must have one value per observation (%d), not %d.", arg, n, length(w)), arg = arg)
  }
  w <- as.numeric(w)
  if (!all_finite(w)) {
    lsmoe_abort(sprintf("`%s` must be finite: it has %d NA, NaN or infinite value(s).", arg, sum(!is.finite(w))), arg = arg)
  }
  if (any(w < 0)) lsmoe_abort(sprintf("`%s` must be non-negative: %d are negative.", arg, sum(w < 0)), arg = arg)
  if (all(w == 0)) lsmoe_abort(sprintf("`%s` are all zero: nothing to fit.", arg), arg = arg)
  w
}

# Weights so large that the weighted sums of squares overflow (e.g. rep(1e308, n)): only the
# ratios of the weights matter for the estimates, so the user can rescale them. Checked on the
# weighted sum of y^2, which bounds the total sum of squares and every RSS that a fit near y
# reaches; y itself has passed check_y() and its own overflow check.
check_weights_scale <- function(w, y, arg = "weights") {
  if (is.finite(sum(w)) && is.finite(sum(w * y^2))) return(invisible())
  lsmoe_abort(sprintf(paste0("`%s` are too large (up to %s): the weighted sum of squares of the response overflows. ",
                             "Only their ratios matter for the estimates: rescale them, e.g. %s / max(%s)."),
                      arg, format(max(w), digits = 3), arg, arg), arg = arg)
}

check_dots_empty <- function(...) {
  if (...length()) {
    nms <- ...names()  # names only: the arguments themselves are not evaluated
    nms <- if (is.null(nms)) rep("", ...length()) else nms
    nms[nms == ""] <- "<unnamed>"
    lsmoe_abort(sprintf("Unknown argument(s): %s.", paste(nms, collapse = ", ")), arg = "...")
  }
}

# Weighted fit: rows with zero weight are left out of the fitter (they add nothing to the RSS
# and must not steer the starts) but get fitted values and residuals; equal weights are an
# unweighted fit.
fit_weighted <- function(x, y, w, k, expert, start, control, gate = gate_softmax()) {
  if (is.null(w)) return(moe_fit(x, y, numeric(0), k, expert, start, control, gate))
  check_weights_scale(w, y)
  keep <- w > 0
  if (all(keep)) {
    rm(keep)  # the weights themselves, not a copy, reach the fit
    fit <- moe_fit(x, y, if (w[1] == 1 && all(w == 1)) numeric(0) else w, k, expert, start, control, gate)
  } else {
    wk <- w[keep]
    fit <- moe_fit(x[keep, , drop = FALSE], y[keep], wk, k, expert, start, control, gate)
    fit$fitted.values <- cpp_fitted(x, fit$theta, fit$expert, fit$k, fit$control$threads, fit$gate$name, use_simd())
    fit$residuals <- y - fit$fitted.values
    fit$x <- x
    fit$y <- y
  }
  fit$weights <- w
  fit
}
