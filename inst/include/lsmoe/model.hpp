// lsmoe: the regression function f_G(x) = sum_j softmax_j(beta0 + beta1 x) h(x, eta_j) and the
// Jacobian of the residuals in all free parameters. The last component's gating parameters are
// anchored at zero (beta0_k = 0, beta1_k = 0), removing the translation invariance of the gate.
#ifndef LSMOE_MODEL_HPP
#define LSMOE_MODEL_HPP

#include <vector>
#include <stdexcept>
#include <Eigen/Dense>
#include "experts.hpp"
#include "gating.hpp"

namespace lsmoe {

// Parameters of a mixture with k components.
struct Params {
  Eigen::VectorXd beta0;  // k
  Eigen::MatrixXd beta1;  // k x d
  Eigen::MatrixXd eta;    // q x k (column j = expert parameters of component j)
};

// Layout of the free parameter vector theta:
//   [beta0_1 .. beta0_{k-1}] [beta1 as (k-1) x d, column-major] [eta as q x k, column-major]
struct Model {
  Expert expert;
  int k = 1;

  Model(const Expert& e, int k_) : expert(e), k(k_) {
    if (k_ < 1) throw std::invalid_argument("k must be at least 1");
  }
  int d() const { return expert.d; }
  int q() const { return expert.q(); }
  int n_gate() const { return (k - 1) * (d() + 1); }
  int n_free() const { return n_gate() + k * q(); }

  Params unpack(const Eigen::VectorXd& theta) const {
    if (theta.size() != n_free()) throw std::invalid_argument("parameter vector has the wrong length");
    const int D = d(), Q = q(), km1 = k - 1;
    Params P;
    P.beta0 = Eigen::VectorXd::Zero(k);
    P.beta1 = Eigen::MatrixXd::Zero(k, D);
    P.eta.resize(Q, k);
    for (int j = 0; j < km1; ++j) P.beta0[j] = theta[j];
    for (int u = 0; u < D; ++u)
      for (int j = 0; j < km1; ++j) P.beta1(j, u) = theta[km1 + j + u * km1];
    for (int j = 0; j < k; ++j)
      for (int r = 0; r < Q; ++r) P.eta(r, j) = theta[n_gate() + r + j * Q];
    return P;
  }

  // Pack parameters; the gate is first translated so that the last component is anchored at 0.
  Eigen::VectorXd pack(const Params& P) const {
    const int D = d(), Q = q(), km1 = k - 1;
    if (P.beta0.size() != k || P.beta1.rows() != k || P.beta1.cols() != D || P.eta.rows() != Q || P.eta.cols() != k)
      throw std::invalid_argument("parameters have the wrong shape");
    Eigen::VectorXd theta(n_free());
    for (int j = 0; j < km1; ++j) theta[j] = P.beta0[j] - P.beta0[k - 1];
    for (int u = 0; u < D; ++u)
      for (int j = 0; j < km1; ++j) theta[km1 + j + u * km1] = P.beta1(j, u) - P.beta1(k - 1, u);
    for (int j = 0; j < k; ++j)
      for (int r = 0; r < Q; ++r) theta[n_gate() + r + j * Q] = P.eta(r, j);
    return theta;
  }

  // f_G at every row of X (n x d). Optionally also the gate probabilities (n x k) and the
  // expert values (n x k).
  void predict(const Eigen::Ref<const Eigen::MatrixXd>& X, const Params& P, Eigen::VectorXd& f,
               Eigen::MatrixXd* gate = nullptr, Eigen::MatrixXd* experts = nullptr) const {
    const Eigen::Index n = X.rows();
    if (X.cols() != d()) throw std::invalid_argument("x has the wrong number of columns");
    f.resize(n);
    if (gate) gate->resize(n, k);
    if (experts) experts->resize(n, k);
    std::vector<double> w(k);
    for (Eigen::Index i = 0; i < n; ++i) {
      XRow x{X.data() + i, X.outerStride()};
      gate_logits(x, P.beta0, P.beta1, w.data());
      softmax_inplace(w.data(), k);
      double s = 0.0;
      for (int j = 0; j < k; ++j) {
        double h = expert.value(x, P.eta.col(j).data());
        s += w[j] * h;
        if (gate) (*gate)(i, j) = w[j];
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
    const int D = d(), Q = q(), km1 = k - 1, ng = n_gate();
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
        softmax_inplace(w.data(), k);
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
          const double dg = w[j] * (h[j] - f);  // d f / d beta0_j
          Jm(i, j) = dg;
          for (int u = 0; u < D; ++u) Jm(i, km1 + j + u * km1) = dg * x[u];
        }
        for (int j = 0; j < k; ++j)
          for (int s = 0; s < Q; ++s) Jm(i, ng + s + j * Q) = w[j] * g[j * Q + s];
      }
    }
    return r.squaredNorm();
  }
};

}  // namespace lsmoe

#endif
