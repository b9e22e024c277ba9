# The one call of the C++ Levenberg-Marquardt multistart (cpp_lse_fit, lsmoe::fit_multi) that
# every stage of the fit makes (fit.R).

# Fits the starts (p x S, packed theta on the problem's scale) of the problem `prob`
# (fit_problem()) within its box: with more starts than n_finish, each runs screen_iter iterations
# on the rows `screen`, then (with `refine` rows) on those, and the best n_finish are finished on
# all rows (lse_control(), "Screening"); a best fit stopped at the iteration limit runs once more
# when `restart`. With reciprocal output weights (prob$recip) the starts are mapped to the fit's
# coordinates and the estimates back. Returns cpp_lse_fit's list with `theta` in theta coordinates
# and `bound_flags` (free parameters on a bound of the box the fit ran in, computed by the core).
# race > 0: the starts finished on all rows run as a race in rungs of race, 2 race, ... iterations,
# the better half of the unfinished ones going on after each rung (lsmoe::fit_multi).
core_fit <- function(prob, starts, n_finish, restart = prob$control$restart, screen = integer(0), refine = integer(0),
                     race = 0L) {
  if (prob$recip) starts <- to_reciprocal(starts, prob$k, prob$d, prob$gate, prob$control$bound_output, prob$c_min)
  b <- prob$box
  starts <- pmin(pmax(starts, b$lower), b$upper)
  ctl <- prob$control
  ctl$n_finish <- as.integer(n_finish)
  ctl$restart <- restart
  ctl$race_iter <- as.integer(race)
  ctl$adapt_threads <- use_adapt_threads()
  ctl$progress <- prob$progress$hook  # NULL (no element) without progress (fit-progress.R)
  res <- cpp_lse_fit(prob$x, prob$y, as.numeric(prob$w), prob$expert, prob$k, starts, b$lower, b$upper, ctl,
                     screen, refine, prob$gate, use_simd(), prob$recip)
  if (!is.null(prob$progress)) prob$progress$add(sum(res$start_iterations))
  if (prob$recip) {
    res$theta <- from_reciprocal(res$theta, prob$k, prob$d, prob$gate)
    res$params <- NULL  # holds s = 1 / c: not used
  }
  res
}

# One start fitted as the multistart fits its starts, without the restart.
core_fit_one <- function(prob, start) core_fit(prob, start, n_finish = 1L, restart = FALSE)

# Free parameters of theta on a bound of the box b (within a relative 1e-4 of a finite bound: the
# core's rule, lsmoe::Bounds::on_bound()).
on_bound_flags <- function(theta, b) cpp_bound_flags(theta, b$lower, b$upper)

# Whether the fused pass may run on its AVX2 build: options(lsmoe.simd); when unset, the
# environment variable LSMOE_SIMD ("true"/"false", also "1"/"0", "yes"/"no"); else TRUE (see the
# package documentation, "Package options").
use_simd <- function() {
  opt <- getOption("lsmoe.simd")
  if (is.null(opt)) return(simd_env_default())
  check_flag(opt, "lsmoe.simd")
}

# Whether a pass may use fewer threads than lse_control(threads) when the machine has fewer free
# cores (lsmoe/threads.hpp): options(lsmoe.adapt_threads), TRUE when unset (see the package
# documentation, "Package options").
use_adapt_threads <- function() {
  opt <- getOption("lsmoe.adapt_threads")
  if (is.null(opt)) TRUE else check_flag(opt, "lsmoe.adapt_threads")
}

# The default of options(lsmoe.simd) from the environment variable LSMOE_SIMD: TRUE when unset or
# empty; a classed error for a value that is not a truth value.
simd_env_default <- function() {
  v <- Sys.getenv("LSMOE_SIMD", "")
  if (!nzchar(v)) return(TRUE)
  flag <- switch(tolower(trimws(v)), "true" = , "1" = , "yes" = TRUE, "false" = , "0" = , "no" = FALSE, NA)
  if (is.na(flag)) {
    lsmoe_abort(sprintf("The environment variable LSMOE_SIMD must be \"true\" or \"false\" (or 1/0, yes/no), not \"%s\".", v),
                arg = "LSMOE_SIMD")
  }
  flag
}

# The first rung of a race (core_fit(race =)): iterations of every start before the worse half of
# those still running is dropped.
race_iter <- 25L

# The C++ fit's status code for a fit stopped by the iteration limit (lsmoe::Status).
status_iteration_limit <- 10L
# A refit (a perturbed start, another anchoring) replaces the best fit when its RSS is smaller by
# more than this relative amount.
rss_improvement <- 1e-9
# Optima whose RSS differ by more than this relative amount are distinct (perturbation chains).
rss_distinct <- 1e-6
