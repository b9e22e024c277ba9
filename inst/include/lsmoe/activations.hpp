// lsmoe: the activations phi of the expert families, h = [c *] phi(a'x + b), each written once
// as a policy with two forms:
//   scalar(z, p, f0, f1, f2): phi(z), phi'(z), phi''(z) at one z (the reference model,
//                             experts.hpp and model.hpp);
//   block(Z, F0, F1, p):      phi and phi' elementwise over a block of rows (the fused pass,
//                             fused.hpp), with Eigen's vectorised exp and tanh.
// The two forms of sigmoid, tanh and polynomial round differently (a stable logistic against
// 1 / (1 + exp(-z)); std::tanh against Eigen's; std::pow against repeated products); linear,
// relu, gelu and constant compute the same numbers.
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

}  // namespace lsmoe

#endif
