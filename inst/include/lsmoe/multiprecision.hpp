// lsmoe: the number types of the identifiability check (identifiability.hpp).
//   mp::real<Bits>: a binary floating-point number of Bits bits of mantissa, Boost.Multiprecision's
//     cpp_bin_float<Bits> without expression templates, behind a class whose arithmetic, comparisons,
//     conversions and functions are not inline;
//   mp::either<LoBits, HiBits>: an mp::real of one of two precisions chosen at run time (below).
//
// Why a class rather than the Boost number itself: its operations are compiled once per precision, in
// one place, and its name is short (Eigen repeats the scalar's name in every expression type, and the
// Boost number's long name made most of the check's debug information). Every function is the Boost
// operation of the same name on the same operands (a mixed operation with an int or a double stays
// mixed), so the results are those of the Boost number bit for bit.
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
#include <stdexcept>

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

// ---------------------------------------------------------------------------------------------
// mp::either<LoBits, HiBits>: a number in one of two precisions, chosen at run time, so that code which
// runs in both (Eigen's SVD above all) is compiled once for the pair rather than once per precision.
// Each operation is that of mp::real<LoBits> or mp::real<HiBits> on the numbers it holds, so the results
// are bit for bit those of the one-precision type. Both operands of an operation have the same precision.
// A number made from an int or a double, and std::numeric_limits and Eigen::NumTraits (which cannot see a
// number), take the precision of the innermost either::scope alive in the thread.

template <unsigned LoBits, unsigned HiBits>
class either {
 public:
  typedef real<LoBits> lo_type;
  typedef real<HiBits> hi_type;

  // the precision of numbers made from arithmetic types in this thread while the scope lives
  class scope {
   public:
    explicit scope(unsigned bits) : saved_(set_bits(bits)) {}
    ~scope() { set_bits(saved_); }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    unsigned saved_;
  };
  // LoBits, HiBits or 0 (no scope); set_bits returns the previous value
  static unsigned bits() { return current(); }
  static unsigned set_bits(unsigned b) {
    const unsigned old = current();
    current() = b;
    return old;
  }

  either() : hi_(bits() == HiBits) {}
  explicit either(const lo_type& v) : hi_(false), lo_(v) {}
  explicit either(const hi_type& v) : hi_(true), hv_(v) {}
  either(int a);
  either(long a);
  either(long long a);
  either(unsigned a);
  either(unsigned long a);
  either(unsigned long long a);
  either(double a);
  explicit operator double() const;

  bool is_hi() const { return hi_; }
  const lo_type& lo() const { return lo_; }
  const hi_type& hi() const { return hv_; }

  either& operator+=(const either& b);
  either& operator-=(const either& b);
  either& operator*=(const either& b);
  either& operator/=(const either& b);
  either operator-() const;

#define LSMOE_MP_BINARY_DECL(R, name)                                                                        \
  static R name(const either& a, const either& b);                                                          \
  static R name(const either& a, int b);                                                                    \
  static R name(int a, const either& b);                                                                    \
  static R name(const either& a, double b);                                                                 \
  static R name(double a, const either& b);
#define LSMOE_MP_BINARY_FRIEND(R, op, name)                                                                  \
  friend R operator op(const either& a, const either& b) { return name(a, b); }                             \
  friend R operator op(const either& a, int b) { return name(a, b); }                                       \
  friend R operator op(int a, const either& b) { return name(a, b); }                                       \
  friend R operator op(const either& a, double b) { return name(a, b); }                                    \
  friend R operator op(double a, const either& b) { return name(a, b); }
  LSMOE_MP_BINARY_DECL(either, add)
  LSMOE_MP_BINARY_DECL(either, sub)
  LSMOE_MP_BINARY_DECL(either, mul)
  LSMOE_MP_BINARY_DECL(either, div)
  LSMOE_MP_BINARY_DECL(bool, lt)
  LSMOE_MP_BINARY_DECL(bool, le)
  LSMOE_MP_BINARY_DECL(bool, gt)
  LSMOE_MP_BINARY_DECL(bool, ge)
  LSMOE_MP_BINARY_DECL(bool, eq)
  LSMOE_MP_BINARY_DECL(bool, ne)
  LSMOE_MP_BINARY_FRIEND(either, +, add)
  LSMOE_MP_BINARY_FRIEND(either, -, sub)
  LSMOE_MP_BINARY_FRIEND(either, *, mul)
  LSMOE_MP_BINARY_FRIEND(either, /, div)
  LSMOE_MP_BINARY_FRIEND(bool, <, lt)
  LSMOE_MP_BINARY_FRIEND(bool, <=, le)
  LSMOE_MP_BINARY_FRIEND(bool, >, gt)
  LSMOE_MP_BINARY_FRIEND(bool, >=, ge)
  LSMOE_MP_BINARY_FRIEND(bool, ==, eq)
  LSMOE_MP_BINARY_FRIEND(bool, !=, ne)
#undef LSMOE_MP_BINARY_DECL
#undef LSMOE_MP_BINARY_FRIEND

