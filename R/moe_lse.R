#' Least squares estimator of a softmax-gated mixture of experts
#'
#' Fits the regression function
#' \deqn{f_G(x) = \sum_{i=1}^k \mathrm{softmax}_i(\beta_{11}^\top x + \beta_{01}, \dots,
#'   \beta_{1k}^\top x + \beta_{0k})\, h(x, \eta_i)}{f_G(x) = sum_i softmax_i(beta_1' x + beta_0) h(x, eta_i)}
#' by minimising the residual sum of squares \eqn{\sum_{i=1}^n (Y_i - f_G(X_i))^2} over mixing
#' measures with `k` atoms (the least squares estimator, LSE). `k` equal to the true number of
#' experts is the exact-specified case, `k` larger is over-specified. The softmax gate is invariant
#' to a common shift of all \eqn{(\beta_{0i}, \beta_{1i})}; the fit anchors the last component,
#' \eqn{\beta_{0k} = 0}, \eqn{\beta_{1k} = 0}.
#'
#' The objective is non-convex: the fit runs Levenberg-Marquardt (Eigen's MINPACK-style
#' implementation, analytic Jacobian, C++) from several starts (see [lse_control()]) within box
#' bounds and keeps the smallest RSS. The inputs are used as given: put them on about unit
#' scale (for example `I(times / 60)` in a formula), since the default bounds and random starts
#' refer to that scale.
#'
#' @param x For the formula method, a model formula `y ~ x1 + x2`, passed positionally (the
#'   model's intercepts are its own: the formula's intercept is dropped, and factors are coded
#'   by treatment contrasts). Otherwise a numeric matrix of inputs, n x d
#'   (a vector is one column), finite.
#' @param y Numeric response vector of length n, finite (matrix method).
#' @param data A data frame holding the formula's variables (formula method).
#' @param k Number of experts (atoms of the mixing measure), whole number from 1 to 1000. Default 2.
#' @param expert Expert family: an object from [experts] such as `expert_sigmoid()` (default), or
#'   its name as a string.
#' @param start `NULL` (default: starts from `control`) or a user start `list(beta0, beta1, eta)`
#'   with `beta0` of length k, `beta1` a k x d matrix and `eta` a k x q matrix (one row per
#'   component), or a list of such lists. When given, only these starts are used.
#' @param control A list from [lse_control()] (or a plain list of its arguments).
#' @param ... Must be empty: unknown arguments (including `subset`, `weights`) are an error.
#' @returns An object of class `moe_lse`, a list with
#' * `call`; `expert` (the family); `k`, `d` (input dimension), `q` (expert parameters);
#' * `coefficients`: list of `beta0` (length k), `beta1` (k x d), `eta` (k x q), with the last
#'   component's gate anchored at 0;
#' * `theta`: the free parameter vector; `rss`: residual sum of squares; `nobs`: n;
#' * `fitted.values`, `residuals` (\eqn{y - \hat f});
#' * `converged` (logical), `status` (integer code) and `message`; `iterations` and `evaluations`
#'   of the best start; `on_bound`: number of estimates on a bound;
#' * `starts`: data frame of every start (`start`, `rss`, `status`, `iterations`); `best_start`;
#' * `control`, `x` (n x d), `y`, and for the formula method `terms` and `xlevels`.
#'
#' Errors of class `lsmoe_error_input` name the offending argument (non-finite or non-numeric
#' data, zero rows, invalid `k`, fewer observations than free parameters, unknown `expert`,
#' wrong-shaped `start`, invalid `control`, a response whose squares overflow, or every start
#' giving a non-finite RSS). A fit that has not converged gives a warning of class
#' `lsmoe_warning_convergence` and `converged = FALSE`; inputs beyond 1e3 in absolute value give
#' a warning of class `lsmoe_warning_scale`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' More, J. J. (1978). The Levenberg-Marquardt algorithm: implementation and theory.
#' *Numerical Analysis*, Lecture Notes in Mathematics 630, 105-116. \doi{10.1007/BFb0067700}
#' @examples
#' set.seed(1)
#' x <- runif(500)
#' y <- ifelse(x < 0.5, 1 / (1 + exp(-(8 * x - 2))), 1 / (1 + exp(6 * x - 4))) + rnorm(500, sd = 0.05)
#' fit <- moe_lse(x, y, k = 2, expert = expert_sigmoid())
#' fit
#' coef(fit)
#'
#' d <- data.frame(x = x, y = y)
#' fit2 <- moe_lse(y ~ x, data = d, k = 2, expert = "sigmoid")
#' head(predict(fit2, newdata = data.frame(x = c(0.1, 0.9)), type = "gate"))
#' @export
moe_lse <- function(x, ...) UseMethod("moe_lse")

#' @rdname moe_lse
#' @export
moe_lse.formula <- function(x, data, k = 2, expert = expert_sigmoid(), start = NULL,
                            control = lse_control(), ...) {
  check_dots_empty(...)
  cl <- match.call()
  cl[[1]] <- as.name("moe_lse")
  if (missing(data)) data <- environment(x)
  mf <- tryCatch(stats::model.frame(x, data = data, na.action = stats::na.pass),
                 error = function(e) lsmoe_abort(paste0("`x`/`data`: cannot build the model frame: ", conditionMessage(e)), arg = "data"))
  tt <- attr(mf, "terms")
  if (!is.null(attr(tt, "offset"))) lsmoe_abort("offset() terms are not supported in the formula `x`.", arg = "x")
  y <- stats::model.response(mf)
  if (is.null(y)) lsmoe_abort("The formula `x` must have a response on its left-hand side.", arg = "x")
  X <- formula_matrix(tt, mf)
  fit <- moe_lse_fit(X, y, k, expert, start, control)
  fit$call <- cl
  fit$terms <- tt
  fit$xlevels <- stats::.getXlevels(tt, mf)
  fit
}

