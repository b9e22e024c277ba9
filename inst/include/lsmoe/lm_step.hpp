// lsmoe: what the two Levenberg-Marquardt solvers (lm.hpp) share: the damping, the stopping
// rules, and one run's state with its accept/reject step, for any Problem (problem.hpp): the RSS,
// and with jac also J'J and J'r.
#ifndef LSMOE_LM_STEP_HPP
#define LSMOE_LM_STEP_HPP

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <utility>
#include <Eigen/Dense>
#include "bounds.hpp"
#include "control.hpp"
#include "problem.hpp"
#include "status.hpp"

namespace lsmoe {

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
  if (fsmall && xsmall) return ftol_and_xtol_reached;
  if (fsmall) return ftol_reached;
  if (xsmall) return xtol_reached;
  return iteration_limit;
}

// After a rejected step: even the predicted reduction is negligible, no progress is possible.
inline bool no_progress(double F, double actual, double pred, const Control& ctl) {
  return pred <= 1e-15 * F || (std::abs(actual) <= ctl.ftol * F && pred <= ctl.ftol * F);
}

// One Levenberg-Marquardt run: the sums `cur` (J'J, J'r) at the current point in the solver's
// variables, its RSS F, the damping mu * Dsc with Dsc the running maximum of diag(J'J) (More
// 1978), the status and the pass counts. A solver calls start(), then per iteration computes a
// step and calls singular() or trial(), and finally result(). `to_space(sums)` maps sums in
// theta to the solver's variables (identity for the projected solver).
class LmRun {
 public:
  LmRun(const Problem& prob, const Control& ctl, const std::function<void()>& interrupt)
      : dmp(ctl.damping), prob_(prob), ctl_(ctl), interrupt_(interrupt) {}

  PassSums cur;
  double F = 0.0;
  Eigen::VectorXd Dsc;
  Damping dmp;
  int status = iteration_limit;
  int iter = 0;

  // The pass with the Jacobian at the start theta; false (status non_finite_start) when the RSS,
  // J'J or J'r is not finite.
  template <class ToSpace>
  bool start(const Eigen::VectorXd& theta, ToSpace&& to_space) {
    F = prob_.eval(theta, cur, true);
    fit_.evaluations = 1;
    fit_.jacobians = 1;
    if (!std::isfinite(F) || !cur.A.allFinite() || !cur.g.allFinite()) {
      status = non_finite_start;
      return false;
    }
    to_space(cur);
    const double tiny = std::numeric_limits<double>::min();
    const int p = prob_.p();
    Dsc.resize(p);
    for (int i = 0; i < p; ++i) Dsc[i] = std::max(cur.A(i, i), tiny);
    if (F == 0.0) status = exact_fit;
    return true;
  }

  bool running() const { return status == iteration_limit && iter < ctl_.max_iter; }

  // The damped system could not be solved: more damping. True when the run stops.
  bool singular() {
    last_accepted_ = false;
    if (!dmp.reject()) { status = no_reduction; return true; }
    if (interrupt_) interrupt_();
    return false;
  }

  // A step of norm hnorm from parameters of norm xnorm below the xtol test: the run stops.
  bool step_small(double hnorm, double xnorm) {
    if (hnorm <= ctl_.xtol * (xnorm + ctl_.xtol)) { status = xtol_reached; return true; }
    return false;
  }

  // The trial point theta_new of a step of norm hnorm with predicted reduction pred of the RSS.
  // After an accepted step the trial is evaluated with its Jacobian at once (it is usually
  // accepted too), after a rejection by a residual-only pass. Accepted when the gain ratio
  // exceeds 1e-4: `to_space` maps the new sums, `adopt()` makes the trial point the current one
  // and returns the norm of the new parameters. Rejected: more damping; with may_stop, the run
  // stops when no progress is possible. True when the run stops.
  template <class ToSpace, class Adopt>
  bool trial(const Eigen::VectorXd& theta_new, double hnorm, double pred, bool may_stop, ToSpace&& to_space,
             Adopt&& adopt) {
    const bool with_jac = last_accepted_;
    double Fn = prob_.eval(theta_new, trial_, with_jac);
    ++fit_.evaluations;
    if (with_jac) ++fit_.jacobians;
    const double actual = F - Fn;
    const double rho = (std::isfinite(Fn) && pred > 0) ? actual / pred : -1.0;
    if (rho > 1e-4) {
      if (!with_jac) {
        Fn = prob_.eval(theta_new, trial_, true);
        ++fit_.evaluations;
        ++fit_.jacobians;
      }
      if (!std::isfinite(Fn) || !trial_.A.allFinite() || !trial_.g.allFinite()) {
        dmp.reject();
        last_accepted_ = false;
        if (interrupt_) interrupt_();
        return false;
      }
      to_space(trial_);
      std::swap(cur, trial_);
      const double xnorm = adopt();
      const double Fold = F;
      F = Fn;
      for (int i = 0; i < prob_.p(); ++i) Dsc[i] = std::max(Dsc[i], cur.A(i, i));
      dmp.accept(rho);
      last_accepted_ = true;
      status = accepted_status(F, Fold, actual, pred, hnorm, xnorm, ctl_);
      if (status != iteration_limit) return true;
    } else {
      if (may_stop && no_progress(F, actual, pred, ctl_)) { status = no_reduction; return true; }
      last_accepted_ = false;
      if (!dmp.reject()) { status = no_reduction; return true; }
    }
    if (interrupt_) interrupt_();
    return false;
  }

  // The fit at theta (the current point in theta); a run that did not start counts no bounds.
  Fit result(const Eigen::VectorXd& theta, const Bounds& bounds) const {
    Fit fit = fit_;
    fit.theta = theta;
    fit.rss = F;
    fit.status = status;
    if (status == non_finite_start) return fit;
    fit.iterations = iter;
    fit.converged = status_converged(status) && std::isfinite(F);
    fit.on_bound = bounds.count_on_bound(theta);
    return fit;
  }

 private:
  const Problem& prob_;
  const Control& ctl_;
  const std::function<void()>& interrupt_;
  PassSums trial_;
  Fit fit_;
  bool last_accepted_ = true;
};

}  // namespace lsmoe

#endif
