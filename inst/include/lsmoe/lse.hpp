// lsmoe: the least squares estimator of a softmax-gated mixture of experts, computed by our own
// Levenberg-Marquardt on the normal equations: every accepted iteration is one fused pass over
// the observations (fused.hpp) that accumulates J'J and J'r, a trial step after a rejection is a
// residual-only pass, the damped system is solved by Cholesky (LDLT, with more damping when it
// fails). Box bounds by projection with an active set (or, on request, through a smooth change
// of variables); many starts screened on a subsample of rows and the best few finished on all
// rows.
#ifndef LSMOE_LSE_HPP
#define LSMOE_LSE_HPP

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>
#include <Eigen/Dense>
#include "model.hpp"
#include "fused.hpp"

namespace lsmoe {

struct Control {
  int max_iter = 500;      // Levenberg-Marquardt iterations (accepted or rejected trial steps) per start
  double ftol = 1e-10;     // relative reduction of the RSS (actual and predicted)
  double xtol = 1e-10;     // relative change of the parameters
  double gtol = 0.0;       // scaled gradient: max_i |g_i| / sqrt(A_ii RSS) below gtol
  double damping = 0.1;    // initial damping: the step solves (A + mu D) h = -g with mu = damping, D = max diag(A)
  int threads = 1;         // OpenMP threads over fixed chunks of observations
  // screening of many starts: each runs `screen_iter` iterations on the screening rows, the best
  // `n_finish` are then run to convergence on all rows
  int screen_iter = 30;
  int n_finish = 3;
  // box bounds: an active-set projected LM (true) or a smooth change of variables (false)
  bool project = true;
  // a best fit stopped by the iteration limit runs once more from where it stopped (fit_multi)
  bool restart = true;
};

// Status codes: 1-4, 6-8 are Eigen's (MINPACK's) own; the others are the package's.
enum Status {
  improper_input = 0, reduction_small = 1, change_small = 2, both_small = 3, cosine_small = 4,
  too_many_evaluations = 5, ftol_too_small = 6, xtol_too_small = 7, gtol_too_small = 8,
  iteration_limit = 10, non_finite = 11, exact_fit = 12, screened = 13
};

inline bool status_converged(int s) {
  return (s >= 1 && s <= 4) || (s >= 6 && s <= 8) || s == 12;
}

inline std::string status_message(int s) {
  switch (s) {
  case improper_input: return "improper input to the optimizer";
  case reduction_small: return "converged: relative reduction of the RSS below ftol";
  case change_small: return "converged: relative change of the parameters below xtol";
  case both_small: return "converged: relative reduction of the RSS below ftol and change of the parameters below xtol";
  case cosine_small: return "converged: residuals orthogonal to the Jacobian (gtol)";
  case too_many_evaluations: return "stopped: limit on RSS evaluations reached";
  case ftol_too_small: return "converged: no further reduction of the RSS possible at machine precision";
  case xtol_too_small: return "converged to machine precision: no further improvement of the parameters possible";
  case gtol_too_small: return "converged: every parameter is held on a bound with its gradient pointing outward (a KKT point)";
  case iteration_limit: return "stopped: iteration limit (max_iter) reached";
  case non_finite: return "stopped: the RSS is not finite at the start";
  case exact_fit: return "converged: the residuals are zero";
  case screened: return "screened on a subsample only (not among the best starts finished on all rows)";
  default: return "unknown status";
  }
}

// Box bounds lower <= theta <= upper through a smooth change of variables theta = T(u)
// (the MINUIT/lmfit transform): both bounds finite, theta = lo + (hi - lo) (sin u + 1) / 2;
// one bound finite, theta = lo - 1 + sqrt(u^2 + 1) (or hi + 1 - sqrt(u^2 + 1)); none, theta = u.
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

  // Number of parameters within rel_tol * max(1, |bound|) of a finite bound.
  int count_on_bound(const Eigen::VectorXd& theta, double rel_tol = 1e-4) const {
    int c = 0;
    for (Eigen::Index i = 0; i < theta.size(); ++i) {
      if (std::isfinite(lower[i]) && theta[i] - lower[i] <= rel_tol * std::max(1.0, std::abs(lower[i]))) ++c;
      else if (std::isfinite(upper[i]) && upper[i] - theta[i] <= rel_tol * std::max(1.0, std::abs(upper[i]))) ++c;
    }
    return c;
  }
};

