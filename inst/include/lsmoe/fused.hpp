// lsmoe: the fused pass over the observations. One pass evaluates the gate, the experts, the
// residuals and the Jacobian rows of the (weighted) least squares problem for a block of rows
// at once, and accumulates J'J (p x p), J'r (p) and the RSS, without ever storing an n x p
// matrix. Expert families are policies acting on Eigen arrays (activations.hpp), so that exp and
// the other activations run over whole blocks of rows (vectorised); the pass reaches a family's
// block form through a pointer, once per block, and is compiled once per gate policy.
//
// Rows are cut into fixed chunks of `chunk_rows` rows; each chunk's partial sums are computed
// by one thread and the partials are added in chunk order, so the result has the same bits for
// any number of threads. Threads are used only when every thread gets at least two chunks.
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

// Per-thread scratch for one block of rows.
struct Scratch {
  ArrayXXd_ L, W, Z, F0, F1, H, DH;
  Eigen::ArrayXd m, s, f, r;
  Eigen::MatrixXd J;
  Eigen::MatrixXd Xb;
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
          int block_rows)
      : act_(act), e_(e), L_(k, e.d, e.q(), Gate::kind), p_(L_.p()), data_(data),
        threads_(std::max(1, threads)), chunk_(chunk_rows), block_(block_rows) {
    if (data.d != e.d) throw std::invalid_argument("x has the wrong number of columns");
    if (data.n < 1) throw std::invalid_argument("no observations");
    if (data.X == nullptr || data.y == nullptr) throw std::invalid_argument("missing data");
    if (data.ldx < data.n) throw std::invalid_argument("leading dimension of x below n");
    if (chunk_ < block_ || chunk_ % block_ != 0) throw std::invalid_argument("chunk rows must be a multiple of block rows");
  }

 public:
  int p() const override { return p_; }
  Eigen::Index n() const { return data_.n; }

  // RSS at theta; with sums->A/g requested (jac = true) also J'J (full) and J'r.
  double eval(const Eigen::VectorXd& theta, PassSums& out, bool jac) const override {
    if (theta.size() != p_) throw std::invalid_argument("parameter vector has the wrong length");
    unpack(theta);
    const Eigen::Index nchunks = n_chunks();
    partial_rss_.assign(static_cast<size_t>(nchunks), 0.0);
    if (jac) {
      if (partial_A_.size() < static_cast<size_t>(nchunks)) {
        partial_A_.resize(static_cast<size_t>(nchunks));
        partial_g_.resize(static_cast<size_t>(nchunks));
      }
    }
    each_chunk([&](Scratch& S, Eigen::Index c, Eigen::Index i0, Eigen::Index i1) {
      double rss = 0.0;
      if (jac) {
        partial_A_[c].setZero(p_, p_);
        partial_g_[c].setZero(p_);
      }
      for (Eigen::Index b0 = i0; b0 < i1; b0 += block_) {
        const Eigen::Index nb = std::min<Eigen::Index>(block_, i1 - b0);
        rss += block(S, b0, nb, jac, jac ? &partial_A_[c] : nullptr, jac ? &partial_g_[c] : nullptr);
      }
      partial_rss_[c] = rss;
    });
    out.reset(p_, jac);
    for (Eigen::Index c = 0; c < nchunks; ++c) {
      out.rss += partial_rss_[c];
      if (jac) {
        out.A.triangularView<Eigen::Lower>() += partial_A_[c];
        out.g += partial_g_[c];
      }
    }
    if (jac) out.A.triangularView<Eigen::StrictlyUpper>() = out.A.transpose();
    return out.rss;
  }

  // The fitted values f(x_i; theta) of every row, written to f (length n): the same vectorised
  // blocks as eval(), without the Jacobian; rows are independent, so any number of threads gives
  // the same values.
  void fitted(const Eigen::VectorXd& theta, double* f) const override {
    if (theta.size() != p_) throw std::invalid_argument("parameter vector has the wrong length");
    unpack(theta);
    each_chunk([&](Scratch& S, Eigen::Index, Eigen::Index i0, Eigen::Index i1) {
      for (Eigen::Index b0 = i0; b0 < i1; b0 += block_) {
        const Eigen::Index nb = std::min<Eigen::Index>(block_, i1 - b0);
        block(S, b0, nb, false, nullptr, nullptr);
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
  Eigen::Index chunk_;
  int block_;
  // unpacked parameters (user layout): gate d x k (slopes) and k intercepts; expert a (d x k),
  // b (k), c (k)
  mutable Eigen::MatrixXd B1_, Ea_;
  mutable Eigen::RowVectorXd B0_, Eb_, Ec_;
  mutable std::vector<double> partial_rss_;
  mutable std::vector<Eigen::MatrixXd> partial_A_;
  mutable std::vector<Eigen::VectorXd> partial_g_;
  mutable std::vector<Scratch> scratch_;

  Eigen::Index n_chunks() const { return (data_.n + chunk_ - 1) / chunk_; }

  // Calls body(scratch, c, first row, end row) for every chunk c of rows, on up to threads_
  // threads (only when each gets at least two chunks), each with its own scratch.
  template <class Body>
  void each_chunk(Body&& body) const {
    const Eigen::Index nchunks = n_chunks();
    int nt = threads_;
    if (nt > 1 && nchunks < 2 * static_cast<Eigen::Index>(nt)) nt = static_cast<int>(std::max<Eigen::Index>(1, nchunks / 2));
    if (static_cast<int>(scratch_.size()) < nt) scratch_.resize(nt);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
#endif
    for (Eigen::Index c = 0; c < nchunks; ++c) {
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

  // One block of nb rows starting at row b0. Returns its RSS; with jac adds J'J (lower triangle)
  // and J'r. Column-wise array expressions over the block's rows: no temporaries, no allocation
  // once the scratch has its size.
  double block(Scratch& S, Eigen::Index b0, Eigen::Index nb, bool jac, Eigen::MatrixXd* A, Eigen::VectorXd* g) const {
    const int d = e_.d, k = L_.k, km1 = L_.gated();
    if (S.W.rows() != nb) {
      S.L.resize(nb, k); S.W.resize(nb, k); S.Z.resize(nb, k); S.H.resize(nb, k); S.DH.resize(nb, k);
      S.m.resize(nb); S.s.resize(nb); S.f.resize(nb); S.r.resize(nb);
      S.J.resize(nb, p_);
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
             int block_rows = 256)
      : MoePass<Gate>(&Act::block, e, k, data, threads, chunk_rows, block_rows) {}
};

// The MoeProblem of a run-time expert family and gate. A template (D is always Data) only so that
// a translation unit that does not call it instantiates none of the problems.
template <class D = Data>
std::unique_ptr<FittedProblem> make_moe_problem(const Expert& e, int k, GateKind gate, const D& data, int threads) {
  return dispatch_family(e.family, [&](auto act) {
    return dispatch_gate(gate, [&](auto g) -> std::unique_ptr<FittedProblem> {
      return std::unique_ptr<FittedProblem>(new MoeProblem<decltype(act), decltype(g)>(e, k, data, threads));
    });
  });
}

}  // namespace lsmoe

#endif
