// lsmoe: expert families h(x, eta) with first and second derivatives in eta.
// Header-only; Eigen and the standard library only.
#ifndef LSMOE_EXPERTS_HPP
#define LSMOE_EXPERTS_HPP

#include <cmath>
#include <stdexcept>
#include <string>
#include <Eigen/Dense>

namespace lsmoe {

// A strided view of one row of a column-major n x d matrix (no copy).
struct XRow {
  const double* p;
  Eigen::Index stride;
  double operator[](int u) const { return p[u * stride]; }
};

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

// Activation phi(z) and its first two derivatives.
inline void activation(Family fam, int degree, double z, double& f0, double& f1, double& f2) {
  switch (fam) {
  case Family::sigmoid: {
    // numerically stable logistic
    const double e = std::exp(-std::abs(z));  // one exponential, never overflows
    const double s = z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    f0 = s; f1 = s * (1.0 - s); f2 = f1 * (1.0 - 2.0 * s);
    return;
  }
  case Family::tanh: {
    double t = std::tanh(z);
    f0 = t; f1 = 1.0 - t * t; f2 = -2.0 * t * f1;
    return;
  }
  case Family::linear:
    f0 = z; f1 = 1.0; f2 = 0.0;
    return;
  case Family::polynomial: {
    const int p = degree;
    if (p == 0) { f0 = 1.0; f1 = 0.0; f2 = 0.0; return; }
    double zp2 = p >= 2 ? std::pow(z, p - 2) : 0.0;
    double zp1 = p >= 1 ? std::pow(z, p - 1) : 0.0;
    f0 = zp1 * z; f1 = p * zp1; f2 = p * (p - 1) * zp2;
    return;
  }
  case Family::relu:
    // derivative at 0 taken as 0 (a.e. derivative); second derivative 0 a.e.
    f0 = z > 0 ? z : 0.0; f1 = z > 0 ? 1.0 : 0.0; f2 = 0.0;
    return;
  case Family::gelu: {
    const double inv_sqrt2 = 0.70710678118654752440;
    const double inv_sqrt2pi = 0.39894228040143267794;
    double Phi = 0.5 * std::erfc(-z * inv_sqrt2);
    double phi = inv_sqrt2pi * std::exp(-0.5 * z * z);
    f0 = z * Phi; f1 = Phi + z * phi; f2 = phi * (2.0 - z * z);
    return;
  }
  case Family::constant:
    f0 = 1.0; f1 = 0.0; f2 = 0.0;
    return;
  }
}

// An expert family with input dimension d.
// Ridge families: eta = (a_1..a_d, b[, c]), h = [c *] phi(a'x + b).
// Constant family: eta = (b), h = b.
struct Expert {
  Family family = Family::sigmoid;
  int degree = 1;            // polynomial degree p (polynomial only)
  bool output_weight = false;  // ridge families: h = c * phi(a'x + b)
  int d = 1;

  Expert() = default;
  Expert(Family fam, int deg, bool ow, int dim) : family(fam), degree(deg), output_weight(ow), d(dim) {
    if (dim < 1) throw std::invalid_argument("input dimension d must be at least 1");
    if (fam == Family::polynomial && (deg < 1 || deg > 50))
      throw std::invalid_argument("polynomial degree must be between 1 and 50");
    if (fam == Family::constant && ow) throw std::invalid_argument("the constant expert takes no output weight");
  }

  bool ridge() const { return family != Family::constant; }
  // number of expert parameters q
  int q() const { return family == Family::constant ? 1 : d + 1 + (output_weight ? 1 : 0); }

  double ridge_z(const XRow& x, const double* eta) const {
    double z = eta[d];
    for (int u = 0; u < d; ++u) z += eta[u] * x[u];
    return z;
  }

  double value(const XRow& x, const double* eta) const {
    if (!ridge()) return eta[0];
    double f0, f1, f2;
    activation(family, degree, ridge_z(x, eta), f0, f1, f2);
    return output_weight ? eta[d + 1] * f0 : f0;
  }

  // value, and gradient in eta written to g (length q)
  double gradient(const XRow& x, const double* eta, double* g) const {
    if (!ridge()) { g[0] = 1.0; return eta[0]; }
    double f0, f1, f2;
    activation(family, degree, ridge_z(x, eta), f0, f1, f2);
    const double c = output_weight ? eta[d + 1] : 1.0;
    for (int u = 0; u < d; ++u) g[u] = c * f1 * x[u];
    g[d] = c * f1;
    if (output_weight) g[d + 1] = f0;
    return c * f0;
  }

  // Hessian in eta (q x q, column-major, written to H)
  void hessian(const XRow& x, const double* eta, double* H) const {
    const int Q = q();
    for (int i = 0; i < Q * Q; ++i) H[i] = 0.0;
    if (!ridge()) return;
    double f0, f1, f2;
    activation(family, degree, ridge_z(x, eta), f0, f1, f2);
    const double c = output_weight ? eta[d + 1] : 1.0;
    auto xv = [&](int u) { return u < d ? x[u] : 1.0; };  // dz/deta_u for u <= d
    for (int u = 0; u <= d; ++u)
      for (int v = 0; v <= d; ++v) H[u + v * Q] = c * f2 * xv(u) * xv(v);
    if (output_weight) {
      for (int u = 0; u <= d; ++u) {
        H[u + (d + 1) * Q] = f1 * xv(u);
        H[(d + 1) + u * Q] = f1 * xv(u);
      }
    }
  }
};

}  // namespace lsmoe

#endif
