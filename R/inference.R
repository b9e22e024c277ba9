# Asymptotic inference for moe_lse fits: vcov, confint (Wald and parametric bootstrap), anova.

#' Standard errors, confidence intervals and model comparison for moe_lse fits
#'
#' Inference on the p free parameters \eqn{\theta} of a [moe_lse()] fit (under the softmax gate
#' the last component's gate is anchored at 0; under the sigmoid gate none is; names as in
#' `coef()`).
#'
#' **Covariance.** With J the n x p Jacobian of \eqn{\hat f(X_i)}{f_hat(X_i)} in \eqn{\theta} at the estimate,
#' W the diagonal of the weights and r the residuals, `vcov()` of `type = "classical"` is the
#' Gauss-Newton approximation \eqn{\hat\sigma^2 (J^\top W J)^{-1}}{sigma_hat^2 (J'WJ)^(-1)}, \eqn{\hat\sigma^2 = RSS/(n - p)}{sigma_hat^2 = RSS/(n - p)}
#' (as for [stats::nls()]); `"HC0"` is the heteroskedasticity-consistent sandwich
#' \eqn{(J^\top W J)^{-1} J^\top W \mathrm{diag}(r^2) W J (J^\top W J)^{-1}}{(J'WJ)^(-1) J'W diag(r^2) W J (J'WJ)^(-1)}, and `"HC1"` that
#' times n/(n - p).
#'
#' **Validity.** These are asymptotic standard errors: they assume an exact-specified model (the
#' true number of experts is k), Gaussian-like noise (or HC for unequal variances), and estimates
#' inside the parameter box. They are not valid for over-specified fits (k larger than needed),
#' whose surplus parameters are not identified and converge at slower rates (Nguyen, Ho and
#' Rinaldo, 2024). Two cases are therefore reported as `NA` with a warning of class
#' `lsmoe_warning_inference`, never as a number:
#' * estimates on a bound of [lse_control()]'s box (within a relative 1e-4, as `fit$on_bound`
#'   counts them): their rows and columns are `NA`, and the other entries treat them as fixed;
#' * nearly unidentified directions: parameters whose variance inflation factor in
#'   \eqn{J^\top W J}{J'WJ} (scaled to unit diagonal) exceeds `1 / tol`; their rows and columns are
#'   `NA`, and the other entries are those of the identified part (the Jacobian columns of the
#'   others are first projected off the unidentified ones, so their variances are not understated).
#'   The factors are computed, and \eqn{J^\top W J}{J'WJ} inverted, in the parameters of the centred inputs
#'   (each input shifted by the midpoint of its range and divided by its half-width, then mapped
#'   back exactly), so that an input whose mean is far from 0 does not make a slope and its
#'   intercept look collinear; a parameter that depends on an unidentified one of those (an
#'   intercept, through an unidentified slope) is `NA` too.
#'
#' `summary()` marks both kinds in its table (`[b]`, `[u]`) and says what each bound means (see
#' [moe_lse-methods]). Holding an estimate at its bound works when the bound is where the data
#' put it, and biases the others when the truth lies beyond the box. In a Monte Carlo study
#' (`data-raw/coverage-bounds.R`, nominal 0.95): with an output weight in its linear limit, the
#' Wald intervals of the other parameters covered at 0.93 to 0.99 and those of f(x) at 0.90 to
#' 0.99 in the replicates with it on the bound; with a gate whose truth slope is 3.5 times the
#' largest `bound_gate` allows, the experts' intervals covered at 0.78 to 0.88, and at 0.93 to
#' 0.97 when refitted with `lse_control(bound_gate = 1000)` (the slope then estimated). Refit with
#' a wider box to tell the two apart. `predict(interval = )` works on the free identified
#' parameters by the delta method, and falls back to the parametric bootstrap below when none is
#' left.
#'
#' `confint()` with `method = "wald"` gives \eqn{\hat\theta \pm t_{n-p, 1-\alpha/2}\, se}{theta_hat +- t_(n-p, 1-alpha/2) se},
#' with the quantile of Student's t on the residual degrees of freedom, as [stats::confint.lm()] and
#' the p-values of `summary()` (with many residual degrees of freedom, the normal quantile). With
#' `method = "boot"` it gives parametric-bootstrap percentile intervals: `nboot` response vectors
#' \eqn{Y^* = \hat f(X) + \varepsilon^*}{Y* = f_hat(X) + eps*}, \eqn{\varepsilon^*_i \sim N(0, \hat\sigma^2 / w_i)}{eps*_i ~ N(0, sigma_hat^2 / w_i)}, are
#' refitted from the estimate (which keeps the components' labels) through
#' [future.apply::future_lapply()], so `future::plan()` chooses the workers; results depend on
#' `seed` only, not on the number of workers (each refit carries the session's `lsmoe.*` options,
#' such as `lsmoe.simd`, to its worker). Workers must find lsmoe on their library path.
#'
#' With `method = "profile"` it gives profile-t intervals, as [MASS::confint.nls()] does for
#' `nls` fits: for each free parameter \eqn{\theta_j}{theta_j} the interval is the set of values v
#' with \eqn{|\tau(v)| \le t_{n-p, 1-\alpha/2}}{|tau(v)| <= t_(n-p, 1-alpha/2)}, where
#' \eqn{\tau(v) = \mathrm{sign}(v - \hat\theta_j) \sqrt{S(v) - \hat S}/s}{tau(v) = sign(v - theta_j_hat) sqrt(S(v) - S_hat) / s},
#' \eqn{S(v)} the smallest RSS with \eqn{\theta_j = v} (the other free parameters refitted by the
#' package's Levenberg-Marquardt from the neighbouring value's solution, those on a bound held at
#' their estimates) and s = `sigma()`. The ends follow the RSS surface, so they are asymmetric where
#' the model is curved in \eqn{\theta_j}{theta_j}; for a linear model they are the Wald ends. An end
#' is `NA` for a parameter on a bound, and where the profile does not reach the cutoff within
#' \eqn{2^{20}}{2^20} Wald half-widths (the data do not bound the parameter on that side). If a
#' refit finds a smaller RSS than the fit's, the fit is not the least squares estimate: every end is
#' `NA`, with a warning of class `lsmoe_warning_inference`. The profile needs the data (an error
#' of class `lsmoe_error_no_data` for a fit made with `model = FALSE`) and costs a few refits of
#' one start per end.
#'
#' A fit made with `model = FALSE` (see [moe_lse()]) has, in place of its data, the cross-products
#' \eqn{J^\top W J}{J'WJ} and \eqn{J^\top W \mathrm{diag}(r^2) W J}{J'W diag(r^2) W J} from which `vcov()`,
#' `confint(method = "wald")` and the standard errors of `predict()` follow (equal to those from
#' the data up to rounding); `confint(method = "boot")` needs the data and stops with an error of
#' class `lsmoe_error_no_data`.
#'
#' `anova()` compares fits of the same response on the same rows: a table of residual degrees of
#' freedom, RSS, free parameters, AIC and BIC, and, between consecutive fits that are nested
#' (the same k and expert family, the inputs of one a subset of the other's), the F test
#' \eqn{F = \{(RSS_0 - RSS_1)/(p_1 - p_0)\} / \{RSS_1/(n - p_1)\}}{F = ((RSS_0 - RSS_1)/(p_1 - p_0)) / (RSS_1/(n - p_1))}. No test is given between
#' different k: under the smaller model the larger one's extra atom is not identified (its gate
#' weight can vanish or two atoms can merge), so the likelihood-ratio statistic does not have the
#' usual chi-squared limit.
#'
#' @param object A `moe_lse` fit (for `anova()`, the first of several).
#' @param type Covariance: `"classical"` (default), `"HC0"` or `"HC1"`.
#' @param tol Positive number, default 1e-8: parameters whose variance inflation factor exceeds
#'   `1 / tol` are treated as unidentified.
#' @param parm Parameters: names or indices into `coef(object)`; default all.
#' @param level Confidence level, default 0.95.
#' @param method `"wald"` (default), `"boot"` or `"profile"`.
#' @param nboot Number of bootstrap refits, whole number >= 10; default 200.
#' @param seed Integer seed of the bootstrap, or `NULL` (default) to draw one from R's generator
#'   (so `set.seed()` makes it reproducible).
#' @param ... For `anova()`, further `moe_lse` fits; otherwise unused.
#' @returns `vcov()`: a p x p matrix named by `coef()`. `confint()`: a p x 2 matrix with columns
#'   named by the percentages, as [stats::confint()]; for `"boot"` with attribute `nboot_ok` (refits
#'   that succeeded). `anova()`: a data frame of class `anova` with columns `Res.Df`, `RSS`,
#'   `Params`, `AIC`, `BIC`, `Df`, `Sum of Sq`, `F`, `Pr(>F)`.
#'   Errors of class `lsmoe_error_input` for invalid arguments and fits of different data.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Seber, G. A. F. and Wild, C. J. (1989). *Nonlinear Regression*. Wiley, chapter 5.
#' \doi{10.1002/0471725315}
#'
#' Bates, D. M. and Watts, D. G. (1988). *Nonlinear Regression Analysis and Its Applications*.
#' Wiley, section 6.1 (profile t). \doi{10.1002/9780470316757}
#'
#' White, H. (1980). A heteroskedasticity-consistent covariance matrix estimator and a direct test
#' for heteroskedasticity. *Econometrica* 48(4), 817-838. \doi{10.2307/1912934}
#' @examples
#' set.seed(3)
#' d <- data.frame(x = runif(400), z = runif(400))
#' d$y <- ifelse(d$x < 0.5, 1 + 2 * d$x, 3 - 2 * d$x) + rnorm(400, sd = 0.1)
#' fit <- moe_lse(y ~ x, data = d, k = 2, expert = "linear")
#' sqrt(diag(vcov(fit)))
#' confint(fit)
#' fit2 <- update(fit, . ~ . + z)
#' anova(fit, fit2)
#' @name moe_lse-inference
NULL