  static either abs_of(const either& a);
  static either sqrt_of(const either& a);
  static either exp_of(const either& a);
  static either tanh_of(const either& a);
  static either cosh_of(const either& a);
  static either erfc_of(const either& a);
  static bool isfinite_of(const either& a);
  static bool isnan_of(const either& a);
  static bool isinf_of(const either& a);

  static either one_div_root_two();
  static either one_div_root_two_pi();

  static either limits_min();
  static either limits_max();
  static either limits_lowest();
  static either limits_epsilon();
  static either limits_round_error();
  static either limits_infinity();
  static either limits_quiet_NaN();
  static either limits_signaling_NaN();
  static either limits_denorm_min();
  static int limits_digits10();

 private:
  static unsigned& current();
  // the precision of a number made from an arithmetic type, or of a limit: the scope's
  static bool scope_hi();
  static void check(const either& a, const either& b);

  bool hi_;
  lo_type lo_;  // the number when !hi_
  hi_type hv_;  // the number when hi_
};

template <unsigned LoBits, unsigned HiBits>
inline either<LoBits, HiBits> abs(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::abs_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline either<LoBits, HiBits> sqrt(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::sqrt_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline either<LoBits, HiBits> exp(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::exp_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline either<LoBits, HiBits> tanh(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::tanh_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline either<LoBits, HiBits> cosh(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::cosh_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline either<LoBits, HiBits> erfc(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::erfc_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline bool isfinite(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::isfinite_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline bool isnan(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::isnan_of(a); }
template <unsigned LoBits, unsigned HiBits>
inline bool isinf(const either<LoBits, HiBits>& a) { return either<LoBits, HiBits>::isinf_of(a); }

#define LSMOE_MP_EITHER template <unsigned LoBits, unsigned HiBits>
#define LSMOE_MP_E either<LoBits, HiBits>

LSMOE_MP_EITHER unsigned& LSMOE_MP_E::current() {
  static thread_local unsigned bits = 0;
  return bits;
}
LSMOE_MP_EITHER bool LSMOE_MP_E::scope_hi() {
  const unsigned b = bits();
  if (b != LoBits && b != HiBits) throw std::logic_error("mp::either: a number made outside a precision scope");
  return b == HiBits;
}
LSMOE_MP_EITHER void LSMOE_MP_E::check(const either& a, const either& b) {
  if (a.hi_ != b.hi_) throw std::logic_error("mp::either: an operation on two precisions");
}

#define LSMOE_MP_CTOR_DEF(A)                                                                                 \
  LSMOE_MP_EITHER LSMOE_MP_E::either(A a) : hi_(scope_hi()) {                                                \
    if (hi_) hv_ = hi_type(a); else lo_ = lo_type(a);                                                        \
  }
LSMOE_MP_CTOR_DEF(int)
LSMOE_MP_CTOR_DEF(long)
LSMOE_MP_CTOR_DEF(long long)
LSMOE_MP_CTOR_DEF(unsigned)
LSMOE_MP_CTOR_DEF(unsigned long)
LSMOE_MP_CTOR_DEF(unsigned long long)
LSMOE_MP_CTOR_DEF(double)
#undef LSMOE_MP_CTOR_DEF
LSMOE_MP_EITHER LSMOE_MP_E::operator double() const { return hi_ ? static_cast<double>(hv_) : static_cast<double>(lo_); }

#define LSMOE_MP_COMPOUND_DEF(op)                                                                            \
  LSMOE_MP_EITHER LSMOE_MP_E& LSMOE_MP_E::operator op(const either& b) {                                     \
    check(*this, b);                                                                                         \
    if (hi_) hv_ op b.hv_; else lo_ op b.lo_;                                                                \
    return *this;                                                                                            \
  }
LSMOE_MP_COMPOUND_DEF(+=)
LSMOE_MP_COMPOUND_DEF(-=)
LSMOE_MP_COMPOUND_DEF(*=)
LSMOE_MP_COMPOUND_DEF(/=)
#undef LSMOE_MP_COMPOUND_DEF
LSMOE_MP_EITHER LSMOE_MP_E LSMOE_MP_E::operator-() const { return hi_ ? either(-hv_) : either(-lo_); }

#define LSMOE_MP_BINARY_DEF(R, op, name)                                                                     \
  LSMOE_MP_EITHER R LSMOE_MP_E::name(const either& a, const either& b) {                                     \
    check(a, b);                                                                                             \
    return a.hi_ ? R(a.hv_ op b.hv_) : R(a.lo_ op b.lo_);                                                    \
  }                                                                                                          \
  LSMOE_MP_EITHER R LSMOE_MP_E::name(const either& a, int b) { return a.hi_ ? R(a.hv_ op b) : R(a.lo_ op b); } \
  LSMOE_MP_EITHER R LSMOE_MP_E::name(int a, const either& b) { return b.hi_ ? R(a op b.hv_) : R(a op b.lo_); } \
  LSMOE_MP_EITHER R LSMOE_MP_E::name(const either& a, double b) { return a.hi_ ? R(a.hv_ op b) : R(a.lo_ op b); } \
  LSMOE_MP_EITHER R LSMOE_MP_E::name(double a, const either& b) { return b.hi_ ? R(a op b.hv_) : R(a op b.lo_); }
LSMOE_MP_BINARY_DEF(LSMOE_MP_E, +, add)
LSMOE_MP_BINARY_DEF(LSMOE_MP_E, -, sub)
LSMOE_MP_BINARY_DEF(LSMOE_MP_E, *, mul)
LSMOE_MP_BINARY_DEF(LSMOE_MP_E, /, div)
LSMOE_MP_BINARY_DEF(bool, <, lt)
LSMOE_MP_BINARY_DEF(bool, <=, le)
LSMOE_MP_BINARY_DEF(bool, >, gt)
LSMOE_MP_BINARY_DEF(bool, >=, ge)
LSMOE_MP_BINARY_DEF(bool, ==, eq)
LSMOE_MP_BINARY_DEF(bool, !=, ne)
#undef LSMOE_MP_BINARY_DEF

#define LSMOE_MP_UNARY_DEF(R, name, f)                                                                       \
  LSMOE_MP_EITHER R LSMOE_MP_E::name(const either& a) { return a.hi_ ? R(f(a.hv_)) : R(f(a.lo_)); }
LSMOE_MP_UNARY_DEF(LSMOE_MP_E, abs_of, abs)
LSMOE_MP_UNARY_DEF(LSMOE_MP_E, sqrt_of, sqrt)
LSMOE_MP_UNARY_DEF(LSMOE_MP_E, exp_of, exp)
LSMOE_MP_UNARY_DEF(LSMOE_MP_E, tanh_of, tanh)
LSMOE_MP_UNARY_DEF(LSMOE_MP_E, cosh_of, cosh)
LSMOE_MP_UNARY_DEF(LSMOE_MP_E, erfc_of, erfc)
LSMOE_MP_UNARY_DEF(bool, isfinite_of, isfinite)
LSMOE_MP_UNARY_DEF(bool, isnan_of, isnan)
LSMOE_MP_UNARY_DEF(bool, isinf_of, isinf)
#undef LSMOE_MP_UNARY_DEF

#define LSMOE_MP_NULLARY_DEF(R, name)                                                                        \
  LSMOE_MP_EITHER R LSMOE_MP_E::name() { return scope_hi() ? R(hi_type::name()) : R(lo_type::name()); }
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, one_div_root_two)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, one_div_root_two_pi)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_min)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_max)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_lowest)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_epsilon)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_round_error)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_infinity)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_quiet_NaN)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_signaling_NaN)
LSMOE_MP_NULLARY_DEF(LSMOE_MP_E, limits_denorm_min)
#undef LSMOE_MP_NULLARY_DEF
LSMOE_MP_EITHER int LSMOE_MP_E::limits_digits10() {
  return scope_hi() ? std::numeric_limits<hi_type>::digits10 : std::numeric_limits<lo_type>::digits10;
}

