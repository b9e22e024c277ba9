// lsmoe: the fused pass over the observations. One pass evaluates the gate, the experts, the
// residuals and the Jacobian rows of the (weighted) least squares problem for a block of rows
// at once, and accumulates J'J (p x p), J'r (p) and the RSS, without ever storing an n x p
// matrix. Expert families are policies acting on Eigen arrays (activations.hpp), so that exp and
// the other activations run over whole blocks of rows (vectorised); the pass reaches a family's
// block form through a pointer, once per block, and is compiled once per gate policy.
//
// Rows are cut into fixed chunks of `chunk_rows` rows; each chunk's partial sums are computed
// by one thread and the partials are added in chunk order, so the result has the same bits for
// any number of threads. Threads are used only when every thread gets at least two chunks, and
// (unless the problem is built with adapt_threads = false) no more of them than the machine has
// free cores at the time of the pass (threads.hpp). When a chunk's partial sums are large (p in
// the hundreds), the chunks run in waves whose partials are added, still in chunk order, before
// the next wave: the same bits, in bounded memory.
//
// J'J is accumulated in one of three ways (Accumulation, chosen once per problem):
// - dots: p (p + 1) / 2 dot products of the Jacobian's columns over each block of rows; the
//   fastest for small p (no packing, the block's columns stay in the L1 cache).
// - rank_update: Eigen's blocked symmetric rank-k update on the block's Jacobian.
// - structured: the Jacobian's structure. Every column of J is a "base" vector of the block
//   (a gate's d f / d beta0_j, an expert's d f / d b_j) times one coordinate of x~ = (x, 1),
//   except the output weights' and constant experts' columns (x~'s 1 only). So J'J consists of
//   symmetric (d + 1) x (d + 1) blocks sum_i v_m v_m' x~ x~', one per unordered pair {m, m'}
//   of bases, and all of them are one matrix product P'Q per block of rows: P (nb x M(M+1)/2)
//   holds the products v_m v_m' of the bases, Q (nb x (d+1)(d+2)/2) those of x~'s coordinates.
//   That is about half the multiply-adds of J'J's lower triangle, at the speed of a GEMM
//   (Eigen's blocked, packed kernel), and no nb x p Jacobian is formed. At d = 32, k = 9
//   (p = 561) it is 5-6 times as fast as the dot products.
#ifndef LSMOE_FUSED_HPP
#define LSMOE_FUSED_HPP

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <vector>
#include <Eigen/Dense>
#include "activations.hpp"
#include "experts.hpp"
#include "layout.hpp"
#include "model.hpp"
#include "problem.hpp"
#include "threads.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace lsmoe {

// The data of a least squares problem: X (n x d, column-major with leading dimension ldx),
// y (n), optional square roots of weights sw (n, or nullptr).
struct Data {
  const double* X = nullptr;
  Eigen::Index ldx = 0;
  Eigen::Index n = 0;
  int d = 0;
  const double* y = nullptr;
  const double* sw = nullptr;
};

// How a pass accumulates J'J and J'r (see the top of this file). `automatic` picks by p and d
// (accumulation_for()).
enum class Accumulation { automatic = 0, dots = 1, rank_update = 2, structured = 3 };

// The accumulation `automatic` stands for, from paired timings of the pass (AVX2 build, sigmoid
// experts, d = 1..6, k = 3..15; issue 26): the structured product is 0.8 of the dots' time at
// p = 35 (d = 6) and 0.4 at p = 119-203, but slower for d <= 2 (its Q has only 3 or 6 columns),
// where the rank update wins from p of about 50 (0.8 at p = 51 and 58). Below p = 32 the dot
// products stay, so that every fit with small p keeps its bits.
inline Accumulation accumulation_for(Accumulation a, int p, int d) {
  if (a != Accumulation::automatic) return a;
  if (p < 32) return Accumulation::dots;
  if (d >= 3) return Accumulation::structured;
  return p >= 48 ? Accumulation::rank_update : Accumulation::dots;
}

// Per-thread scratch for one block of rows.
struct Scratch {
  ArrayXXd_ L, W, Z, F0, F1, H, DH;
  Eigen::ArrayXd m, s, f, r;
  Eigen::MatrixXd J;
  Eigen::MatrixXd Xb;
  // the structured accumulation: the bases of full columns (nb x Mf) and of 1-only columns
  // (nb x Ms), x~ = (x, 1) (nb x (d+1)), the products P, Q and Psf (see MoePass::structured())
  Eigen::MatrixXd Vf, Vs, Xt, P, Q, Psf, R;
};