# Estimates on a bound, as the core counts them (inst/include/lsmoe/lse.hpp, count_on_bound), on
# the scale the bounds hold (the standardised one unless standardize = FALSE): flagged by the
# engine per free parameter.
theta_on_bound <- function(object) {
  if (!is.null(object$bound_flags)) return(object$bound_flags)
  on_bound_flags(object$theta, theta_bounds(object$k, object$d, object$expert, object$control, gate_name(object$gate)))
}

# What an estimate on a bound means, for summary()'s footnote: a data frame with one row per
# flagged free parameter: `parameter` (as in coef()), `group` (the box it reached: "gate",
# "expert" or "output"), `control` (the lse_control() argument of that box) and `meaning`.
# An output weight c of an output-weighted expert on a bound is on one of two very different ends:
# with reciprocal output weights (uses_reciprocal()) the box holds c_min <= c <= bound_output on the
# standardised scale (c divided by the response's root mean square, fit_scales(); that scale comes
# from the fitted values and residuals, which every fit keeps), and c at bound_output is the linear
# limit (c -> Inf, a, b -> 0 with c a, c b finite), c at c_min an expert that vanishes.
bound_meanings <- function(object, flags = theta_on_bound(object)) {
  tt <- theta_terms(object)
  nm <- paste0(tt$component, ":", tt$term)
  k <- object$k
  d <- object$d
  gate <- gate_name(object$gate)
  groups <- c(rep("gate", length(theta_layout(k, d, 1L, object$gate)$gating)), rep(expert_bound_groups(object$expert, d), k))
  idx <- which(flags)
  out <- data.frame(parameter = nm[idx], group = groups[idx], control = sprintf("bound_%s", groups[idx]),
                    meaning = character(length(idx)), stringsAsFactors = FALSE)
  if (!length(idx)) return(out)
  ow <- isTRUE(object$expert$output_weight)
  ctl <- object$control
  sy <- 1
  if (ow && isTRUE(ctl$standardize)) {
    y <- as.vector(object$fitted.values + object$residuals)
    if (!is.null(object$weights)) y <- y[object$weights > 0]
    sy <- sqrt(mean(y^2))
    if (!is.finite(sy) || sy <= 0) sy <- 1
  }
  recip <- uses_reciprocal(object$expert, ctl)
  xin <- function(term) sub("^(beta1|a)\\.", "", term)
  for (r in seq_along(idx)) {
    i <- idx[r]
    term <- tt$term[i]
    v <- object$theta[i]
    out$meaning[r] <- if (groups[i] == "gate") {
      if (startsWith(term, "beta1.")) {
        sprintf("gating slope at +-bound_gate: the gate is (nearly) a hard switch in `%s`; the estimate bounds its steepness from below", xin(term))
      } else {
        "gating intercept at +-bound_gate: with a steep gating slope, where the switch sits; alone, the expert's gate is (nearly) 0 or 1 over the data"
      }
    } else if (groups[i] == "expert") {
      if (startsWith(term, "a.")) {
        sprintf("slope inside the nonlinearity at +-bound_expert: the expert is (nearly) a step in `%s`", xin(term))
      } else {
        "offset inside the nonlinearity at +-bound_expert: with a steep slope, where the step sits; alone, the expert is saturated (nearly constant)"
      }
    } else if (ow && term == "c") {
      small <- recip && abs(v) / sy < sqrt(ctl$bound_output * reciprocal_c_min(1, ctl$bound_output))
      lin <- if (small) NA else output_weight_linear(object, tt$component[i])
      if (small) {
        "output weight at its lower limit c_min (1e-4 of the response's scale): the expert (nearly) vanishes"
      } else if (isTRUE(lin)) {
        paste0("output weight at bound_output with a'x + b near 0 over the data: the linear limit c -> Inf, a, b -> 0 ",
               "with c a and c b finite; the expert is effectively the linear function c (a'x + b)")
      } else if (isFALSE(lin)) {
        paste0("output weight at bound_output with a'x + b not near 0: the expert's values go far beyond the ",
               "response's where its gate is small (gate and output weight trade off)")
      } else {
        paste0("output weight at bound_output: with a, b -> 0 the linear limit c -> Inf (c a, c b finite; the expert ",
               "effectively linear), otherwise a large expert offset by a small gate")
      }
    } else {
      "response-scale expert parameter at +-bound_output: as steep or as far as the box allows, usually an expert that serves few rows"
    }
  }
  out
}

