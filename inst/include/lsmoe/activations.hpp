// lsmoe: the activations phi of the expert families, h = [c *] phi(a'x + b), each written once
// as a policy with two forms:
//   scalar(z, p, f0, f1, f2): phi(z), phi'(z), phi''(z) at one z (the reference model,
//                             experts.hpp and model.hpp);
//   block(Z, F0, F1, p):      phi and phi' elementwise over a block of rows (the fused pass,
//                             fused.hpp), with Eigen's vectorised exp and tanh.
// The two forms of sigmoid, tanh and polynomial round differently (a stable logistic against
// 1 / (1 + exp(-z)); std::tanh against Eigen's; std::pow against repeated products); linear,
// relu, gelu and constant compute the same numbers. A third, precise form, activation_precise<T> at
// the end, serves the identifiability check.
#ifndef LSMOE_ACTIVATIONS_HPP
#define LSMOE_ACTIVATIONS_HPP

#include <cmath>
#include <stdexcept>
#include <string>
#include <Eigen/Dense>

namespace lsmoe {

typedef Eigen::Array<double, Eigen::Dynamic, Eigen::Dynamic> ArrayXXd_;

enum class Family { sigmoid = 0, tanh = 1, linear = 2, polynomial = 3, relu = 4, gelu = 5, constant = 6 };

inline Family family_from_string(const std::string& s) {
  if (s == "sigmoid") return Family::sigmoid;
  if (s == "tanh") return Family::tanh;
  if (s == "linear") return Family::linear;
  if (s == "polynomial") return Family::polynomial;
  if (s == "relu") return Family::relu;
  if (s == "gelu") return Family::gelu;
  if (s == "constant") return Family::constant;
  throw std::invalid_argument("unknown expert family '" + s + "'");
}

// The logistic function, without overflow for either sign of z (one exponential).
inline double sigmoid_stable(double z) {
  const double e = std::exp(-std::abs(z));
  return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

struct ActSigmoid {
  static void scalar(double z, int, double& f0, double& f1, double& f2) {
    f0 = sigmoid_stable(z); f1 = f0 * (1.0 - f0); f2 = f1 * (1.0 - 2.0 * f0);
  }
  static void block(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int) {
    f0 = (1.0 + (-z).exp()).inverse();  // exp(-z) = Inf gives 0, never NaN
    f1 = f0 * (1.0 - f0);
  }
};

struct ActTanh {
  static void scalar(double z, int, double& f0, double& f1, double& f2) {
    const double t = std::tanh(z);
    f0 = t; f1 = 1.0 - t * t; f2 = -2.0 * t * f1;
  }
  static void block(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int) {
    f0 = z.tanh();
    f1 = 1.0 - f0.square();
  }
};

struct ActLinear {
  static void scalar(double z, int, double& f0, double& f1, double& f2) { f0 = z; f1 = 1.0; f2 = 0.0; }
  static void block(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int) {
    f0 = z;
    f1.setOnes(z.rows(), z.cols());
  }
};

// phi(z) = z^p (p >= 1, checked by Expert).
struct ActPolynomial {
  static void scalar(double z, int p, double& f0, double& f1, double& f2) {
    if (p == 0) { f0 = 1.0; f1 = 0.0; f2 = 0.0; return; }
    const double zp2 = p >= 2 ? std::pow(z, p - 2) : 0.0;
    const double zp1 = p >= 1 ? std::pow(z, p - 1) : 0.0;
    f0 = zp1 * z; f1 = p * zp1; f2 = p * (p - 1) * zp2;
  }
  static void block(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int p) {
    // f1 = p z^(p-1), f0 = z^p by repeated products (p is small)
    f1.setOnes(z.rows(), z.cols());
    for (int e = 1; e < p; ++e) f1 *= z;
    f0 = f1 * z;
    f1 *= static_cast<double>(p);
  }
};

// The derivative at 0 is taken as 0 (the a.e. derivative); the second derivative is 0 a.e.
struct ActRelu {
  static void scalar(double z, int, double& f0, double& f1, double& f2) {
    f0 = z > 0 ? z : 0.0; f1 = z > 0 ? 1.0 : 0.0; f2 = 0.0;
  }
  static void block(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int) {
    f0 = z.max(0.0);
    f1 = (z > 0.0).cast<double>();
  }
};

// phi(z) = z Phi(z) with Phi(z) = erfc(-z / sqrt(2)) / 2.
struct ActGelu {
  static void scalar(double z, int, double& f0, double& f1, double& f2) {
    const double inv_sqrt2 = 0.70710678118654752440, inv_sqrt2pi = 0.39894228040143267794;
    const double Phi = 0.5 * std::erfc(-z * inv_sqrt2);
    const double phi = inv_sqrt2pi * std::exp(-0.5 * z * z);
    f0 = z * Phi; f1 = Phi + z * phi; f2 = phi * (2.0 - z * z);
  }
  static void block(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int p) {
    f0.resize(z.rows(), z.cols());
    f1.resize(z.rows(), z.cols());
    double f2;
    for (Eigen::Index i = 0; i < z.size(); ++i) scalar(z.data()[i], p, f0.data()[i], f1.data()[i], f2);
  }
};

// h = b: no ridge; the fused pass and the reference model handle it apart.
struct ActConstant {
  static void scalar(double, int, double& f0, double& f1, double& f2) { f0 = 1.0; f1 = 0.0; f2 = 0.0; }
  static void block(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int) {
    f0.setOnes(z.rows(), z.cols());
    f1.setZero(z.rows(), z.cols());
  }
};

// Calls f(Act()) with the activation policy of a family: the one place where a run-time family
// becomes a compile-time policy.
template <class F>
auto dispatch_family(Family fam, F&& f) -> decltype(f(ActSigmoid())) {
  switch (fam) {
  case Family::sigmoid: return f(ActSigmoid());
  case Family::tanh: return f(ActTanh());
  case Family::linear: return f(ActLinear());
  case Family::polynomial: return f(ActPolynomial());
  case Family::relu: return f(ActRelu());
  case Family::gelu: return f(ActGelu());
  case Family::constant: return f(ActConstant());
  }
  throw std::invalid_argument("unknown expert family");
}

// phi(z), phi'(z), phi''(z) of a run-time family (degree: the polynomial's p).
inline void activation(Family fam, int degree, double z, double& f0, double& f1, double& f2) {
  dispatch_family(fam, [&](auto act) { decltype(act)::scalar(z, degree, f0, f1, f2); });
}

// 1 / sqrt(2) and 1 / sqrt(2 pi) in T for activation_precise: for double, ActGelu's (which are
// Boost.Math's to the bit); a type of higher precision specialises it with constants of its own
// precision (identifiability.hpp does, for its multiprecision types).
template <class T>
struct PreciseConstants;
template <>
struct PreciseConstants<double> {
  static double one_div_root_two() { return 0.70710678118654752440; }
  static double one_div_root_two_pi() { return 0.39894228040143267794; }
};

// The precise form, in a scalar type T (double or a multiprecision number): phi(z) and its first two
// derivatives, accurate relative to the value in the tails (saturated sigmoid and tanh, GELU far left),
// so that an exact identity between terms holds to rounding (the identifiability check,
// identifiability.hpp). In double it rounds differently from the scalar form for sigmoid, tanh and
// polynomial (s (1 - s) from exp(-|z|), 1 / cosh^2 against 1 - tanh^2, repeated products against
// std::pow). exp, tanh, cosh and erfc are the standard library's for double and the number type's,
// found by argument-dependent lookup, otherwise.
template <class T>
inline void activation_precise(Family fam, int degree, const T& z, T& f0, T& f1, T& f2) {
  using std::abs;
  using std::cosh;
  using std::erfc;
  using std::exp;
  using std::tanh;
  switch (fam) {
  case Family::sigmoid: {
    // s = sigmoid(z), sc = 1 - s, both from e = exp(-|z|) without cancellation
    const T e = exp(T(-abs(z)));
    const T big = T(1) / (1 + e), small = e / (1 + e);
    const T s = z >= 0 ? big : small, sc = z >= 0 ? small : big;
    f0 = s; f1 = s * sc; f2 = f1 * (sc - s);
    return;
  }
  case Family::tanh: {
    // 1 - tanh^2 = 1 / cosh^2, without cancellation where tanh saturates
    const T ch = cosh(z);
    f0 = tanh(z); f1 = 1 / (ch * ch); f2 = -2 * f0 * f1;
    return;
  }
  case Family::linear:
    f0 = z; f1 = T(1); f2 = T(0);
    return;
  case Family::polynomial: {
    // z^p, p z^(p-1), p (p-1) z^(p-2) by repeated multiplication
    const int p = degree;
    T zp2(1);
    for (int i = 0; i < p - 2; ++i) zp2 *= z;
    const T zp1 = p >= 2 ? T(zp2 * z) : T(1);
    f0 = zp1 * z; f1 = T(p) * zp1; f2 = p >= 2 ? T(T(p) * T(p - 1) * zp2) : T(0);
    return;
  }
  case Family::relu:
    f0 = z > 0 ? z : T(0); f1 = z > 0 ? T(1) : T(0); f2 = T(0);
    return;
  case Family::gelu: {
    // Phi(z) = erfc(-z / sqrt(2)) / 2, relative accuracy in the left tail; phi(z) = exp(-z^2 / 2) / sqrt(2 pi)
    const T Phi = erfc(T(-z * PreciseConstants<T>::one_div_root_two())) / 2;
    const T phi = exp(T(-z * z / 2)) * PreciseConstants<T>::one_div_root_two_pi();
    f0 = z * Phi; f1 = Phi + z * phi; f2 = phi * (2 - z * z);
    return;
  }
  case Family::constant:
    f0 = T(1); f1 = T(0); f2 = T(0);
    return;
  }
}


}  // namespace lsmoe

#endif