// The J'J and J'r sums of some rows, in the form of the pass's accumulation: A (lower triangle)
// and g for the dots and the rank update; for the structured one, C = P'Q over the bases' pairs
// {m, m'} (rows) and x~'s pairs {u, u'} (columns), Csf = sum v_s v_m x~ for the 1-only bases s
// and the full bases m (row s Mf + m), Css = Vs'Vs, Gf = sum v_m r x~' (Mf x (d+1)), gs = Vs'r.
struct ChunkSums {
  Eigen::MatrixXd A;
  Eigen::VectorXd g;
  Eigen::MatrixXd C, Csf, Css, Gf;
  Eigen::VectorXd gs;
  double rss = 0.0;
};

// ---- gate policies: the gate values W (nb x k) from the logits L, and the derivative of f in
// the logit L_j of a gated component j --------------------------------------------------------
// Softmax: W_j = exp(L_j) / sum_l exp(L_l) (row maximum subtracted), the last component anchored
// (k - 1 gated components); df/dL_j = W_j (H_j - f).
struct GateSoftmax {
  static constexpr GateKind kind = GateKind::softmax;
  static void weights(Scratch& S, int k) {
    if (k > 1) {
      S.m = S.L.rowwise().maxCoeff();
      for (int j = 0; j < k; ++j) S.W.col(j) = (S.L.col(j) - S.m).exp();
      S.s = S.W.rowwise().sum();
      S.s = S.s.inverse();
      for (int j = 0; j < k; ++j) S.W.col(j) *= S.s;
    } else {
      S.W.setOnes();
    }
  }
  static bool needs_logits(int k) { return k > 1; }
  template <class Col>
  static void dlogit(const Scratch& S, int j, Col&& col) { col = S.W.col(j) * (S.H.col(j) - S.f); }
};
// Sigmoid: W_j = 1 / (1 + exp(-L_j)), one gate per expert, all k gated (no anchoring);
// df/dL_j = W_j (1 - W_j) H_j.
struct GateSigmoid {
  static constexpr GateKind kind = GateKind::sigmoid;
  static void weights(Scratch& S, int) { S.W = (1.0 + (-S.L).exp()).inverse(); }  // exp(-L) = Inf gives 0
  static bool needs_logits(int) { return true; }
  template <class Col>
  static void dlogit(const Scratch& S, int j, Col&& col) { col = S.W.col(j) * (1.0 - S.W.col(j)) * S.H.col(j); }
};

// Calls f(G()) with the gate policy of a run-time gate kind.
template <class F>
auto dispatch_gate(GateKind g, F&& f) -> decltype(f(GateSoftmax())) {
  switch (g) {
  case GateKind::softmax: return f(GateSoftmax());
  case GateKind::sigmoid: return f(GateSigmoid());
  }
  throw std::invalid_argument("unknown gate");
}

// A least squares problem whose pass also gives the fitted values.
class FittedProblem : public Problem {
 public:
  // The fitted values f(x_i; theta) of every row, written to f (length n).
  virtual void fitted(const Eigen::VectorXd& theta, double* f) const = 0;
};

// An activation's block form (activations.hpp): phi and phi' elementwise over a block of rows.
typedef void (*ActivationBlock)(const ArrayXXd_& z, ArrayXXd_& f0, ArrayXXd_& f1, int degree);

// The pass of the mixture-of-experts least squares problem for one gate policy; the activation
// is called through a pointer, once per block of rows (its loops over the rows are vectorised as
// before), so that the pass is compiled once per gate, not once per family and gate. Built
// through MoeProblem.
template <class Gate>
class MoePass : public FittedProblem {
 protected:
  MoePass(ActivationBlock act, const Expert& e, int k, const Data& data, int threads, Eigen::Index chunk_rows,
          int block_rows, Accumulation acc, bool adapt_threads)
      : act_(act), e_(e), L_(k, e.d, e.q(), Gate::kind), p_(L_.p()), data_(data),
        threads_(std::max(1, threads)), adapt_(adapt_threads), chunk_(chunk_rows), block_(block_rows),
        acc_(accumulation_for(acc, L_.p(), e.d)) {
    if (data.d != e.d) throw std::invalid_argument("x has the wrong number of columns");
    if (data.n < 1) throw std::invalid_argument("no observations");
    if (data.X == nullptr || data.y == nullptr) throw std::invalid_argument("missing data");
    if (data.ldx < data.n) throw std::invalid_argument("leading dimension of x below n");
    if (chunk_ < block_ || chunk_ % block_ != 0) throw std::invalid_argument("chunk rows must be a multiple of block rows");
    if (acc_ == Accumulation::structured) setup_structured();
  }

