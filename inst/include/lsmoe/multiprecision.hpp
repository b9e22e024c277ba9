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
#include <type_traits>

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

// The interface both number types (real and either, below) declare, each operation out of line:
// conversions from arithmetic types (implicit, as the Boost number's), compound assignments, the
// binary operations with T, int or double on either side (as friends, found by argument-dependent
// lookup, each calling the static function of its name), the functions of the same names below,
// Boost.Math's constants (identifiability.hpp's GELU) and the limits of std::numeric_limits<T>.
#define LSMOE_MP_BINARY_DECL(T, R, name)                                                                     \
  static R name(const T& a, const T& b);                                                                    \
  static R name(const T& a, int b);                                                                         \
  static R name(int a, const T& b);                                                                         \
  static R name(const T& a, double b);                                                                      \
  static R name(double a, const T& b);                                                                      \
  friend R operator LSMOE_MP_OP_##name(const T& a, const T& b) { return name(a, b); }                      \
  friend R operator LSMOE_MP_OP_##name(const T& a, int b) { return name(a, b); }                           \
  friend R operator LSMOE_MP_OP_##name(int a, const T& b) { return name(a, b); }                           \
  friend R operator LSMOE_MP_OP_##name(const T& a, double b) { return name(a, b); }                        \
  friend R operator LSMOE_MP_OP_##name(double a, const T& b) { return name(a, b); }
#define LSMOE_MP_OP_add +
#define LSMOE_MP_OP_sub -
#define LSMOE_MP_OP_mul *
#define LSMOE_MP_OP_div /
#define LSMOE_MP_OP_lt <
#define LSMOE_MP_OP_le <=
#define LSMOE_MP_OP_gt >
#define LSMOE_MP_OP_ge >=
#define LSMOE_MP_OP_eq ==
#define LSMOE_MP_OP_ne !=
// X(R, op, name) for each binary operation, R its result type (T or bool).
#define LSMOE_MP_FOR_BINARY(X, T)                                                                            \
  X(T, +, add) X(T, -, sub) X(T, *, mul) X(T, /, div)                                                       \
  X(bool, <, lt) X(bool, <=, le) X(bool, >, gt) X(bool, >=, ge) X(bool, ==, eq) X(bool, !=, ne)
#define LSMOE_MP_INTERFACE(T)                                                                                \
  T(int a);                                                                                                 \
  T(long a);                                                                                                \
  T(long long a);                                                                                           \
  T(unsigned a);                                                                                            \
  T(unsigned long a);                                                                                       \
  T(unsigned long long a);                                                                                  \
  T(double a);                                                                                              \
  explicit operator double() const;                                                                         \
  T& operator+=(const T& b);                                                                                \
  T& operator-=(const T& b);                                                                                \
  T& operator*=(const T& b);                                                                                \
  T& operator/=(const T& b);                                                                                \
  T operator-() const;                                                                                      \
  LSMOE_MP_BINARY_DECL(T, T, add)                                                                           \
  LSMOE_MP_BINARY_DECL(T, T, sub)                                                                           \
  LSMOE_MP_BINARY_DECL(T, T, mul)                                                                           \
  LSMOE_MP_BINARY_DECL(T, T, div)                                                                           \
  LSMOE_MP_BINARY_DECL(T, bool, lt)                                                                         \
  LSMOE_MP_BINARY_DECL(T, bool, le)                                                                         \
  LSMOE_MP_BINARY_DECL(T, bool, gt)                                                                         \
  LSMOE_MP_BINARY_DECL(T, bool, ge)                                                                         \
  LSMOE_MP_BINARY_DECL(T, bool, eq)                                                                         \
  LSMOE_MP_BINARY_DECL(T, bool, ne)                                                                         \
  static T abs_of(const T& a);                                                                              \
  static T sqrt_of(const T& a);                                                                             \
  static T exp_of(const T& a);                                                                              \
  static T tanh_of(const T& a);                                                                             \
  static T cosh_of(const T& a);                                                                             \
  static T erfc_of(const T& a);                                                                             \
  static bool isfinite_of(const T& a);                                                                      \
  static bool isnan_of(const T& a);                                                                         \
  static bool isinf_of(const T& a);                                                                         \
  static T one_div_root_two();                                                                              \
  static T one_div_root_two_pi();                                                                           \
  static T limits_min();                                                                                    \
  static T limits_max();                                                                                    \
  static T limits_lowest();                                                                                 \
  static T limits_epsilon();                                                                                \
  static T limits_round_error();                                                                            \
  static T limits_infinity();                                                                               \
  static T limits_quiet_NaN();                                                                              \
  static T limits_signaling_NaN();                                                                          \
  static T limits_denorm_min();

