# Stage 2 of the fit (fit.R): the starts and the multistart. The start generators are in starts.R.

# The problem's starts: the given ones (prob$start, mapped to the fitting scale) or
# lse_control()'s n_starts generated ones (make_starts()); fitted by core_fit(). On data with more
# than n_finish starts, the starts are screened and refined on random subsamples of the rows of
# positive weight (draw_subsamples(), drawn after the starts); by default (n_finish NULL) every
# start is finished on data with at most screen_rows rows, else the best n_finish_screened (up to
# refine_rows rows) or n_finish_refined (more rows). Returns core_fit()'s list with `starts`
# (p x S), `subsamples` (the rows drawn, or NULL) and start_round, start_chain (0 for every start:
# see search_perturb()). Error of class lsmoe_error_input when every start gives a non-finite RSS.
search_starts <- function(prob) {
  ctl <- prob$control
  if (is.null(prob$start)) {
    starts <- make_starts(prob$x, prob$y, prob$k, prob$expert, ctl, prob$gate, prob_start_scales(prob))
  } else {
    starts <- vapply(prob$start, function(st) {
      st <- transform_params(st, prob$scales, prob$expert, inverse = TRUE)
      pack_theta(st$beta0, st$beta1, st$eta, prob$gate)
    }, numeric(prob$p))
  }
  starts <- matrix(starts, nrow = prob$p)
  n_finish <- if (is.null(ctl$n_finish)) {
    m <- length(prob$rows)
    if (m <= ctl$screen_rows) ncol(starts) else if (m <= ctl$refine_rows) n_finish_screened else n_finish_refined
  } else {
    ctl$n_finish
  }
  sub <- if (ncol(starts) > n_finish) draw_subsamples(prob)
  res <- if (is.null(sub)) core_fit(prob, starts, n_finish) else core_fit(prob, starts, n_finish, screen = sub$screen, refine = sub$refine)
  if (!is.finite(res$rss)) {
    lsmoe_abort("Every start gave a non-finite RSS: check `x` and `y` for extreme values.", arg = "x")
  }
  res$start_round <- res$start_chain <- integer(length(res$start_rss))
  res$starts <- starts
  res$subsamples <- sub
  res
}

# Random subsamples of the rows of positive weight for the screening (screen_rows rows) and
# refining (refine_rows rows, only when there are more) stages; all rows when there are fewer.
draw_subsamples <- function(prob) {
  rows <- prob$rows
  subsample <- function(m) as.integer(if (length(rows) > m) sort(rows[sample_index(length(rows), m)]) else rows)
  screen <- subsample(prob$control$screen_rows)
  refine <- if (length(rows) > prob$control$refine_rows) subsample(prob$control$refine_rows) else integer(0)
  list(screen = screen, refine = refine)
}

# The starts finished by default (lse_control(n_finish)) on data with more than screen_rows rows
# and at most refine_rows: the screen's ranking predicts poorly where a start ends
# (bench/simulated.R); on more rows, where a finish costs a pass over all of them per iteration,
# 3 keep the default fit within about 1 s at n = 1e5 and 10 s at 1e6 (10 took 2.5 times as long
# at 1e6 with linear experts; bench/NOTES.md).
n_finish_screened <- 10L
n_finish_refined <- 3L
