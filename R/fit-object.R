# Stage 5 of the fit (fit.R): the moe_lse object. The estimates and every RSS go back to the
# user's scale (exactly: transform_params()); fitted values come from the fused pass on the
# user's data. Warnings of class lsmoe_warning_fit (a fit worse than a constant) and, with
# lse_control(warn = TRUE), lsmoe_warning_convergence, lsmoe_warning_search (the best RSS reached
# by one start only) and lsmoe_warning_few_data (fewer than 10 rows per free parameter).
moe_fit_object <- function(prob, res) {
  k <- prob$k
  sc <- prob$scales
  expert <- prob$expert
  x <- prob$data$x
  y <- prob$data$y
  w <- prob$w
  n <- nrow(x)
  par <- transform_params(unpack_theta(res$theta, k, prob$d, prob$q, prob$gate), sc, expert)
  s2 <- sc$sy^2
  rss <- res$rss * s2
  theta <- pack_theta(par$beta0, par$beta1, par$eta, prob$gate)
  xnames <- colnames(x)
  comp <- paste0("expert", seq_len(k))
  names(par$beta0) <- comp
  dimnames(par$beta1) <- list(comp, xnames)
  dimnames(par$eta) <- list(comp, expert_param_names(expert, xnames))
  fitted <- cpp_fitted(x, theta, expert, k, prob$control$threads, prob$gate, use_simd())
  tss <- if (length(w)) sum(w * (y - sum(w * y) / sum(w))^2) else if (n > 1) stats::var(y) * (n - 1) else 0
  if (isTRUE(tss > 0 && rss > tss)) {
    lsmoe_warn(sprintf(paste0("The fit is worse than a constant (R-squared %.3g): the %s experts cannot follow ",
                              "the response; try experts on the response's scale (output_weight = TRUE, linear)."),
                       1 - rss / tss, expert$label), class = "lsmoe_warning_fit")
  }
  if (!res$converged && prob$control$warn) {
    lsmoe_warn(sprintf("The least squares fit did not converge (%s) after %d iterations.", res$message, res$iterations),
               class = "lsmoe_warning_convergence")
  }
  starts <- data.frame(start = seq_along(res$start_rss), rss = na_if_nonfinite(res$start_rss * s2),
                       status = res$start_status, iterations = res$start_iterations,
                       screen_rss = na_if_nonfinite(res$screen_rss * s2), refine_rss = na_if_nonfinite(res$refine_rss * s2),
                       round = res$start_round, chain = res$start_chain)
  if (is.null(prob$start) && prob$control$warn) warn_search(starts)
  if (prob$control$warn) warn_few_data(n, length(theta))
  structure(list(
    call = NULL, expert = expert, gate = prob$gate_obj, k = k, d = prob$d, q = prob$q,
    coefficients = par, theta = theta, rss = rss, nobs = n,
    fitted.values = fitted, residuals = y - fitted,
    converged = res$converged, status = res$status, message = res$message, finish_steps = res$finish_steps,
    iterations = res$iterations, evaluations = res$evaluations, on_bound = res$on_bound,
    bound_flags = res$bound_flags,
    starts = starts, best_start = res$best, kernel = res$kernel, control = prob$control, x = x, y = y
  ), class = "moe_lse")
}

# How many rows of a fit's `starts` (the perturbed ones included) reached the best RSS among them,
# within a relative rss_distinct. NA RSS (a start that was not finished) never counts.
starts_reaching_best <- function(starts) {
  rss <- starts$rss[is.finite(starts$rss)]
  if (!length(rss)) return(0L)
  sum(rss <= min(rss) * (1 + rss_distinct))
}

