// The identifiability check's higher precision: the arithmetic and functions of mp::real<300>, compiled
// here once (see identifiability_mp.h).
#include <lsmoe/multiprecision.hpp>
#include "identifiability_bits.h"

template class lsmoe::mp::real<lsmoe_glue::ident_hi_bits>;