 public:
  int p() const override { return p_; }
  Eigen::Index n() const { return data_.n; }

  // The accumulation of J'J this problem uses (never `automatic`).
  Accumulation accumulation() const { return acc_; }

  // RSS at theta; with jac also J'J (full) and J'r. The chunks' partial sums are added in chunk
  // order, wave after wave (see the top of this file).
  double eval(const Eigen::VectorXd& theta, PassSums& out, bool jac) const override {
    if (theta.size() != p_) throw std::invalid_argument("parameter vector has the wrong length");
    unpack(theta);
    const Eigen::Index nchunks = n_chunks();
    const Eigen::Index wave = jac ? wave_chunks() : nchunks;
    if (partial_.size() < static_cast<size_t>(wave)) partial_.resize(static_cast<size_t>(wave));
    out.reset(p_, jac);
    const bool st = jac && acc_ == Accumulation::structured;
    if (st) zero_sums(total_);
    for (Eigen::Index w0 = 0; w0 < nchunks; w0 += wave) {
      const Eigen::Index w1 = std::min(nchunks, w0 + wave);
      each_chunk(w0, w1, [&](Scratch& S, Eigen::Index c, Eigen::Index i0, Eigen::Index i1) {
        ChunkSums& P = partial_[static_cast<size_t>(c - w0)];
        double rss = 0.0;
        if (jac) zero_sums(P);
        for (Eigen::Index b0 = i0; b0 < i1; b0 += block_) {
          const Eigen::Index nb = std::min<Eigen::Index>(block_, i1 - b0);
          rss += block(S, b0, nb, jac ? &P : nullptr);
        }
        P.rss = rss;
      });
      for (Eigen::Index c = w0; c < w1; ++c) {
        const ChunkSums& P = partial_[static_cast<size_t>(c - w0)];
        out.rss += P.rss;
        if (!jac) continue;
        if (st) {
          total_.C += P.C;
          total_.Csf += P.Csf;
          total_.Css += P.Css;
          total_.Gf += P.Gf;
          total_.gs += P.gs;
        } else {
          out.A.triangularView<Eigen::Lower>() += P.A;
          out.g += P.g;
        }
      }
    }
    if (st) expand(total_, out);
    if (jac) out.A.triangularView<Eigen::StrictlyUpper>() = out.A.transpose();
    return out.rss;
  }

  // The fitted values f(x_i; theta) of every row, written to f (length n): the same vectorised
  // blocks as eval(), without the Jacobian; rows are independent, so any number of threads gives
  // the same values.
  void fitted(const Eigen::VectorXd& theta, double* f) const override {
    if (theta.size() != p_) throw std::invalid_argument("parameter vector has the wrong length");
    unpack(theta);
    each_chunk(0, n_chunks(), [&](Scratch& S, Eigen::Index, Eigen::Index i0, Eigen::Index i1) {
      for (Eigen::Index b0 = i0; b0 < i1; b0 += block_) {
        const Eigen::Index nb = std::min<Eigen::Index>(block_, i1 - b0);
        block(S, b0, nb, nullptr);
        Eigen::Map<Eigen::ArrayXd>(f + b0, nb) = S.f;
      }
    });
  }

 private:
  ActivationBlock act_;
  Expert e_;
  Layout L_;
  int p_;  // L_.p()
  Data data_;
  int threads_;
  bool adapt_;  // fewer threads than threads_ when the machine has fewer free cores (threads.hpp)
  mutable LoadCache load_;
  Eigen::Index chunk_;
  int block_;
  Accumulation acc_;
  // the structured accumulation: Mf bases with full columns (k - 1 or k gates, k ridge experts)
  // and Ms with x~'s 1 only (output weights, constant experts); the column of theta of base m
  // and x~'s coordinate u (u = d: the 1) is colf_[m (d + 1) + u], that of 1-only base s cols_[s]
  int Mf_ = 0, Ms_ = 0;
  std::vector<int> colf_, cols_;
  // unpacked parameters (user layout): gate d x k (slopes) and k intercepts; expert a (d x k),
  // b (k), c (k)
  mutable Eigen::MatrixXd B1_, Ea_;
  mutable Eigen::RowVectorXd B0_, Eb_, Ec_;
  mutable std::vector<ChunkSums> partial_;
  mutable ChunkSums total_;
  mutable std::vector<Scratch> scratch_;

