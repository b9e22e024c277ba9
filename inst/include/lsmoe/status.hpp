// lsmoe: the status codes of a fit and their messages. The integer values are part of the
// interface (R compares them); the codes follow MINPACK's where the meaning is the same.
#ifndef LSMOE_STATUS_HPP
#define LSMOE_STATUS_HPP

#include <string>

namespace lsmoe {

enum Status {
  improper_input = 0,       // no fit was run
  ftol_reached = 1,         // relative reduction of the RSS (actual and predicted) below ftol
  xtol_reached = 2,         // relative change of the parameters below xtol
  ftol_and_xtol_reached = 3,
  gradient_small = 4,       // scaled gradient below gtol (residuals orthogonal to the Jacobian)
  reserved_evaluations = 5, // reserved (MINPACK's limit on evaluations): never produced
  no_reduction = 6,         // no damping gives a step that reduces the RSS
  reserved_precision = 7,   // reserved (MINPACK's xtol at machine precision): never produced
  all_held_kkt = 8,         // every parameter is held on a bound with its gradient pointing outward
  iteration_limit = 10,     // max_iter reached (also: the run goes on)
  non_finite_start = 11,    // the RSS or its derivatives are not finite at the start
  exact_fit = 12,           // the residuals are zero
  screened = 13             // run on a screening subsample only
};

// Codes 1-4, 6-8 and 12 count as converged.
inline bool status_converged(int s) {
  return (s >= 1 && s <= 4) || (s >= 6 && s <= 8) || s == 12;
}

inline std::string status_message(int s) {
  switch (s) {
  case improper_input: return "improper input to the optimizer";
  case ftol_reached: return "converged: relative reduction of the RSS below ftol";
  case xtol_reached: return "converged: relative change of the parameters below xtol";
  case ftol_and_xtol_reached:
    return "converged: relative reduction of the RSS below ftol and change of the parameters below xtol";
  case gradient_small: return "converged: residuals orthogonal to the Jacobian (gtol)";
  case reserved_evaluations: return "stopped: limit on RSS evaluations reached";
  case no_reduction: return "converged: no further reduction of the RSS possible at machine precision";
  case reserved_precision:
    return "converged to machine precision: no further improvement of the parameters possible";
  case all_held_kkt:
    return "converged: every parameter is held on a bound with its gradient pointing outward (a KKT point)";
  case iteration_limit: return "stopped: iteration limit (max_iter) reached";
  case non_finite_start: return "stopped: the RSS is not finite at the start";
  case exact_fit: return "converged: the residuals are zero";
  case screened: return "screened on a subsample only (not among the best starts finished on all rows)";
  default: return "unknown status";
  }
}

}  // namespace lsmoe

#endif
