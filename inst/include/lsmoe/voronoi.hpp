// lsmoe: Voronoi cells and Voronoi losses between mixing measures (Nguyen, Ho & Rinaldo 2024,
// arXiv:2402.02952, section 4 of the package's paper notes). Header-only; Eigen and the standard
// library only.
//
// A mixing measure G = sum_i exp(beta0_i) delta_{(beta1_i, eta_i)} is held in a Params
// (model.hpp): beta0 (k), beta1 (k x d), eta (q x k, column i = expert parameters of atom i).
// The atoms omega_i = (beta1_i, eta_i) live in R^{d+q} with the Euclidean distance.
#ifndef LSMOE_VORONOI_HPP
#define LSMOE_VORONOI_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>
#include <Eigen/Dense>
#include "experts.hpp"
#include "model.hpp"

namespace lsmoe {

// The common translation (t0, t1) added to every (beta0_i, beta1_i) of a fitted measure.
struct Shift {
  double t0 = 0.0;
  Eigen::VectorXd t1;  // d
};

// Voronoi cells of the true atoms: assignment[i] = j (0-based) when fitted atom i lies in cell
// A_j; members[j] = the fitted atoms of A_j in increasing order; dist(i, j) = ||omega_i - omega*_j||.
struct Cells {
  std::vector<int> assignment;
  std::vector<std::vector<int>> members;
  Eigen::MatrixXd dist;  // k x k*
};

enum class LossType { D1 = 1, D2 = 2 };

inline LossType loss_type_from_string(const std::string& s) {
  if (s == "D1") return LossType::D1;
  if (s == "D2") return LossType::D2;
  throw std::invalid_argument("unknown Voronoi loss type '" + s + "'");
}

// How the translation invariance of the softmax gate is removed before a loss is computed.
//   None:     the measures are compared as given;
//   Moment:   the FITTED measure is shifted by alignment_shift() (total weights and weight-averaged
//             gating slopes matched; the package's convention);
//   Infimum:  the loss is the infimum over translations (t0, t1) of the TRUE measure that keep its
//             gating parameters in the box [-bound_gate, bound_gate] (Nguyen, Nguyen & Ho 2023,
//             arXiv:2305.03288), cells recomputed with the translated true atoms.
enum class Align { None = 0, Moment = 1, Infimum = 2 };

inline Align align_from_string(const std::string& s) {
  if (s == "none") return Align::None;
  if (s == "moment") return Align::Moment;
  if (s == "infimum") return Align::Infimum;
  throw std::invalid_argument("unknown alignment '" + s + "'");
}

// The loss and its decomposition, per true atom j (cell A_j):
//   weight_term[j] = |sum_{i in A_j} exp(beta0_i) - exp(beta0*_j)|,
//   split_term[j]  = the parameter part of A_j when |A_j| > 1 (else 0),
//   single_term[j] = the parameter part of A_j when |A_j| = 1 (else 0),
//   parameter_term = split_term + single_term;  value = sum(weight_term) + sum(parameter_term).
// `shift` is the translation that was applied: to G (Moment), to G0 (Infimum), zero (None).
// `underflow` is set when a non-zero deviation's contribution underflowed to zero and the loss is
// below DBL_MIN (zero or subnormal): the value then cannot be trusted.
struct VoronoiLoss {
  double value = 0.0;
  Eigen::VectorXd weight_term;
  Eigen::VectorXd split_term;
  Eigen::VectorXd single_term;
  Eigen::VectorXd parameter_term;
  Cells cells;
  Shift shift;
  Align align = Align::None;
  bool aligned = false;
  bool underflow = false;
};

// Check that a measure is well formed (k >= 1, shapes, finite values).
inline void check_measure(const Params& G, const char* what) {
  const std::string w(what);
  const Eigen::Index k = G.beta0.size();
  if (k < 1) throw std::invalid_argument(w + ": a mixing measure needs at least one atom");
  if (G.beta1.rows() != k) throw std::invalid_argument(w + ": beta1 must have one row per atom");
  if (G.eta.cols() != k) throw std::invalid_argument(w + ": eta must have one column per atom");
  if (!G.beta0.allFinite() || !G.beta1.allFinite() || !G.eta.allFinite())
    throw std::invalid_argument(w + ": parameters must be finite");
}

inline void check_pair(const Params& G, const Params& G0) {
  check_measure(G, "G");
  check_measure(G0, "G0");
  if (G.beta1.cols() != G0.beta1.cols())
    throw std::invalid_argument("G and G0 must have the same input dimension d");
  if (G.eta.rows() != G0.eta.rows())
    throw std::invalid_argument("G and G0 must have the same number q of expert parameters");
}

// log(sum_i exp(v_i)) without overflow.
inline double log_sum_exp(const Eigen::VectorXd& v) {
  const double m = v.maxCoeff();
  return m + std::log((v.array() - m).exp().sum());
}

// Alignment shift (convention of the package): t0 makes the total weights equal,
//   sum_i exp(beta0_i + t0) = sum_j exp(beta0*_j),
// t1 makes the weight-averaged gating slopes equal,
//   sum_i w_i (beta1_i + t1) = sum_j w*_j beta1*_j,  w = softmax(beta0), w* = softmax(beta0*).
inline Shift alignment_shift(const Params& G, const Params& G0) {
  check_pair(G, G0);
  Shift s;
  const double lse = log_sum_exp(G.beta0), lse0 = log_sum_exp(G0.beta0);
  s.t0 = lse0 - lse;
  const Eigen::VectorXd w = (G.beta0.array() - lse).exp().matrix();
  const Eigen::VectorXd w0 = (G0.beta0.array() - lse0).exp().matrix();
  s.t1 = (G0.beta1.transpose() * w0) / w0.sum() - (G.beta1.transpose() * w) / w.sum();
  return s;
}

inline Params apply_shift(const Params& G, const Shift& s) {
  Params out = G;
  out.beta0.array() += s.t0;
  for (Eigen::Index i = 0; i < out.beta1.rows(); ++i) out.beta1.row(i) += s.t1.transpose();
  return out;
}

// Voronoi cells A_j = { i : ||omega_i - omega*_j|| <= ||omega_i - omega*_l|| for all l }. A fitted
// atom equidistant from several true atoms goes to the lowest j (convention). Distances are
// compared through their squares, which orders them identically in exact arithmetic.
inline Cells voronoi_cells(const Params& G, const Params& G0) {
  check_pair(G, G0);
  const int k = static_cast<int>(G.beta0.size()), k0 = static_cast<int>(G0.beta0.size());
  Cells c;
  c.assignment.assign(k, 0);
  c.members.assign(k0, std::vector<int>());
  c.dist.resize(k, k0);
  for (int i = 0; i < k; ++i) {
    double best = std::numeric_limits<double>::infinity();
    for (int j = 0; j < k0; ++j) {
      const double d2 = (G.beta1.row(i) - G0.beta1.row(j)).squaredNorm() + (G.eta.col(i) - G0.eta.col(j)).squaredNorm();
      c.dist(i, j) = std::sqrt(d2);
      if (d2 < best) {  // strict: ties keep the lowest j
        best = d2;
        c.assignment[i] = j;
      }
    }
    c.members[c.assignment[i]].push_back(i);
  }
  return c;
}

// Blocks of the expert parameter eta used by the D2 loss: ridge experts split eta = (a, b[, c])
// into a (d entries), b (1) and, with an output weight, c (1); the constant expert has the single
// block b. Returns the block sizes, which sum to q.
inline std::vector<int> eta_blocks(const Expert& e) {
  if (!e.ridge()) return {1};
  std::vector<int> b{e.d, 1};
  if (e.output_weight) b.push_back(1);
  return b;
}

// Sum over blocks of ||block of v||^r.
inline double block_power_sum(const Eigen::VectorXd& v, const std::vector<int>& blocks, double r) {
  double s = 0.0;
  Eigen::Index start = 0;
  for (int len : blocks) {
    s += std::pow(v.segment(start, len).norm(), r);
    start += len;
  }
  return s;
}

inline void check_loss_args(const Params& G, const Params& G0, LossType type, double r,
                            const std::vector<int>& blocks) {
  check_pair(G, G0);
  const int q = static_cast<int>(G0.eta.rows());
  if (std::accumulate(blocks.begin(), blocks.end(), 0) != q)
    throw std::invalid_argument("the expert parameter blocks must add up to q");
  for (int len : blocks)
    if (len < 1) throw std::invalid_argument("expert parameter blocks must be non-empty");
  if (type == LossType::D2 && !(std::isfinite(r) && r >= 1.0)) throw std::invalid_argument("r must be a finite number >= 1");
}

// Cells for a given assignment (assignment[i] = j, 0-based), with the distances to G0's atoms.
inline Cells cells_from_assignment(const Params& G, const Params& G0, const std::vector<int>& assignment) {
  const int k = static_cast<int>(G.beta0.size()), k0 = static_cast<int>(G0.beta0.size());
  Cells c;
  c.assignment = assignment;
  c.members.assign(k0, std::vector<int>());
  c.dist.resize(k, k0);
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k0; ++j)
      c.dist(i, j) = std::sqrt((G.beta1.row(i) - G0.beta1.row(j)).squaredNorm() + (G.eta.col(i) - G0.eta.col(j)).squaredNorm());
    c.members[assignment[i]].push_back(i);
  }
  return c;
}