  Eigen::Index n_chunks() const { return (data_.n + chunk_ - 1) / chunk_; }

  // Threads for the pass: at most threads_, and only as many as get two chunks each.
  int pass_threads() const {
    const Eigen::Index nchunks = n_chunks();
    int nt = threads_;
    if (nt > 1 && nchunks < 2 * static_cast<Eigen::Index>(nt)) nt = static_cast<int>(std::max<Eigen::Index>(1, nchunks / 2));
    return nt;
  }

  // Chunks per wave of a pass with the Jacobian: every chunk at once while their partial sums
  // take at most 64 MB (any p below about 2000 with the dots at n = 1e6: the pass of small p is
  // unchanged), else as many as fit in that, and at least 4 per thread. The waves change no bits:
  // the partials are added in chunk order either way.
  Eigen::Index wave_chunks() const {
    const double doubles = acc_ == Accumulation::structured
                               ? double(Mf_) * (Mf_ + 1) / 2 * (e_.d + 1) * (e_.d + 2) / 2 +
                                     double(Ms_) * Mf_ * (e_.d + 1) + double(Ms_) * Ms_ + double(Mf_) * (e_.d + 1)
                               : double(p_) * p_;
    const double fit = std::floor(64.0 * 1024 * 1024 / (8.0 * std::max(1.0, doubles)));
    const Eigen::Index nchunks = n_chunks();
    if (fit >= static_cast<double>(nchunks)) return nchunks;
    return std::min(nchunks, std::max<Eigen::Index>(4 * pass_threads(), static_cast<Eigen::Index>(fit)));
  }

  // Calls body(scratch, c, first row, end row) for the chunks c0 <= c < c1 of rows, on up to
  // pass_threads() threads (only when each gets at least two chunks, and with adapt_ no more than
  // the machine's free cores), each with its own scratch.
  template <class Body>
  void each_chunk(Eigen::Index c0, Eigen::Index c1, Body&& body) const {
    int nt = pass_threads();
    if (nt > 1 && c1 - c0 < 2 * static_cast<Eigen::Index>(nt)) nt = static_cast<int>(std::max<Eigen::Index>(1, (c1 - c0) / 2));
    if (nt > 1 && adapt_) nt = load_.threads(nt);
    if (static_cast<int>(scratch_.size()) < nt) scratch_.resize(nt);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
#endif
    for (Eigen::Index c = c0; c < c1; ++c) {
      int tid = 0;
#ifdef _OPENMP
      tid = omp_get_thread_num();
#endif
      const Eigen::Index i0 = c * chunk_;
      body(scratch_[tid], c, i0, std::min(data_.n, i0 + chunk_));
    }
  }

  void unpack(const Eigen::VectorXd& th) const {
    const int d = e_.d, km1 = L_.gated();
    B1_.setZero(d, L_.k);
    B0_.setZero(L_.k);
    for (int j = 0; j < km1; ++j) B0_[j] = th[L_.beta0(j)];
    for (int u = 0; u < d; ++u)
      for (int j = 0; j < km1; ++j) B1_(u, j) = th[L_.beta1(j, u)];
    Ea_.setZero(d, L_.k);
    Eb_.setZero(L_.k);
    Ec_.setOnes(L_.k);
    for (int j = 0; j < L_.k; ++j) {
      const double* eta = th.data() + L_.eta(j);
      if (!e_.ridge()) {
        Eb_[j] = eta[0];
        continue;
      }
      for (int u = 0; u < d; ++u) Ea_(u, j) = eta[u];
      Eb_[j] = eta[d];
      if (e_.output_weight) Ec_[j] = eta[d + 1];
    }
  }

