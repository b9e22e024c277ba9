// lsmoe: Voronoi cells and Voronoi losses between mixing measures (Nguyen, Ho & Rinaldo 2024,
// arXiv:2402.02952, section 4 of the package's paper notes). Header-only; Eigen and the standard
// library only.
//
// A mixing measure G = sum_i exp(beta0_i) delta_{(beta1_i, eta_i)} is held in a Params
// (model.hpp): beta0 (k), beta1 (k x d), eta (q x k, column i = expert parameters of atom i).
// The atoms omega_i = (beta1_i, eta_i) live in R^{d+q} with the Euclidean distance.
#ifndef LSMOE_VORONOI_HPP
#define LSMOE_VORONOI_HPP

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>
#include <Eigen/Dense>
#include "experts.hpp"
#include "model.hpp"

namespace lsmoe {

// The common translation (t0, t1) added to every (beta0_i, beta1_i) of a fitted measure.
struct Shift {
  double t0 = 0.0;
  Eigen::VectorXd t1;  // d
};

// Voronoi cells of the true atoms: assignment[i] = j (0-based) when fitted atom i lies in cell
// A_j; members[j] = the fitted atoms of A_j in increasing order; dist(i, j) = ||omega_i - omega*_j||.
struct Cells {
  std::vector<int> assignment;
  std::vector<std::vector<int>> members;
  Eigen::MatrixXd dist;  // k x k*
};

enum class LossType { D1 = 1, D2 = 2 };

inline LossType loss_type_from_string(const std::string& s) {
  if (s == "D1") return LossType::D1;
  if (s == "D2") return LossType::D2;
  throw std::invalid_argument("unknown Voronoi loss type '" + s + "'");
}

struct VoronoiLoss {
  double value = 0.0;
  Eigen::VectorXd weight_term;     // k*: |sum_{i in A_j} exp(beta0_i) - exp(beta0*_j)|
  Eigen::VectorXd parameter_term;  // k*: the parameter part of the loss contributed by cell A_j
  Cells cells;
  Shift shift;                     // zero when not aligned
  bool aligned = false;
};

// Check that a measure is well formed (k >= 1, shapes, finite values).
inline void check_measure(const Params& G, const char* what) {
  const std::string w(what);
  const Eigen::Index k = G.beta0.size();
  if (k < 1) throw std::invalid_argument(w + ": a mixing measure needs at least one atom");
  if (G.beta1.rows() != k) throw std::invalid_argument(w + ": beta1 must have one row per atom");
  if (G.eta.cols() != k) throw std::invalid_argument(w + ": eta must have one column per atom");
  if (!G.beta0.allFinite() || !G.beta1.allFinite() || !G.eta.allFinite())
    throw std::invalid_argument(w + ": parameters must be finite");
}

inline void check_pair(const Params& G, const Params& G0) {
  check_measure(G, "G");
  check_measure(G0, "G0");
  if (G.beta1.cols() != G0.beta1.cols())
    throw std::invalid_argument("G and G0 must have the same input dimension d");
  if (G.eta.rows() != G0.eta.rows())
    throw std::invalid_argument("G and G0 must have the same number q of expert parameters");
}

// log(sum_i exp(v_i)) without overflow.
inline double log_sum_exp(const Eigen::VectorXd& v) {
  const double m = v.maxCoeff();
  return m + std::log((v.array() - m).exp().sum());
}

// Alignment shift (convention of the package): t0 makes the total weights equal,
//   sum_i exp(beta0_i + t0) = sum_j exp(beta0*_j),
// t1 makes the weight-averaged gating slopes equal,
//   sum_i w_i (beta1_i + t1) = sum_j w*_j beta1*_j,  w = softmax(beta0), w* = softmax(beta0*).
inline Shift alignment_shift(const Params& G, const Params& G0) {
  check_pair(G, G0);
  Shift s;
  const double lse = log_sum_exp(G.beta0), lse0 = log_sum_exp(G0.beta0);
  s.t0 = lse0 - lse;
  const Eigen::VectorXd w = (G.beta0.array() - lse).exp().matrix();
  const Eigen::VectorXd w0 = (G0.beta0.array() - lse0).exp().matrix();
  s.t1 = (G0.beta1.transpose() * w0) / w0.sum() - (G.beta1.transpose() * w) / w.sum();
  return s;
}

inline Params apply_shift(const Params& G, const Shift& s) {
  Params out = G;
  out.beta0.array() += s.t0;
  for (Eigen::Index i = 0; i < out.beta1.rows(); ++i) out.beta1.row(i) += s.t1.transpose();
  return out;
}

// Voronoi cells A_j = { i : ||omega_i - omega*_j|| <= ||omega_i - omega*_l|| for all l }. A fitted
// atom equidistant from several true atoms goes to the lowest j (convention). Distances are
// compared through their squares, which orders them identically in exact arithmetic.
inline Cells voronoi_cells(const Params& G, const Params& G0) {
  check_pair(G, G0);
  const int k = static_cast<int>(G.beta0.size()), k0 = static_cast<int>(G0.beta0.size());
  Cells c;
  c.assignment.assign(k, 0);
  c.members.assign(k0, std::vector<int>());
  c.dist.resize(k, k0);
  for (int i = 0; i < k; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (int j = 0; j < k0; ++j) {
      const double d2 = (G.beta1.row(i) - G0.beta1.row(j)).squaredNorm() + (G.eta.col(i) - G0.eta.col(j)).squaredNorm();
      c.dist(i, j) = std::sqrt(d2);
      if (d2 < best) {  // strict: ties keep the lowest j
        best = d2;
        c.assignment[i] = j;
      }
    }
    c.members[c.assignment[i]].push_back(i);
  }
  return c;
}

// Blocks of the expert parameter eta used by the D2 loss: ridge experts split eta = (a, b[, c])
// into a (d entries), b (1) and, with an output weight, c (1); the constant expert has the single
// block b. Returns the block sizes, which sum to q.
inline std::vector<int> eta_blocks(const Expert& e) {
  if (!e.ridge()) return {1};
  std::vector<int> b{e.d, 1};
  if (e.output_weight) b.push_back(1);
  return b;
}

// Sum over blocks of ||block of v||^r.
inline double block_power_sum(const Eigen::VectorXd& v, const std::vector<int>& blocks, double r) {
  double s = 0.0;
  Eigen::Index start = 0;
  for (int len : blocks) {
    s += std::pow(v.segment(start, len).norm(), r);
    start += len;
  }
  return s;
}

// Voronoi loss of a fitted G against the true G0.
//   D1: cells with one atom contribute exp(beta0_i) (||dbeta1|| + ||deta||), cells with several
//       atoms sum exp(beta0_i) (||dbeta1||^2 + ||deta||^2);
//   D2 (r >= 1): every cell sums exp(beta0_i) (||dbeta1||^r + sum_blocks ||deta_block||^r);
// plus, for both, the weight terms |sum_{i in A_j} exp(beta0_i) - exp(beta0*_j)| of every true atom
// (an empty cell contributes exp(beta0*_j)). With align = true, G is first shifted by
// alignment_shift(G, G0), and the cells and the loss are computed at the shifted G.
inline VoronoiLoss voronoi_loss(const Params& G_in, const Params& G0, LossType type, double r,
                                const std::vector<int>& blocks, bool align) {
  check_pair(G_in, G0);
  const int q = static_cast<int>(G0.eta.rows());
  if (std::accumulate(blocks.begin(), blocks.end(), 0) != q)
    throw std::invalid_argument("the expert parameter blocks must add up to q");
  for (int len : blocks)
    if (len < 1) throw std::invalid_argument("expert parameter blocks must be non-empty");
  if (type == LossType::D2 && !(std::isfinite(r) && r >= 1.0)) throw std::invalid_argument("r must be a finite number >= 1");
  VoronoiLoss L;
  L.aligned = align;
  if (align) {
    L.shift = alignment_shift(G_in, G0);
  } else {
    L.shift.t0 = 0.0;
    L.shift.t1 = Eigen::VectorXd::Zero(G_in.beta1.cols());
  }
  const Params G = align ? apply_shift(G_in, L.shift) : G_in;
  L.cells = voronoi_cells(G, G0);
  const int k0 = static_cast<int>(G0.beta0.size());
  L.weight_term.resize(k0);
  L.parameter_term.resize(k0);
  for (int j = 0; j < k0; ++j) {
    const std::vector<int>& A = L.cells.members[j];
    double wsum = 0.0, par = 0.0;
    for (int i : A) {
      const double w = std::exp(G.beta0[i]);
      wsum += w;
      const double db1 = (G.beta1.row(i) - G0.beta1.row(j)).norm();
      const Eigen::VectorXd deta = G.eta.col(i) - G0.eta.col(j);
      if (type == LossType::D1) {
        const double de = deta.norm();
        par += A.size() > 1 ? w * (db1 * db1 + de * de) : w * (db1 + de);
      } else {
        par += w * (std::pow(db1, r) + block_power_sum(deta, blocks, r));
      }
    }
    L.weight_term[j] = std::abs(wsum - std::exp(G0.beta0[j]));
    L.parameter_term[j] = par;
  }
  L.value = L.weight_term.sum() + L.parameter_term.sum();
  if (!std::isfinite(L.value)) throw std::invalid_argument("the Voronoi loss is not finite: the weights exp(beta0) overflow");
  return L;
}

}  // namespace lsmoe

#endif
