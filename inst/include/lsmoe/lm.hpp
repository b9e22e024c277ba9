// lsmoe: the two Levenberg-Marquardt solvers on the normal equations for box bounds, and
// lm_fit(), which picks one from Control::project. Damping: Nielsen's gain-ratio update, scaled
// by the running maximum of diag(J'J); stopping rules and pass counts as in lm_step.hpp.
// interrupt() is called after every iteration (it may throw). Functions of a Problem (problem.hpp):
// compiled once, whatever the problem. The empty template parameter list (`template <class =
// void>`, never given) only defers their compilation to a translation unit that calls them: one
// that merely includes this header pays nothing.
#ifndef LSMOE_LM_HPP
#define LSMOE_LM_HPP

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <vector>
#include <Eigen/Dense>
#include "bounds.hpp"
#include "control.hpp"
#include "lm_step.hpp"

namespace lsmoe {

// Bounds through the change of variables of Bounds: the LM runs in the unconstrained u, with
// J'J and J'r mapped by D = diag(dtheta/du) (A_u = D A D, g_u = D g); the xtol test is relative
// to ||u||. An optional gradient test stops when |g_i| <= gtol sqrt(A_ii F) for all i.
template <class = void>
inline Fit lm_fit_transform(const Problem& prob, const Eigen::VectorXd& theta0, const Bounds& bounds, const Control& ctl,
                            const std::function<void()>& interrupt = {}) {
  const int p = prob.p();
  if (theta0.size() != p) throw std::invalid_argument("start has the wrong length");
  if (bounds.lower.size() != p) throw std::invalid_argument("bounds have the wrong length");
  Eigen::VectorXd u = bounds.to_u(theta0), theta, dtheta, u_new, theta_new, dtheta_new, h;
  bounds.to_theta(u, theta, &dtheta);
  auto to_u_space = [](PassSums& s, const Eigen::VectorXd& dt) {
    s.A = dt.asDiagonal() * s.A * dt.asDiagonal();
    s.g = dt.cwiseProduct(s.g);
  };
  LmRun run(prob, ctl, interrupt);
  if (!run.start(theta, [&](PassSums& s) { to_u_space(s, dtheta); })) return run.result(theta, bounds);
  Eigen::LDLT<Eigen::MatrixXd> ldlt(p);
  Eigen::MatrixXd M(p, p);
  while (run.running()) {
    if (ctl.gtol > 0) {
      bool small = true;
      for (int i = 0; i < p && small; ++i)
        if (std::abs(run.cur.g[i]) > ctl.gtol * std::sqrt(std::max(run.cur.A(i, i), 0.0) * run.F)) small = false;
      if (small) { run.status = gradient_small; break; }
    }
    ++run.iter;
    M = run.cur.A;
    M.diagonal() += run.dmp.mu * run.Dsc;
    ldlt.compute(M);
    bool ok = ldlt.info() == Eigen::Success && ldlt.isPositive();
    if (ok) {
      h = ldlt.solve(-run.cur.g);
      ok = h.allFinite();
    }
    if (!ok) {
      if (run.singular()) break;
      continue;
    }
    const double hnorm = h.norm();
    if (run.step_small(hnorm, u.norm())) break;
    u_new = u + h;
    bounds.to_theta(u_new, theta_new, &dtheta_new);
    const double pred = h.dot(run.dmp.mu * run.Dsc.cwiseProduct(h) - run.cur.g);  // predicted reduction of the RSS
    const bool stop = run.trial(theta_new, hnorm, pred, true, [&](PassSums& s) { to_u_space(s, dtheta_new); }, [&] {
      u.swap(u_new);
      theta.swap(theta_new);
      dtheta.swap(dtheta_new);
      return u.norm();
    });
    if (stop) break;
  }
  return run.result(theta, bounds);
}

// Box bounds by projection (an active-set projected LM in the spirit of Kanzow, Yamashita and
// Fukushima 2004): a parameter on a bound whose gradient pushes it outward is held there, and so
// is one whose step points outward (the system is then solved again); the trial point is the
// projection of the step onto the box, and the gain ratio uses the Gauss-Newton model's
// reduction for the projected step. An optimum on a bound (a gate that wants to be a hard switch,
// an output weight that wants to grow) is reached in a few steps, where the change of variables
// approaches it only linearly. A point where every parameter is held is a KKT point
// (all_held_kkt). The xtol test is relative to ||theta||.
template <class = void>
inline Fit lm_fit_projected(const Problem& prob, const Eigen::VectorXd& theta0, const Bounds& bounds, const Control& ctl,
                            const std::function<void()>& interrupt = {}) {
  const int p = prob.p();
  Eigen::VectorXd theta(p), theta_new(p), h(p), hF, gF;
  for (int i = 0; i < p; ++i) theta[i] = std::min(std::max(theta0[i], bounds.lower[i]), bounds.upper[i]);
  auto same_space = [](PassSums&) {};
  LmRun run(prob, ctl, interrupt);
  if (!run.start(theta, same_space)) return run.result(theta, bounds);
  Eigen::LDLT<Eigen::MatrixXd> ldlt;
  Eigen::MatrixXd M;
  std::vector<int> free;
  free.reserve(p);
  while (run.running()) {
    const PassSums& cur = run.cur;
    free.clear();
    for (int i = 0; i < p; ++i) {
      const bool at_lo = theta[i] <= bounds.lower[i] && cur.g[i] > 0;
      const bool at_hi = theta[i] >= bounds.upper[i] && cur.g[i] < 0;
      if (!at_lo && !at_hi) free.push_back(i);
    }
    if (free.empty()) { run.status = all_held_kkt; break; }
    ++run.iter;
    bool ok = false;
    for (int round = 0; round <= p; ++round) {
      const int m = static_cast<int>(free.size());
      if (m == 0) break;
      M.resize(m, m); gF.resize(m);
      for (int a = 0; a < m; ++a) {
        gF[a] = cur.g[free[a]];
        for (int b = 0; b < m; ++b) M(a, b) = cur.A(free[a], free[b]);
        M(a, a) += run.dmp.mu * run.Dsc[free[a]];
      }
      ldlt.compute(M);
      ok = ldlt.info() == Eigen::Success && ldlt.isPositive();
      if (ok) { hF = ldlt.solve(-gF); ok = hF.allFinite(); }
      if (!ok) break;
      std::vector<int> keep;
      for (int a = 0; a < m; ++a) {
        const int i = free[a];
        const bool out = (theta[i] <= bounds.lower[i] && hF[a] < 0) || (theta[i] >= bounds.upper[i] && hF[a] > 0);
        if (!out) keep.push_back(i);
      }
      if (static_cast<int>(keep.size()) == m) break;
      free.swap(keep);
      ok = false;
    }
    const int m = static_cast<int>(free.size());
    if (m == 0) { run.status = all_held_kkt; break; }
    if (!ok) {
      if (run.singular()) break;
      continue;
    }
    theta_new = theta;
    bool clamped = false;
    for (int a = 0; a < m; ++a) {
      const int i = free[a];
      const double t = theta[i] + hF[a];
      theta_new[i] = std::min(std::max(t, bounds.lower[i]), bounds.upper[i]);
      if (theta_new[i] != t) clamped = true;
    }
    h = theta_new - theta;
    const double hnorm = h.norm();
    if (run.step_small(hnorm, theta.norm())) break;
    const double pred = -(2.0 * cur.g.dot(h) + h.dot(cur.A * h));
    // A projected (clamped) step may predict no reduction while a shorter one does: only an
    // unclamped step can show that no progress is possible.
    const bool stop = run.trial(theta_new, hnorm, pred, !clamped, same_space, [&] {
      theta.swap(theta_new);
      return theta.norm();
    });
    if (stop) break;
  }
  return run.result(theta, bounds);
}

template <class = void>
inline Fit lm_fit(const Problem& prob, const Eigen::VectorXd& theta0, const Bounds& bounds, const Control& ctl,
                  const std::function<void()>& interrupt = {}) {
  if (theta0.size() != prob.p()) throw std::invalid_argument("start has the wrong length");
  if (bounds.lower.size() != prob.p()) throw std::invalid_argument("bounds have the wrong length");
  return ctl.project ? lm_fit_projected(prob, theta0, bounds, ctl, interrupt)
                     : lm_fit_transform(prob, theta0, bounds, ctl, interrupt);
}

}  // namespace lsmoe

#endif
