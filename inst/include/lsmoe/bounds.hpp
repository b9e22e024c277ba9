// lsmoe: box bounds lower <= theta <= upper on the free parameters: the smooth change of
// variables of the transform solver, and the rule that says which parameters are on a bound.
#ifndef LSMOE_BOUNDS_HPP
#define LSMOE_BOUNDS_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>
#include <Eigen/Dense>

namespace lsmoe {

// Relative distance to a finite bound below which a parameter counts as on it.
constexpr double on_bound_tol = 1e-4;

// Box bounds through a smooth change of variables theta = T(u) (the MINUIT/lmfit transform):
// both bounds finite, theta = lo + (hi - lo) (sin u + 1) / 2; one bound finite,
// theta = lo - 1 + sqrt(u^2 + 1) (or hi + 1 - sqrt(u^2 + 1)); none, theta = u.
struct Bounds {
  Eigen::VectorXd lower, upper;

  Bounds() = default;
  Bounds(const Eigen::VectorXd& lo, const Eigen::VectorXd& hi) : lower(lo), upper(hi) {
    if (lo.size() != hi.size()) throw std::invalid_argument("lower and upper bounds differ in length");
    for (Eigen::Index i = 0; i < lo.size(); ++i)
      if (!(lo[i] < hi[i])) throw std::invalid_argument("every lower bound must be below its upper bound");
  }
  static Bounds none(int p) {
    const double inf = std::numeric_limits<double>::infinity();
    return Bounds(Eigen::VectorXd::Constant(p, -inf), Eigen::VectorXd::Constant(p, inf));
  }

  void to_theta(const Eigen::VectorXd& u, Eigen::VectorXd& theta, Eigen::VectorXd* dtheta) const {
    theta.resize(u.size());
    if (dtheta) dtheta->resize(u.size());
    for (Eigen::Index i = 0; i < u.size(); ++i) {
      const double lo = lower[i], hi = upper[i];
      const bool fl = std::isfinite(lo), fh = std::isfinite(hi);
      double t, dt;
      if (fl && fh) {
        t = lo + (hi - lo) * (std::sin(u[i]) + 1.0) / 2.0;
        dt = (hi - lo) * std::cos(u[i]) / 2.0;
      } else if (fl) {
        const double s = std::sqrt(u[i] * u[i] + 1.0);
        t = lo - 1.0 + s; dt = u[i] / s;
      } else if (fh) {
        const double s = std::sqrt(u[i] * u[i] + 1.0);
        t = hi + 1.0 - s; dt = -u[i] / s;
      } else {
        t = u[i]; dt = 1.0;
      }
      theta[i] = t;
      if (dtheta) (*dtheta)[i] = dt;
    }
  }

  // Inverse transform; a start on or outside a bound is first moved just inside it.
  Eigen::VectorXd to_u(const Eigen::VectorXd& theta) const {
    Eigen::VectorXd u(theta.size());
    for (Eigen::Index i = 0; i < theta.size(); ++i) {
      const double lo = lower[i], hi = upper[i];
      const bool fl = std::isfinite(lo), fh = std::isfinite(hi);
      double t = theta[i];
      if (fl && fh) {
        const double eps = 1e-6 * (hi - lo);
        t = std::min(std::max(t, lo + eps), hi - eps);
        u[i] = std::asin(2.0 * (t - lo) / (hi - lo) - 1.0);
      } else if (fl) {
        t = std::max(t, lo);
        u[i] = std::sqrt((t - lo + 1.0) * (t - lo + 1.0) - 1.0);
      } else if (fh) {
        t = std::min(t, hi);
        u[i] = std::sqrt((hi - t + 1.0) * (hi - t + 1.0) - 1.0);
      } else {
        u[i] = t;
      }
    }
    return u;
  }

  // Parameter i at value t is on a bound: within on_bound_tol * max(1, |bound|) of a finite one.
  bool on_bound(Eigen::Index i, double t) const {
    return (std::isfinite(lower[i]) && t - lower[i] <= on_bound_tol * std::max(1.0, std::abs(lower[i]))) ||
           (std::isfinite(upper[i]) && upper[i] - t <= on_bound_tol * std::max(1.0, std::abs(upper[i])));
  }
  // on_bound() of every parameter.
  std::vector<bool> on_bound_flags(const Eigen::VectorXd& theta) const {
    std::vector<bool> flags(static_cast<size_t>(theta.size()));
    for (Eigen::Index i = 0; i < theta.size(); ++i) flags[static_cast<size_t>(i)] = on_bound(i, theta[i]);
    return flags;
  }
  // Number of parameters on a bound.
  int count_on_bound(const Eigen::VectorXd& theta) const {
    int c = 0;
    for (Eigen::Index i = 0; i < theta.size(); ++i) c += on_bound(i, theta[i]) ? 1 : 0;
    return c;
  }
};

}  // namespace lsmoe

#endif