struct Fit {
  Eigen::VectorXd theta;
  double rss = std::numeric_limits<double>::infinity();
  int iterations = 0;    // trial steps (each a pass over the rows)
  int evaluations = 0;   // passes over the rows (fused or residual-only)
  int jacobians = 0;     // fused passes (J'J accumulated)
  int status = improper_input;
  bool converged = false;
  int on_bound = 0;
};

// Nielsen's gain-ratio damping (Madsen, Nielsen and Tingleff 2004): after an accepted step with
// gain ratio rho, mu *= max(1/3, 1 - (2 rho - 1)^3); after a rejection mu *= nu, nu *= 2.
struct Damping {
  double mu, nu = 2.0;
  explicit Damping(double mu0) : mu(mu0) {}
  void accept(double rho) {
    const double t = 2.0 * rho - 1.0;
    mu *= std::max(1.0 / 3.0, 1.0 - t * t * t);
    nu = 2.0;
  }
  // false when no finite damping is left
  bool reject() {
    mu *= nu;
    nu *= 2.0;
    return std::isfinite(mu) && mu <= 1e300;
  }
};

// Status after an accepted step (iteration_limit: go on); xnorm is the norm of the new parameters.
inline int accepted_status(double F, double Fold, double actual, double pred, double hnorm, double xnorm,
                           const Control& ctl) {
  if (F == 0.0) return exact_fit;
  const bool fsmall = actual <= ctl.ftol * Fold && pred <= ctl.ftol * Fold;
  const bool xsmall = hnorm <= ctl.xtol * (xnorm + ctl.xtol);
  if (fsmall && xsmall) return both_small;
  if (fsmall) return reduction_small;
  if (xsmall) return change_small;
  return iteration_limit;
}

// After a rejected step: even the predicted reduction is negligible, no progress is possible.
inline bool no_progress(double F, double actual, double pred, const Control& ctl) {
  return pred <= 1e-15 * F || (std::abs(actual) <= ctl.ftol * F && pred <= ctl.ftol * F);
}

