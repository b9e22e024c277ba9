// lsmoe: mp::real<Bits>, a binary floating-point number of Bits bits of mantissa for the identifiability
// check (identifiability.hpp): Boost.Multiprecision's cpp_bin_float<Bits> without expression templates,
// behind a class whose arithmetic, comparisons, conversions and functions are not inline.
//
// Why a class rather than the Boost number itself: Eigen's SVD in a Boost number inlines the
// multiprecision arithmetic into every one of its loops, and the compiler then spends most of a build
// optimising those copies. Here each operation is one function, compiled once per precision, and called
// from everywhere else. Every function is the Boost operation of the same name on the same operands
// (a mixed operation with an int or a double stays mixed), so the results are those of the Boost number
// bit for bit.
//
// The member functions are templates defined in this header, so that the header works on its own; a build
// that wants each precision compiled once declares `extern template class lsmoe::mp::real<Bits>;` where it
// is used and defines `template class lsmoe::mp::real<Bits>;` in one translation unit (the forwarding
// operators and functions below are inline one-liners, the work is in the members).
//
// Eigen::NumTraits<mp::real<Bits>> repeats, value for value, what boost/multiprecision/eigen.hpp declares
// for the Boost number (including lowest(), which Boost gives as the smallest positive number), and
// std::numeric_limits<mp::real<Bits>> those of std::numeric_limits for the Boost number, since Eigen's
// SVD reads both (thresholds, considerAsZero).
#ifndef LSMOE_MULTIPRECISION_HPP
#define LSMOE_MULTIPRECISION_HPP

#include <cmath>
#include <limits>

#include <Eigen/Core>
#include <boost/math/constants/constants.hpp>
#include <boost/math/special_functions/erf.hpp>
#include <boost/multiprecision/cpp_bin_float.hpp>

namespace lsmoe {
namespace mp {

// The Boost number that mp::real<Bits> holds.
template <unsigned Bits>
using boost_real = boost::multiprecision::number<
    boost::multiprecision::backends::cpp_bin_float<Bits, boost::multiprecision::backends::digit_base_2>,
    boost::multiprecision::et_off>;

// The operations with a second operand: real op real, and real op int / double either way round.
#define LSMOE_MP_BINARY_DECL(R, name)                                                                        \
  static R name(const real& a, const real& b);                                                              \
  static R name(const real& a, int b);                                                                      \
  static R name(int a, const real& b);                                                                      \
  static R name(const real& a, double b);                                                                   \
  static R name(double a, const real& b);
#define LSMOE_MP_BINARY_FRIEND(R, op, name)                                                                  \
  friend R operator op(const real& a, const real& b) { return name(a, b); }                                 \
  friend R operator op(const real& a, int b) { return name(a, b); }                                         \
  friend R operator op(int a, const real& b) { return name(a, b); }                                         \
  friend R operator op(const real& a, double b) { return name(a, b); }                                      \
  friend R operator op(double a, const real& b) { return name(a, b); }

template <unsigned Bits>
class real {
 public:
  typedef boost_real<Bits> value_type;

  real() {}
  explicit real(const value_type& v) : v_(v) {}
  // implicit, as the Boost number's constructors from arithmetic types
  real(int a);
  real(long a);
  real(long long a);
  real(unsigned a);
  real(unsigned long a);
  real(unsigned long long a);
  real(double a);
  explicit operator double() const;

  const value_type& value() const { return v_; }

  real& operator+=(const real& b);
  real& operator-=(const real& b);
  real& operator*=(const real& b);
  real& operator/=(const real& b);
  real operator-() const;