#' @rdname moe_lse
#' @export
moe_lse.default <- function(x, y, k = 2, expert = expert_sigmoid(), start = NULL,
                            control = lse_control(), ...) {
  check_dots_empty(...)
  cl <- match.call()
  cl[[1]] <- as.name("moe_lse")
  fit <- moe_lse_fit(x, y, k, expert, start, control)
  fit$call <- cl
  fit
}

# Inputs of a formula fit: the model matrix coded with an intercept (so that a factor gets
# contrasts, not one dummy per level, which would duplicate the gate and expert intercepts),
# then the intercept column dropped: the model's intercepts are beta0 and b.
formula_matrix <- function(tt, mf) {
  attr(tt, "intercept") <- 1L
  X <- stats::model.matrix(tt, mf)
  X <- X[, colnames(X) != "(Intercept)", drop = FALSE]
  attr(X, "assign") <- NULL
  attr(X, "contrasts") <- NULL
  X
}

check_dots_empty <- function(...) {
  if (...length()) {
    nms <- ...names()  # names only: the arguments themselves are not evaluated
    nms <- if (is.null(nms)) rep("", ...length()) else nms
    nms[nms == ""] <- "<unnamed>"
    lsmoe_abort(sprintf("Unknown argument(s): %s (subset, weights and na.action are not supported).",
                        paste(nms, collapse = ", ")), arg = "...")
  }
}

# The fitter behind both methods.
moe_lse_fit <- function(x, y, k, expert, start, control) {
  x <- check_x(x)
  y <- check_y(y, nrow(x))
  if (!is.finite(sum(y^2))) lsmoe_abort("`y` is too large: its sum of squares overflows; rescale it.", arg = "y")
  control <- as_control(control)
  if (!control$standardize && max(abs(x)) > 1e3) {
    lsmoe_warn(sprintf(paste0("`x` has values up to %.3g in absolute value and `standardize = FALSE`: the bounds and ",
                              "random starts then refer to the scale of `x`; rescale `x` or standardise."), max(abs(x))),
               class = "lsmoe_warning_scale")
  }
  k <- check_count(k, "k", max = 1000)
  expert <- as_expert(expert)
  n <- nrow(x)
  d <- ncol(x)
  q <- expert_q(expert, d)
  p <- n_free_params(k, d, q)
  if (n < p) {
    lsmoe_abort(sprintf("Too few observations: %d rows of `x` for %d free parameters (k = %d, d = %d, q = %d).",
                        n, p, k, d, q), arg = "x")
  }
  if (!is.null(start)) {
    if (!is.list(start) || length(start) == 0) {
      lsmoe_abort(sprintf("`start` must be a list(beta0, beta1, eta) or a list of such lists, not %s.", describe(start)), arg = "start")
    }
    if (!is.null(start$beta0) || !is.list(start[[1]])) start <- list(start)
    start <- lapply(seq_along(start), function(s) {
      check_start(start[[s]], k, d, q, arg = if (length(start) > 1) sprintf("start[[%d]]", s) else "start")
    })
  }
  check_reachable(y, expert)
  eng <- lse_engine(x, y, numeric(0), k, expert, start, control)
  res <- eng$res
  par <- eng$par
  xnames <- colnames(x)
  comp <- paste0("expert", seq_len(k))
  names(par$beta0) <- comp
  dimnames(par$beta1) <- list(comp, xnames)
  dimnames(par$eta) <- list(comp, expert_param_names(expert, xnames))
  fitted <- cpp_predict(x, par$beta0, par$beta1, t(par$eta), expert)$response
  tss <- sum((y - mean(y))^2)
  if (tss > 0 && res$rss > tss) {
    lsmoe_warn(sprintf(paste0("The fit is worse than a constant (R-squared %.3g): the %s experts cannot follow ",
                              "the response; try experts on the response's scale (output_weight = TRUE, linear)."),
                       1 - res$rss / tss, expert$label), class = "lsmoe_warning_fit")
  }
  if (!res$converged && control$warn) {
    lsmoe_warn(sprintf("The least squares fit did not converge (%s) after %d iterations.", res$message, res$iterations),
               class = "lsmoe_warning_convergence")
  }
  structure(list(
    call = NULL, expert = expert, k = k, d = d, q = q,
    coefficients = par, theta = eng$theta, rss = res$rss, nobs = n,
    fitted.values = fitted, residuals = y - fitted,
    converged = res$converged, status = res$status, message = res$message,
    iterations = res$iterations, evaluations = res$evaluations, on_bound = res$on_bound,
    starts = data.frame(start = seq_along(res$start_rss), rss = res$start_rss,
                        status = res$start_status, iterations = res$start_iterations,
                        screen_rss = res$screen_rss, refine_rss = res$refine_rss),
    best_start = res$best, control = control, x = x, y = y
  ), class = "moe_lse")
}
