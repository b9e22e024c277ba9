// lsmoe: numerical check of strong identifiability of an expert family (paper-notes section 3),
// in double and in high precision (Boost.Multiprecision cpp_bin_float with Eigen's JacobiSVD).
//
// NOT included by lsmoe.hpp: the multiprecision templates are slow to compile, so a translation unit
// that wants the check includes this header explicitly:
//     #include <lsmoe/identifiability.hpp>
// ident_family, ident_matrix and ident_spectrum are function templates without `inline`, so that a
// build can compile them once for the check's multiprecision type (mp::either, both precisions in one
// type), in a translation unit of its own (an explicit instantiation definition there, an explicit
// instantiation declaration, `extern template`, where the check is called; a compiler may still
// instantiate an inline function that is declared extern, to inline it).
// It needs Eigen, the standard library, Boost.Multiprecision (multiprecision.hpp) and Boost.Math (erfc,
// constants); all header-only: an R package gets them with `LinkingTo: RcppEigen, BH`.
//
// The order-2 family of k atoms eta_1..eta_k at points x_1..x_n is the n x m matrix whose columns are
//     x^nu d^|gamma| h / d eta^gamma (x, eta_j),   j = 1..k,  |nu| + |gamma| <= order,
// the Taylor terms of H(x; beta1, eta) = exp(beta1'x) h(x, eta) at beta1 = 0. Within an atom, terms
// that coincide (x_u dh/db = dh/da_u for every ridge expert: d2H/dbeta1_u db = dH/da_u) are counted
// once. Columns are scaled to unit norm (an exactly zero column is kept as it is: it is a relation by
// itself) and the ratio smallest / largest singular value is computed in a scalar type T.
//
// With the sigmoid gate of the companion paper (arXiv:2405.13997; IdentGate below), the columns are the
// derivatives of F(x; beta1, beta0, eta) = sigmoid(beta1'x + beta0) h(x, eta): regime 1, at beta1 = 0 and
// the atom's beta0, orders 1 and 2 in (beta1, eta) and dF/dbeta0; regime 2, the first derivatives in
// (beta1, beta0, eta) at the atom.
//
// Verdict (check_strong_identifiability): in precision b bits, an exactly dependent family has a ratio of
// about 2^-b (rounding), an independent one a ratio that does not move with b. With two precisions
// lo < hi:
//   dependent    if a column is exactly zero, or ratio_hi <= 2^(-margin * hi)  (margin 0.75);
//   independent  if ratio_hi is above that and ratio_lo / ratio_hi lies in [1/stable, stable] (stable 10);
//   undecided    otherwise (try a wider box of points, more points, or more bits).
// An optional double-precision pre-screen declares the family independent when its ratio is at
// least 1e-10 (far above rounding, 1e-16, and above any ill-conditioning seen in double).
#ifndef LSMOE_IDENTIFIABILITY_HPP
#define LSMOE_IDENTIFIABILITY_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include <Eigen/Dense>

#include "experts.hpp"
#include "multiprecision.hpp"

