# Progress of a long fit (issue 27), signalled through progressr: nothing shows unless the user
# wraps the call in progressr::with_progress() or sets progressr::handlers(global = TRUE).
#
# The C++ multistart calls `hook(iterations)` (src/glue.cpp, ProgressHook) at most every 250 ms
# of wall time with the Levenberg-Marquardt iterations of the current core_fit() call. Nothing is
# signalled for a fit that ends within getOption("lsmoe.progress_after", 2) seconds; after that a
# progressor with one step per stage (the multistart, the perturbation search, the finishing) is
# created (done() ends it, or close(), which moe_fit() calls on exit, also after an error) and
# every hook call updates its message: the stage, the iterations of the fit so far and the
# seconds. With
# options(lsmoe.progress = FALSE) (set by rate_study() and moe_cv() for the fits of their tasks)
# there is no hook at all. Reporting never changes a fit: every signal runs with the random
# number generator's state saved and restored (loading progressr on first use, or a user's
# handler, may draw random numbers, and the perturbation search draws its starts after the
# multistart has reported).
fit_progress <- function() {
  on <- getOption("lsmoe.progress", TRUE)
  if (!(isTRUE(on) || isFALSE(on))) {
    lsmoe_abort("`options(lsmoe.progress =)` must be TRUE or FALSE.", class = "lsmoe_error_input")
  }
  if (!on) return(NULL)
  after <- getOption("lsmoe.progress_after", 2)
  if (!is.numeric(after) || length(after) != 1 || is.na(after) || after < 0) {
    lsmoe_abort("`options(lsmoe.progress_after =)` must be one number of seconds >= 0.", class = "lsmoe_error_input")
  }
  st <- new.env(parent = emptyenv())
  st$t0 <- proc.time()[["elapsed"]]
  st$p <- NULL
  st$stage <- 1L
  st$base <- 0  # iterations of the finished core_fit() calls
  st$closed <- FALSE
  stages <- c("multistart", "perturbation search", "finishing")
  message_now <- function(iterations) {
    sprintf("lsmoe fit, %s: %s iterations, %.0f s", stages[st$stage], format(st$base + iterations, big.mark = ","),
            proc.time()[["elapsed"]] - st$t0)
  }
  list(
    # called from C++ with the iterations of the current core_fit() call
    hook = function(iterations) {
      if (is.null(st$p)) {
        if (proc.time()[["elapsed"]] - st$t0 < after) return(invisible(NULL))
        with_rng_kept({
          st$p <- progressr::progressor(steps = length(stages), on_exit = FALSE)
          if (st$stage > 1L) st$p(amount = st$stage - 1L, message = message_now(iterations))
        })
      }
      with_rng_kept(st$p(amount = 0, message = message_now(iterations)))
      invisible(NULL)
    },
    # after each core_fit() call: its iterations, all starts
    add = function(iterations) st$base <- st$base + iterations,
    # the next stage begins (2: the perturbation search, 3: the finishing)
    stage = function(i) {
      if (!is.null(st$p) && i > st$stage) with_rng_kept(st$p(amount = i - st$stage, message = message_now(0)))
      st$stage <- max(st$stage, i)
    },
    # the fit is done: the last step, then the progressor's end
    done = function() {
      if (!is.null(st$p) && !st$closed) {
        with_rng_kept({
          st$p(amount = length(stages) + 1L - st$stage, message = message_now(0))
          st$p(type = "finish")
        })
      }
      st$closed <- TRUE
    },
    # on the exit of moe_fit(): finishes a progressor that done() did not (an error, an interrupt)
    close = function() {
      if (!is.null(st$p) && !st$closed) with_rng_kept(st$p(type = "finish"))
      st$closed <- TRUE
    }
  )
}

# Evaluates `expr` and restores the random number generator's state (.Random.seed in the global
# environment, or its absence) as it was before.
with_rng_kept <- function(expr) {
  genv <- globalenv()
  old <- if (exists(".Random.seed", envir = genv, inherits = FALSE)) get(".Random.seed", envir = genv) else NULL
  on.exit({
    if (is.null(old)) {
      if (exists(".Random.seed", envir = genv, inherits = FALSE)) rm(".Random.seed", envir = genv)
    } else {
      assign(".Random.seed", old, envir = genv)
    }
  }, add = TRUE)
  expr
}