// The terms of the loss for given cells, with both measures as given (no alignment).
//   D1: cells with one atom contribute exp(beta0_i) (||dbeta1|| + ||deta||), cells with several
//       atoms sum exp(beta0_i) (||dbeta1||^2 + ||deta||^2);
//   D2 (r >= 1): every cell sums exp(beta0_i) (||dbeta1||^r + sum_blocks ||deta_block||^r);
// plus, for both, the weight terms |sum_{i in A_j} exp(beta0_i) - exp(beta0*_j)| of every true atom
// (an empty cell contributes exp(beta0*_j)). Throws std::overflow_error when the loss is not finite.
inline VoronoiLoss loss_terms(const Params& G, const Params& G0, const Cells& cells, LossType type, double r,
                              const std::vector<int>& blocks) {
  const int k0 = static_cast<int>(G0.beta0.size());
  VoronoiLoss L;
  L.cells = cells;
  L.weight_term.resize(k0);
  L.split_term.setZero(k0);
  L.single_term.setZero(k0);
  bool lost = false;  // a non-zero deviation whose contribution underflowed to 0
  for (int j = 0; j < k0; ++j) {
    const std::vector<int>& A = cells.members[j];
    double wsum = 0.0, par = 0.0;
    for (int i : A) {
      const double w = std::exp(G.beta0[i]);
      wsum += w;
      const double db1 = (G.beta1.row(i) - G0.beta1.row(j)).norm();
      const Eigen::VectorXd deta = G.eta.col(i) - G0.eta.col(j);
      double term;
      if (type == LossType::D1) {
        const double de = deta.norm();
        term = A.size() > 1 ? w * (db1 * db1 + de * de) : w * (db1 + de);
      } else {
        term = w * (std::pow(db1, r) + block_power_sum(deta, blocks, r));
      }
      if (term == 0.0 && (db1 > 0.0 || deta.cwiseAbs().maxCoeff() > 0.0)) lost = true;
      par += term;
    }
    L.weight_term[j] = std::abs(wsum - std::exp(G0.beta0[j]));
    if (A.size() > 1) L.split_term[j] = par; else L.single_term[j] = par;
  }
  L.parameter_term = L.split_term + L.single_term;
  L.value = L.weight_term.sum() + L.parameter_term.sum();
  if (!std::isfinite(L.value))
    throw std::overflow_error("the Voronoi loss is not finite: the weights exp(beta0) or the powers of the deviations overflow");
  L.underflow = lost && L.value < std::numeric_limits<double>::min();
  return L;
}