# Whether the output-weighted expert of `component` is effectively linear over the training rows
# of positive weight: for tanh, |a'x + b| <= 0.2 (tanh(z) is within 1.3% of z); for sigmoid, a'x
# spans at most 0.4 (the sigmoid within about 1% of its tangent). NA for other families or a fit
# without its data.
output_weight_linear <- function(object, component) {
  if (!fit_has_data(object) || !object$expert$name %in% c("tanh", "sigmoid")) return(NA)
  eta <- object$coefficients$eta[component, ]
  d <- object$d
  x <- object$x
  if (!is.null(object$weights)) x <- x[object$weights > 0, , drop = FALSE]
  z <- drop(x %*% eta[seq_len(d)]) + eta[d + 1]
  if (!length(z) || !all(is.finite(z))) return(NA)
  if (object$expert$name == "tanh") max(abs(z)) <= 0.2 else diff(range(z)) <= 0.4
}

# Pseudo-inverse of a symmetric positive semi-definite matrix.
pinv_sym <- function(A, rtol = 1e-10) {
  if (length(A) == 0) return(A)
  e <- eigen(A, symmetric = TRUE)
  keep <- e$values > rtol * max(e$values, 0)
  if (!any(keep)) return(A * 0)
  V <- e$vectors[, keep, drop = FALSE]
  V %*% (t(V) / e$values[keep])
}