  // The bases of the structured accumulation and their columns in theta (see colf_).
  void setup_structured() {
    const int d = e_.d, k = L_.k, km1 = L_.gated();
    Mf_ = km1 + (e_.ridge() ? k : 0);
    Ms_ = e_.ridge() ? (e_.output_weight ? k : 0) : k;
    colf_.assign(static_cast<size_t>(Mf_) * (d + 1), 0);
    cols_.assign(static_cast<size_t>(Ms_), 0);
    int m = 0;
    for (int j = 0; j < km1; ++j, ++m) {
      for (int u = 0; u < d; ++u) colf_[m * (d + 1) + u] = L_.beta1(j, u);
      colf_[m * (d + 1) + d] = L_.beta0(j);
    }
    if (e_.ridge()) {
      for (int j = 0; j < k; ++j, ++m)
        for (int u = 0; u <= d; ++u) colf_[m * (d + 1) + u] = L_.eta(j) + u;  // a_1..a_d, b
      if (e_.output_weight)
        for (int j = 0; j < k; ++j) cols_[j] = L_.eta(j) + d + 1;
    } else {
      for (int j = 0; j < k; ++j) cols_[j] = L_.eta(j);
    }
  }

  // Zero sums of the pass's accumulation.
  void zero_sums(ChunkSums& P) const {
    if (acc_ != Accumulation::structured) {
      P.A.setZero(p_, p_);
      P.g.setZero(p_);
      return;
    }
    const int q1 = e_.d + 1;
    P.C.setZero(Mf_ * (Mf_ + 1) / 2, q1 * (q1 + 1) / 2);
    P.Csf.setZero(Ms_ * Mf_, q1);
    P.Css.setZero(Ms_, Ms_);
    P.Gf.setZero(Mf_, q1);
    P.gs.setZero(Ms_);
  }

  // Index of the unordered pair {a, b} among the pairs of n things, in the order of the loops
  // `for a, for b <= a` that fill P and Q.
  static int pair_index(int a, int b) { return a >= b ? a * (a + 1) / 2 + b : b * (b + 1) / 2 + a; }

  // J'J (lower triangle and above: the caller mirrors it) and J'r from the structured sums T.
  void expand(const ChunkSums& T, PassSums& out) const {
    const int q1 = e_.d + 1;
    for (int m = 0; m < Mf_; ++m)
      for (int m2 = 0; m2 <= m; ++m2) {
        const int pc = pair_index(m, m2);
        for (int u = 0; u < q1; ++u)
          for (int u2 = 0; u2 < q1; ++u2) {
            const int i = colf_[m * q1 + u], j = colf_[m2 * q1 + u2];
            out.A(std::max(i, j), std::min(i, j)) = T.C(pc, pair_index(u, u2));
          }
      }
    for (int s = 0; s < Ms_; ++s) {
      for (int m = 0; m < Mf_; ++m)
        for (int u = 0; u < q1; ++u) {
          const int i = cols_[s], j = colf_[m * q1 + u];
          out.A(std::max(i, j), std::min(i, j)) = T.Csf(s * Mf_ + m, u);
        }
      for (int s2 = 0; s2 <= s; ++s2) {
        const int i = cols_[s], j = cols_[s2];
        out.A(std::max(i, j), std::min(i, j)) = T.Css(s, s2);
      }
      out.g[cols_[s]] = T.gs[s];
    }
    for (int m = 0; m < Mf_; ++m)
      for (int u = 0; u < q1; ++u) out.g[colf_[m * q1 + u]] = T.Gf(m, u);
  }

