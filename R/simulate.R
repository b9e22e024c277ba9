#' Simulate data from a softmax- or sigmoid-gated mixture of experts
#'
#' Draws \eqn{(X_i, Y_i)}, \eqn{i = 1, \dots, n}, from the regression model of the paper (with the
#' gate of the measure `G`, softmax or sigmoid, see [gates]),
#' \deqn{Y_i = f_G(X_i) + \varepsilon_i, \qquad \varepsilon_i \sim N(0, \sigma^2),}{Y_i = f_G(X_i) + eps_i, eps_i ~ N(0, sigma^2),}
#' with \eqn{X_i \sim \mathrm{Uniform}[0, 1]^d}{X_i ~ Uniform[0, 1]^d} by default. All randomness comes from R's random
#' number generator (`runif()` for the inputs, then `rnorm()` for the noise), so `set.seed()`
#' reproduces a draw.
#'
#' @param G The mixing measure: a [mixing_measure()] (either gate) or a [moe_lse()] fit.
#' @param n Sample size, whole number >= 1 with `n * d` at most \eqn{10^8} (see
#'   [lsmoe_limits]). May be omitted when `x` is a matrix (it is then `nrow(x)`; when given it
#'   must agree).
#' @param noise_sd Noise standard deviation \eqn{\sigma}, a finite number >= 0 (0 gives
#'   \eqn{Y = f_G(X)}).
#' @param x `NULL` (default: \eqn{X \sim \mathrm{Uniform}[0, 1]^d}{X ~ Uniform[0, 1]^d}), a numeric matrix n x d of
#'   inputs (a vector when d = 1), or a function of `n` returning such a matrix (for example
#'   `function(n) matrix(rnorm(2 * n), n, 2)`).
#' @param max_gb Largest estimated peak memory accepted, in GB (\eqn{10^9}{1e9} bytes), a number > 0
#'   or `Inf`; default 4. The peak is about \eqn{8 n (d + 10)}{8 n (d + 10)} bytes (measured at n = 1e6 and 4e6,
#'   d = 1 and 5: the inputs, the responses and the intermediate vectors of the gate and the
#'   experts), so n = 1e8 with d = 1 needs about 9 GB. Above it the call stops before drawing with
#'   an error of class `lsmoe_error_cost` (also `lsmoe_error_input`) that gives the estimate.
#' @returns A list with
#' * `x`: numeric matrix n x d, column names `x` (d = 1) or `x1`, ..., `xd`;
#' * `y`: numeric vector of length n, the responses;
#' * `f`: numeric vector of length n, the true regression function \eqn{f_G(X_i)};
#' * `G`: the mixing measure; `noise_sd`.
#'
#' Errors of class `lsmoe_error_input` for an invalid `G`, `n` or `noise_sd`, and for inputs
#' `x` that are not finite, have the wrong number of columns or disagree with `n`. When
#' \eqn{f_G(X_i)} or \eqn{Y_i} overflow (huge inputs or parameters, or a `noise_sd` such as
#' `1e308`), an error of class `lsmoe_error_nonfinite` (also `lsmoe_error_input`) naming `x`, `G`
#' or `noise_sd`: no NaN or infinite value is returned.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [mixing_measure()], [simulate.moe_lse()] for responses from a fit.
#' @examples
#' # the gate switches at x = 0.5; experts sigmoid(12 x - 9) and sigmoid(3 - 12 x)
#' G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0),
#'                      eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' sim <- simulate_moe(G0, n = 500, noise_sd = 0.1)
#' str(sim[c("x", "y", "f")])
#' plot(sim$x, sim$y)
#'
#' # inputs from another distribution
#' sim2 <- simulate_moe(G0, n = 100, noise_sd = 0.1, x = function(n) matrix(rbeta(n, 2, 2), n, 1))
#' @export
simulate_moe <- function(G, n, noise_sd, x = NULL, max_gb = 4) {
  G <- as_measure_arg(G, "G")
  if (missing(n)) n <- NULL
  if (missing(noise_sd)) lsmoe_abort("`noise_sd` is missing: give the noise standard deviation (a number >= 0).", arg = "noise_sd")
  noise_sd <- check_number(noise_sd, "noise_sd", min = 0)
  max_gb <- check_number(max_gb, "max_gb", min = 0, allow_inf = TRUE, strict_min = TRUE)
  if (!is.null(n) && (is.null(x) || is.function(x))) {
    # n checked as draw_inputs() checks it, then the memory of the draw, before anything is drawn
    nn <- check_count(n, "n", max = floor(lsmoe_limits$draws / G$d))
    check_memory_cost(8 * nn * (G$d + 10), max_gb, "simulate_moe()", sprintf("n = %d, d = %d", nn, G$d))
  }
  X <- draw_inputs(x, n, G$d)
  f <- as.vector(eval_measure(G, X, arg = if (is.null(x)) "G" else "x")$response)
  y <- f + stats::rnorm(nrow(X), mean = 0, sd = noise_sd)
  check_finite_result(y, "The simulated response y", "noise_sd",
                      hint = "`noise_sd` (or f_G) is too large: the responses overflow")
  list(x = X, y = y, f = f, G = G, noise_sd = noise_sd)
}

