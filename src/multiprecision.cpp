// The identifiability check's two precisions: the arithmetic and functions of mp::real<150> and
// mp::real<300> (lsmoe/multiprecision.hpp), compiled here once (see identifiability_mp.h).
#include <lsmoe/multiprecision.hpp>
#include "identifiability_bits.h"

template class lsmoe::mp::real<lsmoe_glue::ident_lo_bits>;
template class lsmoe::mp::real<lsmoe_glue::ident_hi_bits>;