  // The structured accumulation of one block (see the top of this file): the bases, weighted by
  // sqrt(w) as J's rows are, their pairwise products P and those of x~, Q; then P'Q and the
  // smaller products of the 1-only bases. Eigen's products pack their operands in buffers of
  // their own (one allocation per product, against nb (d+1)(d+2)/2 Mf (Mf+1)/2 multiply-adds).
  void structured(Scratch& S, Eigen::Index b0, Eigen::Index nb, ChunkSums& P) const {
    const int d = e_.d, k = L_.k, km1 = L_.gated(), q1 = d + 1;
    if (S.Xt.rows() != nb) {
      S.Vf.resize(nb, Mf_); S.Vs.resize(nb, Ms_); S.Xt.resize(nb, q1); S.R.resize(nb, Mf_);
      S.P.resize(nb, Mf_ * (Mf_ + 1) / 2); S.Q.resize(nb, q1 * (q1 + 1) / 2); S.Psf.resize(nb, Ms_ * Mf_);
    }
    const double* X = data_.X + b0;
    for (int u = 0; u < d; ++u) S.Xt.col(u) = Eigen::Map<const Eigen::VectorXd>(X + u * data_.ldx, nb);
    S.Xt.col(d).setOnes();
    int m = 0;
    for (int j = 0; j < km1; ++j, ++m) Gate::dlogit(S, j, S.Vf.col(m).array());  // d f / d beta0_j
    if (e_.ridge())
      for (int j = 0; j < k; ++j, ++m) S.Vf.col(m).array() = S.W.col(j) * S.DH.col(j);  // d f / d b_j
    for (int s = 0; s < Ms_; ++s) {  // d f / d c_j, or d f / d b_j of a constant expert
      if (e_.ridge()) S.Vs.col(s).array() = S.W.col(s) * S.F0.col(s);
      else S.Vs.col(s).array() = S.W.col(s);
    }
    if (data_.sw) {
      Eigen::Map<const Eigen::ArrayXd> sw(data_.sw + b0, nb);
      S.Vf.array().colwise() *= sw;
      S.Vs.array().colwise() *= sw;
    }
    int c = 0;
    for (int a = 0; a < Mf_; ++a)
      for (int b = 0; b <= a; ++b) S.P.col(c++) = S.Vf.col(a).cwiseProduct(S.Vf.col(b));
    c = 0;
    for (int a = 0; a < q1; ++a)
      for (int b = 0; b <= a; ++b) S.Q.col(c++) = S.Xt.col(a).cwiseProduct(S.Xt.col(b));
    if (Mf_ > 0) {
      P.C.noalias() += S.P.transpose() * S.Q;
      S.R.array() = S.Vf.array().colwise() * S.r;
      P.Gf.noalias() += S.R.transpose() * S.Xt;
    }
    if (Ms_ > 0) {
      for (int s = 0; s < Ms_; ++s)
        for (int a = 0; a < Mf_; ++a) S.Psf.col(s * Mf_ + a) = S.Vs.col(s).cwiseProduct(S.Vf.col(a));
      if (Mf_ > 0) P.Csf.noalias() += S.Psf.transpose() * S.Xt;
      P.Css.noalias() += S.Vs.transpose() * S.Vs;
      P.gs.noalias() += S.Vs.transpose() * S.r.matrix();
    }
  }

