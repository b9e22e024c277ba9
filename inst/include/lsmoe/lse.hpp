// lsmoe: the least squares estimator of a softmax-gated mixture of experts, computed by our own
// Levenberg-Marquardt on the normal equations: every accepted iteration is one fused pass over
// the observations (fused.hpp) that accumulates J'J and J'r, a trial step after a rejection is a
// residual-only pass, the damped system is solved by Cholesky (LDLT, with more damping when it
// fails). Box bounds by projection with an active set (or, on request, through a smooth change
// of variables); many starts screened on a subsample of rows and the best few finished on all
// rows.
//
// The fitter in headers, one idea each:
//   problem.hpp     Problem: what the solvers see of a problem (one pass over the rows)
//   status.hpp      status codes and messages
//   control.hpp     Control (tuning) and Fit (one fit's result)
//   bounds.hpp      box bounds: change of variables and the on-bound rule
//   lm_step.hpp     damping, stopping rules and the accept/reject step both solvers share
//   lm.hpp          the projected and the transform solver, lm_fit()
//   reciprocal.hpp  reciprocal output weights (a problem wrapper)
//   multistart.hpp  fit_multi(): screening, refining and finishing many starts
#ifndef LSMOE_LSE_HPP
#define LSMOE_LSE_HPP

#include "problem.hpp"
#include "status.hpp"
#include "control.hpp"
#include "bounds.hpp"
#include "lm_step.hpp"
#include "lm.hpp"
#include "reciprocal.hpp"
#include "multistart.hpp"

#endif