template <unsigned Bits>
class real {
 public:
  typedef boost_real<Bits> value_type;

  real() {}
  explicit real(const value_type& v) : v_(v) {}
  const value_type& value() const { return v_; }

  LSMOE_MP_INTERFACE(real)
  static int limits_digits10() { return std::numeric_limits<value_type>::digits10; }

 private:
  value_type v_;
};

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
LSMOE_MP_FOR_BINARY(LSMOE_MP_BINARY_DEF, real<Bits>)
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
  bool is_hi() const { return hi_; }
  const lo_type& lo() const { return lo_; }
  const hi_type& hi() const { return hv_; }

  LSMOE_MP_INTERFACE(either)
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

#undef LSMOE_MP_INTERFACE
#undef LSMOE_MP_BINARY_DECL
#undef LSMOE_MP_OP_add
#undef LSMOE_MP_OP_sub
#undef LSMOE_MP_OP_mul
#undef LSMOE_MP_OP_div
#undef LSMOE_MP_OP_lt
#undef LSMOE_MP_OP_le
#undef LSMOE_MP_OP_gt
#undef LSMOE_MP_OP_ge
#undef LSMOE_MP_OP_eq
#undef LSMOE_MP_OP_ne

// The functions of both number types, found by argument-dependent lookup as the Boost number's are.
template <class T> struct is_number : std::false_type {};
template <unsigned Bits> struct is_number<real<Bits> > : std::true_type {};
template <unsigned LoBits, unsigned HiBits> struct is_number<either<LoBits, HiBits> > : std::true_type {};
#define LSMOE_MP_FUNCTION(R, f)                                                                              \
  template <class T>                                                                                        \
  inline typename std::enable_if<is_number<T>::value, R>::type f(const T& a) { return T::f##_of(a); }
LSMOE_MP_FUNCTION(T, abs)
LSMOE_MP_FUNCTION(T, sqrt)
LSMOE_MP_FUNCTION(T, exp)
LSMOE_MP_FUNCTION(T, tanh)
LSMOE_MP_FUNCTION(T, cosh)
LSMOE_MP_FUNCTION(T, erfc)
LSMOE_MP_FUNCTION(bool, isfinite)
LSMOE_MP_FUNCTION(bool, isnan)
LSMOE_MP_FUNCTION(bool, isinf)
#undef LSMOE_MP_FUNCTION

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

// (R is `either` or bool: a trailing return type names the class as its members do, without the
// comma of either<LoBits, HiBits> that a macro argument cannot hold)
#define LSMOE_MP_BINARY_DEF(R, op, name)                                                                     \
  LSMOE_MP_EITHER auto LSMOE_MP_E::name(const either& a, const either& b) -> R {                            \
    check(a, b);                                                                                             \
    return a.hi_ ? R(a.hv_ op b.hv_) : R(a.lo_ op b.lo_);                                                    \
  }                                                                                                          \
  LSMOE_MP_EITHER auto LSMOE_MP_E::name(const either& a, int b) -> R { return a.hi_ ? R(a.hv_ op b) : R(a.lo_ op b); } \
  LSMOE_MP_EITHER auto LSMOE_MP_E::name(int a, const either& b) -> R { return b.hi_ ? R(a op b.hv_) : R(a op b.lo_); } \
  LSMOE_MP_EITHER auto LSMOE_MP_E::name(const either& a, double b) -> R { return a.hi_ ? R(a.hv_ op b) : R(a.lo_ op b); } \
  LSMOE_MP_EITHER auto LSMOE_MP_E::name(double a, const either& b) -> R { return b.hi_ ? R(a op b.hv_) : R(a op b.lo_); }
LSMOE_MP_FOR_BINARY(LSMOE_MP_BINARY_DEF, either)
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

namespace lsmoe {
namespace mp {
// What std::numeric_limits says of both number types: the constants of the Boost type L (for
// either, the higher precision's; both precisions agree on them) and the limits as T's functions
// (for either, in the scope's precision).
template <class T, class L>
struct limits_common {
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

// Eigen::NumTraits of both number types, with the values boost/multiprecision/eigen.hpp gives the
// Boost number (JacobiSVD reads epsilon, dummy_precision, highest and lowest).
template <class T, bool Signed>
struct num_traits_common {
  typedef T Real;
  typedef Real NonInteger;
  typedef double Literal;
  typedef Real Nested;
  enum { IsComplex = 0, IsInteger = 0, ReadCost = 1, AddCost = 4, MulCost = 8, IsSigned = Signed, RequireInitialization = 1 };
  static Real epsilon() { return std::numeric_limits<Real>::epsilon(); }
  static Real dummy_precision() { return 1000 * epsilon(); }
  static Real highest() { return (std::numeric_limits<Real>::max)(); }
  static Real lowest() { return (std::numeric_limits<Real>::min)(); }
  static int digits10() { return Real::limits_digits10(); }
};
}  // namespace mp
}  // namespace lsmoe

namespace std {
template <unsigned Bits>
class numeric_limits<lsmoe::mp::real<Bits> >
    : public lsmoe::mp::limits_common<lsmoe::mp::real<Bits>, std::numeric_limits<lsmoe::mp::boost_real<Bits> > > {
  typedef std::numeric_limits<lsmoe::mp::boost_real<Bits> > L;

 public:
  static constexpr int digits = L::digits;
  static constexpr int digits10 = L::digits10;
  static constexpr int max_digits10 = L::max_digits10;
  static constexpr int min_exponent = L::min_exponent;
  static constexpr int min_exponent10 = L::min_exponent10;
  static constexpr int max_exponent = L::max_exponent;
  static constexpr int max_exponent10 = L::max_exponent10;
  static constexpr bool has_signaling_NaN = L::has_signaling_NaN;
  static constexpr float_denorm_style has_denorm = L::has_denorm;
  static constexpr bool has_denorm_loss = L::has_denorm_loss;
  static constexpr bool is_iec559 = L::is_iec559;
  static constexpr bool is_bounded = L::is_bounded;
  static constexpr bool is_modulo = L::is_modulo;
  static constexpr bool traps = L::traps;
  static constexpr bool tinyness_before = L::tinyness_before;
  static constexpr float_round_style round_style = L::round_style;
};

// Only what is the same in both precisions, and the limits as functions (the scope's precision).
template <unsigned LoBits, unsigned HiBits>
class numeric_limits<lsmoe::mp::either<LoBits, HiBits> >
    : public lsmoe::mp::limits_common<lsmoe::mp::either<LoBits, HiBits>,
                                      std::numeric_limits<lsmoe::mp::boost_real<HiBits> > > {};
}  // namespace std

namespace Eigen {
template <unsigned Bits>
struct NumTraits<lsmoe::mp::real<Bits> >
    : lsmoe::mp::num_traits_common<lsmoe::mp::real<Bits>, std::numeric_limits<lsmoe::mp::boost_real<Bits> >::is_signed> {};
template <unsigned LoBits, unsigned HiBits>
struct NumTraits<lsmoe::mp::either<LoBits, HiBits> >
    : lsmoe::mp::num_traits_common<lsmoe::mp::either<LoBits, HiBits>,
                                   std::numeric_limits<lsmoe::mp::boost_real<HiBits> >::is_signed> {};
}  // namespace Eigen

#undef LSMOE_MP_FOR_BINARY

#endif
