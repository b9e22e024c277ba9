# Stage 3 of the fit (fit.R): the perturbation search (lse_control(), "Perturbation search"),
# after generated starts.

# Chains of rounds of n_perturb starts, each the chain's best fit so far with one component's
# gate, expert or both drawn anew (perturb_theta()), run like the multistart's starts (on data
# with more than screen_rows rows: screened on the multistart's subsamples, drawn now if it had
# none, and the best perturb_finish_screened (1 on data with more than refine_rows rows) run on as
# core_fit() runs screened starts; otherwise every one finished on all rows). A round's best fit
# replaces the chain's best when its RSS is smaller by more than a relative 1e-9; a chain stops
# after perturb_patience rounds in a row without such an improvement, or after 50 rounds. Chains start from the perturb_chains best distinct optima of the multistart (RSS apart
# by more than a relative 1e-6; a start's optimum is refitted from it, res$starts) when every
# start was finished on all rows, else from the best fit only. Returns `res` (search_starts()'s
# list) for the best fit of all chains, with every perturbed start appended to the per-start
# vectors (start_round: 0 for the multistart, r for round r of its chain; start_chain: 0 for the
# multistart, else the multistart start its chain began from) and `best` indexing them.
search_perturb <- function(prob, res) {
  ctl <- prob$control
  sub <- if (length(prob$rows) > ctl$screen_rows) if (is.null(res$subsamples)) draw_subsamples(prob) else res$subsamples
  # screened rounds finish perturb_finish_screened starts, 1 when there is a refining stage
  n_fin <- if (length(prob$rows) <= ctl$refine_rows) perturb_finish_screened else 1L
  sc <- prob_start_scales(prob)
  b <- prob$bounds
  per_start <- c("start_rss", "start_status", "start_iterations", "screen_rss", "refine_rss")
  best_fields <- c("theta", "rss", "iterations", "evaluations", "jacobians", "status", "message", "converged",
                   "on_bound", "bound_flags")
  from <- res$best
  if (is.null(sub) && ctl$perturb_chains > 1) {
    r0 <- res$start_rss
    for (i in order(r0)) {
      if (length(from) >= ctl$perturb_chains) break
      if (is.finite(r0[i]) && all(abs(r0[i] - r0[from]) > rss_distinct * pmax(r0[i], r0[from]))) from <- c(from, i)
    }
  }
  overall <- NULL
  for (s in from) {
    # a chain's origin refitted as the multistart fitted it (only the best start is restarted there)
    cur <- if (s == res$best) res[best_fields] else core_fit_one(prob, res$starts[, s, drop = FALSE])[best_fields]
    if (!is.finite(cur$rss)) next
    cur_best <- s
    reanchored <- NULL
    stale <- 0L
    round <- 0L
    while (stale < ctl$perturb_patience && round < perturb_max_rounds) {
      round <- round + 1L
      cand <- matrix(vapply(seq_len(ctl$n_perturb), function(i) perturb_theta(cur$theta, prob$x, prob$y, prob$k, prob$expert, sc, prob$gate),
                            numeric(prob$p)), nrow = prob$p)  # p x n_perturb, also for p = 1
      # within 90% of the bounds, as every start (make_starts())
      cand <- pmin(pmax(cand, 0.9 * b$lower), 0.9 * b$upper)
      # and the chain's best fit under its other anchorings, when its gate is on a bound (once
      # for each best fit: the refits from the same point are the same)
      if (!identical(cur$theta, reanchored) && reanchor_applies(ctl, prob$k, prob$d, prob$gate, cur$bound_flags)) {
        cand <- cbind(cand, reanchor_thetas(cur$theta, prob$k, prob$d, prob$q, b, prob$gate))
        reanchored <- cur$theta
      }
      r <- if (is.null(sub)) core_fit(prob, cand, ncol(cand)) else core_fit(prob, cand, n_fin, screen = sub$screen, refine = sub$refine)
      offset <- length(res$start_rss)
      for (nm in per_start) res[[nm]] <- c(res[[nm]], r[[nm]])
      res$start_round <- c(res$start_round, rep(round, length(r$start_rss)))
      res$start_chain <- c(res$start_chain, rep(s, length(r$start_rss)))
      if (is.finite(r$rss) && r$rss < cur$rss * (1 - rss_improvement)) {
        cur <- r[best_fields]
        cur_best <- offset + r$best
        stale <- 0L
      } else {
        stale <- stale + 1L
      }
    }
    if (is.null(overall) || cur$rss < overall$rss) {
      overall <- cur
      overall_best <- cur_best
    }
  }
  res[best_fields] <- overall
  res$best <- overall_best
  res
}

# The most rounds of one chain of the perturbation search.
perturb_max_rounds <- 50L

# The perturbed starts of a round finished on data with more than screen_rows rows and at most
# refine_rows (beyond, each would first be refined on refine_rows rows: 1, as the default fit's time
# at n = 1e5 and 1e6 asks; bench/NOTES.md).
perturb_finish_screened <- 3L
