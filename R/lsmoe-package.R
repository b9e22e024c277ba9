#' lsmoe: least squares estimation in softmax-gated mixtures of experts
#'
#' Fits the regression function
#' \deqn{f_G(x) = \sum_{i=1}^k \mathrm{softmax}_i(\beta_{11}^\top x + \beta_{01}, \dots,
#'   \beta_{1k}^\top x + \beta_{0k})\, h(x, \eta_i)}{f_G(x) = sum_i softmax_i(beta_1i' x + beta_0i) h(x, eta_i)}
#' by least squares ([moe_lse()]), with expert families such as [expert_sigmoid()] and
#' [expert_linear()], in a header-only C++ core (`inst/include/lsmoe`).
#'
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. *Proceedings of the 41st International Conference on Machine Learning*,
#' PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @keywords internal
#' @useDynLib lsmoe, .registration = TRUE
#' @importFrom Rcpp sourceCpp
#' @importFrom stats coef fitted residuals predict nobs deviance logLik simulate
#' @importFrom graphics plot
"_PACKAGE"

# ggplot2 (Suggests) is called with the .data pronoun.
utils::globalVariables(".data")
