// lsmoe: the reciprocal output-weight coordinates of output-weighted tanh experts, as a wrapper
// around a least squares problem.
#ifndef LSMOE_RECIPROCAL_HPP
#define LSMOE_RECIPROCAL_HPP

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <Eigen/Dense>
#include "layout.hpp"
#include "problem.hpp"

namespace lsmoe {

// The coordinates themselves, for a theta laid out by `L` (output-weighted tanh experts: q = d + 2
// expert parameters a_1..a_d, b, c per component, c last). ReciprocalWeightProblem below and the R
// side (through the glue) use these, so that the change of coordinates is written once.

// Throws unless L has an output weight per component (q = d + 2) and a vector of `size` fits it.
inline void check_reciprocal_layout(const Layout& L, Eigen::Index size) {
  if (L.q != L.d + 2) throw std::invalid_argument("reciprocal output weights: wrong layout");
  if (size != L.p()) throw std::invalid_argument("parameter vector has the wrong length");
}

// Position in theta of component j's output weight c.
inline int output_weight_index(const Layout& L, int j) { return L.eta(j) + L.d + 1; }

// theta to the fit's coordinates phi, in place: each c < 0 flips the sign of its (a, b) (tanh is
// odd: the same expert), and c becomes s = 1 / |c| with |c| clamped into [c_min, bound_output],
// so that s lies in the box [1 / bound_output, 1 / c_min] of the fit. A NaN c makes its a and b NaN
// as well (its sign is unknown), and s NaN.
inline void to_reciprocal(const Layout& L, Eigen::Ref<Eigen::VectorXd> theta, double c_min, double bound_output) {
  check_reciprocal_layout(L, theta.size());
  for (int j = 0; j < L.k; ++j) {
    const int ic = output_weight_index(L, j);
    const double c = theta[ic];
    const double sign = c < 0 ? -1.0 : (c >= 0 ? 1.0 : c);
    for (int r = 0; r <= L.d; ++r) theta[L.eta(j) + r] *= sign;
    theta[ic] = 1.0 / std::min(std::max(std::abs(c), c_min), bound_output);
  }
}

// The fit's coordinates phi (every s > 0) back to theta, in place: c = 1 / s.
inline void from_reciprocal(const Layout& L, Eigen::Ref<Eigen::VectorXd> phi) {
  check_reciprocal_layout(L, phi.size());
  for (int j = 0; j < L.k; ++j) phi[output_weight_index(L, j)] = 1.0 / phi[output_weight_index(L, j)];
}

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
    from_reciprocal(L_, theta);
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
  int c_index(int j) const { return output_weight_index(L_, j); }
  const Problem& base_;
  Layout L_;
  mutable Eigen::VectorXd theta_;
};

}  // namespace lsmoe

#endif
