// lsmoe: the least squares fitter's tuning (Control) and the result of one fit (Fit).
#ifndef LSMOE_CONTROL_HPP
#define LSMOE_CONTROL_HPP

#include <limits>
#include <Eigen/Dense>
#include "status.hpp"

namespace lsmoe {

struct Control {
  int max_iter = 500;      // Levenberg-Marquardt iterations (accepted or rejected trial steps) per start
  double ftol = 1e-10;     // relative reduction of the RSS (actual and predicted)
  double xtol = 1e-10;     // relative change of the parameters
  double gtol = 0.0;       // scaled gradient: max_i |g_i| / sqrt(A_ii RSS) below gtol
  double damping = 0.1;    // initial damping: the step solves (A + mu D) h = -g with mu = damping, D = max diag(A)
  int threads = 1;         // OpenMP threads over fixed chunks of observations
  bool adapt_threads = true;  // no more threads than the machine's free cores (threads.hpp)
  // screening of many starts: each runs `screen_iter` iterations on the screening rows, the best
  // `n_finish` are then run to convergence on all rows
  int screen_iter = 30;
  int n_finish = 3;
  // box bounds: an active-set projected LM (true) or a smooth change of variables (false)
  bool project = true;
  // a best fit stopped by the iteration limit runs once more from where it stopped (fit_multi)
  bool restart = true;
  // finish on all rows as a race in rungs of race_iter, 2 race_iter, ... iterations (fit_multi);
  // 0: every start to convergence
  int race_iter = 0;
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

}  // namespace lsmoe

#endif