  LSMOE_MP_BINARY_DECL(real, add)
  LSMOE_MP_BINARY_DECL(real, sub)
  LSMOE_MP_BINARY_DECL(real, mul)
  LSMOE_MP_BINARY_DECL(real, div)
  LSMOE_MP_BINARY_DECL(bool, lt)
  LSMOE_MP_BINARY_DECL(bool, le)
  LSMOE_MP_BINARY_DECL(bool, gt)
  LSMOE_MP_BINARY_DECL(bool, ge)
  LSMOE_MP_BINARY_DECL(bool, eq)
  LSMOE_MP_BINARY_DECL(bool, ne)

  LSMOE_MP_BINARY_FRIEND(real, +, add)
  LSMOE_MP_BINARY_FRIEND(real, -, sub)
  LSMOE_MP_BINARY_FRIEND(real, *, mul)
  LSMOE_MP_BINARY_FRIEND(real, /, div)
  LSMOE_MP_BINARY_FRIEND(bool, <, lt)
  LSMOE_MP_BINARY_FRIEND(bool, <=, le)
  LSMOE_MP_BINARY_FRIEND(bool, >, gt)
  LSMOE_MP_BINARY_FRIEND(bool, >=, ge)
  LSMOE_MP_BINARY_FRIEND(bool, ==, eq)
  LSMOE_MP_BINARY_FRIEND(bool, !=, ne)

  // the functions of the same names below (found by argument-dependent lookup)
  static real abs_of(const real& a);
  static real sqrt_of(const real& a);
  static real exp_of(const real& a);
  static real tanh_of(const real& a);
  static real cosh_of(const real& a);
  static real erfc_of(const real& a);
  static bool isfinite_of(const real& a);
  static bool isnan_of(const real& a);
  static bool isinf_of(const real& a);

  // Boost.Math's constants in the Boost number (identifiability.hpp's GELU)
  static real one_div_root_two();
  static real one_div_root_two_pi();

  // std::numeric_limits<real>
  static real limits_min();
  static real limits_max();
  static real limits_lowest();
  static real limits_epsilon();
  static real limits_round_error();
  static real limits_infinity();
  static real limits_quiet_NaN();
  static real limits_signaling_NaN();
  static real limits_denorm_min();

