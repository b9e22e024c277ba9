# Stage 5 of the fit (fit.R): the moe_lse object. The estimates and every RSS go back to the
# user's scale (exactly: transform_params()); fitted values come from the fused pass on the
# user's data. Warnings of class lsmoe_warning_fit (a fit worse than a constant) and, with
# lse_control(warn = TRUE), lsmoe_warning_convergence.
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
  if (tss > 0 && rss > tss) {
    lsmoe_warn(sprintf(paste0("The fit is worse than a constant (R-squared %.3g): the %s experts cannot follow ",
                              "the response; try experts on the response's scale (output_weight = TRUE, linear)."),
                       1 - rss / tss, expert$label), class = "lsmoe_warning_fit")
  }
  if (!res$converged && prob$control$warn) {
    lsmoe_warn(sprintf("The least squares fit did not converge (%s) after %d iterations.", res$message, res$iterations),
               class = "lsmoe_warning_convergence")
  }
  structure(list(
    call = NULL, expert = expert, gate = prob$gate_obj, k = k, d = prob$d, q = prob$q,
    coefficients = par, theta = theta, rss = rss, nobs = n,
    fitted.values = fitted, residuals = y - fitted,
    converged = res$converged, status = res$status, message = res$message, finish_steps = res$finish_steps,
    iterations = res$iterations, evaluations = res$evaluations, on_bound = res$on_bound,
    bound_flags = res$bound_flags,
    starts = data.frame(start = seq_along(res$start_rss), rss = na_if_nonfinite(res$start_rss * s2),
                        status = res$start_status, iterations = res$start_iterations,
                        screen_rss = na_if_nonfinite(res$screen_rss * s2), refine_rss = na_if_nonfinite(res$refine_rss * s2),
                        round = res$start_round, chain = res$start_chain),
    best_start = res$best, kernel = res$kernel, control = prob$control, x = x, y = y
  ), class = "moe_lse")
}