namespace lsmoe {

// ---------------------------------------------------------------------------------------------
// Expert families in a scalar type T (double or mp::real<Bits>): value, gradient and Hessian in eta.

// activation_precise's constants (activations.hpp) in the multiprecision types: those of the Boost
// number held, Boost.Math's.
template <unsigned Bits>
struct PreciseConstants<mp::real<Bits> > {
  static mp::real<Bits> one_div_root_two() { return mp::real<Bits>::one_div_root_two(); }
  static mp::real<Bits> one_div_root_two_pi() { return mp::real<Bits>::one_div_root_two_pi(); }
};
template <unsigned LoBits, unsigned HiBits>
struct PreciseConstants<mp::either<LoBits, HiBits> > {
  typedef mp::either<LoBits, HiBits> T;
  static T one_div_root_two() { return T::one_div_root_two(); }
  static T one_div_root_two_pi() { return T::one_div_root_two_pi(); }
};

// h, gradient g (length q) and Hessian Hs (q x q, column-major) of expert e at the point x (row of a
// column-major matrix) and the atom eta (length q), in T, with the activations' precise form
// (activations.hpp). Mirrors Expert::gradient and Expert::hessian.
template <class T>
inline void expert_derivatives_t(const Expert& e, const XRow& x, const double* eta, T& h, std::vector<T>& g,
                                 std::vector<T>& Hs) {
  const int q = e.q();
  const int d = e.d;
  g.assign(q, T(0));
  Hs.assign(static_cast<std::size_t>(q) * q, T(0));
  if (!e.ridge()) {
    h = T(eta[0]);
    g[0] = T(1);
    return;
  }
  T z(eta[d]);
  for (int u = 0; u < d; ++u) z += T(eta[u]) * T(x[u]);
  T f0, f1, f2;
  activation_precise<T>(e.family, e.degree, z, f0, f1, f2);
  const T c = e.output_weight ? T(eta[d + 1]) : T(1);
  auto xv = [&](int u) { return u < d ? T(x[u]) : T(1); };  // dz / deta_u, u <= d
  h = c * f0;
  for (int u = 0; u <= d; ++u) g[u] = c * f1 * xv(u);
  if (e.output_weight) g[d + 1] = f0;
  for (int u = 0; u <= d; ++u)
    for (int v = 0; v <= d; ++v) Hs[u + v * q] = c * f2 * xv(u) * xv(v);
  if (e.output_weight) {
    for (int u = 0; u <= d; ++u) {
      Hs[u + (d + 1) * q] = f1 * xv(u);
      Hs[(d + 1) + u * q] = f1 * xv(u);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The terms of the family and their names.

// Points (n x d) and atoms (q x k) are read in place (an R matrix through Eigen::Map, for instance).
typedef Eigen::Ref<const Eigen::MatrixXd> MatRef;

struct IdentTerm {
  std::vector<int> nu;     // gate variables (0-based, nondecreasing), |nu| <= order
  std::vector<int> gamma;  // expert parameters (0-based, nondecreasing)
  std::string name;        // "h", "dH/dbeta1", "d2H/dbeta1 db", "d2H/da^2", ...; sigmoid gate: "dF/dbeta0", ...
  int beta0 = 0;           // sigmoid gate: number of derivatives in the gating intercept beta0 (0 or 1)
  int total() const { return static_cast<int>(nu.size() + gamma.size()) + beta0; }
  // order of the derivative of the gate: sigmoid^(gate_order) multiplies x^nu d^gamma h
  int gate_order() const { return static_cast<int>(nu.size()) + beta0; }
};

// ---------------------------------------------------------------------------------------------
// The gate of the family.
//
// Softmax (the seed paper, arXiv:2402.02952): the Taylor terms of H(x; beta1, eta) = exp(beta1'x) h(x, eta)
// at beta1 = 0, x^nu d^gamma h, 0 <= |nu| + |gamma| <= order (names "h", "dH/d...").
//
// Sigmoid (the companion paper, arXiv:2405.13997), F(x; beta1, beta0, eta) = sigmoid(beta1'x + beta0) h(x, eta),
// names "dF/d...":
//   regime 1 (strong identifiability): at beta1 = 0 and the atom's intercept beta0,
//       { d^{|nu|+|gamma|} F / d beta1^nu d eta^gamma : 1 <= |nu| + |gamma| <= 2 }  and  dF/dbeta0,
//     i.e. sigmoid^(|nu|)(beta0) x^nu d^gamma h and sigmoid'(beta0) h. At beta1 = 0 the gate factors are
//     constants, so the columns are those of the softmax family of order 2 (with h replaced by dF/dbeta0)
//     times sigmoid(beta0), sigmoid'(beta0) > 0 and sigmoid''(beta0) = sigmoid'(beta0)(1 - 2 sigmoid(beta0)),
//     which vanishes at beta0 = 0: there d2F/dbeta1^2 is an identically zero column.
//   regime 2 (weak identifiability): the first derivatives dF/dbeta1_u = sigmoid'(g) x_u h,
//     dF/dbeta0 = sigmoid'(g) h and dF/deta_l = sigmoid(g) dh/deta_l at the atom (beta1, beta0, eta),
//     g = beta1'x + beta0 (the paper's Regime 2 has beta1 != 0).
enum class IdentGateKind { softmax = 0, sigmoid = 1 };

struct IdentGate {
  IdentGateKind kind = IdentGateKind::softmax;
  int regime = 1;              // sigmoid: 1 (strong, order 2, beta1 = 0) or 2 (weak, order 1)
  Eigen::VectorXd beta0;       // sigmoid: one intercept per atom (length k)
  Eigen::MatrixXd beta1;       // sigmoid regime 2: d x k, one slope per atom; regime 1: ignored (beta1 = 0)
  bool sigmoid() const { return kind == IdentGateKind::sigmoid; }
  // the gate factors do not depend on x (softmax at beta1 = 0: 1; sigmoid regime 1: sigmoid^(m)(beta0))
  bool constant_factors() const { return !sigmoid() || regime == 1; }
};

// Names of the gating slopes (beta1 or beta1_1..beta1_d) and expert parameters (a or a1..ad, b, c;
// constant: b), as in the R package.
inline std::vector<std::string> ident_gate_names(int d) {
  std::vector<std::string> out;
  if (d == 1) return {"beta1"};
  for (int u = 1; u <= d; ++u) out.push_back("beta1_" + std::to_string(u));
  return out;
}

inline std::vector<std::string> ident_param_names(const Expert& e) {
  if (!e.ridge()) return {"b"};
  std::vector<std::string> out;
  if (e.d == 1) {
    out.push_back("a");
  } else {
    for (int u = 1; u <= e.d; ++u) out.push_back("a" + std::to_string(u));
  }
  out.push_back("b");
  if (e.output_weight) out.push_back("c");
  return out;
}

// Multisets of {0..p-1} of size 0..m (m <= 2): {}, {0}, .., {p-1}, {0,0}, {0,1}, .., {p-1,p-1}.
inline std::vector<std::vector<int> > ident_multisets(int p, int m) {
  std::vector<std::vector<int> > out;
  out.push_back({});
  if (m >= 1)
    for (int u = 0; u < p; ++u) out.push_back({u});
  if (m >= 2)
    for (int u = 0; u < p; ++u)
      for (int v = u; v < p; ++v) out.push_back({u, v});
  return out;
}

// The terms of one atom, by total order, gate variables first. Softmax gate: orders 0..order, names
// "h", "dH/d..."; sigmoid gate (the order is 2 in regime 1 and 1 in regime 2): "dF/dbeta0" first, then the
// derivatives of orders 1..order in (beta1, eta), names "dF/d...".
inline std::vector<IdentTerm> ident_terms(const Expert& e, int order, const IdentGate& gate = IdentGate()) {
  if (order < 1 || order > 2) throw std::invalid_argument("order must be 1 or 2");
  const bool sig = gate.sigmoid();
  const std::string H = sig ? "F" : "H";
  const std::vector<std::string> gn = ident_gate_names(e.d), pn = ident_param_names(e);
  const auto nus = ident_multisets(e.d, order), gams = ident_multisets(e.q(), order);
  std::vector<IdentTerm> out;
  if (sig) {
    IdentTerm t;
    t.name = "dF/dbeta0";
    t.beta0 = 1;
    out.push_back(t);
  }
  for (int m = sig ? 1 : 0; m <= order; ++m) {
    for (const auto& nu : nus) {
      if (static_cast<int>(nu.size()) > m) continue;
      for (const auto& ga : gams) {
        if (static_cast<int>(nu.size() + ga.size()) != m) continue;
        std::vector<std::string> vars;
        for (int u : nu) vars.push_back(gn[u]);
        for (int u : ga) vars.push_back(pn[u]);
        std::string name;
        if (vars.empty()) name = "h";
        else if (vars.size() == 1) name = "d" + H + "/d" + vars[0];
        else if (vars[0] == vars[1]) name = "d2" + H + "/d" + vars[0] + "^2";
        else name = "d2" + H + "/d" + vars[0] + " d" + vars[1];
        IdentTerm t;
        t.nu = nu;
        t.gamma = ga;
        t.name = name;
        out.push_back(t);
      }
    }
  }
  return out;
}

// A dynamic-size matrix in T (column-major).
template <class T>
using MatT = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;

// The sigmoid gate and its first two derivatives at g, in T: sigmoid(g), sigmoid'(g) = s (1 - s),
// sigmoid''(g) = sigmoid'(g) (1 - 2 s) (exactly 0 at g = 0).
template <class T>
inline void ident_sigmoid_factors(const T& g, T (&f)[3]) {
  activation_precise<T>(Family::sigmoid, 0, g, f[0], f[1], f[2]);
}

// Columns `which` (indices into terms) of atom j (eta: length q) at the points x (n x d), written to
// columns c0, c0 + 1, ... of M, in T. With `apply_gate`, the sigmoid gate's factor sigmoid^(m)(g),
// m = term.gate_order(), g = beta0_j (regime 1) or beta1_j'x + beta0_j (regime 2), multiplies the base
// function x^nu d^gamma h, giving the derivative of F; without it (and always for softmax), the base
// function alone.
template <class T>
inline void ident_atom_columns(const Expert& e, const MatRef& x, const double* eta,
                               const std::vector<IdentTerm>& terms, const std::vector<int>& which, MatT<T>& M,
                               Eigen::Index c0, const IdentGate& gate = IdentGate(), Eigen::Index j = 0,
                               bool apply_gate = false) {
  const Eigen::Index n = x.rows();
  const int q = e.q();
  const bool gated = apply_gate && gate.sigmoid();
  T h;
  std::vector<T> g, Hs;
  T f[3] = {T(1), T(1), T(1)};
  if (gated && gate.regime == 1) ident_sigmoid_factors<T>(T(gate.beta0[j]), f);
  for (Eigen::Index i = 0; i < n; ++i) {
    const XRow xr{x.data() + i, x.outerStride()};
    expert_derivatives_t<T>(e, xr, eta, h, g, Hs);
    if (gated && gate.regime == 2) {
      T gz(gate.beta0[j]);
      for (int u = 0; u < e.d; ++u) gz += T(gate.beta1(u, j)) * T(xr[u]);
      ident_sigmoid_factors<T>(gz, f);
    }
    for (std::size_t c = 0; c < which.size(); ++c) {
      const IdentTerm& t = terms[which[c]];
      T v;
      if (t.gamma.empty()) v = h;
      else if (t.gamma.size() == 1) v = g[t.gamma[0]];
      else v = Hs[t.gamma[0] + t.gamma[1] * q];
      for (int u : t.nu) v *= T(xr[u]);
      if (gated) v *= f[t.gate_order()];
      M(i, c0 + static_cast<Eigen::Index>(c)) = v;
    }
  }
}

// The structure of the family: which terms are kept, which coincide (merged), and the names.
struct IdentMerge {
  int atom;          // 0-based
  std::string term;  // name dropped, e.g. "d2H/dbeta1 db[1]"
  std::string kept;  // name it coincides with, e.g. "dH/da[1]"
  double factor = 1; // term = factor * kept (softmax: 1; sigmoid regime 1: a ratio of gate factors)
};

struct IdentFamily {
  std::vector<IdentTerm> terms;          // the terms of one atom
  std::vector<int> col_atom;             // per kept column: atom (0-based)
  std::vector<int> col_term;             // per kept column: index into terms
  std::vector<std::string> col_name;     // "dH/da[1] (= d2H/dbeta1 db[1])"
  std::vector<std::vector<int> > keep;   // per atom: kept term indices
  std::vector<IdentMerge> merged;
  int m() const { return static_cast<int>(col_name.size()); }
};

// Assemble the structure. Coincident terms are found within each atom, in a high precision T (the
// lower of the check's two, so that saturated terms, which underflow in double precision, are seen): two columns
// that are not identically zero coincide when their max-norm difference is at most sqrt(eps_T) times
// the larger max norm. The coincidences are identities between functions (x_u dh/db = dh/da_u and
// x_u dh/da_v = x_v dh/da_u for every ridge expert), so they hold to rounding, far inside that margin.
// When `M` is given, it receives the n x m matrix of the kept terms in T (as ident_matrix<T>), so that
// the expert is not evaluated twice in T.
//
// Sigmoid gate, regime 1: the coincidences are looked for among the base functions x^nu d^gamma h (the gate
// factors sigmoid^(m)(beta0) are constants), so that d2F/dbeta1_u db = sigmoid'(beta0) x_u dh/db and
// dF/da_u = sigmoid(beta0) dh/da_u, one function up to the constant factor 1 - sigmoid(beta0), are counted
// once; this is the PDE d2F/dbeta1 db = d2F/da dbeta0 of the companion paper, which holds for every ridge
// expert (as x_u dh/db = dh/da_u does under softmax gating, where it is counted once too). The merge records
// the factor (term = factor * kept). A term whose gate factor is zero (d2F/dbeta1^2 at beta0 = 0) is an
// identically zero column and is never merged. Regime 2: the gate factors depend on x, so coincidences are
// looked for among the derivatives of F themselves.
template <class T>
IdentFamily ident_family(const Expert& e, const MatRef& eta, const MatRef& x, int order,
                         MatT<T>* M = nullptr, const IdentGate& gate = IdentGate()) {
  using std::abs;
  using std::sqrt;
  if (x.cols() != e.d) throw std::invalid_argument("x must have d columns");
  if (eta.rows() != e.q()) throw std::invalid_argument("eta must have q rows (one column per atom)");
  if (eta.cols() < 1) throw std::invalid_argument("eta must have at least one atom");
  if (gate.sigmoid()) {
    if (gate.regime != 1 && gate.regime != 2) throw std::invalid_argument("regime must be 1 or 2");
    if (order != (gate.regime == 1 ? 2 : 1)) throw std::invalid_argument("the sigmoid gate's order is 2 in regime 1, 1 in regime 2");
    if (gate.beta0.size() != eta.cols()) throw std::invalid_argument("beta0 must have one entry per atom");
    if (gate.regime == 2 && (gate.beta1.rows() != e.d || gate.beta1.cols() != eta.cols()))
      throw std::invalid_argument("beta1 must be d x k (one column per atom)");
    if (!gate.beta0.allFinite() || (gate.regime == 2 && !gate.beta1.allFinite()))
      throw std::invalid_argument("beta0 and beta1 must be finite");
  }
  const bool const_fac = gate.sigmoid() && gate.regime == 1;
  IdentFamily F;
  F.terms = ident_terms(e, order, gate);
  const int nt = static_cast<int>(F.terms.size());
  const Eigen::Index n = x.rows();
  const T tol = sqrt(std::numeric_limits<T>::epsilon());
  std::vector<int> all(nt);
  std::iota(all.begin(), all.end(), 0);
  if (M) M->resize(n, nt * eta.cols());  // trimmed to the kept columns at the end
  for (Eigen::Index j = 0; j < eta.cols(); ++j) {
    MatT<T> A(n, nt);
    // base functions (softmax; sigmoid regime 1) or derivatives of F (sigmoid regime 2)
    ident_atom_columns<T>(e, x, eta.data() + j * eta.outerStride(), F.terms, all, A, 0, gate, j,
                          gate.sigmoid() && !const_fac);
    std::vector<T> fac(nt, T(1));
    if (const_fac) {
      T f[3];
      ident_sigmoid_factors<T>(T(gate.beta0[j]), f);
      for (int t = 0; t < nt; ++t) fac[t] = f[F.terms[t].gate_order()];
    }
    std::vector<T> amax(nt, T(0));
    for (int t = 0; t < nt; ++t) amax[t] = A.col(t).cwiseAbs().maxCoeff();
    std::vector<bool> kept(nt, true);
    std::vector<std::string> alias(nt);
    const std::string sfx = "[" + std::to_string(j + 1) + "]";
    for (int t = 0; t < nt; ++t) {
      if (amax[t] == 0 || fac[t] == 0) continue;
      for (int s = 0; s < t; ++s) {
        if (!kept[s] || amax[s] == 0 || fac[s] == 0) continue;
        const T lim = tol * (amax[t] > amax[s] ? amax[t] : amax[s]);
        bool same = true;
        for (Eigen::Index i = 0; i < n && same; ++i) same = abs(A(i, t) - A(i, s)) <= lim;
        if (same) {
          kept[t] = false;
          const bool one = fac[t] == fac[s];
          alias[s] += (one ? " (= " : " (~ ") + F.terms[t].name + sfx + ")";
          IdentMerge mg{static_cast<int>(j), F.terms[t].name + sfx, F.terms[s].name + sfx};
          mg.factor = static_cast<double>(T(fac[t] / fac[s]));
          F.merged.push_back(mg);
          break;
        }
      }
    }
    std::vector<int> keep;
    for (int t = 0; t < nt; ++t) {
      if (!kept[t]) continue;
      keep.push_back(t);
      if (M) M->col(F.m()) = const_fac ? MatT<T>(A.col(t) * fac[t]) : MatT<T>(A.col(t));
      F.col_atom.push_back(static_cast<int>(j));
      F.col_term.push_back(t);
      F.col_name.push_back(F.terms[t].name + sfx + alias[t]);
    }
    F.keep.push_back(keep);
  }
  if (M) M->conservativeResize(n, F.m());
  return F;
}

// The n x m matrix of the kept terms, in T (for the sigmoid gate: the derivatives of F).
template <class T>
MatT<T> ident_matrix(const Expert& e, const MatRef& eta, const MatRef& x,
                     const IdentFamily& F, const IdentGate& gate = IdentGate()) {
  MatT<T> M(x.rows(), F.m());
  Eigen::Index c0 = 0;
  for (Eigen::Index j = 0; j < eta.cols(); ++j) {
    const auto& keep = F.keep[static_cast<std::size_t>(j)];
    ident_atom_columns<T>(e, x, eta.data() + j * eta.outerStride(), F.terms, keep, M, c0, gate, j, true);
    c0 += static_cast<Eigen::Index>(keep.size());
  }
  return M;
}

// Every term of every atom (nothing merged), in T: the n x (k * terms) matrix, atom by atom, and the names
// "term[j]". For tests and for users who want the columns themselves.
template <class T>
inline MatT<T> ident_all_columns(const Expert& e, const MatRef& eta, const MatRef& x, int order,
                                 const IdentGate& gate, std::vector<std::string>& names) {
  const std::vector<IdentTerm> terms = ident_terms(e, order, gate);
  const int nt = static_cast<int>(terms.size());
  std::vector<int> all(nt);
  std::iota(all.begin(), all.end(), 0);
  MatT<T> M(x.rows(), nt * eta.cols());
  names.clear();
  for (Eigen::Index j = 0; j < eta.cols(); ++j) {
    ident_atom_columns<T>(e, x, eta.data() + j * eta.outerStride(), terms, all, M, j * nt, gate, j, true);
    for (int t = 0; t < nt; ++t) names.push_back(terms[t].name + "[" + std::to_string(j + 1) + "]");
  }
  return M;
}

// ---------------------------------------------------------------------------------------------
// Singular values, null space and readable relations in T.

struct IdentRelation {
  std::vector<int> cols;        // kept-column indices, pivot first
  std::vector<double> coef;     // coefficients on the scale of the original terms, pivot 1
};

struct IdentSpectrum {
  int bits = 53;                       // working precision (mantissa bits); 0: not computed
  std::vector<double> sv;              // singular values of the column-normalised matrix, descending
  double ratio = 0;                    // smallest / largest
  std::vector<bool> zero;              // per column: exactly zero in this precision
  bool any_zero = false;
  double threshold = 0;                // null-space threshold on the ratio used for relations
  std::vector<IdentRelation> relations;
};

// Pivot preference for a readable null-space basis: zero columns, later atoms, value terms (h, x h,
// ...) before derivative terms, higher total order, later position.
inline std::vector<int> ident_pivot_order(const IdentFamily& F, const std::vector<bool>& zero) {
  std::vector<int> idx(F.m());
  std::iota(idx.begin(), idx.end(), 0);
  auto key = [&](int c) {
    const IdentTerm& t = F.terms[F.col_term[c]];
    return std::make_tuple(zero[c] ? 0 : 1, -F.col_atom[c], t.gamma.empty() ? 0 : 1, -t.total(), -F.col_term[c]);
  };
  std::stable_sort(idx.begin(), idx.end(), [&](int a, int b) { return key(a) < key(b); });
  return idx;
}

// Column-normalise M (zero columns stay zero), compute its singular values (Eigen's JacobiSVD: Householder
// QR with column pivoting, then two-sided Jacobi on R; backward stable, so a singular value is accurate
// to about eps * sigma_max, which is what the verdict needs), and, when `threshold` > 0,
// a readable basis of the null space {v : sigma <= threshold * sigma_max}: Gauss-Jordan elimination of
// the null vectors with pivots in the preference order; coefficients below `drop` times the largest
// (on the unit-norm scale) are set to 0; each relation is returned on the original scale with its pivot
// coefficient 1.
template <class T>
IdentSpectrum ident_spectrum(MatT<T> M, const IdentFamily& F, int bits, double threshold, double drop,
                             bool want_v) {
  using std::abs;
  using std::sqrt;
  const Eigen::Index m = M.cols();
  IdentSpectrum S;
  S.bits = bits;
  S.threshold = threshold;
  S.zero.assign(static_cast<std::size_t>(m), false);
  std::vector<T> scale(static_cast<std::size_t>(m), T(1));
  for (Eigen::Index c = 0; c < m; ++c) {
    const T nrm = M.col(c).norm();
    if (nrm == 0) {
      S.zero[c] = true;
      S.any_zero = true;
    } else {
      scale[c] = nrm;
      M.col(c) /= nrm;
    }
  }
  const Eigen::JacobiSVD<MatT<T>, Eigen::ColPivHouseholderQRPreconditioner> svd(
      M, want_v ? static_cast<unsigned>(Eigen::ComputeFullV) : 0u);
  const auto& s = svd.singularValues();  // descending
  S.sv.resize(static_cast<std::size_t>(s.size()));
  for (Eigen::Index i = 0; i < s.size(); ++i) S.sv[i] = static_cast<double>(s(i));
  const T smax = s.size() ? T(s(0)) : T(0);
  S.ratio = smax > 0 ? static_cast<double>(T(s(s.size() - 1) / smax)) : 0.0;
  if (!want_v || !(threshold > 0)) return S;
  std::vector<Eigen::Index> null_idx;
  for (Eigen::Index i = 0; i < s.size(); ++i)
    if (smax == 0 || s(i) <= T(threshold) * smax) null_idx.push_back(i);
  const Eigen::Index r = static_cast<Eigen::Index>(null_idx.size());
  if (r == 0) return S;
  MatT<T> R(r, m);  // rows: null vectors
  for (Eigen::Index l = 0; l < r; ++l) R.row(l) = svd.matrixV().col(null_idx[l]).transpose();
  std::vector<int> pivots, pivot_row;
  std::vector<bool> used(static_cast<std::size_t>(r), false);
  for (int col : ident_pivot_order(F, S.zero)) {
    if (static_cast<Eigen::Index>(pivots.size()) == r) break;
    Eigen::Index best = -1;
    T bv(0);
    for (Eigen::Index l = 0; l < r; ++l)
      if (!used[l] && abs(R(l, col)) > bv) { bv = abs(R(l, col)); best = l; }
    if (best < 0 || bv < T(1e-8)) continue;
    const T piv = R(best, col);
    R.row(best) /= piv;
    for (Eigen::Index l = 0; l < r; ++l) {
      if (l == best) continue;
      const T f = R(l, col);
      if (f == 0) continue;
      R.row(l) -= f * R.row(best);
    }
    used[best] = true;
    pivots.push_back(col);
    pivot_row.push_back(static_cast<int>(best));
  }
  auto emit = [&](Eigen::Index row, int pivot) {
    std::vector<T> v(static_cast<std::size_t>(m));
    T vmax(0);
    int imax = 0;
    for (Eigen::Index c = 0; c < m; ++c) {
      v[c] = R(row, c);
      if (abs(v[c]) > vmax) { vmax = abs(v[c]); imax = static_cast<int>(c); }
    }
    if (pivot < 0) pivot = imax;  // no pivot found for this row: normalise by its largest entry
    for (Eigen::Index c = 0; c < m; ++c)
      if (abs(v[c]) < T(drop) * vmax) v[c] = T(0);
    // on the original scale: sum_c v_c M_c / scale_c = 0
    const T p = v[pivot] / scale[pivot];
    IdentRelation rel;
    rel.cols.push_back(pivot);
    rel.coef.push_back(1.0);
    for (Eigen::Index c = 0; c < m; ++c) {
      if (c == pivot || v[c] == 0) continue;
      rel.cols.push_back(static_cast<int>(c));
      rel.coef.push_back(static_cast<double>(T(v[c] / scale[c] / p)));
    }
    S.relations.push_back(rel);
  };
  for (std::size_t p = 0; p < pivots.size(); ++p) emit(pivot_row[p], pivots[p]);
  for (Eigen::Index l = 0; l < r; ++l)
    if (!used[l]) emit(l, -1);
  return S;
}

// ---------------------------------------------------------------------------------------------
// The verdict.

enum class IdentVerdict { independent = 0, dependent = 1, undecided = 2 };

inline const char* verdict_name(IdentVerdict v) {
  switch (v) {
  case IdentVerdict::independent: return "identifiable";
  case IdentVerdict::dependent: return "not identifiable";
  default: return "undecided";
  }
}

struct IdentControl {
  int order = 2;
  bool prescreen = true;         // settle clear cases in double precision
  double prescreen_ratio = 1e-10;
  double margin = 0.75;          // dependent when ratio_hi <= 2^(-margin * hi_bits)
  double stable = 10;            // independent when ratio_lo / ratio_hi in [1/stable, stable]
};

struct IdentResult {
  IdentVerdict verdict = IdentVerdict::undecided;
  std::string decided_by;        // "double" (pre-screen) or "high precision"
  IdentFamily family;
  IdentSpectrum dbl, lo, hi;     // lo, hi empty (bits 0) when the pre-screen decided
  double threshold_hi = 0;       // 2^(-margin * hi_bits)
};

// Decide whether the family of the atoms eta (q x k, one column per atom) is linearly independent on
// the points x (n x d), with the two precisions LoBits < HiBits. Relations (when dependent) come from
// the HiBits null space.
// For the sigmoid gate (`gate`), ctl.order must be 2 in regime 1 and 1 in regime 2.
template <unsigned LoBits, unsigned HiBits>
inline IdentResult check_strong_identifiability(const Expert& e, const MatRef& eta, const MatRef& x,
                                                const IdentControl& ctl = IdentControl(),
                                                const IdentGate& gate = IdentGate()) {
  static_assert(LoBits < HiBits, "LoBits must be smaller than HiBits");
  if (!x.allFinite() || !eta.allFinite()) throw std::invalid_argument("x and eta must be finite");
  IdentResult res;
  // both precisions in one type, so that the multiprecision code is compiled once; each step runs in
  // the precision of its scope
  typedef mp::either<LoBits, HiBits> Mp;
  typedef typename Mp::scope Bits;
  // the structure in LoBits (saturated terms are seen; the coincidences hold to rounding, far inside
  // sqrt(eps)), which also gives the LoBits matrix: the expert (GELU's erfc above all) costs about 4
  // times less in 150 bits than in 300, and HiBits is evaluated only when the pre-screen does not decide
  MatT<Mp> Ml;
  {
    const Bits lo(LoBits);
    res.family = ident_family<Mp>(e, eta, x, ctl.order, &Ml, gate);
  }
  if (x.rows() < res.family.m()) throw std::invalid_argument("fewer points than terms");
  res.threshold_hi = std::pow(2.0, -ctl.margin * HiBits);
  {
    const MatT<double> Md = ident_matrix<double>(e, eta, x, res.family, gate);
    if (Md.allFinite()) {
      res.dbl = ident_spectrum<double>(Md, res.family, 53, 0, 0, false);
    } else {  // overflow in double precision: no pre-screen, no double spectrum
      res.dbl.bits = 0;
      res.dbl.any_zero = true;
    }
  }
  res.lo.bits = 0;
  res.hi.bits = 0;
  if (ctl.prescreen && !res.dbl.any_zero && res.dbl.ratio >= ctl.prescreen_ratio) {
    res.verdict = IdentVerdict::independent;
    res.decided_by = "double";
    return res;
  }
  res.decided_by = "high precision";
  const double drop = std::pow(2.0, -0.375 * HiBits);
  // the null vectors cost a third more; ask for them at once when double precision already sees a
  // ratio at rounding level, else only if the high precision finds the family dependent
  const bool likely_dependent = res.dbl.any_zero || res.dbl.ratio <= 1e-13;
  bool dependent;
  {
    const Bits hi(HiBits);
    const MatT<Mp> Mh = ident_matrix<Mp>(e, eta, x, res.family, gate);
    res.hi = ident_spectrum<Mp>(Mh, res.family, HiBits, res.threshold_hi, drop, likely_dependent);
    dependent = res.hi.any_zero || res.hi.ratio <= res.threshold_hi;
    if (dependent && !likely_dependent)
      res.hi = ident_spectrum<Mp>(Mh, res.family, HiBits, res.threshold_hi, drop, true);
  }
  {
    const Bits lo(LoBits);
    res.lo = ident_spectrum<Mp>(Ml, res.family, LoBits, 0, 0, false);
  }
  if (dependent) {
    res.verdict = IdentVerdict::dependent;
    return res;
  }
  const double q = res.lo.ratio / res.hi.ratio;
  res.verdict = (q >= 1 / ctl.stable && q <= ctl.stable) ? IdentVerdict::independent : IdentVerdict::undecided;
  return res;
}

}  // namespace lsmoe

#endif
