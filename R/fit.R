# The fit behind moe_lse() and moe_lse_fit(), as a pipeline of named stages around one problem
# object built once (each stage in its own file):
#
#   moe_lse() / moe_lse_fit()   model frame or matrix inputs, checked         moe_lse.R
#   fit_weighted()              rows of zero weight set aside                  moe_lse.R
#   moe_fit()                   this pipeline:
#     moe_problem()             checks, standardisation, layout, boxes         fit-problem.R
#     search_starts()           the starts and the multistart                  fit-multistart.R
#     search_perturb()          the perturbation search                        fit-perturb.R
#     finish_fit()              re-anchoring and the Newton polish             fit-finish.R
#     moe_fit_object()          the moe_lse object on the user's scale         fit-object.R
#   fit_progress()              progress of a long fit (progressr)            fit-progress.R
#
# Every stage that runs the C++ Levenberg-Marquardt calls core_fit() (fit-core.R). No stage edits
# the control it was given; what the finishing steps did is the field `finish_steps`.

# x (n x d), y (n), w (n positive weights, or numeric(0) for an unweighted fit): rows with zero
# weight never reach it (see fit_weighted()). Returns a moe_lse object without call.
moe_fit <- function(x, y, w, k, expert, start, control, gate = gate_softmax()) {
  prob <- moe_problem(x, y, w, k, expert, start, control, gate)
  prob$progress <- fit_progress()  # NULL with options(lsmoe.progress = FALSE)
  if (!is.null(prob$progress)) on.exit(prob$progress$close(), add = TRUE)
  res <- search_starts(prob)
  if (is.null(prob$start) && prob$control$n_perturb > 0) {
    if (!is.null(prob$progress)) prob$progress$stage(2L)
    res <- search_perturb(prob, res)
  }
  if (!is.null(prob$progress)) prob$progress$stage(3L)
  res <- finish_fit(prob, res)
  if (!is.null(prob$progress)) prob$progress$done()
  # the data on the fitting scale are not needed any more: freed before the fitted values exist
  prob$x <- prob$y <- NULL
  collect_garbage(length(prob$rows), full = TRUE)  # they have outlived the young generation
  moe_fit_object(prob, res)
}
