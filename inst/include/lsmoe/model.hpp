// lsmoe: the regression function f_G(x) = sum_j g_j(x) h(x, eta_j) and the Jacobian of the
// residuals in all free parameters, for two gates:
//   softmax: g_j = softmax_j(beta0 + beta1 x); the last component's gating parameters are
//            anchored at zero (beta0_k = 0, beta1_k = 0), removing the translation invariance;
//   sigmoid: g_j = sigmoid(beta0_j + beta1_j' x), one gate per expert, no normalisation across
//            experts and no anchoring (Nguyen, Ho and Rinaldo 2024, arXiv:2405.13997).
#ifndef LSMOE_MODEL_HPP
#define LSMOE_MODEL_HPP

#include <cmath>
#include <string>
#include <vector>
#include <stdexcept>
#include <Eigen/Dense>
#include "experts.hpp"
#include "gating.hpp"
#include "layout.hpp"

namespace lsmoe {

// Parameters of a mixture with k components.
struct Params {
  Eigen::VectorXd beta0;  // k
  Eigen::MatrixXd beta1;  // k x d
  Eigen::MatrixXd eta;    // q x k (column j = expert parameters of component j)
};

// The mixture's parameters packed in theta as in Layout (layout.hpp).
struct Model {
  Expert expert;
  int k = 1;
  GateKind gate = GateKind::softmax;

  Model(const Expert& e, int k_, GateKind g = GateKind::softmax) : expert(e), k(k_), gate(g) {
    if (k_ < 1) throw std::invalid_argument("k must be at least 1");
  }
  int d() const { return expert.d; }
  int q() const { return expert.q(); }
  Layout layout() const { return Layout(k, d(), q(), gate); }
  int n_gated() const { return layout().gated(); }
  int n_gate() const { return layout().n_gate(); }
  int n_free() const { return layout().p(); }

  Params unpack(const Eigen::VectorXd& theta) const {
    if (theta.size() != n_free()) throw std::invalid_argument("parameter vector has the wrong length");
    const Layout L = layout();
    const int D = d(), Q = q(), km1 = L.gated();
    Params P;
    P.beta0 = Eigen::VectorXd::Zero(k);
    P.beta1 = Eigen::MatrixXd::Zero(k, D);
    P.eta.resize(Q, k);
    for (int j = 0; j < km1; ++j) P.beta0[j] = theta[L.beta0(j)];
    for (int u = 0; u < D; ++u)
      for (int j = 0; j < km1; ++j) P.beta1(j, u) = theta[L.beta1(j, u)];
    for (int j = 0; j < k; ++j)
      for (int r = 0; r < Q; ++r) P.eta(r, j) = theta[L.eta(j) + r];
    return P;
  }

  // Pack parameters; a softmax gate is first translated so that the last component is anchored
  // at 0 (a sigmoid gate is packed as it is).
  Eigen::VectorXd pack(const Params& P) const {
    const Layout L = layout();
    const int D = d(), Q = q(), km1 = L.gated();
    if (P.beta0.size() != k || P.beta1.rows() != k || P.beta1.cols() != D || P.eta.rows() != Q || P.eta.cols() != k)
      throw std::invalid_argument("parameters have the wrong shape");
    Eigen::VectorXd theta(n_free());
    const bool anchor = gate == GateKind::softmax;
    for (int j = 0; j < km1; ++j) theta[L.beta0(j)] = P.beta0[j] - (anchor ? P.beta0[k - 1] : 0.0);
    for (int u = 0; u < D; ++u)
      for (int j = 0; j < km1; ++j) theta[L.beta1(j, u)] = P.beta1(j, u) - (anchor ? P.beta1(k - 1, u) : 0.0);
    for (int j = 0; j < k; ++j)
      for (int r = 0; r < Q; ++r) theta[L.eta(j) + r] = P.eta(r, j);
    return theta;
  }

  // Gate values at one row from the logits w (length k), in place.
  void gate_inplace(double* w) const {
    if (gate == GateKind::softmax) {
      softmax_inplace(w, k);
    } else {
      for (int j = 0; j < k; ++j) w[j] = sigmoid_stable(w[j]);
    }
  }

  // f_G at every row of X (n x d). Optionally also the gate values (n x k: softmax
  // probabilities, or the k sigmoid gates) and the expert values (n x k).
  void predict(const Eigen::Ref<const Eigen::MatrixXd>& X, const Params& P, Eigen::VectorXd& f,
               Eigen::MatrixXd* gates = nullptr, Eigen::MatrixXd* experts = nullptr) const {
    const Eigen::Index n = X.rows();
    if (X.cols() != d()) throw std::invalid_argument("x has the wrong number of columns");
    f.resize(n);
    if (gates) gates->resize(n, k);
    if (experts) experts->resize(n, k);
    std::vector<double> w(k);
    for (Eigen::Index i = 0; i < n; ++i) {
      XRow x{X.data() + i, X.outerStride()};
      gate_logits(x, P.beta0, P.beta1, w.data());
      gate_inplace(w.data());
      double s = 0.0;
      for (int j = 0; j < k; ++j) {
        double h = expert.value(x, P.eta.col(j).data());
        s += w[j] * h;
        if (gates) (*gates)(i, j) = w[j];
        if (experts) (*experts)(i, j) = h;
      }
      f[i] = s;
    }
  }

  // Residuals r = f_G(X) - y (n) and their dense Jacobian J (n x n_free) in theta, row by row:
  // the reference implementation (tests, inference). The fitter uses the fused pass (fused.hpp).
  // Returns the residual sum of squares.
  double residuals(const Eigen::Ref<const Eigen::MatrixXd>& X, const Eigen::Ref<const Eigen::VectorXd>& y,
                   const Eigen::VectorXd& theta, Eigen::VectorXd& r, Eigen::MatrixXd* J) const {
    const Eigen::Index n = X.rows();
    const Layout L = layout();
    const int D = d(), Q = q(), km1 = L.gated();
    const bool soft = gate == GateKind::softmax;
    const Params P = unpack(theta);
    r.resize(n);
    if (X.cols() != D) throw std::invalid_argument("x has the wrong number of columns");
    if (y.size() != n) throw std::invalid_argument("x and y differ in the number of observations");
    if (J) J->resize(n, n_free());
    {
      std::vector<double> w(k), h(k), g(static_cast<size_t>(k) * Q);
      for (Eigen::Index i = 0; i < n; ++i) {
        XRow x{X.data() + i, X.outerStride()};
        gate_logits(x, P.beta0, P.beta1, w.data());
        gate_inplace(w.data());
        double f = 0.0;
        for (int j = 0; j < k; ++j) {
          const double* eta = P.eta.col(j).data();
          h[j] = J ? expert.gradient(x, eta, g.data() + j * Q) : expert.value(x, eta);
          f += w[j] * h[j];
        }
        r[i] = f - y[i];
        if (!J) continue;
        Eigen::MatrixXd& Jm = *J;
        for (int j = 0; j < km1; ++j) {
          // d f / d beta0_j: softmax w_j (h_j - f); sigmoid w_j (1 - w_j) h_j
          const double dg = soft ? w[j] * (h[j] - f) : w[j] * (1.0 - w[j]) * h[j];
          Jm(i, L.beta0(j)) = dg;
          for (int u = 0; u < D; ++u) Jm(i, L.beta1(j, u)) = dg * x[u];
        }
        for (int j = 0; j < k; ++j)
          for (int s = 0; s < Q; ++s) Jm(i, L.eta(j) + s) = w[j] * g[j * Q + s];
      }
    }
    return r.squaredNorm();
  }
};

}  // namespace lsmoe

#endif