# Everything vcov(), predict(se.fit) and confint() need. Index sets: `bound` (on a bound, treated
# as fixed), `sing` (unidentified), `C` (the rest). Jacobian columns of C are projected off those
# of `sing` (proj = A_SS^+ A_SC), and V_CC is the covariance of theta_C. A fit without its data
# (model = FALSE) has the cross-products of the Jacobian instead (lse_inference_crossprods()), and
# no leverages.
lse_inference <- function(object, type = "classical", tol = 1e-8, warn = TRUE, leverage = FALSE) {
  type <- match_choice(type, c("classical", "HC0", "HC1"), "type")
  tol <- check_number(tol, "tol", min = 0, max = 1, strict_min = TRUE)
  if (!fit_has_data(object)) {
    if (leverage) need_data("Leverages (hatvalues(), rstandard(), cooks.distance(), plot())")
    return(lse_inference_crossprods(object, type, tol, warn))
  }
  w <- object$weights
  keep <- if (is.null(w)) rep(TRUE, length(object$y)) else w > 0
  if (is.null(w)) {
    # unit weights: J and r as they are (multiplying by sqrt(1) copied the n x p Jacobian twice)
    Jw <- cpp_residuals(object$x, object$y, object$theta, object$expert, object$k, gate_name(object$gate))$jacobian
    rw <- object$residuals
  } else {
    X <- object$x[keep, , drop = FALSE]
    J <- cpp_residuals(X, object$y[keep], object$theta, object$expert, object$k, gate_name(object$gate))$jacobian
    sw <- sqrt(w[keep])
    Jw <- J * sw
    rw <- object$residuals[keep] * sw
  }
  D <- centring_map(object)
  Jw <- times_map(Jw, D)  # the Jacobian in the parameters of the centred inputs (centring_map())
  n <- sum(keep)
  p <- length(object$theta)
  nm <- theta_names(object)
  bound <- theta_on_bound(object)
  free <- which(!bound)
  sing <- flag_unidentified(if (length(free)) crossprod(Jw[, free, drop = FALSE]), free, p, tol)
  C <- which(!bound & !sing)
  S <- which(sing)
  Jc <- Jw[, C, drop = FALSE]
  proj <- NULL
  if (length(S) && length(C)) {
    Js <- Jw[, S, drop = FALSE]
    proj <- pinv_sym(crossprod(Js)) %*% crossprod(Js, Jc)
    Jc <- Jc - Js %*% proj
  }
  cv <- if (length(C)) covariance_block(crossprod(Jc), function() crossprod(Jc * rw), type, object$rss, n, p)
  if (length(C) && is.null(cv)) {
    sing[C] <- TRUE
    C <- integer(0)
  }
  out <- user_vcov(cv, D, C, S, bound, sing, nm)
  if (warn) warn_inference(nm, bound, out$sing)
  # leverages of the rows of positive weight: the diagonal of the Gauss-Newton hat matrix
  # W^(1/2) J_C (J_C' W J_C)^(-1) J_C' W^(1/2) of the free, identified parameters
  lev <- if (leverage && length(C)) rowSums((Jc %*% cv$Minv) * Jc) else if (leverage) numeric(n) else NULL
  list(V = out$V, Vc = out$Vc, D = D, C = C, S = S, bound = bound, sing = out$sing, proj = proj, type = type,
       leverage = lev, keep = keep)
}

# The midpoints (mx) and half-widths (sx) of the inputs' ranges over the rows of positive weight,
# in the form of transform_params()'s scales (my = 0, sy = 1): the centred inputs are (x - mx) / sx.
centring_scales <- function(object) {
  rng <- fit_x_range(object)
  mid <- (rng[1, ] + rng[2, ]) / 2
  half <- (rng[2, ] - rng[1, ]) / 2
  bad <- !is.finite(mid) | !is.finite(half) | half <= 0
  mid[bad] <- 0
  half[bad] <- 1
  list(mx = unname(mid), sx = unname(half), my = 0, sy = 1)
}

# The map D from the parameters of the centred inputs to the fit's (user-scale) parameters,
# theta = D theta_c (p x p, linear): theta_c are the parameters of the same model in the inputs
# (x - m) / h, with m the midpoint and h the half-width of each input's range over the rows of
# positive weight (fit_x_range(), which fits without their data keep). lse_inference() flags
# unidentified directions and inverts J'WJ in theta_c: an input whose mean is far from 0 against
# its spread (stretchratio of tonedata, Temp of airquality) makes the Jacobian columns of a gating
# or expert slope and its intercept nearly collinear in theta, and its variance inflation factor
# large, although both are well determined (data-raw/inference-realdata.R: 7 of the 160 bench fits
# had VIFs of 1e8 to 1e9 in theta and below 5e7 in theta_c). Estimates on a bound are the same
# parameters in both (the core flags them on the standardised scale, itself centred).
centring_map <- function(object, sc = centring_scales(object)) {
  k <- object$k
  d <- object$d
  p <- length(object$theta)
  q <- as.integer(round((p - length(theta_layout(k, d, 1L, object$gate)$gating)) / k))
  lin <- function(th) {
    u <- unpack_theta(th, k, d, q, object$gate)
    v <- transform_params(u, sc, object$expert)
    pack_theta(v$beta0, v$beta1, v$eta, object$gate)
  }
  vapply(seq_len(p), function(j) lin(replace(numeric(p), j, 1)), numeric(p))
}

# J %*% D for an n x p J and the p x p map D of centring_map(), in O(n p): D is diagonal but for
# the intercepts' dependence on the slopes (a few entries per component), so the product is a
# column scaling plus one axpy per off-diagonal entry, not the n p^2 of a dense product.
times_map <- function(J, D) {
  out <- J * rep(diag(D), each = nrow(J))
  nz <- which(D != 0 & row(D) != col(D), arr.ind = TRUE)
  for (r in seq_len(nrow(nz))) {
    i <- nz[r, 1]
    j <- nz[r, 2]
    out[, j] <- out[, j] + J[, i] * D[i, j]
  }
  out
}

