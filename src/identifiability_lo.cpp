// The identifiability check's lower precision (150 bits), compiled here once: see identifiability_mp.h.
#include "identifiability_mp.h"

template class lsmoe::mp::real<lsmoe_glue::ident_lo_bits>;

namespace lsmoe {
template IdentFamily ident_family<lsmoe_glue::IdentLo>(const Expert&, const MatRef&, const MatRef&, int,
                                                       MatT<lsmoe_glue::IdentLo>*, const IdentGate&);
template IdentSpectrum ident_spectrum<lsmoe_glue::IdentLo>(MatT<lsmoe_glue::IdentLo>, const IdentFamily&, int, double,
                                                           double, bool);
}  // namespace lsmoe