// Levenberg-Marquardt on the normal equations for a problem P with
//   int p() const;  double eval(const VectorXd& theta, PassSums& sums, bool jac) const;
// in the unconstrained variables u of the bounds' change of variables. Damping: Nielsen's
// gain-ratio update (Madsen, Nielsen and Tingleff 2004), scaled by the running maximum of
// diag(J'J) (More 1978). interrupt() is called after every iteration (it may throw).
template <class P>
inline Fit lm_fit_transform(const P& prob, const Eigen::VectorXd& theta0, const Bounds& bounds, const Control& ctl,
                            const std::function<void()>& interrupt = {}) {
  const int p = prob.p();
  if (theta0.size() != p) throw std::invalid_argument("start has the wrong length");
  if (bounds.lower.size() != p) throw std::invalid_argument("bounds have the wrong length");
  Fit fit;
  Eigen::VectorXd u = bounds.to_u(theta0), theta, dtheta, u_new, theta_new, dtheta_new, h, Dsc(p);
  PassSums cur, trial;
  bounds.to_theta(u, theta, &dtheta);
  double F = prob.eval(theta, cur, true);
  fit.evaluations = 1;
  fit.jacobians = 1;
  if (!std::isfinite(F) || !cur.A.allFinite() || !cur.g.allFinite()) {
    fit.theta = theta;
    fit.rss = F;
    fit.status = non_finite;
    return fit;
  }
  // to the u variables: A_u = D A D, g_u = D g with D = diag(dtheta)
  auto to_u_space = [&](PassSums& s, const Eigen::VectorXd& dt) {
    s.A = dt.asDiagonal() * s.A * dt.asDiagonal();
    s.g = dt.cwiseProduct(s.g);
  };
  to_u_space(cur, dtheta);
  const double tiny = std::numeric_limits<double>::min();
  for (int i = 0; i < p; ++i) Dsc[i] = std::max(cur.A(i, i), tiny);
  // damping mu * Dsc (More's scaling by the running maximum of diag(J'J)): mu is dimensionless
  Damping dmp(ctl.damping);
  int status = iteration_limit;
  bool have_jac_at_trial = false;
  bool last_accepted = true;
  Eigen::LDLT<Eigen::MatrixXd> ldlt(p);
  Eigen::MatrixXd M(p, p);
  int iter = 0;
  if (F == 0.0) status = exact_fit;
  while (status == iteration_limit && iter < ctl.max_iter) {
    // gradient test (scaled): |g_i| <= gtol sqrt(A_ii F) for all i
    if (ctl.gtol > 0) {
      bool small = true;
      for (int i = 0; i < p && small; ++i)
        if (std::abs(cur.g[i]) > ctl.gtol * std::sqrt(std::max(cur.A(i, i), 0.0) * F)) small = false;
      if (small) { status = cosine_small; break; }
    }
    ++iter;
    M = cur.A;
    M.diagonal() += dmp.mu * Dsc;
    ldlt.compute(M);
    bool ok = ldlt.info() == Eigen::Success && ldlt.isPositive();
    if (ok) {
      h = ldlt.solve(-cur.g);
      ok = h.allFinite();
    }
    if (!ok) {  // numerically singular: more damping
      last_accepted = false;
      if (!dmp.reject()) { status = ftol_too_small; break; }
      if (interrupt) interrupt();
      continue;
    }
    const double hnorm = h.norm(), unorm = u.norm();
    if (hnorm <= ctl.xtol * (unorm + ctl.xtol)) { status = change_small; break; }
    u_new = u + h;
    bounds.to_theta(u_new, theta_new, &dtheta_new);
    // After an accepted step the next trial is usually accepted too: evaluate it with the
    // Jacobian at once. After a rejection, a residual-only pass.
    have_jac_at_trial = last_accepted;
    double Fn = prob.eval(theta_new, trial, have_jac_at_trial);
    ++fit.evaluations;
    if (have_jac_at_trial) ++fit.jacobians;
    const double pred = h.dot(dmp.mu * Dsc.cwiseProduct(h) - cur.g);  // predicted reduction of the RSS
    const double actual = F - Fn;
    const double rho = (std::isfinite(Fn) && pred > 0) ? actual / pred : -1.0;
    if (rho > 1e-4) {
      // accept
      if (!have_jac_at_trial) {
        Fn = prob.eval(theta_new, trial, true);
        ++fit.evaluations;
        ++fit.jacobians;
      }
      if (!std::isfinite(Fn) || !trial.A.allFinite() || !trial.g.allFinite()) {
        dmp.reject();
        last_accepted = false;
        if (interrupt) interrupt();
        continue;
      }
      to_u_space(trial, dtheta_new);
      std::swap(cur, trial);
      u.swap(u_new);
      theta.swap(theta_new);
      dtheta.swap(dtheta_new);
      const double Fold = F;
      F = Fn;
      for (int i = 0; i < p; ++i) Dsc[i] = std::max(Dsc[i], cur.A(i, i));
      dmp.accept(rho);
      last_accepted = true;
      status = accepted_status(F, Fold, actual, pred, hnorm, u.norm(), ctl);
      if (status != iteration_limit) break;
    } else {
      // reject: more damping, unless no further progress is possible
      if (no_progress(F, actual, pred, ctl)) { status = ftol_too_small; break; }
      last_accepted = false;
      if (!dmp.reject()) { status = ftol_too_small; break; }
    }
    if (interrupt) interrupt();
  }
  fit.theta = theta;
  fit.rss = F;
  fit.iterations = iter;
  fit.status = status;
  fit.converged = status_converged(status) && std::isfinite(F);
  fit.on_bound = bounds.count_on_bound(theta);
  return fit;
}