  // One block of nb rows starting at row b0. Returns its RSS; with sums (a pass with the
  // Jacobian) adds its J'J and J'r to them. Column-wise array expressions over the block's rows:
  // no temporaries, no allocation once the scratch has its size (but in Eigen's own products,
  // see structured()).
  double block(Scratch& S, Eigen::Index b0, Eigen::Index nb, ChunkSums* sums) const {
    const bool jac = sums != nullptr;
    const int d = e_.d, k = L_.k, km1 = L_.gated();
    if (S.W.rows() != nb) {
      S.L.resize(nb, k); S.W.resize(nb, k); S.Z.resize(nb, k); S.H.resize(nb, k); S.DH.resize(nb, k);
      S.m.resize(nb); S.s.resize(nb); S.f.resize(nb); S.r.resize(nb);
    }
    const double* X = data_.X + b0;
    const Eigen::Index ldx = data_.ldx;
    auto xcol = [&](int u) { return Eigen::Map<const Eigen::ArrayXd>(X + u * ldx, nb); };
    Eigen::Map<const Eigen::ArrayXd> yb(data_.y + b0, nb);
    // gate: the logits, then the gate policy's values
    if (Gate::needs_logits(k)) {
      for (int j = 0; j < k; ++j) {
        auto Lj = S.L.col(j);
        Lj.setConstant(B0_[j]);
        for (int u = 0; u < d; ++u) Lj += B1_(u, j) * xcol(u);
      }
    }
    Gate::weights(S, k);
    // experts
    if (e_.ridge()) {
      for (int j = 0; j < k; ++j) {
        auto Zj = S.Z.col(j);
        Zj.setConstant(Eb_[j]);
        for (int u = 0; u < d; ++u) Zj += Ea_(u, j) * xcol(u);
      }
      act_(S.Z, S.F0, S.F1, e_.degree);
      if (e_.output_weight) {
        for (int j = 0; j < k; ++j) {
          S.H.col(j) = Ec_[j] * S.F0.col(j);
          S.DH.col(j) = Ec_[j] * S.F1.col(j);
        }
      } else {
        S.H = S.F0;
        S.DH = S.F1;
      }
    } else {
      for (int j = 0; j < k; ++j) S.H.col(j).setConstant(Eb_[j]);
    }
    S.f = S.W.col(0) * S.H.col(0);
    for (int j = 1; j < k; ++j) S.f += S.W.col(j) * S.H.col(j);
    S.r = S.f - yb;
    if (data_.sw) S.r *= Eigen::Map<const Eigen::ArrayXd>(data_.sw + b0, nb);
    const double rss = S.r.square().sum();
    if (!jac) return rss;
    if (acc_ == Accumulation::structured) {
      structured(S, b0, nb, *sums);
      return rss;
    }
    if (S.J.rows() != nb || S.J.cols() != p_) S.J.resize(nb, p_);
    Eigen::MatrixXd* A = &sums->A;
    Eigen::VectorXd* g = &sums->g;
    // Jacobian rows of the block (nb x p), weighted by sqrt(w)
    for (int j = 0; j < km1; ++j) {
      auto col = S.J.col(L_.beta0(j)).array();
      Gate::dlogit(S, j, col);  // d f / d beta0_j
      if (data_.sw) col *= Eigen::Map<const Eigen::ArrayXd>(data_.sw + b0, nb);
      for (int u = 0; u < d; ++u) S.J.col(L_.beta1(j, u)).array() = col * xcol(u);
    }
    for (int j = 0; j < k; ++j) {
      const int c0 = L_.eta(j);
      if (!e_.ridge()) {
        S.J.col(c0).array() = S.W.col(j);
        if (data_.sw) S.J.col(c0).array() *= Eigen::Map<const Eigen::ArrayXd>(data_.sw + b0, nb);
        continue;
      }
      auto db = S.J.col(c0 + d).array();
      db = S.W.col(j) * S.DH.col(j);
      if (data_.sw) db *= Eigen::Map<const Eigen::ArrayXd>(data_.sw + b0, nb);
      for (int u = 0; u < d; ++u) S.J.col(c0 + u).array() = db * xcol(u);
      if (e_.output_weight) {
        S.J.col(c0 + d + 1).array() = S.W.col(j) * S.F0.col(j);
        if (data_.sw) S.J.col(c0 + d + 1).array() *= Eigen::Map<const Eigen::ArrayXd>(data_.sw + b0, nb);
      }
    }
    if (acc_ == Accumulation::rank_update) {
      A->selfadjointView<Eigen::Lower>().rankUpdate(S.J.transpose());
      g->noalias() += S.J.transpose() * S.r.matrix();
      return rss;
    }
    // J'J (lower triangle) and J'r by dot products over the block's rows (vectorised)
    for (int a = 0; a < p_; ++a) {
      const auto Ja = S.J.col(a);
      for (int b = 0; b <= a; ++b) (*A)(a, b) += Ja.dot(S.J.col(b));
      (*g)[a] += Ja.dot(S.r.matrix());
    }
    return rss;
  }
};

// The mixture-of-experts least squares problem for one activation policy and one gate policy.
// theta packed as in Layout (layout.hpp). The solvers see it as a Problem (problem.hpp).
template <class Act, class Gate = GateSoftmax>
class MoeProblem final : public MoePass<Gate> {
 public:
  MoeProblem(const Expert& e, int k, const Data& data, int threads, Eigen::Index chunk_rows = 4096,
             int block_rows = 256, Accumulation acc = Accumulation::automatic, bool adapt_threads = true)
      : MoePass<Gate>(&Act::block, e, k, data, threads, chunk_rows, block_rows, acc, adapt_threads) {}
};

// The MoeProblem of a run-time expert family and gate. A template (D is always Data) only so that
// a translation unit that does not call it instantiates none of the problems.
template <class D = Data>
std::unique_ptr<FittedProblem> make_moe_problem(const Expert& e, int k, GateKind gate, const D& data, int threads,
                                                Accumulation acc = Accumulation::automatic, bool adapt_threads = true) {
  return dispatch_family(e.family, [&](auto act) {
    return dispatch_gate(gate, [&](auto g) -> std::unique_ptr<FittedProblem> {
      return std::unique_ptr<FittedProblem>(
          new MoeProblem<decltype(act), decltype(g)>(e, k, data, threads, 4096, 256, acc, adapt_threads));
    });
  });
}

}  // namespace lsmoe

#endif
