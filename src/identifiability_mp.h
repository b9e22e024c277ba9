// The multiprecision code of the identifiability check (inst/include/lsmoe/identifiability.hpp) and where
// it is compiled: check_strong_identifiability runs in one number type for both of its precisions,
// mp::either<150, 300> (lsmoe/multiprecision.hpp), whose steps (ident_family, ident_matrix, ident_spectrum:
// Eigen's SVD) are compiled once, in identifiability.cpp; the arithmetic and functions of each precision,
// mp::real<150> and mp::real<300>, in multiprecision.cpp, which make can build in parallel with it. A unit
// that includes this header only declares them.
#ifndef LSMOE_IDENTIFIABILITY_MP_H
#define LSMOE_IDENTIFIABILITY_MP_H

#include "identifiability_bits.h"
#include <lsmoe/identifiability.hpp>

namespace lsmoe_glue {
typedef lsmoe::mp::either<ident_lo_bits, ident_hi_bits> IdentMp;
}  // namespace lsmoe_glue

extern template class lsmoe::mp::real<lsmoe_glue::ident_lo_bits>;
extern template class lsmoe::mp::real<lsmoe_glue::ident_hi_bits>;
extern template class lsmoe::mp::either<lsmoe_glue::ident_lo_bits, lsmoe_glue::ident_hi_bits>;

namespace lsmoe {
extern template IdentFamily ident_family<lsmoe_glue::IdentMp>(const Expert&, const MatRef&, const MatRef&, int,
                                                              MatT<lsmoe_glue::IdentMp>*, const IdentGate&);
extern template MatT<lsmoe_glue::IdentMp> ident_matrix<lsmoe_glue::IdentMp>(const Expert&, const MatRef&,
                                                                            const MatRef&, const IdentFamily&,
                                                                            const IdentGate&);
extern template IdentSpectrum ident_spectrum<lsmoe_glue::IdentMp>(MatT<lsmoe_glue::IdentMp>, const IdentFamily&, int,
                                                                  double, double, bool);
}  // namespace lsmoe

#endif
