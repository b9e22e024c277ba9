// Thin glue between R and inst/include/lsmoe/identifiability.hpp (the strong-identifiability check in
// double and high precision). Never exported to users. The check's steps in both precisions (150 and 300
// bits, in one number type) are compiled here, their arithmetic in multiprecision.cpp
// (identifiability_mp.h).
// It includes experts.hpp rather than glue.h (all of lsmoe.hpp), which would add about 8 s of compile time.
#include <RcppEigen.h>
#include <lsmoe/experts.hpp>
#include "identifiability_mp.h"

// [[Rcpp::depends(RcppEigen, BH)]]

template class lsmoe::mp::either<lsmoe_glue::ident_lo_bits, lsmoe_glue::ident_hi_bits>;

namespace lsmoe {
template IdentFamily ident_family<lsmoe_glue::IdentMp>(const Expert&, const MatRef&, const MatRef&, int,
                                                       MatT<lsmoe_glue::IdentMp>*, const IdentGate&);
template MatT<lsmoe_glue::IdentMp> ident_matrix<lsmoe_glue::IdentMp>(const Expert&, const MatRef&, const MatRef&,
                                                                     const IdentFamily&, const IdentGate&);
template IdentSpectrum ident_spectrum<lsmoe_glue::IdentMp>(MatT<lsmoe_glue::IdentMp>, const IdentFamily&, int, double,
                                                           double, bool);
}  // namespace lsmoe

namespace {

// An expert family from its R description list(name, degree, output_weight), as make_expert() in glue.h.
lsmoe::Expert ident_expert(const Rcpp::List& expert, int d) {
  return lsmoe::Expert(lsmoe::family_from_string(Rcpp::as<std::string>(expert["name"])),
                       Rcpp::as<int>(expert["degree"]), Rcpp::as<bool>(expert["output_weight"]), d);
}

Rcpp::List spectrum_list(const lsmoe::IdentSpectrum& s) {
  if (s.bits == 0) return Rcpp::List::create(Rcpp::Named("bits") = 0);
  return Rcpp::List::create(Rcpp::Named("bits") = s.bits, Rcpp::Named("singular_values") = Rcpp::wrap(s.sv),
                            Rcpp::Named("ratio") = s.ratio, Rcpp::Named("any_zero") = s.any_zero);
}

// The gate from R: "softmax" or "sigmoid", the regime (1 or 2), beta0 (length k) and beta1 (d x k).
lsmoe::IdentGate ident_gate(const std::string& gate, int regime, const Eigen::Map<Eigen::VectorXd>& beta0,
                            const Eigen::Map<Eigen::MatrixXd>& beta1) {
  lsmoe::IdentGate g;
  if (gate == "softmax") return g;
  if (gate != "sigmoid") throw std::invalid_argument("unknown gate");
  g.kind = lsmoe::IdentGateKind::sigmoid;
  g.regime = regime;
  g.beta0 = beta0;
  g.beta1 = beta1;
  return g;
}

}  // namespace

