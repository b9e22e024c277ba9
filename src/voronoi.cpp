// Thin glue between R and inst/include/lsmoe/voronoi.hpp and voronoi_sigmoid.hpp (one translation
// unit: the headers they share are compiled once). Never exported to users.
// Measures arrive in R's layout, beta0 (k), beta1 (k x d) and eta (k x q, one row per atom), and
// become lsmoe::Params through params_from_r() (glue.h).
#include "glue.h"
#include <lsmoe/voronoi_sigmoid.hpp>

// [[Rcpp::depends(RcppEigen)]]

namespace {

Rcpp::List cells_list(const lsmoe::Cells& c, const lsmoe::Shift& s) {
  const int k = static_cast<int>(c.assignment.size());
  const int k0 = static_cast<int>(c.members.size());
  Rcpp::IntegerVector assignment(k), size(k0);
  for (int i = 0; i < k; ++i) assignment[i] = c.assignment[i] + 1;
  for (int j = 0; j < k0; ++j) size[j] = static_cast<int>(c.members[j].size());
  return Rcpp::List::create(Rcpp::Named("assignment") = assignment, Rcpp::Named("size") = size,
                            Rcpp::Named("distance") = c.dist, Rcpp::Named("t0") = s.t0,
                            Rcpp::Named("t1") = s.t1);
}

}  // namespace

// [[Rcpp::export]]
Rcpp::List cpp_voronoi_cells(const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1,
                             const Eigen::Map<Eigen::MatrixXd> eta, const Eigen::Map<Eigen::VectorXd> beta0_star,
                             const Eigen::Map<Eigen::MatrixXd> beta1_star, const Eigen::Map<Eigen::MatrixXd> eta_star,
                             bool align) {
  const lsmoe::Params G = params_from_r(beta0, beta1, eta);
  const lsmoe::Params G0 = params_from_r(beta0_star, beta1_star, eta_star);
  lsmoe::check_pair(G, G0);
  lsmoe::Shift s;
  s.t1 = Eigen::VectorXd::Zero(beta1.cols());
  if (align) s = lsmoe::alignment_shift(G, G0);
  const lsmoe::Cells c = lsmoe::voronoi_cells(align ? lsmoe::apply_shift(G, s) : G, G0);
  return cells_list(c, s);
}

// align: "none", "moment" or "infimum" (bound_gate: the box of the infimum alignment).
// A loss that overflows comes back as list(overflow = TRUE, message = ...), for R to raise a
// classed error naming the argument; every other core exception becomes an R error.
// [[Rcpp::export]]
Rcpp::List cpp_voronoi_loss(const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1,
                            const Eigen::Map<Eigen::MatrixXd> eta, const Eigen::Map<Eigen::VectorXd> beta0_star,
                            const Eigen::Map<Eigen::MatrixXd> beta1_star, const Eigen::Map<Eigen::MatrixXd> eta_star,
                            Rcpp::List expert, std::string type, double r, std::string align, double bound_gate) {
  const lsmoe::Params G = params_from_r(beta0, beta1, eta);
  const lsmoe::Params G0 = params_from_r(beta0_star, beta1_star, eta_star);
  const lsmoe::Expert e = make_expert(expert, static_cast<int>(beta1_star.cols()));
  if (e.q() != eta_star.cols()) throw std::invalid_argument("eta does not match the expert family");
  lsmoe::VoronoiLoss L;
  try {
    L = lsmoe::voronoi_loss(G, G0, lsmoe::loss_type_from_string(type), r, lsmoe::eta_blocks(e),
                            lsmoe::align_from_string(align), bound_gate);
  } catch (const std::overflow_error& err) {
    return Rcpp::List::create(Rcpp::Named("overflow") = true, Rcpp::Named("message") = std::string(err.what()));
  }
  Rcpp::List out = cells_list(L.cells, L.shift);
  out["value"] = L.value;
  out["weight_term"] = L.weight_term;
  out["split_term"] = L.split_term;
  out["single_term"] = L.single_term;
  out["parameter_term"] = L.parameter_term;
  out["underflow"] = L.underflow;
  out["overflow"] = false;
  return out;
}

// [[Rcpp::export]]
Rcpp::List cpp_voronoi_loss_sigmoid(const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1,
                                    const Eigen::Map<Eigen::MatrixXd> eta, const Eigen::Map<Eigen::VectorXd> beta0_star,
                                    const Eigen::Map<Eigen::MatrixXd> beta1_star, const Eigen::Map<Eigen::MatrixXd> eta_star,
                                    Rcpp::List expert, std::string type, double r) {
  const lsmoe::Params G = params_from_r(beta0, beta1, eta);
  const lsmoe::Params G0 = params_from_r(beta0_star, beta1_star, eta_star);
  const lsmoe::Expert e = make_expert(expert, static_cast<int>(beta1_star.cols()));
  if (e.q() != eta_star.cols()) throw std::invalid_argument("eta does not match the expert family");
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