# An error of class lsmoe_error_cost when a call's estimated peak memory (bytes) exceeds max_gb.
check_memory_cost <- function(bytes, max_gb, what, size) {
  if (bytes <= 1e9 * max_gb) return(invisible(bytes))
  lsmoe_abort(sprintf(paste0("%s would need about %.1f GB of memory at its peak (%s), more than `max_gb` = %s. ",
                             "Lower the size, or raise `max_gb` (Inf to skip this check)."),
                      what, bytes / 1e9, size, format(max_gb)),
              class = c("lsmoe_error_cost", "lsmoe_error_input"), arg = "max_gb")
}

# Inputs for simulations and Monte Carlo: Uniform[0, 1]^d (x = NULL), a user matrix, or a
# function of n returning one. Returns a checked n x d matrix named like check_x() names it.
# n * d is at most lsmoe_limits$draws when the inputs are drawn here.
draw_inputs <- function(x, n, d, arg = "x", n_arg = "n") {
  if (!is.null(n)) n <- check_count(n, n_arg, max = if (is.null(x) || is.function(x)) floor(lsmoe_limits$draws / d) else Inf)
  if (is.null(x)) {
    if (is.null(n)) lsmoe_abort(sprintf("`%s` is missing: give the sample size or an input matrix `%s`.", n_arg, arg), arg = n_arg)
    X <- matrix(stats::runif(n * d), n, d)
  } else if (is.function(x)) {
    if (is.null(n)) lsmoe_abort(sprintf("`%s` is missing: a sampling function `%s` needs the sample size.", n_arg, arg), arg = n_arg)
    X <- tryCatch(x(n), error = function(e) {
      lsmoe_abort(sprintf("The function `%s` failed when called with n = %d: %s", arg, n, conditionMessage(e)), arg = arg)
    })
    if (is.numeric(X) && is.null(dim(X)) && d == 1) X <- matrix(X, ncol = 1)
    X <- check_x(X, arg)
    if (nrow(X) != n) {
      lsmoe_abort(sprintf("The function `%s` must return %d rows (n), not %d.", arg, n, nrow(X)), arg = arg)
    }
  } else {
    X <- check_x(x, arg)
    if (!is.null(n) && nrow(X) != n) {
      lsmoe_abort(sprintf("`%s` has %d rows but `%s` is %d: they must agree (or omit `%s`).", arg, nrow(X), n_arg, n, n_arg), arg = arg)
    }
  }
  if (ncol(X) != d) {
    lsmoe_abort(sprintf("`%s` must have d = %d column(s), like the mixing measure, not %d.", arg, d, ncol(X)), arg = arg)
  }
  dimnames(X) <- list(NULL, if (d == 1) "x" else paste0("x", seq_len(d)))
  X
}