// x: n x d points; eta: k x q, one row per atom (R's layout; the core takes q x k). Returns the verdict,
// the term structure, the spectra in double, 150 and 300 bits, and the relations (named coefficient
// vectors) from the 300-bit null space.
// gate: "softmax" or "sigmoid"; regime, beta0 (length k) and beta1 (d x k) are read for the sigmoid gate only.
// [[Rcpp::export]]
Rcpp::List cpp_identifiability(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::MatrixXd> eta,
                               Rcpp::List expert, int order, bool prescreen, std::string gate, int regime,
                               const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1) {
  const lsmoe::Expert e = ident_expert(expert, static_cast<int>(x.cols()));
  lsmoe::IdentControl ctl;
  ctl.order = order;
  ctl.prescreen = prescreen;
  const lsmoe::IdentGate g = ident_gate(gate, regime, beta0, beta1);
  const Eigen::MatrixXd eta_core = eta.transpose();
  const lsmoe::IdentResult r = lsmoe::check_strong_identifiability<lsmoe_glue::ident_lo_bits, lsmoe_glue::ident_hi_bits>(
      e, eta_core, x, ctl, g);
  const lsmoe::IdentFamily& F = r.family;
  Rcpp::CharacterVector terms(F.col_name.begin(), F.col_name.end());
  const std::size_t nm = F.merged.size();
  Rcpp::IntegerVector m_atom(nm);
  Rcpp::CharacterVector m_term(nm), m_kept(nm);
  Rcpp::NumericVector m_factor(nm);
  for (std::size_t i = 0; i < nm; ++i) {
    m_atom[i] = F.merged[i].atom + 1;
    m_term[i] = F.merged[i].term;
    m_kept[i] = F.merged[i].kept;
    m_factor[i] = F.merged[i].factor;
  }
  // zero terms: in the highest precision computed
  const lsmoe::IdentSpectrum& top = r.hi.bits ? r.hi : r.dbl;
  Rcpp::CharacterVector zero_terms;
  for (std::size_t c = 0; c < top.zero.size(); ++c)
    if (top.zero[c]) zero_terms.push_back(F.col_name[c]);
  Rcpp::List relations(r.hi.relations.size());
  for (std::size_t l = 0; l < r.hi.relations.size(); ++l) {
    const lsmoe::IdentRelation& rel = r.hi.relations[l];
    Rcpp::NumericVector v(rel.coef.begin(), rel.coef.end());
    Rcpp::CharacterVector nms(rel.cols.size());
    for (std::size_t i = 0; i < rel.cols.size(); ++i) nms[i] = F.col_name[rel.cols[i]];
    v.attr("names") = nms;
    relations[l] = v;
  }
  return Rcpp::List::create(
      Rcpp::Named("verdict") = lsmoe::verdict_name(r.verdict), Rcpp::Named("decided_by") = r.decided_by,
      Rcpp::Named("terms") = terms,
      Rcpp::Named("merged") = Rcpp::DataFrame::create(Rcpp::Named("atom") = m_atom, Rcpp::Named("term") = m_term,
                                                      Rcpp::Named("kept") = m_kept,
                                                      Rcpp::Named("stringsAsFactors") = false),
      Rcpp::Named("zero_terms") = zero_terms, Rcpp::Named("double") = spectrum_list(r.dbl),
      Rcpp::Named("lo") = spectrum_list(r.lo), Rcpp::Named("hi") = spectrum_list(r.hi),
      Rcpp::Named("threshold") = r.threshold_hi, Rcpp::Named("relations") = relations,
      Rcpp::Named("merged_factor") = m_factor);
}

// Every term of every atom, nothing merged, in double (sigmoid gate: the derivatives of F), with the names
// as columns names. For tests (finite differences) and inspection. eta: k x q, as in cpp_identifiability.
// [[Rcpp::export]]
Rcpp::NumericMatrix cpp_ident_columns(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::MatrixXd> eta,
                                      Rcpp::List expert, int order, std::string gate, int regime,
                                      const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1) {
  const lsmoe::Expert e = ident_expert(expert, static_cast<int>(x.cols()));
  if (eta.cols() != e.q() || eta.rows() < 1) throw std::invalid_argument("eta must be k x q");
  const Eigen::MatrixXd eta_core = eta.transpose();
  const lsmoe::IdentGate g = ident_gate(gate, regime, beta0, beta1);
  const Eigen::Index k = eta.rows();
  if (g.sigmoid() && (beta0.size() != k || (regime == 2 && (beta1.rows() != e.d || beta1.cols() != k))))
    throw std::invalid_argument("beta0 must have length k and beta1 must be d x k");
  std::vector<std::string> names;
  const Eigen::MatrixXd M = lsmoe::ident_all_columns<double>(e, eta_core, x, order, g, names);
  Rcpp::NumericMatrix out(M.rows(), M.cols());
  std::copy(M.data(), M.data() + M.size(), out.begin());
  Rcpp::colnames(out) = Rcpp::CharacterVector(names.begin(), names.end());
  return out;
}