# The covariance of theta (user scale) from that of the identified free parameters C of theta_c
# (covariance_block()'s cv): V = D_C V_CC D_C'. A parameter of theta that depends on an
# unidentified one of theta_c (D[i, S] != 0) is unidentified too; rows and columns of those and of
# estimates on a bound are NA. Returns V, the p x p Vc of theta_c (NA outside C) and `sing` in theta.
user_vcov <- function(cv, D, C, S, bound, sing, nm) {
  p <- length(bound)
  Vc <- matrix(NA_real_, p, p)
  if (length(C)) Vc[C, C] <- cv$V
  sing_u <- sing | (if (length(S)) rowSums(abs(D[, S, drop = FALSE])) > 0 else FALSE)
  sing_u <- sing_u & !bound
  V <- matrix(NA_real_, p, p, dimnames = list(nm, nm))
  if (length(C)) {
    Dc <- D[, C, drop = FALSE]
    Vu <- Dc %*% cv$V %*% t(Dc)
    ok <- which(!bound & !sing_u)
    V[ok, ok] <- Vu[ok, ok]
  }
  list(V = V, Vc = Vc, sing = sing_u)
}

# lse_inference() of a fit without its data (moe_lse(model = FALSE)), from the cross-products of
# its weighted Jacobian Jw kept at the fit (fit_crossprods()): A = Jw'Jw and B = Jw' diag(rw^2) Jw,
# in the parameters of the centred inputs (attribute "centred"; fits of earlier versions kept them
# in theta, and are mapped here, with about cond(A) times the rounding).
# The projection off the unidentified columns is carried to them: (Jc - Js P)'(Jc - Js P) =
# A_CC - A_CS P - P'A_SC + P'A_SS P, and the same with B for the sandwich's meat. The same
# estimates as from the data up to rounding (the cross-products come from the fused pass).
lse_inference_crossprods <- function(object, type, tol, warn) {
  cp <- object$crossprods
  if (is.null(cp)) need_data("Standard errors (vcov(), summary(), confint(), predict(se.fit = TRUE))")
  D <- centring_map(object)
  centred <- isTRUE(attr(cp, "centred"))
  A <- if (centred) cp$JtWJ else crossprod(D, cp$JtWJ %*% D)  # in the parameters of the centred inputs
  B <- if (centred) cp$meat else crossprod(D, cp$meat %*% D)
  p <- length(object$theta)
  nm <- theta_names(object)
  bound <- theta_on_bound(object)
  free <- which(!bound)
  sing <- flag_unidentified(if (length(free)) A[free, free, drop = FALSE], free, p, tol)
  C <- which(!bound & !sing)
  S <- which(sing)
  proj <- NULL
  project <- function(Q) Q[C, C, drop = FALSE]
  if (length(S) && length(C)) {
    proj <- pinv_sym(A[S, S, drop = FALSE]) %*% A[S, C, drop = FALSE]
    project <- function(Q) {
      R <- Q[C, C, drop = FALSE] - crossprod(proj, Q[S, C, drop = FALSE]) - Q[C, S, drop = FALSE] %*% proj +
        crossprod(proj, Q[S, S, drop = FALSE] %*% proj)
      (R + t(R)) / 2
    }
  }
  cv <- if (length(C)) covariance_block(project(A), function() project(B), type, object$rss, object$nobs, p)
  if (length(C) && is.null(cv)) {
    sing[C] <- TRUE
    C <- integer(0)
  }
  out <- user_vcov(cv, D, C, S, bound, sing, nm)
  if (warn) warn_inference(nm, bound, out$sing)
  list(V = out$V, Vc = out$Vc, D = D, C = C, S = S, bound = bound, sing = out$sing, proj = proj, type = type,
       leverage = NULL, keep = NULL)
}

# The unidentified parameters (logical, length p): among the free ones (indices `free`, whose
# cross-product block is A), those of zero or negligible norm and those whose variance inflation
# factor in A scaled to unit diagonal exceeds 1 / tol.
flag_unidentified <- function(A, free, p, tol) {
  sing <- rep(FALSE, p)
  if (!length(free)) return(sing)
  s <- sqrt(diag(A))
  nz <- is.finite(s) & s > 0 & s > 1e-12 * max(s[is.finite(s)], 0)
  sing[free[!nz]] <- TRUE
  if (any(nz)) {
    B <- A[nz, nz, drop = FALSE] / outer(s[nz], s[nz])
    e <- eigen(B, symmetric = TRUE)
    lam <- pmax(e$values, .Machine$double.eps * max(e$values))
    vif <- rowSums(e$vectors^2 / rep(lam, each = nrow(e$vectors)))
    sing[free[nz][vif > 1 / tol]] <- TRUE
  }
  sing
}

# The covariance of the identified free parameters from M = Jc'Jc (projected) and meat() =
# Jc' diag(rw^2) Jc: list(V, Minv), or NULL when M is not positive definite.
covariance_block <- function(M, meat, type, rss, n, p) {
  Minv <- tryCatch(chol2inv(chol(M)), error = function(e) NULL)
  if (is.null(Minv)) return(NULL)
  df <- n - p
  if (type == "classical") {
    V <- if (df > 0) Minv * (rss / df) else Minv * NA_real_
  } else {
    V <- Minv %*% meat() %*% Minv
    if (type == "HC1") V <- V * if (df > 0) n / df else NA_real_
  }
  list(V = V, Minv = Minv)
}