 private:
  value_type v_;
};

#undef LSMOE_MP_BINARY_DECL
#undef LSMOE_MP_BINARY_FRIEND

template <unsigned Bits> inline real<Bits> abs(const real<Bits>& a) { return real<Bits>::abs_of(a); }
template <unsigned Bits> inline real<Bits> sqrt(const real<Bits>& a) { return real<Bits>::sqrt_of(a); }
template <unsigned Bits> inline real<Bits> exp(const real<Bits>& a) { return real<Bits>::exp_of(a); }
template <unsigned Bits> inline real<Bits> tanh(const real<Bits>& a) { return real<Bits>::tanh_of(a); }
template <unsigned Bits> inline real<Bits> cosh(const real<Bits>& a) { return real<Bits>::cosh_of(a); }
template <unsigned Bits> inline real<Bits> erfc(const real<Bits>& a) { return real<Bits>::erfc_of(a); }
template <unsigned Bits> inline bool isfinite(const real<Bits>& a) { return real<Bits>::isfinite_of(a); }
template <unsigned Bits> inline bool isnan(const real<Bits>& a) { return real<Bits>::isnan_of(a); }
template <unsigned Bits> inline bool isinf(const real<Bits>& a) { return real<Bits>::isinf_of(a); }

// ---------------------------------------------------------------------------------------------
// The members: each the Boost operation on the held numbers.

template <unsigned Bits> real<Bits>::real(int a) : v_(a) {}
template <unsigned Bits> real<Bits>::real(long a) : v_(a) {}
template <unsigned Bits> real<Bits>::real(long long a) : v_(a) {}
template <unsigned Bits> real<Bits>::real(unsigned a) : v_(a) {}
template <unsigned Bits> real<Bits>::real(unsigned long a) : v_(a) {}
template <unsigned Bits> real<Bits>::real(unsigned long long a) : v_(a) {}
template <unsigned Bits> real<Bits>::real(double a) : v_(a) {}
template <unsigned Bits> real<Bits>::operator double() const { return static_cast<double>(v_); }

template <unsigned Bits> real<Bits>& real<Bits>::operator+=(const real& b) { v_ += b.v_; return *this; }
template <unsigned Bits> real<Bits>& real<Bits>::operator-=(const real& b) { v_ -= b.v_; return *this; }
template <unsigned Bits> real<Bits>& real<Bits>::operator*=(const real& b) { v_ *= b.v_; return *this; }
template <unsigned Bits> real<Bits>& real<Bits>::operator/=(const real& b) { v_ /= b.v_; return *this; }
template <unsigned Bits> real<Bits> real<Bits>::operator-() const { return real(-v_); }

#define LSMOE_MP_BINARY_DEF(R, op, name)                                                                     \
  template <unsigned Bits> R real<Bits>::name(const real& a, const real& b) { return R(a.v_ op b.v_); }     \
  template <unsigned Bits> R real<Bits>::name(const real& a, int b) { return R(a.v_ op b); }               \
  template <unsigned Bits> R real<Bits>::name(int a, const real& b) { return R(a op b.v_); }               \
  template <unsigned Bits> R real<Bits>::name(const real& a, double b) { return R(a.v_ op b); }            \
  template <unsigned Bits> R real<Bits>::name(double a, const real& b) { return R(a op b.v_); }
LSMOE_MP_BINARY_DEF(real<Bits>, +, add)
LSMOE_MP_BINARY_DEF(real<Bits>, -, sub)
LSMOE_MP_BINARY_DEF(real<Bits>, *, mul)
LSMOE_MP_BINARY_DEF(real<Bits>, /, div)
LSMOE_MP_BINARY_DEF(bool, <, lt)
LSMOE_MP_BINARY_DEF(bool, <=, le)
LSMOE_MP_BINARY_DEF(bool, >, gt)
LSMOE_MP_BINARY_DEF(bool, >=, ge)
LSMOE_MP_BINARY_DEF(bool, ==, eq)
LSMOE_MP_BINARY_DEF(bool, !=, ne)
#undef LSMOE_MP_BINARY_DEF

// As a call on the Boost number would find them: Boost.Multiprecision's functions (erfc through
// Boost.Math) by argument-dependent lookup, next to the standard library's.
template <unsigned Bits> real<Bits> real<Bits>::abs_of(const real& a) { using std::abs; return real(abs(a.v_)); }
template <unsigned Bits> real<Bits> real<Bits>::sqrt_of(const real& a) { using std::sqrt; return real(sqrt(a.v_)); }
template <unsigned Bits> real<Bits> real<Bits>::exp_of(const real& a) { using std::exp; return real(exp(a.v_)); }
template <unsigned Bits> real<Bits> real<Bits>::tanh_of(const real& a) { using std::tanh; return real(tanh(a.v_)); }
template <unsigned Bits> real<Bits> real<Bits>::cosh_of(const real& a) { using std::cosh; return real(cosh(a.v_)); }
template <unsigned Bits> real<Bits> real<Bits>::erfc_of(const real& a) { using std::erfc; return real(erfc(a.v_)); }
template <unsigned Bits> bool real<Bits>::isfinite_of(const real& a) { using std::isfinite; return isfinite(a.v_); }
template <unsigned Bits> bool real<Bits>::isnan_of(const real& a) { using std::isnan; return isnan(a.v_); }
template <unsigned Bits> bool real<Bits>::isinf_of(const real& a) { using std::isinf; return isinf(a.v_); }

template <unsigned Bits> real<Bits> real<Bits>::one_div_root_two() {
  return real(boost::math::constants::one_div_root_two<value_type>());
}
template <unsigned Bits> real<Bits> real<Bits>::one_div_root_two_pi() {
  return real(boost::math::constants::one_div_root_two_pi<value_type>());
}

#define LSMOE_MP_LIMIT_DEF(name)                                                                             \
  template <unsigned Bits> real<Bits> real<Bits>::limits_##name() {                                         \
    return real(std::numeric_limits<value_type>::name());                                                   \
  }
LSMOE_MP_LIMIT_DEF(min)
LSMOE_MP_LIMIT_DEF(max)
LSMOE_MP_LIMIT_DEF(lowest)
LSMOE_MP_LIMIT_DEF(epsilon)
LSMOE_MP_LIMIT_DEF(round_error)
LSMOE_MP_LIMIT_DEF(infinity)
LSMOE_MP_LIMIT_DEF(quiet_NaN)
LSMOE_MP_LIMIT_DEF(signaling_NaN)
LSMOE_MP_LIMIT_DEF(denorm_min)
#undef LSMOE_MP_LIMIT_DEF

}  // namespace mp
}  // namespace lsmoe

