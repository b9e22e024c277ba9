// Helpers shared by the glue files: turn R objects into the core's types.
#ifndef LSMOE_GLUE_H
#define LSMOE_GLUE_H

#include <RcppEigen.h>
#include <lsmoe/lsmoe.hpp>

// An expert family from its R description list(name, degree, output_weight).
inline lsmoe::Expert make_expert(const Rcpp::List& expert, int d) {
  return lsmoe::Expert(lsmoe::family_from_string(Rcpp::as<std::string>(expert["name"])),
                       Rcpp::as<int>(expert["degree"]), Rcpp::as<bool>(expert["output_weight"]), d);
}

// A mixing measure from R's layout: beta0 (k), beta1 (k x d) and eta (k x q, one row per atom).
// The core (lsmoe::Params) holds eta as q x k, one column per atom; the glue transposes it here, in
// one place, so that R never transposes eta for C++ and C++ never for R.
inline lsmoe::Params params_from_r(const Eigen::Map<Eigen::VectorXd>& beta0, const Eigen::Map<Eigen::MatrixXd>& beta1,
                                   const Eigen::Map<Eigen::MatrixXd>& eta) {
  return lsmoe::Params{beta0, beta1, eta.transpose()};
}

// lsmoe::Params back to R's layout: list(beta0, beta1, eta), eta k x q.
inline Rcpp::List params_to_r(const lsmoe::Params& P) {
  return Rcpp::List::create(Rcpp::Named("beta0") = P.beta0, Rcpp::Named("beta1") = P.beta1,
                            Rcpp::Named("eta") = Eigen::MatrixXd(P.eta.transpose()));
}

#endif