#' Simulate responses from a least squares mixture-of-experts fit
#'
#' The `stats::simulate()` method for [moe_lse()] fits: draws `nsim` response vectors at the
#' training inputs `object$x`,
#' \deqn{Y^{(s)}_i = \hat f(X_i) + \varepsilon^{(s)}_i, \qquad \varepsilon^{(s)}_i \sim N(0, \hat\sigma^2 / w_i),
#'   \quad \hat\sigma^2 = \mathrm{RSS} / (n - p),}{Y_i = fhat(X_i) + eps_i, eps_i ~ N(0, sigma^2 / w_i), sigma^2 = RSS / (n - p),}
#' with \eqn{\hat\sigma}{sigma} the fit's `sigma()` (n observations of positive weight, p free
#' parameters) and \eqn{w_i}{w_i} the weights (1 for an unweighted fit), following the conventions
#' of `stats::simulate()` and the noise of `simulate()` for `lm` fits. Rows of weight 0 carry no
#' information on the noise: their simulated responses are `NA`.
#'
#' @param object A [moe_lse()] fit.
#' @param nsim Number of response vectors, whole number >= 1 with `n * nsim` at most
#'   \eqn{10^8} (see [lsmoe_limits]). Default 1.
#' @param seed `NULL` (default: use the current state of the random number generator) or a
#'   single whole number passed to `set.seed()`; the generator's previous state is restored
#'   afterwards.
#' @param ... Unused.
#' @returns A data frame with n rows and `nsim` columns `sim_1`, ..., `sim_<nsim>`, with
#'   attribute `"seed"`: the value of `.Random.seed` before the draw (when `seed = NULL`), or
#'   `seed` with attribute `"kind"` (the `RNGkind()`), as `stats::simulate()` documents.
#'   An invalid `nsim` or `seed`, a fit with no residual degrees of freedom (`sigma()` undefined),
#'   or a fit whose fitted values or RSS are not finite (an object edited by hand), raises an
#'   error of class `lsmoe_error_input`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [simulate_moe()] to simulate from a known mixing measure.
#' @examples
#' G0 <- mixing_measure(beta0 = c(-5, 0), beta1 = c(10, 0),
#'                      eta = rbind(c(12, -9), c(-12, 3)), expert = expert_sigmoid())
#' set.seed(3)
#' sim <- simulate_moe(G0, n = 300, noise_sd = 0.05)
#' fit <- moe_lse(sim$x, sim$y, k = 2, expert = "sigmoid", control = lse_control(n_starts = 2))
#' sims <- simulate(fit, nsim = 3, seed = 42)
#' dim(sims)
#' identical(sims, simulate(fit, nsim = 3, seed = 42))
#' @export
simulate.moe_lse <- function(object, nsim = 1, seed = NULL, ...) {
  object <- validate_fit(object)
  ftd <- as.vector(object$fitted.values)
  n <- length(ftd)
  rss <- object$rss
  nobs <- object$nobs
  nsim <- check_count(nsim, "nsim", max = max(1, floor(lsmoe_limits$draws / n)))
  if (!is.null(seed)) check_count(seed, "seed", min = -.Machine$integer.max)
  if (!exists(".Random.seed", envir = .GlobalEnv, inherits = FALSE)) stats::runif(1)
  if (is.null(seed)) {
    RNGstate <- get(".Random.seed", envir = .GlobalEnv)
  } else {
    R.seed <- get(".Random.seed", envir = .GlobalEnv)
    set.seed(seed)
    RNGstate <- structure(seed, kind = as.list(RNGkind()))
    on.exit(assign(".Random.seed", R.seed, envir = .GlobalEnv))
  }
  df <- nobs - length(object$theta)
  if (df <= 0) {
    lsmoe_abort(sprintf("simulate() draws noise with sd sigma(), undefined here: %d observations for %d free parameters.",
                        nobs, length(object$theta)), arg = "object")
  }
  w <- object$weights
  sd <- sqrt(rss / df) / if (is.null(w)) 1 else sqrt(ifelse(w > 0, w, NA_real_))
  sd <- rep_len(sd, n * nsim)
  val <- ftd + sd * stats::rnorm(n * nsim)
  check_finite_result(val[!is.na(sd)], "The simulated response", "object", hint = "the fitted values or the RSS are too large")
  val <- as.data.frame(matrix(val, n, nsim))
  names(val) <- paste0("sim_", seq_len(nsim))
  attr(val, "seed") <- RNGstate
  val
}