// Levenberg-Marquardt with box bounds by projection (an active-set projected LM in the spirit
// of Kanzow, Yamashita and Fukushima 2004): a parameter on a bound whose gradient pushes it
// outward is held there, and so is one whose step points outward (the system is then solved
// again); the trial point is the projection of the step onto the box, and the gain ratio uses
// the Gauss-Newton model's reduction for the projected step. An optimum on a bound (a gate
// that wants to be a hard switch, an output weight that wants to grow) is reached in a few
// steps, where the change of variables approaches it only linearly. A point where every
// parameter is held is a KKT point (status 8). Same damping, stopping rules and pass counting
// as lm_fit_transform(); the xtol test is relative to ||theta||.
template <class P>
inline Fit lm_fit_projected(const P& prob, const Eigen::VectorXd& theta0, const Bounds& bounds, const Control& ctl,
                            const std::function<void()>& interrupt = {}) {
  const int p = prob.p();
  Fit fit;
  Eigen::VectorXd theta(p), theta_new(p), h(p), hF, gF, Dsc(p);
  for (int i = 0; i < p; ++i) theta[i] = std::min(std::max(theta0[i], bounds.lower[i]), bounds.upper[i]);
  PassSums cur, trial;
  double F = prob.eval(theta, cur, true);
  fit.evaluations = 1;
  fit.jacobians = 1;
  if (!std::isfinite(F) || !cur.A.allFinite() || !cur.g.allFinite()) {
    fit.theta = theta; fit.rss = F; fit.status = non_finite; return fit;
  }
  const double tiny = std::numeric_limits<double>::min();
  for (int i = 0; i < p; ++i) Dsc[i] = std::max(cur.A(i, i), tiny);
  Damping dmp(ctl.damping);
  int status = iteration_limit;
  bool last_accepted = true;
  Eigen::LDLT<Eigen::MatrixXd> ldlt;
  Eigen::MatrixXd M;
  std::vector<int> free;
  free.reserve(p);
  int iter = 0;
  if (F == 0.0) status = exact_fit;
  while (status == iteration_limit && iter < ctl.max_iter) {
    free.clear();
    for (int i = 0; i < p; ++i) {
      const bool at_lo = theta[i] <= bounds.lower[i] && cur.g[i] > 0;
      const bool at_hi = theta[i] >= bounds.upper[i] && cur.g[i] < 0;
      if (!at_lo && !at_hi) free.push_back(i);
    }
    if (free.empty()) { status = gtol_too_small; break; }
    ++iter;
    bool ok = false;
    for (int round = 0; round <= p; ++round) {
      const int m = static_cast<int>(free.size());
      if (m == 0) break;
      M.resize(m, m); gF.resize(m);
      for (int a = 0; a < m; ++a) {
        gF[a] = cur.g[free[a]];
        for (int b = 0; b < m; ++b) M(a, b) = cur.A(free[a], free[b]);
        M(a, a) += dmp.mu * Dsc[free[a]];
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
    if (m == 0) { status = gtol_too_small; break; }
    if (!ok) {  // numerically singular: more damping
      last_accepted = false;
      if (!dmp.reject()) { status = ftol_too_small; break; }
      if (interrupt) interrupt();
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
    const double hnorm = h.norm(), tnorm = theta.norm();
    if (hnorm <= ctl.xtol * (tnorm + ctl.xtol)) { status = change_small; break; }
    const bool with_jac = last_accepted;
    double Fn = prob.eval(theta_new, trial, with_jac);
    ++fit.evaluations;
    if (with_jac) ++fit.jacobians;
    const double pred = -(2.0 * cur.g.dot(h) + h.dot(cur.A * h));
    const double actual = F - Fn;
    const double rho = (std::isfinite(Fn) && pred > 0) ? actual / pred : -1.0;
    if (rho > 1e-4) {
      if (!with_jac) { Fn = prob.eval(theta_new, trial, true); ++fit.evaluations; ++fit.jacobians; }
      if (!std::isfinite(Fn) || !trial.A.allFinite() || !trial.g.allFinite()) {
        dmp.reject();
        last_accepted = false;
        if (interrupt) interrupt();
        continue;
      }
      std::swap(cur, trial);
      theta.swap(theta_new);
      const double Fold = F;
      F = Fn;
      for (int i = 0; i < p; ++i) Dsc[i] = std::max(Dsc[i], cur.A(i, i));
      dmp.accept(rho);
      last_accepted = true;
      status = accepted_status(F, Fold, actual, pred, hnorm, theta.norm(), ctl);
      if (status != iteration_limit) break;
    } else {
      // reject: more damping. A projected (clamped) step may predict no reduction while a
      // shorter one does: only an unclamped step can show that no progress is possible.
      if (!clamped && no_progress(F, actual, pred, ctl)) { status = ftol_too_small; break; }
      last_accepted = false;
      if (!dmp.reject()) { status = ftol_too_small; break; }
    }
    if (interrupt) interrupt();
  }
  fit.theta = theta; fit.rss = F; fit.iterations = iter; fit.status = status;
  fit.converged = status_converged(status) && std::isfinite(F);
  fit.on_bound = bounds.count_on_bound(theta);
  return fit;
}

template <class P>
inline Fit lm_fit(const P& prob, const Eigen::VectorXd& theta0, const Bounds& bounds, const Control& ctl,
                  const std::function<void()>& interrupt = {}) {
  if (theta0.size() != prob.p()) throw std::invalid_argument("start has the wrong length");
  if (bounds.lower.size() != prob.p()) throw std::invalid_argument("bounds have the wrong length");
  return ctl.project ? lm_fit_projected(prob, theta0, bounds, ctl, interrupt) : lm_fit_transform(prob, theta0, bounds, ctl, interrupt);
}

// Reciprocal output weights for output-weighted tanh experts. Along the valley where such an
// expert tends to a linear function (c -> infinity, a -> 0 and b -> 0 with c a and c b fixed) the
// RSS keeps falling slowly, and in (a, b, c) the valley is the hyperbola a = L / c, b = M / c,
// which a Levenberg-Marquardt step follows only in short steps. With s = 1 / c in place of c
// (s > 0: tanh is odd, so the sign of c moves into a and b) the expert is tanh(a'x + b) / s and
// the valley is the straight ray (a, b, s) = s (L, M, 1), s -> 0, which the fit follows in long
// steps up to the bound c = bound_output (s = 1 / bound_output). The problem P in theta is
// wrapped: phi holds s in place of each component's c, the other parameters are unchanged;
// the c row and column of J'J and J'r are multiplied by dc/ds = -1 / s^2 (no cancellation).
template <class P>
class ReciprocalWeightProblem {
 public:
  // first: index of the first expert parameter in theta; k components of d + 2 parameters
  // (a_1..a_d, b, c), c last
  ReciprocalWeightProblem(const P& base, int first, int k, int d) : base_(base), first_(first), k_(k), d_(d) {
    if (first < 0 || first + k * (d + 2) != base.p()) throw std::invalid_argument("reciprocal output weights: wrong layout");
  }
  int p() const { return base_.p(); }
  // theta from phi (every s must be positive)
  void to_theta(const Eigen::VectorXd& phi, Eigen::VectorXd& theta) const {
    theta = phi;
    for (int j = 0; j < k_; ++j) theta[c_index(j)] = 1.0 / phi[c_index(j)];
  }
  double eval(const Eigen::VectorXd& phi, PassSums& out, bool jac) const {
    if (phi.size() != p()) throw std::invalid_argument("parameter vector has the wrong length");
    to_theta(phi, theta_);
    const double F = base_.eval(theta_, out, jac);
    if (!jac) return F;
    for (int j = 0; j < k_; ++j) {
      const int c = c_index(j);
      const double t = -1.0 / (phi[c] * phi[c]);  // dc / ds
      out.A.row(c) *= t;
      out.A.col(c) *= t;
      out.g[c] *= t;
    }
    return F;
  }

 private:
  int c_index(int j) const { return first_ + j * (d_ + 2) + d_ + 1; }
  const P& base_;
  int first_, k_, d_;
  mutable Eigen::VectorXd theta_;
};

// Best of several starts (columns of `starts`, p x S), in up to three stages:
//  1. screening (when `screen` is given and S > n_finish): every start runs at most screen_iter
//     iterations on the screening problem (a small subsample of rows);
//  2. the n_finish starts with the smallest screening RSS run to convergence, on the refining
//     problem (a larger subsample) when `refine` is given, else on all rows;
//  3. with a refining stage, the refined fit with the smallest RSS is finished on all rows.
// The refining and finishing stages continue fits that are already near an optimum: they start
// with damping ctl.damping * continuation_damping (Gauss-Newton-like steps; gain-ratio damping
// raises it again where that fails). Without screening every start runs to convergence on all rows. `best` indexes the start whose
// fit on all rows has the smallest RSS; fits not run on all rows have rss = NaN and status
// `screened`. With ctl.restart, a best fit stopped by the iteration limit is run once more from
// where it stopped, for at most ctl.max_iter iterations, with the initial damping and a fresh
// scaling: the running maximum of diag(J'J) that scales the damping can grow large on the way
// and then slow the fit to a crawl (see lse_control(restart)).
struct MultiFit {
  std::vector<Fit> fits;
  std::vector<double> screen_rss;  // empty without screening
  std::vector<double> refine_rss;  // empty without refining
  int best = 0;
};

// Initial damping of the refining and finishing stages, relative to Control::damping.
constexpr double continuation_damping = 1e-4;

template <class P>
inline MultiFit fit_multi(const P& full, const P* screen, const P* refine, const Eigen::Ref<const Eigen::MatrixXd>& starts,
                          const Bounds& bounds, const Control& ctl, const std::function<void()>& interrupt = {}) {
  const Eigen::Index S = starts.cols();
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  if (S < 1) throw std::invalid_argument("at least one start is needed");
  if (starts.rows() != full.p()) throw std::invalid_argument("starts have the wrong number of rows");
  MultiFit out;
  out.fits.resize(static_cast<size_t>(S));
  std::vector<Eigen::Index> finish;
  auto by = [](const std::vector<double>& v) {
    std::vector<Eigen::Index> order(v.size());
    for (size_t s = 0; s < v.size(); ++s) order[s] = static_cast<Eigen::Index>(s);
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return v[a] < v[b]; });
    return order;
  };
  auto mark_partial = [&](Fit& f) {
    f.status = screened;
    f.converged = false;
    f.rss = nan;
  };
  if (screen && S > ctl.n_finish) {
    Control sc = ctl;
    sc.max_iter = ctl.screen_iter;
    out.screen_rss.assign(static_cast<size_t>(S), inf);
    for (Eigen::Index s = 0; s < S; ++s) {
      out.fits[s] = lm_fit(*screen, starts.col(s), bounds, sc, interrupt);
      if (std::isfinite(out.fits[s].rss)) out.screen_rss[s] = out.fits[s].rss;
      else out.fits[s].theta = starts.col(s);
      mark_partial(out.fits[s]);
    }
    const std::vector<Eigen::Index> order = by(out.screen_rss);
    const int m = static_cast<int>(std::min<Eigen::Index>(ctl.n_finish, S));
    Control cc = ctl;
    cc.damping = ctl.damping * continuation_damping;
    if (refine) {
      out.refine_rss.assign(static_cast<size_t>(S), nan);
      std::vector<double> rr(static_cast<size_t>(S), inf);
      for (int i = 0; i < m; ++i) {
        const Eigen::Index s = order[i];
        const int it0 = out.fits[s].iterations;
        out.fits[s] = lm_fit(*refine, out.fits[s].theta, bounds, cc, interrupt);
        out.fits[s].iterations += it0;
        if (std::isfinite(out.fits[s].rss)) rr[s] = out.refine_rss[s] = out.fits[s].rss;
        else out.fits[s].theta = starts.col(s);
        mark_partial(out.fits[s]);
      }
      const Eigen::Index s = by(rr)[0];
      const int it0 = out.fits[s].iterations;
      out.fits[s] = lm_fit(full, out.fits[s].theta, bounds, cc, interrupt);
      out.fits[s].iterations += it0;
      finish.push_back(s);
    } else {
      for (int i = 0; i < m; ++i) {
        const Eigen::Index s = order[i];
        const int it0 = out.fits[s].iterations;
        out.fits[s] = lm_fit(full, out.fits[s].theta, bounds, cc, interrupt);
        out.fits[s].iterations += it0;
        finish.push_back(s);
      }
      std::sort(finish.begin(), finish.end());
    }
  } else {
    for (Eigen::Index s = 0; s < S; ++s) {
      out.fits[s] = lm_fit(full, starts.col(s), bounds, ctl, interrupt);
      finish.push_back(s);
    }
  }
  out.best = static_cast<int>(finish[0]);
  for (Eigen::Index s : finish) {
    const Fit& f = out.fits[s];
    const Fit& b = out.fits[out.best];
    if (std::isfinite(f.rss) && (!std::isfinite(b.rss) || f.rss < b.rss)) out.best = static_cast<int>(s);
  }
  Fit& b = out.fits[out.best];
  if (ctl.restart && b.status == iteration_limit && std::isfinite(b.rss)) {
    Fit r = lm_fit(full, b.theta, bounds, ctl, interrupt);
    if (std::isfinite(r.rss) && r.rss <= b.rss) {  // always, unless the pass is not deterministic
      r.iterations += b.iterations;  // the fit's counts cover both runs
      r.evaluations += b.evaluations;
      r.jacobians += b.jacobians;
      b = r;
    }
  }
  return out;
}

}  // namespace lsmoe

#endif
