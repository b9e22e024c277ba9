// lsmoe: expert families h(x, eta) with first and second derivatives in eta.
// Header-only; Eigen and the standard library only.
#ifndef LSMOE_EXPERTS_HPP
#define LSMOE_EXPERTS_HPP

#include <cmath>
#include <stdexcept>
#include <Eigen/Dense>
#include "activations.hpp"

namespace lsmoe {

// A strided view of one row of a column-major n x d matrix (no copy).
struct XRow {
  const double* p;
  Eigen::Index stride;
  double operator[](int u) const { return p[u * stride]; }
};

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
