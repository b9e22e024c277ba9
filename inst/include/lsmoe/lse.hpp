// lsmoe: the least squares estimator of a softmax-gated mixture of experts, computed by
// Levenberg-Marquardt (Eigen's MINPACK-style module) with the analytic Jacobian, box bounds
// through a smooth change of variables, and best-of-n restarts.
#ifndef LSMOE_LSE_HPP
#define LSMOE_LSE_HPP

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>
#include <Eigen/Dense>
#include <unsupported/Eigen/NonLinearOptimization>
#include "model.hpp"

namespace lsmoe {

struct Control {
  int max_iter = 500;      // Levenberg-Marquardt iterations (Jacobian evaluations) per start
  double ftol = 1e-10;     // relative reduction of the RSS
  double xtol = 1e-10;     // relative change of the parameters
  double gtol = 0.0;       // cosine between residuals and Jacobian columns
  double step_bound = 100; // MINPACK 'factor': initial step bound
  int threads = 1;         // OpenMP threads over observations
};

// Status codes: 1-4, 6-8 are Eigen's (MINPACK's) own; the others are the package's.
enum Status {
  improper_input = 0, reduction_small = 1, change_small = 2, both_small = 3, cosine_small = 4,
  too_many_evaluations = 5, ftol_too_small = 6, xtol_too_small = 7, gtol_too_small = 8,
  iteration_limit = 10, non_finite = 11
};

inline bool status_converged(int s) {
  return (s >= 1 && s <= 4) || (s >= 6 && s <= 8);
}

inline std::string status_message(int s) {
  switch (s) {
  case improper_input: return "improper input to the optimizer";
  case reduction_small: return "converged: relative reduction of the RSS below ftol";
  case change_small: return "converged: relative change of the parameters below xtol";
  case both_small: return "converged: relative reduction of the RSS below ftol and change of the parameters below xtol";
  case cosine_small: return "converged: residuals orthogonal to the Jacobian (gtol)";
  case too_many_evaluations: return "stopped: limit on RSS evaluations reached";
  case ftol_too_small: return "converged to machine precision: no further reduction of the RSS possible";
  case xtol_too_small: return "converged to machine precision: no further improvement of the parameters possible";
  case gtol_too_small: return "converged to machine precision: residuals orthogonal to the Jacobian";
  case iteration_limit: return "stopped: iteration limit (max_iter) reached";
  case non_finite: return "stopped: the RSS is not finite at the start";
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

// The residual functor Eigen's Levenberg-Marquardt minimises, in the unconstrained variables u.
struct LseFunctor {
  const Model& model;
  Eigen::Ref<const Eigen::MatrixXd> X;
  Eigen::Ref<const Eigen::VectorXd> y;
  Eigen::Ref<const Eigen::VectorXd> sw;  // square roots of the weights (length n or 0: unweighted)
  const Bounds& bounds;
  int threads;
  mutable Eigen::VectorXd theta, dtheta;

  LseFunctor(const Model& m, const Eigen::Ref<const Eigen::MatrixXd>& X_, const Eigen::Ref<const Eigen::VectorXd>& y_,
             const Eigen::Ref<const Eigen::VectorXd>& sw_, const Bounds& b, int th)
      : model(m), X(X_), y(y_), sw(sw_), bounds(b), threads(th) {}

  int inputs() const { return model.n_free(); }
  int values() const { return static_cast<int>(X.rows()); }

  int operator()(const Eigen::VectorXd& u, Eigen::VectorXd& fvec) const {
    bounds.to_theta(u, theta, nullptr);
    model.residuals(X, y, theta, fvec, nullptr, threads);
    if (sw.size()) fvec.array() *= sw.array();
    const double rss = fvec.squaredNorm();
    // A non-finite trial point is made very poor but finite, so that the step is rejected.
    if (!std::isfinite(rss)) fvec.setConstant(1e100 / std::sqrt(static_cast<double>(fvec.size())));
    return 0;
  }
  int df(const Eigen::VectorXd& u, Eigen::MatrixXd& fjac) const {
    bounds.to_theta(u, theta, &dtheta);
    Eigen::VectorXd r;
    model.residuals(X, y, theta, r, &fjac, threads);
    for (Eigen::Index s = 0; s < fjac.cols(); ++s) {
      fjac.col(s) *= dtheta[s];
      if (sw.size()) fjac.col(s).array() *= sw.array();
    }
    return 0;
  }
};

struct Fit {
  Eigen::VectorXd theta;
  double rss = std::numeric_limits<double>::infinity();
  int iterations = 0;
  int evaluations = 0;
  int status = improper_input;
  bool converged = false;
  int on_bound = 0;
};

// One Levenberg-Marquardt run from theta0. interrupt() is called after every iteration (it may
// throw to abort).
inline Fit fit_one(const Model& model, const Eigen::Ref<const Eigen::MatrixXd>& X,
                   const Eigen::Ref<const Eigen::VectorXd>& y, const Eigen::Ref<const Eigen::VectorXd>& sw,
                   const Eigen::VectorXd& theta0,
                   const Bounds& bounds, const Control& ctl, const std::function<void()>& interrupt = {}) {
  if (theta0.size() != model.n_free()) throw std::invalid_argument("start has the wrong length");
  if (X.rows() != y.size()) throw std::invalid_argument("x and y differ in the number of observations");
  if (X.rows() < model.n_free()) throw std::invalid_argument("fewer observations than free parameters");
  if (sw.size() != 0 && sw.size() != y.size()) throw std::invalid_argument("weights have the wrong length");
  LseFunctor functor(model, X, y, sw, bounds, ctl.threads);
  Eigen::LevenbergMarquardt<LseFunctor> lm(functor);
  lm.parameters.ftol = ctl.ftol;
  lm.parameters.xtol = ctl.xtol;
  lm.parameters.gtol = ctl.gtol;
  lm.parameters.factor = ctl.step_bound;
  // at most 10 RSS evaluations per iteration (computed without int overflow)
  lm.parameters.maxfev = static_cast<Eigen::DenseIndex>(std::max<long long>(10, 10LL * ctl.max_iter));

  Eigen::VectorXd u = bounds.to_u(theta0);
  Fit fit;
  Eigen::VectorXd r;
  bounds.to_theta(u, fit.theta, nullptr);
  model.residuals(X, y, fit.theta, r, nullptr, ctl.threads);
  if (sw.size()) r.array() *= sw.array();
  const double rss0 = r.squaredNorm();
  if (!std::isfinite(rss0)) {
    fit.status = non_finite;
    fit.rss = rss0;
    return fit;
  }
  Eigen::LevenbergMarquardtSpace::Status st = lm.minimizeInit(u);
  int steps = 0;
  if (st != Eigen::LevenbergMarquardtSpace::ImproperInputParameters) {
    do {
      st = lm.minimizeOneStep(u);
      ++steps;
      if (interrupt) interrupt();
    } while (st == Eigen::LevenbergMarquardtSpace::Running && steps < ctl.max_iter);
  }
  int code = static_cast<int>(st);
  if (st == Eigen::LevenbergMarquardtSpace::Running) code = iteration_limit;
  bounds.to_theta(u, fit.theta, nullptr);
  model.residuals(X, y, fit.theta, r, nullptr, ctl.threads);
  if (sw.size()) r.array() *= sw.array();
  fit.rss = r.squaredNorm();
  fit.iterations = steps;
  fit.evaluations = static_cast<int>(lm.nfev);
  fit.status = code;
  fit.converged = status_converged(code) && std::isfinite(fit.rss);
  fit.on_bound = bounds.count_on_bound(fit.theta);
  return fit;
}

// Best of several starts (columns of `starts`, n_free x S). All fits are returned; `best` indexes
// the one with the smallest RSS (ties: the first).
struct MultiFit {
  std::vector<Fit> fits;
  int best = 0;
};

inline MultiFit fit_lse(const Model& model, const Eigen::Ref<const Eigen::MatrixXd>& X,
                        const Eigen::Ref<const Eigen::VectorXd>& y, const Eigen::Ref<const Eigen::VectorXd>& sw,
                        const Eigen::Ref<const Eigen::MatrixXd>& starts,
                        const Bounds& bounds, const Control& ctl, const std::function<void()>& interrupt = {}) {
  if (starts.cols() < 1) throw std::invalid_argument("at least one start is needed");
  if (bounds.lower.size() != model.n_free()) throw std::invalid_argument("bounds have the wrong length");
  MultiFit out;
  for (Eigen::Index s = 0; s < starts.cols(); ++s) {
    out.fits.push_back(fit_one(model, X, y, sw, starts.col(s), bounds, ctl, interrupt));
    const Fit& f = out.fits.back();
    const Fit& b = out.fits[out.best];
    if (std::isfinite(f.rss) && (!std::isfinite(b.rss) || f.rss < b.rss)) out.best = static_cast<int>(s);
  }
  return out;
}

}  // namespace lsmoe

#endif
