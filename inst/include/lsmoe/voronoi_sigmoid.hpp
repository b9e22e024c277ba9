// lsmoe: Voronoi losses of sigmoid-gated mixing measures (Nguyen, Ho and Rinaldo 2024, "Sigmoid
// gating is more sample efficient than softmax gating in mixture of experts", arXiv:2405.13997;
// section 7 of the package's paper notes). Header-only; Eigen and the standard library only.
//
// A sigmoid-gated measure G = sum_i sigmoid(beta0_i) delta_{(beta1_i, eta_i)} is held in a Params
// (model.hpp): beta0 (k), beta1 (k x d), eta (q x k, column i = expert parameters of atom i). The
// gate has no translation invariance: no alignment. Cells A_j are those of the softmax losses:
// fitted atom i goes to the true atom j nearest in (beta1, eta) (Euclidean; ties to the lowest j).
#ifndef LSMOE_VORONOI_SIGMOID_HPP
#define LSMOE_VORONOI_SIGMOID_HPP

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>
#include <Eigen/Dense>
#include "experts.hpp"
#include "model.hpp"

namespace lsmoe {

enum class SigmoidLossType { D1 = 1, D2 = 2, D3 = 3 };

inline SigmoidLossType sigmoid_loss_type_from_string(const std::string& s) {
  if (s == "D1") return SigmoidLossType::D1;
  if (s == "D2") return SigmoidLossType::D2;
  if (s == "D3") return SigmoidLossType::D3;
  throw std::invalid_argument("unknown sigmoid-gate Voronoi loss type '" + s + "'");
}

struct SigmoidLoss {
  double value = 0.0;
  Eigen::VectorXd weight_term;     // k*: |sum_{i in A_j} sigmoid(beta0_i) - sigmoid(beta0*_j)| (0 for D3)
  Eigen::VectorXd parameter_term;  // k*: the parameter part contributed by cell A_j
  std::vector<int> assignment;     // k: cell of every fitted atom (0-based)
  std::vector<std::vector<int>> members;  // k*: fitted atoms of every cell, increasing
  Eigen::MatrixXd dist;            // k x k*: ||omega_i - omega*_j||
};

inline void check_sigmoid_measure(const Params& G, const char* what) {
  const std::string w(what);
  const Eigen::Index k = G.beta0.size();
  if (k < 1) throw std::invalid_argument(w + ": a mixing measure needs at least one atom");
  if (G.beta1.rows() != k) throw std::invalid_argument(w + ": beta1 must have one row per atom");
  if (G.eta.cols() != k) throw std::invalid_argument(w + ": eta must have one column per atom");
  if (!G.beta0.allFinite() || !G.beta1.allFinite() || !G.eta.allFinite())
    throw std::invalid_argument(w + ": parameters must be finite");
}

// Blocks of eta for the D2 loss: ridge experts (a: d entries, b: 1[, c: 1]); constant: (b).
inline std::vector<int> sigmoid_eta_blocks(const Expert& e) {
  if (!e.ridge()) return {1};
  std::vector<int> b{e.d, 1};
  if (e.output_weight) b.push_back(1);
  return b;
}

// The Voronoi loss of G against the reference G0 (the truth G* for D1 and D2, G-bar for D3):
//   D1 = sum_j |sum_{i in A_j} s(beta0_i) - s(beta0*_j)|
//        + sum_{j: |A_j| > 1} sum_{i in A_j} (||dbeta1_ij||^2 + ||deta_ij||^2)
//        + sum_{j: |A_j| = 1} sum_{i in A_j} (||dbeta1_ij|| + ||deta_ij||),        s = sigmoid;
//   D2 = the same weight terms + sum_j sum_{i in A_j} (||dbeta1_ij||^r + sum_blocks ||deta_ij,block||^r)
//        (blocks a, b[, c] of eta; beta0 enters through the weight terms, since the intercepts of
//        several atoms in one cell are not identified one by one, only their summed weights);
//   D3 = sum_j sum_{i in A_j} (|beta0_i - beta0*_j| + ||dbeta1_ij|| + ||deta_ij||), no weight terms.
// An empty cell contributes its weight term s(beta0*_j) to D1 and D2, nothing to D3.
inline SigmoidLoss voronoi_loss_sigmoid(const Params& G, const Params& G0, SigmoidLossType type, double r,
                                        const std::vector<int>& blocks) {
  check_sigmoid_measure(G, "G");
  check_sigmoid_measure(G0, "G0");
  if (G.beta1.cols() != G0.beta1.cols()) throw std::invalid_argument("G and G0 must have the same input dimension d");
  if (G.eta.rows() != G0.eta.rows()) throw std::invalid_argument("G and G0 must have the same number q of expert parameters");
  const int q = static_cast<int>(G0.eta.rows());
  int tot = 0;
  for (int len : blocks) {
    if (len < 1) throw std::invalid_argument("expert parameter blocks must be non-empty");
    tot += len;
  }
  if (tot != q) throw std::invalid_argument("the expert parameter blocks must add up to q");
  if (type == SigmoidLossType::D2 && !(std::isfinite(r) && r >= 1.0)) throw std::invalid_argument("r must be a finite number >= 1");
  const int k = static_cast<int>(G.beta0.size()), k0 = static_cast<int>(G0.beta0.size());
  SigmoidLoss L;
  L.assignment.assign(k, 0);
  L.members.assign(k0, std::vector<int>());
  L.dist.resize(k, k0);
  for (int i = 0; i < k; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (int j = 0; j < k0; ++j) {
      const double d2 = (G.beta1.row(i) - G0.beta1.row(j)).squaredNorm() + (G.eta.col(i) - G0.eta.col(j)).squaredNorm();
      L.dist(i, j) = std::sqrt(d2);
      if (d2 < best) {
        best = d2;
        L.assignment[i] = j;
      }
    }
    L.members[L.assignment[i]].push_back(i);
  }
  L.weight_term = Eigen::VectorXd::Zero(k0);
  L.parameter_term = Eigen::VectorXd::Zero(k0);
  for (int j = 0; j < k0; ++j) {
    const std::vector<int>& A = L.members[j];
    double wsum = 0.0, par = 0.0;
    for (int i : A) {
      wsum += sigmoid_stable(G.beta0[i]);
      const double db1 = (G.beta1.row(i) - G0.beta1.row(j)).norm();
      const Eigen::VectorXd deta = G.eta.col(i) - G0.eta.col(j);
      switch (type) {
      case SigmoidLossType::D1: {
        const double de = deta.norm();
        par += A.size() > 1 ? db1 * db1 + de * de : db1 + de;
        break;
      }
      case SigmoidLossType::D2: {
        double s = std::pow(db1, r);
        Eigen::Index start = 0;
        for (int len : blocks) {
          s += std::pow(deta.segment(start, len).norm(), r);
          start += len;
        }
        par += s;
        break;
      }
      case SigmoidLossType::D3:
        par += std::abs(G.beta0[i] - G0.beta0[j]) + db1 + deta.norm();
        break;
      }
    }
    if (type != SigmoidLossType::D3) L.weight_term[j] = std::abs(wsum - sigmoid_stable(G0.beta0[j]));
    L.parameter_term[j] = par;
  }
  L.value = L.weight_term.sum() + L.parameter_term.sum();
  if (!std::isfinite(L.value)) throw std::invalid_argument("the Voronoi loss is not finite");
  return L;
}

}  // namespace lsmoe

#endif