namespace detail {

// The parameter part of the loss as a function of the slope translation t of the true measure
// (d = 1), for a fixed assignment: sum_i w_i phi_{|A_j|}(x_i - t) + const, x_i = beta1_i - beta1*_{a(i)}.
struct SlopeObjective {
  std::vector<double> w, x;
  std::vector<int> split;  // 1 when the atom's cell has several atoms (D1 squared terms)
  LossType type;
  double r;
  // right (side = +1) or left (side = -1) derivative in t
  double deriv(double t, int side) const {
    double g = 0.0;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const double u = t - x[i];  // d/dt of phi(|x - t|) is phi'(|u|) sign(u)
      double s = u > 0 ? 1.0 : (u < 0 ? -1.0 : static_cast<double>(side));
      double p;
      if (type == LossType::D1) {
        p = split[i] ? 2.0 * std::abs(u) : 1.0;
      } else {
        p = r == 1.0 ? 1.0 : r * std::pow(std::abs(u), r - 1.0);
      }
      g += w[i] * s * p;
    }
    return g;
  }
};

// Minimiser of a convex function of one variable on [lo, hi] by bisection on its one-sided
// derivatives; the interval shrinks to adjacent doubles (or 400 halvings).
inline double convex_argmin(const SlopeObjective& f, double lo, double hi) {
  if (f.deriv(lo, +1) >= 0.0) return lo;
  if (f.deriv(hi, -1) <= 0.0) return hi;
  for (int it = 0; it < 400; ++it) {
    const double mid = lo + 0.5 * (hi - lo);
    if (!(mid > lo && mid < hi)) break;
    if (f.deriv(mid, +1) < 0.0) {
      lo = mid;
    } else if (f.deriv(mid, -1) > 0.0) {
      hi = mid;
    } else {
      return mid;
    }
  }
  return lo + 0.5 * (hi - lo);
}