namespace std {
template <unsigned Bits>
class numeric_limits<lsmoe::mp::real<Bits> > {
  typedef std::numeric_limits<lsmoe::mp::boost_real<Bits> > L;
  typedef lsmoe::mp::real<Bits> T;

 public:
  static constexpr bool is_specialized = L::is_specialized;
  static T(min)() { return T::limits_min(); }
  static T(max)() { return T::limits_max(); }
  static T lowest() { return T::limits_lowest(); }
  static constexpr int digits = L::digits;
  static constexpr int digits10 = L::digits10;
  static constexpr int max_digits10 = L::max_digits10;
  static constexpr bool is_signed = L::is_signed;
  static constexpr bool is_integer = L::is_integer;
  static constexpr bool is_exact = L::is_exact;
  static constexpr int radix = L::radix;
  static T epsilon() { return T::limits_epsilon(); }
  static T round_error() { return T::limits_round_error(); }
  static constexpr int min_exponent = L::min_exponent;
  static constexpr int min_exponent10 = L::min_exponent10;
  static constexpr int max_exponent = L::max_exponent;
  static constexpr int max_exponent10 = L::max_exponent10;
  static constexpr bool has_infinity = L::has_infinity;
  static constexpr bool has_quiet_NaN = L::has_quiet_NaN;
  static constexpr bool has_signaling_NaN = L::has_signaling_NaN;
  static constexpr float_denorm_style has_denorm = L::has_denorm;
  static constexpr bool has_denorm_loss = L::has_denorm_loss;
  static T infinity() { return T::limits_infinity(); }
  static T quiet_NaN() { return T::limits_quiet_NaN(); }
  static T signaling_NaN() { return T::limits_signaling_NaN(); }
  static T denorm_min() { return T::limits_denorm_min(); }
  static constexpr bool is_iec559 = L::is_iec559;
  static constexpr bool is_bounded = L::is_bounded;
  static constexpr bool is_modulo = L::is_modulo;
  static constexpr bool traps = L::traps;
  static constexpr bool tinyness_before = L::tinyness_before;
  static constexpr float_round_style round_style = L::round_style;
};
}  // namespace std

namespace Eigen {
template <unsigned Bits>
struct NumTraits<lsmoe::mp::real<Bits> > {
  typedef lsmoe::mp::real<Bits> Real;
  typedef Real NonInteger;
  typedef double Literal;
  typedef Real Nested;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    ReadCost = 1,
    AddCost = 4,
    MulCost = 8,
    IsSigned = std::numeric_limits<lsmoe::mp::boost_real<Bits> >::is_signed,
    RequireInitialization = 1
  };
  static Real epsilon() { return std::numeric_limits<Real>::epsilon(); }
  static Real dummy_precision() { return 1000 * epsilon(); }
  static Real highest() { return (std::numeric_limits<Real>::max)(); }
  static Real lowest() { return (std::numeric_limits<Real>::min)(); }
  static int digits10() { return std::numeric_limits<Real>::digits10; }
};
}  // namespace Eigen

#endif
