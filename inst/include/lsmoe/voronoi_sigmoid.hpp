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
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include <Eigen/Dense>
#include "experts.hpp"
#include "model.hpp"
#include "voronoi.hpp"

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

// The Voronoi loss of G against the reference G0 (the truth G* for D1 and D2, G-bar for D3):
//   D1 = sum_j |sum_{i in A_j} s(beta0_i) - s(beta0*_j)|
//        + sum_{j: |A_j| > 1} sum_{i in A_j} (||dbeta1_ij||^2 + ||deta_ij||^2)
//        + sum_{j: |A_j| = 1} sum_{i in A_j} (||dbeta1_ij|| + ||deta_ij||),        s = sigmoid;
//   D2 = the same weight terms + sum_j sum_{i in A_j} (||dbeta1_ij||^r + sum_blocks ||deta_ij,block||^r)
//        (blocks a, b[, c] of eta, see eta_blocks(); beta0 enters through the weight terms only:
//        in a cell of several atoms the intercepts are not identified one by one, only the sum of
//        their weights, so a |dbeta0|^r term would stay away from 0 as G -> G*);
//   D3 = sum_j sum_{i in A_j} (|beta0_i - beta0*_j| + ||dbeta1_ij|| + ||deta_ij||), no weight terms.
// An empty cell contributes its weight term s(beta0*_j) to D1 and D2, nothing to D3.
inline SigmoidLoss voronoi_loss_sigmoid(const Params& G, const Params& G0, SigmoidLossType type, double r,
                                        const std::vector<int>& blocks) {
  // shapes, finiteness, blocks and r: the checks of the softmax losses (voronoi.hpp)
  check_loss_args(G, G0, type == SigmoidLossType::D2 ? LossType::D2 : LossType::D1, r, blocks);
  const int k0 = static_cast<int>(G0.beta0.size());
  SigmoidLoss L;
  Cells cells = voronoi_cells(G, G0);  // the cells of the softmax losses (no alignment)
  L.assignment = std::move(cells.assignment);
  L.members = std::move(cells.members);
  L.dist = std::move(cells.dist);
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
      case SigmoidLossType::D2:
        par += std::pow(db1, r) + block_power_sum(deta, blocks, r);
        break;
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