# The warning of class lsmoe_warning_search: the best RSS was reached by one start of several (a
# fit asked for with one start, n_starts = 1, is not a search and is not warned about).
# Why "one": on the simulated truths of bench/simulated.R (quick mode, n = 2e4, where starts are
# screened), exactly one start reached the best RSS in 5 of the 8 fits that missed the least squares
# optimum and in none of the 30 that reached it; on n = 2000 (every start finished) in 3 of 42 fits
# that reached it. A threshold of 2 would flag one more miss but also 3 of the 30 screened hits and
# 4 of the 42 small-data ones (bench/NOTES.md).
warn_search <- function(starts) {
  if (sum(starts$round == 0L) < 2 || starts_reaching_best(starts) != 1L) return(invisible())
  lsmoe_warn(sprintf(paste0("The smallest RSS was reached by only one of %s (within a relative 1e-6): the ",
                            "search may have missed the least squares estimate. Refit with more starts ",
                            "(lse_control(n_starts = ), now %d) or another seed and compare the RSS."),
                     describe_starts(starts), sum(starts$round == 0L)), class = "lsmoe_warning_search")
}

# The warning of class lsmoe_warning_few_data: fewer than few_data_ratio (10) rows of positive
# weight per free parameter. Why 10: the lower end of the 10-20 observations per parameter of
# regression modelling (Harrell, Regression Modeling Strategies, 2nd ed., section 4.4), and where
# held-out error stops running away on real data (tools/few-data.R: 656 fits of linear and
# output-weighted tanh experts, k = 2 and 3, on subsamples of Boston, mcycle, faithful and
# airquality, scored on the rows left out that lie inside the training inputs). Median held-out MSE
# over in-sample MSE by rows per parameter: 27 at <= 2, 7.0 at 2-3, 3.2 at 3-5, 1.9 at 5-7.5, 1.7 at
# 7.5-10, 1.3 at 10-15, 1.2 at 15-20; the share of fits whose held-out MSE was above lm's on the same
# split: 73%, 65%, 33%, 28%, 17%, 5%, 0%.
few_data_ratio <- 10
warn_few_data <- function(n, p) {
  if (n >= few_data_ratio * p) return(invisible())
  lsmoe_warn(sprintf(paste0("%d observations for %d free parameters (%.3g per parameter, fewer than %d): the fit is ",
                            "likely to follow the noise, and its R-squared and standard errors to flatter it ",
                            "(on real data the held-out error was a median 1.7 to 27 times the in-sample error ",
                            "below 10 per parameter). Use fewer experts (k) or inputs, or judge the fit by ",
                            "cross-validation."),
                     n, p, n / p, few_data_ratio), class = "lsmoe_warning_few_data")
}

# ---- The data a fit keeps (model = TRUE, the default) or leaves out (model = FALSE) ----

# `fit` without its data (moe_lse(model = FALSE)): x, y and the model frame dropped, and what the
# methods need from them kept in their place: the inputs' names (`input_names`) and ranges over the
# rows of positive weight (`input_range`, 2 x d, for predict()'s extrapolation warning), the total sum
# of squares (`tss`, for summary()'s R-squared) and the cross-products of the weighted Jacobian
# (`crossprods`, for vcov(), summary(), confint() and predict(se.fit = TRUE); fit_crossprods()).
# The fitted values, residuals, weights and the row names (`row_names`) stay.
drop_fit_data <- function(fit) {
  fit$input_names <- colnames(fit$x)
  fit$input_range <- input_ranges(fit$x, fit$weights)
  fit$tss <- fit_tss(fit)
  fit$crossprods <- fit_crossprods(fit)
  fit$x <- fit$y <- fit$model <- NULL
  fit
}

# Whether the fit kept its data (x and y).
fit_has_data <- function(object) !is.null(object[["x", exact = TRUE]])

# The error of class lsmoe_error_no_data (also lsmoe_error_input) of a method that needs the data
# of a fit made with model = FALSE.
need_data <- function(what, arg = "object") {
  lsmoe_abort(sprintf(paste0("%s needs the data of the fit, which was made with model = FALSE and left them out: ",
                             "refit with model = TRUE (the default)."), what),
              class = c("lsmoe_error_no_data", "lsmoe_error_input"), arg = arg)
}

# The names of the fit's inputs (the columns of x).
fit_xnames <- function(object) if (fit_has_data(object)) colnames(object$x) else object$input_names

