# Stage 4 of the fit (fit.R): finishing the best fit. Re-anchoring when its gate is on a bound,
# the Newton polish when it stops at the iteration limit; each again (at most 3 rounds) only after
# the other moved it (a polish can take a gate to its bound, a re-anchored refit can stop at the
# limit). Each step that replaces the best fit is recorded in res$finish_steps.
finish_fit <- function(prob, res) {
  res$finish_steps <- character(0)
  ctl <- prob$control
  polish_applies <- ctl$polish && length(prob$rows) <= ctl$refine_rows && prob$p <= polish_max_params
  tried <- NULL
  for (i in 1:3) {
    before <- res$theta
    if (!identical(res$theta, tried)) {  # reanchor_best() returns res unchanged where it does not apply
      res <- reanchor_best(prob, res)
      tried <- res$theta
    }
    if ((i == 1 || !identical(res$theta, before)) && polish_applies && res$status == status_iteration_limit) {
      res <- newton_polish(prob, res)
    }
    if (identical(res$theta, before)) break
  }
  res
}

# Re-anchoring of the best fit (lse_control(), "Re-anchoring"): while a gating parameter of the
# best fit is on its bound, its k - 1 other anchorings (reanchor_thetas()) are fitted from where
# it stands (single-start control: no restart; run as a race, core_fit(race =), since all start
# from the same RSS and most crawl along the same valley); the best of them replaces it when its RSS is
# smaller by more than a relative 1e-9, at most k - 1 times. Its iterations and evaluations then
# count the fits, and the best start's row in the per-start vectors is updated with it.
reanchor_best <- function(prob, res) {
  k <- prob$k
  for (i in seq_len(k - 1)) {
    if (!reanchor_applies(prob$control, k, prob$d, prob$gate, res$bound_flags)) break
    r <- core_fit(prob, reanchor_thetas(res$theta, k, prob$d, prob$q, prob$bounds, prob$gate), k - 1L, restart = FALSE,
                  race = race_iter)
    res$iterations <- res$iterations + r$iterations
    res$evaluations <- res$evaluations + r$evaluations
    res$jacobians <- res$jacobians + r$jacobians
    if (!is.finite(r$rss) || r$rss >= res$rss * (1 - rss_improvement)) break
    res <- adopt_finish(res, r, "re-anchoring the gate")
  }
  res
}

# `res` with its best fit replaced by the refit `r` of a finishing step (re-anchoring, the Newton
# polish; their counts are added by the caller): the best fit's fields, `step` added to
# finish_steps, the message of `r` followed by every step that led there (e.g. "converged: ...
# (after re-anchoring the gate) (after a Newton polish)"), and the best start's row of the
# per-start vectors.
adopt_finish <- function(res, r, step) {
  for (nm in c("theta", "rss", "status", "converged", "on_bound", "bound_flags")) res[[nm]] <- r[[nm]]
  res$finish_steps <- unique(c(res$finish_steps, step))
  res$message <- paste(c(r$message, sprintf("(after %s)", res$finish_steps)), collapse = " ")
  bi <- res$best
  res$start_rss[bi] <- res$rss
  res$start_status[bi] <- res$status
  res$start_iterations[bi] <- res$iterations
  res
}

