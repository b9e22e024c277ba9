// The identifiability check's lower precision: the arithmetic and functions of mp::real<150>, compiled
// here once (see identifiability_mp.h).
#include <lsmoe/multiprecision.hpp>
#include "identifiability_bits.h"

template class lsmoe::mp::real<lsmoe_glue::ident_lo_bits>;