#undef LSMOE_MP_EITHER
#undef LSMOE_MP_E

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

namespace std {
// Only what is the same in both precisions, and the limits as functions (the scope's precision).
template <unsigned LoBits, unsigned HiBits>
class numeric_limits<lsmoe::mp::either<LoBits, HiBits> > {
  typedef std::numeric_limits<lsmoe::mp::boost_real<HiBits> > L;
  typedef lsmoe::mp::either<LoBits, HiBits> T;

 public:
  static constexpr bool is_specialized = L::is_specialized;
  static T(min)() { return T::limits_min(); }
  static T(max)() { return T::limits_max(); }
  static T lowest() { return T::limits_lowest(); }
  static constexpr bool is_signed = L::is_signed;
  static constexpr bool is_integer = L::is_integer;
  static constexpr bool is_exact = L::is_exact;
  static constexpr int radix = L::radix;
  static T epsilon() { return T::limits_epsilon(); }
  static T round_error() { return T::limits_round_error(); }
  static constexpr bool has_infinity = L::has_infinity;
  static constexpr bool has_quiet_NaN = L::has_quiet_NaN;
  static T infinity() { return T::limits_infinity(); }
  static T quiet_NaN() { return T::limits_quiet_NaN(); }
  static T signaling_NaN() { return T::limits_signaling_NaN(); }
  static T denorm_min() { return T::limits_denorm_min(); }
};
}  // namespace std

namespace Eigen {
template <unsigned LoBits, unsigned HiBits>
struct NumTraits<lsmoe::mp::either<LoBits, HiBits> > {
  typedef lsmoe::mp::either<LoBits, HiBits> Real;
  typedef Real NonInteger;
  typedef double Literal;
  typedef Real Nested;
  enum {
    IsComplex = 0,
    IsInteger = 0,
    ReadCost = 1,
    AddCost = 4,
    MulCost = 8,
    IsSigned = std::numeric_limits<lsmoe::mp::boost_real<HiBits> >::is_signed,
    RequireInitialization = 1
  };
  static Real epsilon() { return std::numeric_limits<Real>::epsilon(); }
  static Real dummy_precision() { return 1000 * epsilon(); }
  static Real highest() { return (std::numeric_limits<Real>::max)(); }
  static Real lowest() { return (std::numeric_limits<Real>::min)(); }
  static int digits10() { return Real::limits_digits10(); }
};
}  // namespace Eigen

#endif
