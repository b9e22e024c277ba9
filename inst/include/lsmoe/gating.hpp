// lsmoe: the gates (softmax or sigmoid) and the softmax, computed with log-sum-exp.
#ifndef LSMOE_GATING_HPP
#define LSMOE_GATING_HPP

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <Eigen/Dense>
#include "experts.hpp"

namespace lsmoe {

// softmax: g_j = softmax_j(beta0 + beta1 x), the last component anchored (layout.hpp);
// sigmoid: g_j = sigmoid(beta0_j + beta1_j' x), one gate per expert, all free.
enum class GateKind { softmax = 0, sigmoid = 1 };

inline GateKind gate_from_string(const std::string& s) {
  if (s == "softmax") return GateKind::softmax;
  if (s == "sigmoid") return GateKind::sigmoid;
  throw std::invalid_argument("unknown gate '" + s + "'");
}

// Logits z_j = beta0_j + beta1_j' x for one observation, written to z (length k).
inline void gate_logits(const XRow& x, const Eigen::VectorXd& beta0, const Eigen::MatrixXd& beta1, double* z) {
  const int k = static_cast<int>(beta0.size());
  const int d = static_cast<int>(beta1.cols());
  for (int j = 0; j < k; ++j) {
    double s = beta0[j];
    for (int u = 0; u < d; ++u) s += beta1(j, u) * x[u];
    z[j] = s;
  }
}

// Replace logits z (length k) by softmax probabilities, subtracting the maximum first so that
// no exponential overflows: softmax_j(z) = exp(z_j - m) / sum_l exp(z_l - m), m = max_l z_l.
inline void softmax_inplace(double* z, int k) {
  double m = -std::numeric_limits<double>::infinity();
  for (int j = 0; j < k; ++j) if (z[j] > m) m = z[j];
  if (std::isinf(m)) {
    // +Inf logits share the gate equally; if every logit is -Inf the gate is uniform
    int count = 0;
    for (int j = 0; j < k; ++j) count += (z[j] == m);
    for (int j = 0; j < k; ++j) z[j] = (z[j] == m) ? 1.0 / count : 0.0;
    return;
  }
  double s = 0.0;
  for (int j = 0; j < k; ++j) { z[j] = std::exp(z[j] - m); s += z[j]; }
  const double inv = 1.0 / s;
  for (int j = 0; j < k; ++j) z[j] *= inv;
}

}  // namespace lsmoe

#endif