# Newton polish (lse_control(), "Stopping"): a best fit that stopped at the iteration limit is
# crawling along a curved valley that the Gauss-Newton model J'J does not see (large residuals:
# the second-order term sum r_i H_i of the Hessian matters), typically towards a bound (a tanh
# expert or a gate turning into a step). Newton's method with the full Hessian follows it:
# stats::nlminb (PORT, trust region, box bounds) with the analytic gradient 2 J'W r and the
# Hessian by forward differences of that gradient, for at most about as many passes over the
# rows as the starts' LM iterations (polish_iterations()), in the coordinates and box of the fit
# on the standardised scale (with reciprocal output weights, s = 1 / c in place of each output
# weight c of a tanh expert, as core_fit() runs: a valley where c grows is then a straight ray);
# then Levenberg-Marquardt runs from the polished point (no restart), so that the fit's status,
# convergence and bound counts are those of the usual stopping rules. Kept only when its RSS is
# at most the fit's (otherwise `res` is returned unchanged). The best start's row in the
# per-start vectors is updated with it, and its iterations and evaluations (passes) count the
# polish: one pass per RSS or gradient, p more per Hessian.
newton_polish <- function(prob, res) {
  k <- prob$k
  recip <- prob$recip
  b <- prob$box
  # the fit's coordinates phi (s = 1 / c in place of the output weights c of tanh experts)
  to_theta <- if (recip) function(phi) from_reciprocal(phi, k, prob$d, prob$gate) else identity
  phi <- if (recip) to_reciprocal(res$theta, k, prob$d, prob$gate, prob$control$bound_output, prob$c_min) else res$theta
  phi <- pmin(pmax(phi, b$lower), b$upper)
  p <- length(phi)
  threads <- prob$control$threads
  adapt <- use_adapt_threads()
  passes <- 0
  obj <- function(t) {  # the RSS from the fused pass's fitted values
    passes <<- passes + 1
    f <- cpp_fitted(prob$x, to_theta(t), prob$expert, k, threads, prob$gate, use_simd(), adapt)
    v <- if (length(prob$w)) sum(prob$w * (prob$y - f)^2) else sum((prob$y - f)^2)
    if (is.finite(v)) v else Inf
  }
  gradient <- function(t) {  # 2 J'W r from the fused pass, in the fit's coordinates
    passes <<- passes + 1
    2 * cpp_normal_equations(prob$x, prob$y, prob$w, t, prob$expert, k, threads, prob$gate, use_simd(), recip,
                             adapt_threads = adapt)$Jtr
  }
  last <- list(t = NULL, g = NULL)  # nlminb asks for the gradient, then the Hessian, at a point
  grad <- function(t) {
    if (identical(t, last$t)) return(last$g)
    g <- gradient(t)
    last <<- list(t = t, g = g)
    g
  }
  hess <- function(t) {  # forward differences of the gradient
    g0 <- grad(t)
    H <- vapply(seq_len(p), function(i) {
      e <- 1e-6 * max(1, abs(t[i]))
      tp <- t
      tp[i] <- t[i] + e
      (gradient(tp) - g0) / e
    }, numeric(p))
    (H + t(H)) / 2
  }
  iter_max <- polish_iterations(res$start_iterations, p)
  # a failure of the polish (a non-finite gradient far out in the box) leaves the fit as it was
  o <- tryCatch(suppressWarnings(stats::nlminb(phi, obj, grad, hess, lower = b$lower, upper = b$upper,
                                               control = list(iter.max = iter_max, eval.max = 2L * iter_max,
                                                              rel.tol = 1e-15))),
                error = function(e) NULL)
  if (is.null(o) || !all(is.finite(o$par)) || !is.finite(o$objective) || o$objective > res$rss) return(res)
  r <- core_fit_one(prob, matrix(to_theta(o$par)))
  if (!is.finite(r$rss) || r$rss > res$rss) return(res)
  res$iterations <- res$iterations + o$iterations + r$iterations
  res$evaluations <- res$evaluations + passes + r$evaluations
  res$jacobians <- res$jacobians + r$jacobians
  adopt_finish(res, r, "a Newton polish")
}

# The Newton polish's iteration limit: about as many passes as the multistart and the search made
# (the LM iterations of all starts, each about a pass over the rows) over the passes of a Newton
# iteration (p + 2: the RSS, the gradient and p more for the Hessian), within 10 to 200.
polish_iterations <- function(start_iterations, p) {
  as.integer(min(200, max(10, sum(start_iterations, na.rm = TRUE) %/% (p + 2))))
}

# The most free parameters of a fit the Newton polish runs on (its Hessian costs p passes).
polish_max_params <- 200L
