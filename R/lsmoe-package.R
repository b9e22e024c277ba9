#' lsmoe: least squares estimation in softmax-gated mixtures of experts
#'
#' Fits the regression function
#' \deqn{f_G(x) = \sum_{i=1}^k \mathrm{softmax}_i(\beta_{11}^\top x + \beta_{01}, \dots,
#'   \beta_{1k}^\top x + \beta_{0k})\, h(x, \eta_i)}{f_G(x) = sum_i softmax_i(beta_1i' x + beta_0i) h(x, eta_i)}
#' by least squares ([moe_lse()]), with expert families such as [expert_sigmoid()] and
#' [expert_linear()], in a header-only C++ core (`inst/include/lsmoe`).
#'
#' @section Package options:
#' \describe{
#'   \item{`lsmoe.simd`}{`TRUE` (default) or `FALSE`. The fused pass over the observations
#'     (the model, residuals, \eqn{J^\top J}{J'J} and \eqn{J^\top r}{J'r} of every Levenberg-Marquardt
#'     iteration) exists in two builds: a portable one (SSE2 on x86-64) and, with GCC on
#'     x86-64, one for AVX2 and FMA, chosen at run time when the CPU has both. It is about
#'     twice as fast. `options(lsmoe.simd = FALSE)` forces the portable build. The two give
#'     the same fits up to rounding (FMA rounds once where the portable build rounds twice),
#'     not the same bits; either gives the same bits for any number of threads. A fit
#'     records the build it used in its component `kernel` (`"avx2"` or `"portable"`).
#'     When the option is unset, the environment variable `LSMOE_SIMD` gives its default
#'     (`"true"` or `"false"`, also `1`/`0`, `yes`/`no`; unset or empty: `TRUE`; any other
#'     value: an error of class `lsmoe_error_input` at the first fit), so that a whole run, e.g.
#'     `LSMOE_SIMD=false make test`, uses the portable build, as on a CPU without AVX2.}
#'   \item{`lsmoe.adapt_threads`}{`TRUE` (default) or `FALSE`. With `TRUE`, a pass over the
#'     observations uses at most as many threads as the machine has free cores at that moment
#'     (Linux; see `threads` in [lse_control()]); `FALSE` uses exactly `lse_control(threads)`
#'     whatever the load. Results are the same bits either way. Another value is an error of
#'     class `lsmoe_error_input` at the first fit.}
#'   \item{`lsmoe.progress`}{`TRUE` (default) or `FALSE`. A fit ([moe_lse()], [moe_lse_fit()])
#'     that runs longer than `lsmoe.progress_after` seconds reports its progress through
#'     \pkg{progressr}: one step per stage (the multistart, the perturbation search, the
#'     finishing) and, at most four times a second, a message with the stage, the
#'     Levenberg-Marquardt iterations so far and the seconds. Nothing shows unless progress is
#'     enabled, e.g. `progressr::with_progress(fit <- moe_lse(...))` or
#'     `progressr::handlers(global = TRUE)`. Reporting never changes a fit. `FALSE` turns it
#'     off; another value is an error of class `lsmoe_error_input` at the first fit.}
#'   \item{`lsmoe.progress_after`}{Seconds, one number >= 0 (default 2): a fit reports progress
#'     only once it has run this long, so that short fits, and loops of them, stay silent.
#'     Another value is an error of class `lsmoe_error_input` at the first fit.}
#' }
#' The options travel with the work: [rate_study()], [moe_cv()] and `confint(method = "boot")` pass the
#' session's `lsmoe.*` options (with `lsmoe.simd` as resolved above) to each task on
#' [future.apply::future_lapply()] workers, which set them for the task's duration, so that
#' a multisession or cluster run computes what a sequential one does. The progress options are
#' not sent: the fits of a task show no progress of their own (the study reports one step per
#' task).
#'
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. *Proceedings of the 41st International Conference on Machine Learning*,
#' PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @keywords internal
#' @useDynLib lsmoe, .registration = TRUE
#' @importFrom Rcpp sourceCpp
#' @importFrom stats coef fitted residuals predict nobs deviance logLik simulate hatvalues rstandard cooks.distance
#' @importFrom graphics plot
"_PACKAGE"

# ggplot2 (Suggests) is called with the .data pronoun.
utils::globalVariables(".data")