# The warning of class lsmoe_warning_inference for estimates whose standard errors are NA.
warn_inference <- function(nm, bound, sing) {
  if (!any(bound) && !any(sing)) return(invisible())
  msg <- character(0)
  if (any(bound)) msg <- c(msg, sprintf("on a bound (treated as fixed): %s", paste(nm[bound], collapse = ", ")))
  if (any(sing)) msg <- c(msg, sprintf("nearly unidentified (J'WJ near singular): %s", paste(nm[sing], collapse = ", ")))
  lsmoe_warn(paste0("Standard errors are NA for estimates ", paste(msg, collapse = "; and for estimates "),
                    ". Asymptotic standard errors need an exact-specified fit with estimates inside the bounds."),
             class = "lsmoe_warning_inference")
}

# Delta-method standard errors of f-hat at the rows of X (checked inputs).
prediction_se <- function(object, info, X) {
  G <- cpp_residuals(X, numeric(nrow(X)), object$theta, object$expert, object$k, gate_name(object$gate))$jacobian
  C <- info$C
  if (!length(C)) return(rep(NA_real_, nrow(X)))
  G <- times_map(G, info$D)  # the gradient in the parameters of the centred inputs (centring_map())
  Gc <- G[, C, drop = FALSE]
  if (!is.null(info$proj)) Gc <- Gc - G[, info$S, drop = FALSE] %*% info$proj
  Vcc <- info$Vc[C, C, drop = FALSE]
  sqrt(pmax(rowSums((Gc %*% Vcc) * Gc), 0))
}

# Standard errors of f-hat at the rows of X when no free parameter is identified and off the
# bounds (lse_inference()'s C is empty), so that the delta method, which holds the others fixed,
# would give 0: the standard deviation over `nboot` parametric-bootstrap refits (boot_refits(), the
# machinery of confint(method = "boot")) of f at X. A fit without its data (model = FALSE) cannot
# be refitted: its standard errors are NA, so confidence intervals are NA and prediction intervals
# rest on the residual standard deviation alone. Either way a warning of class
# lsmoe_warning_inference says which.
prediction_fallback <- function(object, X, fit, nboot, seed) {
  if (!fit_has_data(object)) {
    lsmoe_warn(paste0("No free parameter is identified and off the bounds, and the fit (model = FALSE) has no data ",
                      "to bootstrap: confidence intervals and standard errors of predictions are NA, and prediction ",
                      "intervals use the residual standard deviation alone (they ignore the estimate's uncertainty)."),
               class = "lsmoe_warning_inference")
    return(structure(rep(NA_real_, nrow(X)), sigma_only = TRUE))
  }
  nboot <- check_count(nboot, "nboot", min = 10)
  if (is.null(seed)) seed <- sample.int(.Machine$integer.max, 1L)
  seed <- check_count(seed, "seed", min = 0)
  th <- boot_refits(object, nboot, seed)
  ok <- which(stats::complete.cases(t(th)))
  if (length(ok) < 10) {
    lsmoe_warn(sprintf(paste0("No free parameter is identified and off the bounds, and only %d of %d bootstrap refits ",
                              "succeeded: standard errors of predictions are NA, prediction intervals use the residual ",
                              "standard deviation alone."), length(ok), nboot), class = "lsmoe_warning_inference")
    return(structure(rep(NA_real_, nrow(X)), sigma_only = TRUE))
  }
  Fb <- vapply(ok, function(b) cpp_fitted(X, th[, b], object$expert, object$k, object$control$threads,
                                           gate_name(object$gate), use_simd()), numeric(nrow(X)))
  Fb <- matrix(Fb, nrow = nrow(X))
  lsmoe_warn(sprintf(paste0("No free parameter is identified and off the bounds: standard errors of predictions are ",
                            "the standard deviations over %d parametric-bootstrap refits (in place of the delta method)."),
                     length(ok)), class = "lsmoe_warning_inference")
  apply(Fb, 1, stats::sd)
}

#' @rdname moe_lse-inference
#' @export
vcov.moe_lse <- function(object, type = c("classical", "HC0", "HC1"), tol = 1e-8, ...) {
  check_dots_empty(...)
  object <- validate_fit(object)
  lse_inference(object, type, tol)$V
}

