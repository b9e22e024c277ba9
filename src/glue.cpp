// Thin glue between R and the header-only core in inst/include/lsmoe. Never exported to users.
#include "glue.h"

// [[Rcpp::depends(RcppEigen)]]

using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::VectorXd;

static Rcpp::List params_list(const lsmoe::Params& P) {
  return Rcpp::List::create(Rcpp::Named("beta0") = P.beta0, Rcpp::Named("beta1") = P.beta1,
                            Rcpp::Named("eta") = P.eta);
}

// [[Rcpp::export]]
Rcpp::List cpp_lse_fit(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> y, const Eigen::Map<Eigen::VectorXd> w, Rcpp::List expert, int k,
                       const Eigen::Map<Eigen::MatrixXd> starts, const Eigen::Map<Eigen::VectorXd> lower, const Eigen::Map<Eigen::VectorXd> upper,
                       Rcpp::List control) {
  const lsmoe::Model model(make_expert(expert, static_cast<int>(x.cols())), k);
  lsmoe::Control ctl;
  ctl.max_iter = Rcpp::as<int>(control["max_iter"]);
  ctl.ftol = Rcpp::as<double>(control["ftol"]);
  ctl.xtol = Rcpp::as<double>(control["xtol"]);
  ctl.gtol = Rcpp::as<double>(control["gtol"]);
  ctl.step_bound = Rcpp::as<double>(control["step_bound"]);
  ctl.threads = Rcpp::as<int>(control["threads"]);
  if (starts.rows() != model.n_free()) throw std::invalid_argument("starts have the wrong number of rows");
  const lsmoe::Bounds bounds(lower, upper);
  if (w.size() != 0 && w.size() != y.size()) throw std::invalid_argument("weights have the wrong length");
  const VectorXd sw = w.array().sqrt().matrix();
  const lsmoe::MultiFit mf = lsmoe::fit_lse(model, x, y, sw, starts, bounds, ctl, [] { Rcpp::checkUserInterrupt(); });
  const int S = static_cast<int>(mf.fits.size());
  Rcpp::NumericVector start_rss(S);
  Rcpp::IntegerVector start_status(S), start_iter(S);
  for (int s = 0; s < S; ++s) {
    start_rss[s] = mf.fits[s].rss;
    start_status[s] = mf.fits[s].status;
    start_iter[s] = mf.fits[s].iterations;
  }
  const lsmoe::Fit& b = mf.fits[mf.best];
  return Rcpp::List::create(
      Rcpp::Named("theta") = b.theta, Rcpp::Named("params") = params_list(model.unpack(b.theta)),
      Rcpp::Named("rss") = b.rss, Rcpp::Named("iterations") = b.iterations,
      Rcpp::Named("evaluations") = b.evaluations, Rcpp::Named("status") = b.status,
      Rcpp::Named("message") = lsmoe::status_message(b.status), Rcpp::Named("converged") = b.converged,
      Rcpp::Named("on_bound") = b.on_bound, Rcpp::Named("best") = mf.best + 1,
      Rcpp::Named("start_rss") = start_rss, Rcpp::Named("start_status") = start_status,
      Rcpp::Named("start_iterations") = start_iter);
}

// [[Rcpp::export]]
Rcpp::List cpp_predict(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1,
                       const Eigen::Map<Eigen::MatrixXd> eta, Rcpp::List expert) {
  const int k = static_cast<int>(beta0.size());
  const lsmoe::Model model(make_expert(expert, static_cast<int>(x.cols())), k);
  lsmoe::Params P{beta0, beta1, eta};
  if (beta1.rows() != k || beta1.cols() != x.cols() || eta.rows() != model.q() || eta.cols() != k)
    throw std::invalid_argument("parameters have the wrong shape");
  VectorXd f;
  MatrixXd gate, experts;
  model.predict(x, P, f, &gate, &experts);
  return Rcpp::List::create(Rcpp::Named("response") = f, Rcpp::Named("gate") = gate,
                            Rcpp::Named("experts") = experts);
}

// [[Rcpp::export]]
Rcpp::List cpp_residuals(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> y, const Eigen::Map<Eigen::VectorXd> theta,
                         Rcpp::List expert, int k) {
  const lsmoe::Model model(make_expert(expert, static_cast<int>(x.cols())), k);
  VectorXd r;
  MatrixXd J;
  const double rss = model.residuals(x, y, theta, r, &J, 1);
  return Rcpp::List::create(Rcpp::Named("residuals") = r, Rcpp::Named("jacobian") = J,
                            Rcpp::Named("rss") = rss);
}

// [[Rcpp::export]]
Rcpp::List cpp_pack(const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1, const Eigen::Map<Eigen::MatrixXd> eta,
                    Rcpp::List expert) {
  const int k = static_cast<int>(beta0.size());
  const lsmoe::Model model(make_expert(expert, static_cast<int>(beta1.cols())), k);
  const lsmoe::Params P{beta0, beta1, eta};
  const VectorXd theta = model.pack(P);
  return Rcpp::List::create(Rcpp::Named("theta") = theta, Rcpp::Named("params") = params_list(model.unpack(theta)));
}

// Expert values, gradients (n x q) and Hessians (n x q*q, column-major per row) at one eta.
// [[Rcpp::export]]
Rcpp::List cpp_expert_eval(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> eta, Rcpp::List expert) {
  const lsmoe::Expert e = make_expert(expert, static_cast<int>(x.cols()));
  const int Q = e.q();
  if (eta.size() != Q) throw std::invalid_argument("eta has the wrong length");
  const Eigen::Index n = x.rows();
  VectorXd value(n);
  MatrixXd grad(n, Q), hess(n, Q * Q);
  std::vector<double> g(Q), H(Q * Q);
  for (Eigen::Index i = 0; i < n; ++i) {
    lsmoe::XRow xr{x.data() + i, x.outerStride()};
    value[i] = e.gradient(xr, eta.data(), g.data());
    e.hessian(xr, eta.data(), H.data());
    for (int s = 0; s < Q; ++s) grad(i, s) = g[s];
    for (int s = 0; s < Q * Q; ++s) hess(i, s) = H[s];
  }
  return Rcpp::List::create(Rcpp::Named("value") = value, Rcpp::Named("gradient") = grad,
                            Rcpp::Named("hessian") = hess);
}
