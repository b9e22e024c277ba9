# lsmoe's options on future workers (issue 30, item 4). Options are per R session: a multisession
# or cluster worker does not see the options() of the session that sent it a task, so each task
# carries them and sets them while it runs (rate_study(), confint(method = "boot")).

# The options to send with each task: every option named lsmoe.* set in this session, and
# lsmoe.simd as use_simd() resolves it (the option, else LSMOE_SIMD, else TRUE), so that a worker
# computes what this session would, whatever its own options and environment.
# Progress options are not sent (they never change a result, and the options are part of a
# checkpoint's key): a task's fits show no progress of their own (lsmoe.progress = FALSE,
# fit-progress.R); the study or cross-validation reports one step per task.
task_options <- function() {
  o <- options()
  o <- o[startsWith(names(o), "lsmoe.") & !startsWith(names(o), "lsmoe.progress")]
  o$lsmoe.simd <- use_simd()
  o$lsmoe.progress <- FALSE
  o[order(names(o))]
}

# Evaluates `expr` with the options `opts` (task_options() of the sending session) set, and
# restores the worker's own afterwards (options it did not have are removed again).
with_task_options <- function(opts, expr) {
  old <- options(opts)
  on.exit(options(old), add = TRUE)
  expr
}