#' @rdname moe_lse-inference
#' @export
confint.moe_lse <- function(object, parm, level = 0.95, method = c("wald", "boot", "profile"),
                            type = c("classical", "HC0", "HC1"), nboot = 200, seed = NULL, ...) {
  check_dots_empty(...)
  object <- validate_fit(object)
  method <- match_choice(method, c("wald", "boot", "profile"), "method")
  level <- check_number(level, "level", min = 0, max = 1, strict_min = TRUE)
  if (level >= 1) lsmoe_abort("`level` must be below 1.", arg = "level")
  est <- coef(object)
  nm <- names(est)
  if (missing(parm)) {
    idx <- seq_along(est)
  } else if (is.character(parm)) {
    idx <- match(parm, nm)
    if (anyNA(idx)) lsmoe_abort(sprintf("`parm` has unknown name(s): %s.", paste(parm[is.na(idx)], collapse = ", ")), arg = "parm")
  } else if (is.numeric(parm) && length(parm) && !anyNA(parm) && all(parm == round(parm)) && all(parm >= 1 & parm <= length(est))) {
    idx <- as.integer(parm)
  } else {
    lsmoe_abort(sprintf("`parm` must be names of coef() or indices in 1:%d.", length(est)), arg = "parm")
  }
  a <- (1 - level) / 2
  pct <- paste(format(100 * c(a, 1 - a), trim = TRUE, scientific = FALSE, digits = 3), "%")
  ci <- matrix(NA_real_, length(idx), 2, dimnames = list(nm[idx], pct))
  if (method == "wald") {
    se <- sqrt(diag(stats::vcov(object, type = type)))[idx]
    z <- t_quantile(level, stats::df.residual(object))
    ci[, 1] <- est[idx] - z * se
    ci[, 2] <- est[idx] + z * se
    return(ci)
  }
  if (method == "profile") {
    ci[] <- profile_intervals(object, idx, level)
    return(ci)
  }
  nboot <- check_count(nboot, "nboot", min = 10)
  if (is.null(seed)) seed <- sample.int(.Machine$integer.max, 1L)
  seed <- check_count(seed, "seed", min = 0)
  th <- boot_refits(object, nboot, seed)
  ok <- stats::complete.cases(t(th))
  if (sum(ok) < 10) {
    lsmoe_abort(sprintf("Only %d of %d bootstrap refits succeeded.", sum(ok), nboot), class = "lsmoe_error_fit")
  }
  ci[] <- t(apply(th[idx, ok, drop = FALSE], 1, stats::quantile, probs = c(a, 1 - a), names = FALSE))
  attr(ci, "nboot_ok") <- sum(ok)
  ci
}

# p x nboot matrix of refitted free parameters (NA columns for failed refits).
boot_refits <- function(object, nboot, seed) {
  if (!fit_has_data(object)) need_data("confint(method = \"boot\")")
  w <- object$weights
  keep <- if (is.null(w)) rep(TRUE, length(object$y)) else w > 0
  x <- object$x[keep, , drop = FALSE]
  fv <- object$fitted.values[keep]
  wk <- if (is.null(w)) numeric(0) else w[keep]
  sd <- stats::sigma(object) / if (is.null(w)) 1 else sqrt(wk)
  start <- object$coefficients
  ctl <- object$control
  ctl$warn <- FALSE
  k <- object$k
  expert <- object$expert
  gate <- as_gate(object$gate)
  opts <- task_options()  # lsmoe's options travel with each task (workers.R)
  one <- function(b) with_task_options(opts, {
    ystar <- fv + stats::rnorm(length(fv), sd = sd)
    f <- tryCatch(moe_fit(x, ystar, wk, k, expert, start, ctl, gate), error = function(e) NULL)
    if (is.null(f)) rep(NA_real_, length(object$theta)) else f$theta
  })
  res <- future.apply::future_lapply(seq_len(nboot), one, future.seed = seed)
  matrix(unlist(res), nrow = length(object$theta))
}

#' @rdname moe_lse-inference
#' @export
anova.moe_lse <- function(object, ...) {
  # the rows are named by the calls' expressions, read before `object` is reassigned below
  nms <- vapply(as.list(substitute(list(object, ...)))[-1], function(e) paste(deparse(e), collapse = " "), "")
  fits <- c(list(object), list(...))
  if (!all(vapply(fits, inherits, logical(1), "moe_lse"))) {
    lsmoe_abort("anova() compares moe_lse fits only.", arg = "...")
  }
  fits <- lapply(seq_along(fits), function(i) validate_fit(fits[[i]], if (i == 1) "object" else "..."))
  object <- fits[[1]]
  same <- function(f) {
    isTRUE(all.equal(fit_response(f), fit_response(object), check.attributes = FALSE)) &&
      isTRUE(all.equal(f$weights, object$weights, check.attributes = FALSE))
  }
  if (!all(vapply(fits, same, logical(1)))) {
    lsmoe_abort("anova() needs fits of the same response on the same rows, with the same weights.", arg = "...")
  }
  n <- object$nobs
  p <- vapply(fits, function(f) length(f$theta), numeric(1))
  rss <- vapply(fits, `[[`, numeric(1), "rss")
  tab <- data.frame(Res.Df = n - p, RSS = rss, Params = p,
                    AIC = vapply(fits, stats::AIC, numeric(1)), BIC = vapply(fits, stats::BIC, numeric(1)),
                    Df = NA_real_, `Sum of Sq` = NA_real_, F = NA_real_, `Pr(>F)` = NA_real_,
                    check.names = FALSE, row.names = nms)
  nested <- function(a, b) {  # a nested in b
    identical(a$k, b$k) && identical(a$expert[c("name", "degree", "output_weight")], b$expert[c("name", "degree", "output_weight")]) &&
      identical(gate_name(a$gate), gate_name(b$gate)) &&
      all(fit_xnames(a) %in% fit_xnames(b)) && length(a$theta) < length(b$theta)
  }
  notes <- character(0)
  for (i in seq_along(fits)[-1]) {
    a <- fits[[i - 1]]
    b <- fits[[i]]
    small <- if (nested(a, b)) a else if (nested(b, a)) b else NULL
    if (is.null(small)) {
      if (a$k != b$k) notes <- c(notes, sprintf("%s vs %s: different k, no test", nms[i - 1], nms[i]))
      next
    }
    big <- if (identical(small, a)) b else a
    dfn <- length(big$theta) - length(small$theta)
    dfd <- n - length(big$theta)
    ss <- small$rss - big$rss
    Fv <- (ss / dfn) / (big$rss / dfd)
    tab[i, c("Df", "Sum of Sq", "F", "Pr(>F)")] <- c(dfn, ss, Fv, stats::pf(Fv, dfn, dfd, lower.tail = FALSE))
  }
  head <- c("Analysis of RSS for least squares mixtures of experts",
            paste0("F tests only between consecutive nested fits with the same k and expert family.\n",
                   "Between different k the likelihood-ratio statistic is not chi-squared: under the smaller\n",
                   "model the extra atom is not identified (its gate weight can vanish or two atoms merge)."),
            if (length(notes)) paste(notes, collapse = "\n"))
  structure(tab, heading = head, class = c("anova", "data.frame"))
}

