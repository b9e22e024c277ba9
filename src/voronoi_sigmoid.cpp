// Thin glue between R and inst/include/lsmoe/voronoi_sigmoid.hpp. Never exported to users.
// Measures arrive as beta0 (k), beta1 (k x d) and eta (q x k, one column per atom).
#include "glue.h"
#include <lsmoe/voronoi_sigmoid.hpp>

// [[Rcpp::depends(RcppEigen)]]

// [[Rcpp::export]]
Rcpp::List cpp_voronoi_loss_sigmoid(const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1,
                                    const Eigen::Map<Eigen::MatrixXd> eta, const Eigen::Map<Eigen::VectorXd> beta0_star,
                                    const Eigen::Map<Eigen::MatrixXd> beta1_star, const Eigen::Map<Eigen::MatrixXd> eta_star,
                                    Rcpp::List expert, std::string type, double r) {
  const lsmoe::Params G{beta0, beta1, eta};
  const lsmoe::Params G0{beta0_star, beta1_star, eta_star};
  const lsmoe::Expert e = make_expert(expert, static_cast<int>(beta1_star.cols()));
  if (e.q() != eta_star.rows()) throw std::invalid_argument("eta does not match the expert family");
  const lsmoe::SigmoidLoss L =
      lsmoe::voronoi_loss_sigmoid(G, G0, lsmoe::sigmoid_loss_type_from_string(type), r, lsmoe::eta_blocks(e));
  const int k = static_cast<int>(L.assignment.size()), k0 = static_cast<int>(L.members.size());
  Rcpp::IntegerVector assignment(k), size(k0);
  for (int i = 0; i < k; ++i) assignment[i] = L.assignment[i] + 1;
  for (int j = 0; j < k0; ++j) size[j] = static_cast<int>(L.members[j].size());
  return Rcpp::List::create(Rcpp::Named("value") = L.value, Rcpp::Named("weight_term") = L.weight_term,
                            Rcpp::Named("parameter_term") = L.parameter_term, Rcpp::Named("assignment") = assignment,
                            Rcpp::Named("size") = size, Rcpp::Named("distance") = L.dist);
}
