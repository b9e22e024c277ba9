// Helpers shared by the glue files: turn R objects into the core's types.
#ifndef LSMOE_GLUE_H
#define LSMOE_GLUE_H

#include <RcppEigen.h>
#include <lsmoe/lsmoe.hpp>

// An expert family from its R description list(name, degree, output_weight).
inline lsmoe::Expert make_expert(const Rcpp::List& expert, int d) {
  return lsmoe::Expert(lsmoe::family_from_string(Rcpp::as<std::string>(expert["name"])),
                       Rcpp::as<int>(expert["degree"]), Rcpp::as<bool>(expert["output_weight"]), d);
}

#endif
