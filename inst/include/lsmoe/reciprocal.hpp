// lsmoe: the reciprocal output-weight coordinates of output-weighted tanh experts, as a wrapper
// around a least squares problem.
#ifndef LSMOE_RECIPROCAL_HPP
#define LSMOE_RECIPROCAL_HPP

#include <stdexcept>
#include <Eigen/Dense>
#include "layout.hpp"
#include "problem.hpp"

namespace lsmoe {

// Reciprocal output weights for output-weighted tanh experts. Along the valley where such an
// expert tends to a linear function (c -> infinity, a -> 0 and b -> 0 with c a and c b fixed) the
// RSS keeps falling slowly, and in (a, b, c) the valley is the hyperbola a = L / c, b = M / c,
// which a Levenberg-Marquardt step follows only in short steps. With s = 1 / c in place of c
// (s > 0: tanh is odd, so the sign of c moves into a and b) the expert is tanh(a'x + b) / s and
// the valley is the straight ray (a, b, s) = s (L, M, 1), s -> 0, which the fit follows in long
// steps up to the bound c = bound_output (s = 1 / bound_output). The problem P in theta is
// wrapped (any Problem in theta): phi holds s in place of each component's c, the other parameters are unchanged;
// the c row and column of J'J and J'r are multiplied by dc/ds = -1 / s^2 (no cancellation).
class ReciprocalWeightProblem final : public Problem {
 public:
  // layout: theta's, with q = d + 2 expert parameters (a_1..a_d, b, c), c last
  ReciprocalWeightProblem(const Problem& base, const Layout& layout) : base_(base), L_(layout) {
    if (layout.q != layout.d + 2 || layout.p() != base.p())
      throw std::invalid_argument("reciprocal output weights: wrong layout");
  }
  int p() const override { return base_.p(); }
  // theta from phi (every s must be positive)
  void to_theta(const Eigen::VectorXd& phi, Eigen::VectorXd& theta) const {
    theta = phi;
    for (int j = 0; j < L_.k; ++j) theta[c_index(j)] = 1.0 / phi[c_index(j)];
  }
  double eval(const Eigen::VectorXd& phi, PassSums& out, bool jac) const override {
    if (phi.size() != p()) throw std::invalid_argument("parameter vector has the wrong length");
    to_theta(phi, theta_);
    const double F = base_.eval(theta_, out, jac);
    if (!jac) return F;
    for (int j = 0; j < L_.k; ++j) {
      const int c = c_index(j);
      const double t = -1.0 / (phi[c] * phi[c]);  // dc / ds
      out.A.row(c) *= t;
      out.A.col(c) *= t;
      out.g[c] *= t;
    }
    return F;
  }

 private:
  int c_index(int j) const { return L_.eta(j) + L_.d + 1; }
  const Problem& base_;
  Layout L_;
  mutable Eigen::VectorXd theta_;
};

}  // namespace lsmoe

#endif