#' Leverages, standardised residuals and Cook's distances of a moe_lse fit
#'
#' Regression diagnostics from the Gauss-Newton linearisation of a [moe_lse()] fit at its
#' estimate, as [stats::nls()] fits are linearised for inference (the same J, W and index sets as
#' [vcov()][moe_lse-inference]): with \eqn{J_C}{J_C} the Jacobian columns of the free parameters that are
#' neither on a bound nor unidentified (projected off the unidentified ones) and \eqn{p_C}{p_C} their
#' number,
#' * `hatvalues()`: \eqn{h_i = w_i J_{C,i} (J_C^\top W J_C)^{-1} J_{C,i}^\top}{h_i = w_i J_C[i, ] (J_C' W J_C)^(-1) J_C[i, ]'},
#'   the diagonal of the hat matrix (they sum to \eqn{p_C}{p_C}); 0 for rows of weight 0;
#' * `rstandard()`: \eqn{\sqrt{w_i} r_i / (\hat\sigma \sqrt{1 - h_i})}{sqrt(w_i) r_i / (sigma_hat sqrt(1 - h_i))}
#'   with \eqn{\hat\sigma}{sigma_hat} = `sigma()`;
#' * `cooks.distance()`: \eqn{w_i r_i^2 h_i / (p_C \hat\sigma^2 (1 - h_i)^2)}{w_i r_i^2 h_i / (p_C sigma_hat^2 (1 - h_i)^2)}.
#'
#' For k = 1 linear experts they are those of [stats::lm()]. For a nonlinear fit they describe the
#' linearised model: a row of leverage near 1 steers its own fitted value (often a gate or an
#' expert that serves few rows). The caveats of [vcov()][moe_lse-inference] apply: over-specified
#' fits and estimates on a bound make them descriptive only.
#'
#' @param model A `moe_lse` fit.
#' @param ... Unused.
#' @returns A numeric vector with one value per row of the data (named as `residuals()`; for rows
#'   dropped by `na.action = na.exclude`, `hatvalues()` 0 and the others `NA`, as for `lm`);
#'   `rstandard()` and `cooks.distance()` are `NA`
#'   for rows of weight 0 and where \eqn{h_i = 1}{h_i = 1}, and `NA` everywhere when `sigma()` is undefined
#'   (no residual degrees of freedom). An invalid fit raises an error of class
#'   `lsmoe_error_input`; a fit made with `model = FALSE` one of class `lsmoe_error_no_data` (the
#'   leverages need the inputs row by row: refit with `model = TRUE`).
#' @seealso [moe_lse-inference], [stats::influence.measures()]
#' @references
#' Bates, D. M. and Watts, D. G. (1988). *Nonlinear Regression Analysis and Its Applications*.
#' Wiley, section 4.4 (the linearised model's leverages and residuals). \doi{10.1002/9780470316757}
#' @examples
#' set.seed(1)
#' fit <- moe_lse(dist ~ speed, data = cars, k = 1, expert = "linear",
#'                control = lse_control(n_starts = 2))
#' all.equal(hatvalues(fit), hatvalues(lm(dist ~ speed, data = cars)))
#' head(cooks.distance(fit))
#' @name moe_lse-influence
NULL

# The leverages, the rows of positive weight and the number of free identified parameters.
fit_influence <- function(model) {
  model <- validate_fit(model, "model")
  info <- lse_inference(model, "classical", warn = FALSE, leverage = TRUE)
  h <- numeric(length(model$residuals))
  h[info$keep] <- pmin(pmax(info$leverage, 0), 1)
  w <- if (is.null(model$weights)) rep(1, length(h)) else model$weights
  s <- suppressWarnings(stats::sigma(model))
  list(model = model, h = h, w = w, s = s, pc = length(info$C), r = as.vector(model$residuals))
}

#' @rdname moe_lse-influence
#' @export
hatvalues.moe_lse <- function(model, ...) {
  f <- fit_influence(model)
  h <- stats::naresid(f$model$na.action, with_fit_row_names(f$h, f$model))
  h[is.na(h)] <- 0  # rows dropped by na.exclude, as lm.influence() gives them
  h
}

#' @rdname moe_lse-influence
#' @export
rstandard.moe_lse <- function(model, ...) {
  f <- fit_influence(model)
  v <- sqrt(f$w) * f$r / (f$s * sqrt(1 - f$h))
  v[f$w == 0 | f$h >= 1 | !is.finite(v)] <- NA_real_
  stats::naresid(f$model$na.action, with_fit_row_names(v, f$model))
}

#' @rdname moe_lse-influence
#' @export
cooks.distance.moe_lse <- function(model, ...) {
  f <- fit_influence(model)
  v <- f$w * f$r^2 * f$h / (f$pc * f$s^2 * (1 - f$h)^2)
  v[f$w == 0 | f$h >= 1 | !is.finite(v)] <- NA_real_
  stats::naresid(f$model$na.action, with_fit_row_names(v, f$model))
}
