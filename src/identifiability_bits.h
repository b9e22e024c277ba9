// The two precisions (mantissa bits) of the identifiability check: see identifiability_mp.h.
#ifndef LSMOE_IDENTIFIABILITY_BITS_H
#define LSMOE_IDENTIFIABILITY_BITS_H

namespace lsmoe_glue {
constexpr unsigned ident_lo_bits = 150;
constexpr unsigned ident_hi_bits = 300;
}  // namespace lsmoe_glue

#endif