// Minimiser over t0 in [lo, hi] of sum_j |W_j - exp(beta0*_j + t0)|: convex piecewise linear in
// u = exp(t0), minimised at a weighted median of W_j / exp(beta0*_j) with weights exp(beta0*_j);
// computed in log space, then clamped to the box.
inline double weight_argmin(const std::vector<double>& W, const Eigen::VectorXd& beta0_star, double lo, double hi) {
  const int k0 = static_cast<int>(W.size());
  std::vector<std::pair<double, double>> pts;  // (log ratio, weight c_j normalised by the largest)
  const double m = beta0_star.maxCoeff();
  double total = 0.0;
  for (int j = 0; j < k0; ++j) {
    const double c = std::exp(beta0_star[j] - m);
    const double lr = W[j] > 0 ? std::log(W[j]) - beta0_star[j] : -std::numeric_limits<double>::infinity();
    pts.emplace_back(lr, c);
    total += c;
  }
  std::sort(pts.begin(), pts.end());
  double cum = 0.0, t = pts.back().first;
  for (const auto& p : pts) {
    cum += p.second;
    if (cum >= 0.5 * total) {
      t = p.first;
      break;
    }
  }
  return std::min(std::max(t, lo), hi);
}

}  // namespace detail

// The infimum alignment for d = 1: the loss
//   inf_{(t0, t1): beta0*_j + t0 and beta1*_j + t1 in [-B, B] for all j}  L(G, G0 + (t0, t1)),
// with the cells recomputed at the translated true atoms (beta1*_j + t1, eta*_j). The squared
// distance from a fitted atom to a translated true atom differs from the one to another true atom
// by a linear function of t1, so the cells are constant between finitely many breakpoints (where a
// fitted atom is equidistant from two true atoms). Between breakpoints the loss splits into a
// weight part (in t0 only, minimised by a clamped weighted median) and a parameter part (convex
// in t1, minimised by bisection on its derivative to adjacent doubles). The infimum is the
// smallest of these interval minima (over the closed intervals) and of the values at the
// breakpoints themselves (where the tie rule assigns cells). Returns the loss at the minimising
// translation, with `cells` the assignment of the minimising interval and `shift` the
// translation of G0. Exact up to rounding for any k; cost O(k^2 k* ^2) breakpoints, each O(k).
inline VoronoiLoss infimum_loss(const Params& G, const Params& G0, LossType type, double r,
                                const std::vector<int>& blocks, double bound_gate) {
  if (G0.beta1.cols() != 1) throw std::invalid_argument("the infimum alignment is implemented for d = 1 only");
  if (!(std::isfinite(bound_gate) && bound_gate > 0)) throw std::invalid_argument("bound_gate must be a finite positive number");
  const int k = static_cast<int>(G.beta0.size()), k0 = static_cast<int>(G0.beta0.size());
  const double B = bound_gate;
  const double t0_lo = -B - G0.beta0.minCoeff(), t0_hi = B - G0.beta0.maxCoeff();
  const double t1_lo = -B - G0.beta1.col(0).minCoeff(), t1_hi = B - G0.beta1.col(0).maxCoeff();
  if (!(t0_lo <= t0_hi && t1_lo <= t1_hi))
    throw std::invalid_argument("the true gating parameters do not fit in the box [-bound_gate, bound_gate]");
  // squared expert distances E(i, j) and breakpoints in t1
  Eigen::MatrixXd E(k, k0);
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k0; ++j) E(i, j) = (G.eta.col(i) - G0.eta.col(j)).squaredNorm();
  std::vector<double> pts{t1_lo, t1_hi};
  for (int i = 0; i < k; ++i)
    for (int j = 0; j < k0; ++j)
      for (int l = j + 1; l < k0; ++l) {
        const double bj = G0.beta1(j, 0), bl = G0.beta1(l, 0);
        if (bj == bl) continue;
        const double s = (bl * bl - bj * bj + E(i, l) - E(i, j)) / (2.0 * (bl - bj));
        const double t = G.beta1(i, 0) - s;
        if (std::isfinite(t) && t > t1_lo && t < t1_hi) pts.push_back(t);
      }
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());

  auto translated = [&](double t0, double t1) {
    Params P = G0;
    P.beta0.array() += t0;
    P.beta1.array() += t1;
    return P;
  };
  auto eval = [&](const std::vector<int>& a, double t1, double* t0_out) {
    // weight part: its own minimiser for this assignment
    std::vector<double> W(k0, 0.0);
    for (int i = 0; i < k; ++i) W[a[i]] += std::exp(G.beta0[i]);
    const double t0 = detail::weight_argmin(W, G0.beta0, t0_lo, t0_hi);
    *t0_out = t0;
    const Params P = translated(t0, t1);
    return loss_terms(G, P, cells_from_assignment(G, P, a), type, r, blocks);
  };
  VoronoiLoss best;
  bool have = false;
  auto consider = [&](const std::vector<int>& a, double t1) {
    double t0;
    VoronoiLoss L = eval(a, t1, &t0);
    if (!have || L.value < best.value) {
      best = L;
      best.shift.t0 = t0;
      best.shift.t1 = Eigen::VectorXd::Constant(1, t1);
      have = true;
    }
  };
  // the breakpoints themselves, with the tie rule
  for (double p : pts) consider(voronoi_cells(G, translated(0.0, p)).assignment, p);
  // the open intervals between breakpoints: fixed cells, convex parameter part
  for (std::size_t m = 0; m + 1 < pts.size(); ++m) {
    const double lo = pts[m], hi = pts[m + 1];
    const double mid = lo + 0.5 * (hi - lo);
    const std::vector<int> a = voronoi_cells(G, translated(0.0, mid)).assignment;
    std::vector<int> size(k0, 0);
    for (int i = 0; i < k; ++i) ++size[a[i]];
    detail::SlopeObjective f;
    f.type = type;
    f.r = r;
    for (int i = 0; i < k; ++i) {
      f.w.push_back(std::exp(G.beta0[i]));
      f.x.push_back(G.beta1(i, 0) - G0.beta1(a[i], 0));
      f.split.push_back(size[a[i]] > 1 ? 1 : 0);
    }
    consider(a, detail::convex_argmin(f, lo, hi));
  }
  best.align = Align::Infimum;
  best.aligned = true;
  return best;
}

