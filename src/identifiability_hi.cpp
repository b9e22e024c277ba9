// The identifiability check's higher precision (300 bits), compiled here once: see identifiability_mp.h.
#include "identifiability_mp.h"

template class lsmoe::mp::real<lsmoe_glue::ident_hi_bits>;

namespace lsmoe {
template MatT<lsmoe_glue::IdentHi> ident_matrix<lsmoe_glue::IdentHi>(const Expert&, const MatRef&, const MatRef&,
                                                                     const IdentFamily&, const IdentGate&);
template IdentSpectrum ident_spectrum<lsmoe_glue::IdentHi>(MatT<lsmoe_glue::IdentHi>, const IdentFamily&, int, double,
                                                           double, bool);
}  // namespace lsmoe