# The response: y, or for a fit without its data the fitted values plus the residuals (equal to y
# up to rounding).
fit_response <- function(object) if (fit_has_data(object)) object$y else object$fitted.values + object$residuals

# Per input, the smallest and largest value (rows "min", "max") over the rows of positive weight
# (all rows for w = NULL); one column at a time.
input_ranges <- function(x, w = NULL) {
  rows <- if (!is.null(w) && any(w == 0)) which(w > 0)
  r <- if (is.null(rows) && ncol(x) == 1) {
    matrix(c(min(x), max(x)))
  } else {
    vapply(seq_len(ncol(x)), function(j) {
      v <- if (is.null(rows)) x[, j] else x[rows, j]
      c(min(v), max(v))
    }, numeric(2))
  }
  dimnames(r) <- list(c("min", "max"), colnames(x))
  r
}
fit_x_range <- function(object) if (fit_has_data(object)) input_ranges(object$x, object$weights) else object$input_range

# The (weighted) total sum of squares of the response over the rows of positive weight, around its
# (weighted) mean.
fit_tss <- function(object) {
  if (!is.null(object$tss)) return(object$tss)
  w <- object$weights
  y <- object$y
  if (is.null(w)) return(cpp_col_mean_sq_dev(y, sum(y) / length(y), mean = FALSE))  # sum((y - mean)^2) as R sums it
  keep <- w > 0
  yk <- y[keep]
  wk <- w[keep]
  sum(wk * (yk - sum(wk * yk) / sum(wk))^2)
}

# The cross-products of the fit's weighted Jacobian Jw = W^(1/2) J (J: n x p, of the fitted values
# in the free parameters at the estimate) that lse_inference() needs: JtWJ = Jw'Jw and meat =
# Jw' diag(rw^2) Jw (rw = W^(1/2) r), each from one fused pass over the rows (cpp_normal_equations()
# given the square roots of the weights: sqrt(w), and w r, whose sign the squares drop), without
# the n x p Jacobian; for an unweighted fit without any other vector of length n. Both are taken
# in the parameters theta_c of the centred inputs (x - mx) / sx (centring_map(): theta = D theta_c),
# where lse_inference() works: the pass runs the same model on the centred inputs at theta_c, so
# the products are as accurate as from the data; products in theta mapped by D afterwards lost
# about cond(J'WJ) times the rounding (1e-4 relative for an input whose range sits 1e4 from 0).
# The list has the attribute centred = TRUE. The centred inputs are one n x d copy, made here only.
fit_crossprods <- function(fit) {
  w <- fit$weights
  sc <- centring_scales(fit)
  theta_c <- solve(centring_map(fit, sc), fit$theta)
  xc <- fit$x  # one copy, then each column in place
  for (j in seq_len(ncol(xc))) xc[, j] <- (xc[, j] - sc$mx[j]) / sc$sx[j]
  pass <- function(sw) {
    cpp_normal_equations(xc, fit$y, sw, theta_c, fit$expert, fit$k, fit$control$threads, gate_name(fit$gate),
                         use_simd(), FALSE, "auto", TRUE)$JtJ
  }
  A <- pass(if (is.null(w)) numeric(0) else sqrt(w))
  B <- pass(if (is.null(w)) fit$residuals else w * fit$residuals)
  structure(list(JtWJ = A, meat = B), centred = TRUE)
}

# The row names of the fit's data, as lm names its fitted values and residuals: `row_names` holds
# them as the model frame does (c(NA, -n) for the automatic 1..n, made into strings only here),
# or the row names of the matrix x (NULL: none); fits of earlier versions have them on x.
fit_row_names <- function(object) {
  n <- length(object$residuals)
  rn <- object$row_names
  if (is.null(rn) && fit_has_data(object)) rn <- rownames(object$x)
  if (is.null(rn)) return(NULL)
  if (is.integer(rn) && length(rn) == 2L && is.na(rn[1L])) return(if (abs(rn[2L]) == n) as.character(seq_len(n)))
  if (length(rn) != n) return(NULL)
  as.character(rn)
}
