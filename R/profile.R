# confint(method = "profile"): profile-t intervals (Bates and Watts 1988, section 6.1; what
# MASS's confint.nls computes for nls fits), with the C++ Levenberg-Marquardt refitting the other
# free parameters at each fixed value of the profiled one.
#
# For a free parameter theta_j (not on a bound, as vcov() treats it), the profile t statistic is
#   tau(v) = sign(v - theta_j_hat) sqrt(S(v) - S_hat) / s,
# S(v) the smallest RSS with theta_j = v (the other free parameters refitted from the previous
# value's solution, those on a bound held at their estimates), S_hat the fit's RSS and
# s = sigma(). The interval is {v : |tau(v)| <= t_{1 - alpha/2, df.residual}}: each end is
# bracketed by steps from the estimate (a third of the Wald half-width, doubled while the profile
# stays flat) and found by uniroot() to within 1e-4 Wald standard errors. For a linear model the
# profile is the Wald interval; for a nonlinear one it follows the RSS surface (asymmetric where the
# model is curved). An end is NA where the profile stays below the cutoff for `profile_max_steps`
# steps (the data do not bound the parameter on that side), and for parameters on a bound.
#
# The refits run on the user's scale (the data as fitted, no standardisation) with plain output
# weights (no reciprocal coordinates) and a box of +-1e100 around everything that is free, so that
# the profile is of the least squares criterion itself; a held parameter has a box of relative
# width 2e-12 around its value (the core needs lower < upper). A refit that finds an RSS below
# the fit's by more than a relative 1e-8 means the fit is not a local minimum: the intervals are
# then NA, with a warning of class lsmoe_warning_inference saying so.
profile_intervals <- function(object, idx, level) {
  if (!fit_has_data(object)) need_data("confint(method = \"profile\")")
  w <- object$weights
  keep <- if (is.null(w)) seq_along(object$y) else which(w > 0)
  wk <- if (is.null(w)) numeric(0) else w[keep]
  ctl <- object$control
  ctl$reciprocal_weight <- FALSE
  ctl$warn <- FALSE
  prob <- fit_problem(object$x[keep, , drop = FALSE], object$y[keep], wk, object$k, object$expert, gate_name(object$gate),
                      as_control(ctl))
  theta <- object$theta
  p <- length(theta)
  info <- lse_inference(object, "classical", warn = FALSE)
  bound <- info$bound
  se <- sqrt(diag(info$V))
  # a parameter is held at v by a box of relative width 2e-12 around it (the core needs lower < upper)
  pin <- function(v) c(v - 1e-12 * max(1, abs(v)), v + 1e-12 * max(1, abs(v)))
  open_box <- list(lower = rep(-1e100, p), upper = rep(1e100, p))
  for (i in which(bound)) open_box$lower[i] <- pin(theta[i])[1]
  for (i in which(bound)) open_box$upper[i] <- pin(theta[i])[2]
  refit <- function(j, v, start) {
    prob$box <- open_box
    if (!is.na(j)) {
      prob$box$lower[j] <- pin(v)[1]
      prob$box$upper[j] <- pin(v)[2]
    }
    st <- start
    if (!is.na(j)) st[j] <- v
    r <- core_fit_one(prob, matrix(st))
    list(rss = r$rss, theta = drop(r$theta))
  }
  s0 <- refit(NA_integer_, NA_real_, theta)
  rss_hat <- object$rss
  out <- matrix(NA_real_, length(idx), 2)
  if (!is.finite(s0$rss) || s0$rss < rss_hat * (1 - profile_rss_tol)) {
    lsmoe_warn(sprintf(paste0("confint(method = \"profile\"): a refit from the estimate reaches RSS %.10g below the fit's %.10g: ",
                              "the fit is not a local minimum; refit (more iterations or starts) before profiling."),
                       s0$rss, rss_hat), class = "lsmoe_warning_inference")
    return(out)
  }
  rss_hat <- min(rss_hat, s0$rss)
  s <- stats::sigma(object)
  tq <- t_quantile(level, stats::df.residual(object))
  better <- FALSE
  tau_at <- function(j, v, start) {
    r <- refit(j, v, start)
    if (!is.finite(r$rss)) return(list(tau = NA_real_, theta = start))
    if (r$rss < rss_hat * (1 - profile_rss_tol)) better <<- TRUE
    list(tau = sqrt(max(r$rss - rss_hat, 0)) / s, theta = r$theta)
  }
  for (m in seq_along(idx)) {
    j <- idx[m]
    if (bound[j]) next
    delta <- if (is.finite(se[j]) && se[j] > 0) se[j] * tq / 3 else 0.1 * max(abs(theta[j]), 1)
    for (side in 1:2) {
      dir <- if (side == 1) -1 else 1
      v_prev <- theta[j]
      tau_prev <- 0
      start <- s0$theta
      step <- delta
      for (i in seq_len(profile_max_steps)) {
        v <- v_prev + dir * step
        r <- tau_at(j, v, start)
        if (better || is.na(r$tau)) break
        if (r$tau >= tq) {
          f <- function(u) tau_at(j, u, start)$tau - tq
          end <- tryCatch(stats::uniroot(f, sort(c(v_prev, v)), f.lower = if (dir < 0) r$tau - tq else tau_prev - tq,
                                         f.upper = if (dir < 0) tau_prev - tq else r$tau - tq,
                                         tol = 1e-4 * (if (is.finite(se[j])) se[j] else step))$root,
                          error = function(e) NA_real_)
          out[m, side] <- end
          break
        }
        if (r$tau - tau_prev < tq / 10) step <- step * 2  # a flat stretch: longer steps
        v_prev <- v
        tau_prev <- r$tau
        start <- r$theta
      }
      if (better) break
    }
    if (better) break
  }
  if (better) {
    lsmoe_warn(paste0("confint(method = \"profile\"): the profile found a smaller RSS than the fit's: the fit is not the ",
                      "least squares estimate; refit (more starts) before profiling."), class = "lsmoe_warning_inference")
    out[] <- NA_real_
  }
  out
}

# Steps from the estimate after which an end of a profile interval is given up (NA): with the
# doubling of flat stretches, about 2^20 Wald half-widths.
profile_max_steps <- 40L

# A refit whose RSS is below the fit's by more than this relative amount is a better optimum.
profile_rss_tol <- 1e-8