// Voronoi loss of a fitted G against the true G0 (see loss_terms()), after the alignment `align`
// (Moment: G shifted by alignment_shift(G, G0); Infimum: infimum_loss(); None: as given).
inline VoronoiLoss voronoi_loss(const Params& G_in, const Params& G0, LossType type, double r,
                                const std::vector<int>& blocks, Align align, double bound_gate) {
  check_loss_args(G_in, G0, type, r, blocks);
  if (align == Align::Infimum) return infimum_loss(G_in, G0, type, r, blocks, bound_gate);
  Shift s;
  if (align == Align::Moment) {
    s = alignment_shift(G_in, G0);
  } else {
    s.t0 = 0.0;
    s.t1 = Eigen::VectorXd::Zero(G_in.beta1.cols());
  }
  const Params G = align == Align::Moment ? apply_shift(G_in, s) : G_in;
  VoronoiLoss L = loss_terms(G, G0, voronoi_cells(G, G0), type, r, blocks);
  L.shift = s;
  L.align = align;
  L.aligned = align != Align::None;
  return L;
}

// Backward-compatible form: align = true is the moment alignment.
inline VoronoiLoss voronoi_loss(const Params& G_in, const Params& G0, LossType type, double r,
                                const std::vector<int>& blocks, bool align) {
  return voronoi_loss(G_in, G0, type, r, blocks, align ? Align::Moment : Align::None,
                      std::numeric_limits<double>::infinity());
}

}  // namespace lsmoe

#endif
