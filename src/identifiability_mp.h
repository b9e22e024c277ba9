// The two precisions of the identifiability check and where they are compiled: the multiprecision
// instantiations of inst/include/lsmoe/identifiability.hpp that check_strong_identifiability calls are
// compiled once each, in identifiability_lo.cpp (150 bits) and identifiability_hi.cpp (300 bits), which
// make can build in parallel, with the arithmetic of each precision (mp::real); a unit that includes this
// header only declares them.
#ifndef LSMOE_IDENTIFIABILITY_MP_H
#define LSMOE_IDENTIFIABILITY_MP_H

#include <lsmoe/identifiability.hpp>

namespace lsmoe_glue {
constexpr unsigned ident_lo_bits = 150;
constexpr unsigned ident_hi_bits = 300;
typedef lsmoe::mp::real<ident_lo_bits> IdentLo;
typedef lsmoe::mp::real<ident_hi_bits> IdentHi;
}  // namespace lsmoe_glue

// the numbers' arithmetic and functions (multiprecision.hpp)
extern template class lsmoe::mp::real<lsmoe_glue::ident_lo_bits>;
extern template class lsmoe::mp::real<lsmoe_glue::ident_hi_bits>;

namespace lsmoe {
// the structure and the matrix in the lower precision, its spectrum
extern template IdentFamily ident_family<lsmoe_glue::IdentLo>(const Expert&, const MatRef&, const MatRef&, int,
                                                              MatT<lsmoe_glue::IdentLo>*, const IdentGate&);
extern template IdentSpectrum ident_spectrum<lsmoe_glue::IdentLo>(MatT<lsmoe_glue::IdentLo>, const IdentFamily&, int,
                                                                  double, double, bool);
// the matrix in the higher precision, its spectrum and null space
extern template MatT<lsmoe_glue::IdentHi> ident_matrix<lsmoe_glue::IdentHi>(const Expert&, const MatRef&,
                                                                            const MatRef&, const IdentFamily&,
                                                                            const IdentGate&);
extern template IdentSpectrum ident_spectrum<lsmoe_glue::IdentHi>(MatT<lsmoe_glue::IdentHi>, const IdentFamily&, int,
                                                                  double, double, bool);
}  // namespace lsmoe

#endif
