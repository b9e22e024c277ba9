// Thin glue between R and the header-only core in inst/include/lsmoe. Never exported to users.
#include <chrono>
#include <cmath>
#include <memory>
#include <unordered_map>
#include "glue.h"
#include "kernel.h"

// [[Rcpp::depends(RcppEigen)]]

using Eigen::Map;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

// lsmoe::MoeProblem whose passes run on the AVX2 kernel (kernel.h) when `simd` is true and the
// CPU has AVX2 and FMA, else on the portable build. A plain lsmoe::Problem (what the solvers
// need) with fitted(): the family and gate are chosen once, in lsmoe::make_moe_problem(), and
// nothing here is compiled per family and gate. The portable problem is always built: it checks
// the arguments.
class FastProblem final : public lsmoe::FittedProblem {
 public:
  FastProblem(const lsmoe::Expert& e, int k, lsmoe::GateKind gate, const lsmoe::Data& data, int threads, bool simd,
              bool adapt_threads, lsmoe::Accumulation acc = lsmoe::Accumulation::automatic)
      : base_(lsmoe::make_moe_problem(e, k, gate, data, threads, acc, adapt_threads)) {
    if (!simd) return;
    lsmoe::simd::Spec s;
    s.family = static_cast<int>(e.family); s.degree = e.degree; s.output_weight = e.output_weight; s.d = e.d;
    s.k = k; s.gate = static_cast<int>(gate); s.threads = threads; s.accumulation = static_cast<int>(acc);
    s.adapt_threads = adapt_threads;
    s.X = data.X; s.ldx = static_cast<long>(data.ldx); s.n = static_cast<long>(data.n); s.y = data.y; s.sw = data.sw;
    kernel_.reset(lsmoe::simd::make_avx2_kernel(s));
  }
  int p() const override { return base_->p(); }
  double eval(const VectorXd& theta, lsmoe::PassSums& out, bool jac) const override {
    if (!kernel_) return base_->eval(theta, out, jac);
    if (theta.size() != p()) throw std::invalid_argument("parameter vector has the wrong length");
    out.reset(p(), jac);
    out.rss = kernel_->eval(theta.data(), jac ? out.A.data() : nullptr, jac ? out.g.data() : nullptr, jac);
    return out.rss;
  }
  void fitted(const VectorXd& theta, double* f) const override {
    if (!kernel_) return base_->fitted(theta, f);
    if (theta.size() != p()) throw std::invalid_argument("parameter vector has the wrong length");
    kernel_->fitted(theta.data(), f);
  }

 private:
  std::unique_ptr<lsmoe::FittedProblem> base_;
  std::unique_ptr<lsmoe::simd::Kernel> kernel_;
};

// The build of the fused pass that FastProblem uses: "avx2" or "portable".
std::string kernel_name(bool simd) { return simd && lsmoe::simd::avx2_available() ? "avx2" : "portable"; }

// The layout of theta for lsmoe::ReciprocalWeightProblem, which only output-weighted tanh experts
// have.
lsmoe::Layout reciprocal_layout(const lsmoe::Expert& e, int k, lsmoe::GateKind gate) {
  if (!(e.family == lsmoe::Family::tanh && e.output_weight))
    throw std::invalid_argument("reciprocal output weights are for output-weighted tanh experts only");
  return lsmoe::Layout(k, e.d, e.q(), gate);
}

// The progress of a fit (R/fit-progress.R): after every Levenberg-Marquardt iteration (on the main
// thread, between passes) counts it and, at most every 250 ms of wall time, calls the R function
// `hook` with the number of iterations so far. Does nothing without a hook (R NULL). The hook
// only reports: it never changes the fit, nor the random number generator's state.
class ProgressHook {
 public:
  explicit ProgressHook(SEXP hook) : hook_(hook), last_(std::chrono::steady_clock::now()) {}
  void tick() {
    ++iterations_;
    if (Rf_isNull(hook_)) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(250)) return;
    last_ = now;
    Rcpp::Function f(hook_);
    f(static_cast<double>(iterations_));
    // The hook restores .Random.seed (R/fit-progress.R), but R code it ran may have drawn from the
    // generator's internal state, which the RNGScope of this call writes back to .Random.seed on
    // return: reload the restored state so that it is written back unchanged.
    GetRNGstate();
  }

 private:
  SEXP hook_;
  long long iterations_ = 0;
  std::chrono::steady_clock::time_point last_;
};

// Runs the multistart fit.
lsmoe::MultiFit run_fit(const lsmoe::Expert& e, int k, lsmoe::GateKind gate, const lsmoe::Data& full,
                        const lsmoe::Data* screen, const lsmoe::Data* refine, const Eigen::Ref<const MatrixXd>& starts,
                        const lsmoe::Bounds& bounds, const lsmoe::Control& ctl, bool simd, bool reciprocal, SEXP progress) {
  typedef FastProblem P;
  const P pf(e, k, gate, full, ctl.threads, simd, ctl.adapt_threads);
  ProgressHook hook(progress);
  auto interrupt = [&hook] {
    Rcpp::checkUserInterrupt();
    hook.tick();
  };
  std::unique_ptr<P> ps, pr;
  if (screen) ps.reset(new P(e, k, gate, *screen, 1, simd, ctl.adapt_threads));
  if (refine) pr.reset(new P(e, k, gate, *refine, ctl.threads, simd, ctl.adapt_threads));
  if (!reciprocal) return lsmoe::fit_multi(pf, ps.get(), pr.get(), starts, bounds, ctl, interrupt);
  // reciprocal output weights (lsmoe::ReciprocalWeightProblem): starts, bounds and estimates hold
  // s = 1 / c in place of c
  typedef lsmoe::ReciprocalWeightProblem C;
  const lsmoe::Layout layout = reciprocal_layout(e, k, gate);
  const C cf(pf, layout);
  std::unique_ptr<C> cs, cr;
  if (ps) cs.reset(new C(*ps, layout));
  if (pr) cr.reset(new C(*pr, layout));
  return lsmoe::fit_multi(cf, cs.get(), cr.get(), starts, bounds, ctl, interrupt);
}

// A copy of some rows (1-based) of the data, for the screening and refining stages.
struct Subsample {
  MatrixXd x;
  VectorXd y, sw;
  lsmoe::Data data;
  Subsample(const Eigen::Map<MatrixXd>& X, const Eigen::Map<VectorXd>& Y, const VectorXd& SW, bool weighted,
            const Rcpp::IntegerVector& rows)
      : x(rows.size(), X.cols()), y(rows.size()), sw(rows.size()) {
    const Eigen::Index n = X.rows(), m = rows.size();
    for (Eigen::Index i = 0; i < m; ++i) {
      const int r = rows[i];
      if (r < 1 || r > n) throw std::invalid_argument("subsample rows out of range");
      x.row(i) = X.row(r - 1);
      y[i] = Y[r - 1];
      sw[i] = weighted ? SW[r - 1] : 1.0;
    }
    data.X = x.data(); data.ldx = m; data.n = m; data.d = static_cast<int>(X.cols()); data.y = y.data();
    data.sw = weighted ? sw.data() : nullptr;
  }
};

}  // namespace

// x (n x d), y (n), w (n weights or length 0), starts (p x S), lower/upper (p),
// screen_rows, refine_rows (1-based rows of the screening and refining subsamples, or length 0:
// no such stage; see lsmoe::fit_multi), gate ("softmax" or "sigmoid"). With reciprocal = TRUE
// (output-weighted tanh experts only) the starts, bounds and returned theta hold s = 1 / c in
// place of every output weight c (lsmoe::ReciprocalWeightProblem). `bound_flags` flags the best
// fit's parameters on a bound of that box (lsmoe::Bounds::on_bound()). control$progress, when
// present and not NULL, is an R function called with the iterations so far (ProgressHook).
// [[Rcpp::export]]
Rcpp::List cpp_lse_fit(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> y, const Eigen::Map<Eigen::VectorXd> w,
                       Rcpp::List expert, int k, const Eigen::Map<Eigen::MatrixXd> starts, const Eigen::Map<Eigen::VectorXd> lower,
                       const Eigen::Map<Eigen::VectorXd> upper, Rcpp::List control,
                       Rcpp::IntegerVector screen_rows, Rcpp::IntegerVector refine_rows, std::string gate = "softmax",
                       bool simd = true, bool reciprocal = false) {
  const lsmoe::Expert e = make_expert(expert, static_cast<int>(x.cols()));
  const lsmoe::GateKind gk = lsmoe::gate_from_string(gate);
  const lsmoe::Model model(e, k, gk);
  lsmoe::Control ctl;
  ctl.max_iter = Rcpp::as<int>(control["max_iter"]);
  ctl.ftol = Rcpp::as<double>(control["ftol"]);
  ctl.xtol = Rcpp::as<double>(control["xtol"]);
  ctl.gtol = Rcpp::as<double>(control["gtol"]);
  ctl.damping = Rcpp::as<double>(control["damping"]);
  ctl.threads = Rcpp::as<int>(control["threads"]);
  ctl.adapt_threads = !control.containsElementNamed("adapt_threads") || Rcpp::as<bool>(control["adapt_threads"]);
  ctl.screen_iter = Rcpp::as<int>(control["screen_iter"]);
  ctl.n_finish = Rcpp::as<int>(control["n_finish"]);
  ctl.project = !control.containsElementNamed("bounds_method") ||
                Rcpp::as<std::string>(control["bounds_method"]) == "projection";
  ctl.restart = !control.containsElementNamed("restart") || Rcpp::as<bool>(control["restart"]);
  ctl.race_iter = control.containsElementNamed("race_iter") ? Rcpp::as<int>(control["race_iter"]) : 0;
  const Eigen::Index n = x.rows();
  if (y.size() != n) throw std::invalid_argument("x and y differ in the number of observations");
  if (w.size() != 0 && w.size() != n) throw std::invalid_argument("weights have the wrong length");
  if (n < model.n_free()) throw std::invalid_argument("fewer observations than free parameters");
  if (starts.rows() != model.n_free()) throw std::invalid_argument("starts have the wrong number of rows");
  const lsmoe::Bounds bounds(lower, upper);
  const VectorXd sw = w.array().sqrt().matrix();
  lsmoe::Data full;
  full.X = x.data(); full.ldx = n; full.n = n; full.d = static_cast<int>(x.cols()); full.y = y.data();
  full.sw = w.size() ? sw.data() : nullptr;
  std::unique_ptr<Subsample> scr, ref;
  if (screen_rows.size() > 0) scr.reset(new Subsample(x, y, sw, w.size() > 0, screen_rows));
  if (refine_rows.size() > 0) ref.reset(new Subsample(x, y, sw, w.size() > 0, refine_rows));
  const lsmoe::MultiFit mf = run_fit(e, k, gk, full, scr ? &scr->data : nullptr, ref ? &ref->data : nullptr, starts,
                                     bounds, ctl, simd, reciprocal,
                                     control.containsElementNamed("progress") ? SEXP(control["progress"]) : R_NilValue);
  const int S = static_cast<int>(mf.fits.size());
  Rcpp::NumericVector start_rss(S), screen_rss(S, NA_REAL), refine_rss(S, NA_REAL);
  Rcpp::IntegerVector start_status(S), start_iter(S);
  for (int s = 0; s < S; ++s) {
    start_rss[s] = mf.fits[s].rss;
    start_status[s] = mf.fits[s].status;
    start_iter[s] = mf.fits[s].iterations;
    if (!mf.screen_rss.empty()) screen_rss[s] = mf.screen_rss[s];
    if (!mf.refine_rss.empty()) refine_rss[s] = mf.refine_rss[s];
  }
  const lsmoe::Fit& b = mf.fits[mf.best];
  const std::vector<bool> on_bound = bounds.on_bound_flags(b.theta);
  return Rcpp::List::create(
      Rcpp::Named("theta") = b.theta, Rcpp::Named("params") = params_to_r(model.unpack(b.theta)),
      Rcpp::Named("rss") = b.rss, Rcpp::Named("iterations") = b.iterations,
      Rcpp::Named("evaluations") = b.evaluations, Rcpp::Named("jacobians") = b.jacobians,
      Rcpp::Named("status") = b.status,
      Rcpp::Named("message") = lsmoe::status_message(b.status), Rcpp::Named("converged") = b.converged,
      Rcpp::Named("on_bound") = b.on_bound,
      Rcpp::Named("bound_flags") = Rcpp::LogicalVector(on_bound.begin(), on_bound.end()),
      Rcpp::Named("best") = mf.best + 1,
      Rcpp::Named("start_rss") = start_rss, Rcpp::Named("start_status") = start_status,
      Rcpp::Named("start_iterations") = start_iter, Rcpp::Named("screen_rss") = screen_rss,
      Rcpp::Named("refine_rss") = refine_rss,
      Rcpp::Named("kernel") = kernel_name(simd));
}

// "avx2" when the AVX2 kernel of the fused pass runs on this CPU, else "portable".
// [[Rcpp::export]]
std::string cpp_simd_kernel() { return kernel_name(true); }

// The fused pass at theta: RSS, J'J and J'r (weighted when w has length n). For tests and
// inference. With reciprocal = TRUE, theta holds s = 1 / c in place of every output weight c
// (lsmoe::ReciprocalWeightProblem). `accumulation` ("auto", "dots", "rank_update", "structured")
// forces a way of accumulating J'J (lsmoe::Accumulation) for tests and benchmarks; the one used is
// returned. With sqrt_weights = TRUE, w holds the square roots of the weights (no copy of length n
// is made for them). adapt_threads = FALSE: exactly `threads` threads whatever the machine's load
// (lsmoe/threads.hpp), as the tests of identical results need.
// [[Rcpp::export]]
Rcpp::List cpp_normal_equations(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> y,
                                const Eigen::Map<Eigen::VectorXd> w, const Eigen::Map<Eigen::VectorXd> theta,
                                Rcpp::List expert, int k, int threads = 1, std::string gate = "softmax",
                                bool simd = true, bool reciprocal = false, std::string accumulation = "auto",
                                bool sqrt_weights = false, bool adapt_threads = true) {
  static const char* acc_names[] = {"auto", "dots", "rank_update", "structured"};
  int acc_code = -1;
  for (int i = 0; i < 4; ++i)
    if (accumulation == acc_names[i]) acc_code = i;
  if (acc_code < 0) throw std::invalid_argument("unknown accumulation");
  const lsmoe::Accumulation acc = static_cast<lsmoe::Accumulation>(acc_code);
  const lsmoe::Expert e = make_expert(expert, static_cast<int>(x.cols()));
  const lsmoe::GateKind gk = lsmoe::gate_from_string(gate);
  const Eigen::Index n = x.rows();
  if (y.size() != n) throw std::invalid_argument("x and y differ in the number of observations");
  if (w.size() != 0 && w.size() != n) throw std::invalid_argument("weights have the wrong length");
  const VectorXd sw = sqrt_weights ? VectorXd() : VectorXd(w.array().sqrt().matrix());
  lsmoe::Data full;
  full.X = x.data(); full.ldx = n; full.n = n; full.d = static_cast<int>(x.cols()); full.y = y.data();
  full.sw = w.size() ? (sqrt_weights ? w.data() : sw.data()) : nullptr;
  lsmoe::PassSums s;
  const FastProblem prob(e, k, gk, full, threads, simd, adapt_threads, acc);
  const double rss = reciprocal ? lsmoe::ReciprocalWeightProblem(prob, reciprocal_layout(e, k, gk)).eval(theta, s, true)
                                : prob.eval(theta, s, true);
  const lsmoe::Accumulation used = lsmoe::accumulation_for(acc, prob.p(), e.d);
  return Rcpp::List::create(Rcpp::Named("rss") = rss, Rcpp::Named("JtJ") = s.A, Rcpp::Named("Jtr") = s.g,
                            Rcpp::Named("accumulation") = acc_names[static_cast<int>(used)]);
}

// Seconds of the matrix product of J'J's shape (A (p x p) += J'J over `rows` rows in blocks of
// block_rows) in the AVX2 build of Eigen (lsmoe::simd::gemm_seconds(); NA without AVX2), for
// bench/scale.R.
// [[Rcpp::export]]
double cpp_gemm_seconds(int p, double rows, int block_rows = 256) {
  if (p < 1 || block_rows < 1 || !(rows >= 1)) throw std::invalid_argument("p, rows and block_rows must be positive");
  const double t = lsmoe::simd::gemm_seconds(p, static_cast<long>(rows), block_rows);
  return t < 0 ? NA_REAL : t;
}

// Fitted values f(x_i; theta) of every row by the fused, vectorised pass (theta packed as in
// cpp_lse_fit, on the scale of x). Used for a fit's fitted values: much faster than cpp_predict,
// which also returns the gate values and the experts. Written straight into the R vector it
// returns: no other vector of length n (the pass's residuals, which fitted() does not use, are
// taken against f itself, read block by block before that block is written; they are zero).
// [[Rcpp::export]]
Rcpp::NumericVector cpp_fitted(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> theta, Rcpp::List expert,
                               int k, int threads = 1, std::string gate = "softmax", bool simd = true,
                               bool adapt_threads = true) {
  const lsmoe::Expert e = make_expert(expert, static_cast<int>(x.cols()));
  const lsmoe::GateKind gk = lsmoe::gate_from_string(gate);
  const Eigen::Index n = x.rows();
  Rcpp::NumericVector f(n);  // zeros
  lsmoe::Data full;
  full.X = x.data(); full.ldx = n; full.n = n; full.d = static_cast<int>(x.cols()); full.y = f.begin();
  FastProblem(e, k, gk, full, threads, simd, adapt_threads).fitted(theta, f.begin());
  return f;
}

// The regression function, the gate values (n x k) and the experts (n x k) at a mixing measure
// beta0 (k), beta1 (k x d), eta (k x q, one row per atom).
// [[Rcpp::export]]
Rcpp::List cpp_predict(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1,
                       const Eigen::Map<Eigen::MatrixXd> eta, Rcpp::List expert, std::string gate = "softmax") {
  const int k = static_cast<int>(beta0.size());
  const lsmoe::Model model(make_expert(expert, static_cast<int>(x.cols())), k, lsmoe::gate_from_string(gate));
  if (beta1.rows() != k || beta1.cols() != x.cols() || eta.rows() != k || eta.cols() != model.q())
    throw std::invalid_argument("parameters have the wrong shape");
  const lsmoe::Params P = params_from_r(beta0, beta1, eta);
  VectorXd f;
  MatrixXd gates, experts;
  model.predict(x, P, f, &gates, &experts);
  return Rcpp::List::create(Rcpp::Named("response") = f, Rcpp::Named("gate") = gates,
                            Rcpp::Named("experts") = experts);
}

// [[Rcpp::export]]
Rcpp::List cpp_residuals(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> y, const Eigen::Map<Eigen::VectorXd> theta,
                         Rcpp::List expert, int k, std::string gate = "softmax") {
  const lsmoe::Model model(make_expert(expert, static_cast<int>(x.cols())), k, lsmoe::gate_from_string(gate));
  VectorXd r;
  MatrixXd J;
  const double rss = model.residuals(x, y, theta, r, &J);
  return Rcpp::List::create(Rcpp::Named("residuals") = r, Rcpp::Named("jacobian") = J,
                            Rcpp::Named("rss") = rss);
}

// theta packed from beta0 (k), beta1 (k x d), eta (k x q), and the parameters unpacked from it
// (anchored for the softmax gate), in the same layout.
// [[Rcpp::export]]
Rcpp::List cpp_pack(const Eigen::Map<Eigen::VectorXd> beta0, const Eigen::Map<Eigen::MatrixXd> beta1, const Eigen::Map<Eigen::MatrixXd> eta,
                    Rcpp::List expert, std::string gate = "softmax") {
  const int k = static_cast<int>(beta0.size());
  const lsmoe::Model model(make_expert(expert, static_cast<int>(beta1.cols())), k, lsmoe::gate_from_string(gate));
  const lsmoe::Params P = params_from_r(beta0, beta1, eta);
  const VectorXd theta = model.pack(P);
  return Rcpp::List::create(Rcpp::Named("theta") = theta, Rcpp::Named("params") = params_to_r(model.unpack(theta)));
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

// The free parameters of theta on a bound of the box [lower, upper] (lsmoe::Bounds::on_bound()):
// the rule of cpp_lse_fit's `bound_flags` and `on_bound`, for a fit's theta on another scale.
// [[Rcpp::export]]
Rcpp::LogicalVector cpp_bound_flags(const Eigen::Map<Eigen::VectorXd> theta, const Eigen::Map<Eigen::VectorXd> lower,
                                    const Eigen::Map<Eigen::VectorXd> upper) {
  if (theta.size() != lower.size()) throw std::invalid_argument("theta and the bounds differ in length");
  const lsmoe::Bounds bounds(lower, upper);
  const std::vector<bool> flags = bounds.on_bound_flags(theta);
  return Rcpp::LogicalVector(flags.begin(), flags.end());
}

// The reciprocal output-weight coordinates of lsmoe::ReciprocalWeightProblem for R: theta (p x S,
// one packed theta per column, output-weighted tanh experts, q = d + 2) to the fit's coordinates
// (lsmoe::to_reciprocal(): the signs of negative output weights moved into (a, b), s = 1 / |c| with
// |c| within [c_min, bound_output]) and back (lsmoe::from_reciprocal(): c = 1 / s).
// [[Rcpp::export]]
Eigen::MatrixXd cpp_to_reciprocal(const Eigen::Map<Eigen::MatrixXd> theta, int k, int d, std::string gate,
                                  double bound_output, double c_min) {
  const lsmoe::Layout L(k, d, d + 2, lsmoe::gate_from_string(gate));
  MatrixXd phi = theta;
  for (Eigen::Index s = 0; s < phi.cols(); ++s) lsmoe::to_reciprocal(L, phi.col(s), c_min, bound_output);
  return phi;
}

// [[Rcpp::export]]
Eigen::MatrixXd cpp_from_reciprocal(const Eigen::Map<Eigen::MatrixXd> phi, int k, int d, std::string gate) {
  const lsmoe::Layout L(k, d, d + 2, lsmoe::gate_from_string(gate));
  MatrixXd theta = phi;
  for (Eigen::Index s = 0; s < theta.cols(); ++s) lsmoe::from_reciprocal(L, theta.col(s));
  return theta;
}

// ---- Statistics of the data for the R stages, without copies of length n ----

// The mean squared deviation of each column of x (n x d) from m (d), exactly as R computes
// colMeans(sweep(x, 2, m)^2): each deviation and square in double, their sum and its division by n
// in long double, rounded to double at the end. With mean = FALSE the sum, as R's sum() of the
// squares of a column: sum((x[, j] - m[j])^2). The R expressions make n x d temporaries.
// [[Rcpp::export]]
Rcpp::NumericVector cpp_col_mean_sq_dev(const Eigen::Map<Eigen::MatrixXd> x, const Eigen::Map<Eigen::VectorXd> m,
                                        bool mean = true) {
  const Eigen::Index n = x.rows(), d = x.cols();
  if (m.size() != d) throw std::invalid_argument("m must have one value per column of x");
  Rcpp::NumericVector out(d);
  for (Eigen::Index j = 0; j < d; ++j) {
    const double* c = x.data() + n * j;
    long double s = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) {
      const double dv = c[i] - m[j];
      const double sq = dv * dv;
      s += sq;
    }
    if (mean) s /= n;
    out[j] = static_cast<double>(s);
  }
  return out;
}

// mean((v - m)^2) exactly as R's mean() computes it: the squares in double, their sum divided by
// n in long double, then (when finite) the mean of their deviations from it added. The R
// expression makes a temporary of length n.
// [[Rcpp::export]]
double cpp_mean_sq_dev(const Eigen::Map<Eigen::VectorXd> v, double m) {
  const Eigen::Index n = v.size();
  auto sq = [&](Eigen::Index i) {
    const double dv = v[i] - m;
    return dv * dv;
  };
  long double s = 0.0;
  for (Eigen::Index i = 0; i < n; ++i) s += sq(i);
  s /= n;
  if (std::isfinite(static_cast<double>(s))) {
    long double t = 0.0;
    for (Eigen::Index i = 0; i < n; ++i) t += (sq(i) - s);
    s += t / n;
  }
  return static_cast<double>(s);
}

// sample.int(n, size) without replacement as R draws it when it does not hash (n <= 1e7, or size
// > n / 2): the same values from the same calls of R's generator (R_unif_index), with a map of the
// positions moved in place of R's array of all n integers.
// [[Rcpp::export]]
Rcpp::IntegerVector cpp_sample_int(int n, int size) {
  if (n < 0 || size < 0 || size > n) throw std::invalid_argument("cannot take a sample larger than the population");
  std::unordered_map<int, int> moved;
  auto at = [&](int j) {
    const auto it = moved.find(j);
    return it == moved.end() ? j : it->second;
  };
  Rcpp::IntegerVector out(size);
  int left = n;
  for (int i = 0; i < size; ++i) {
    const int j = static_cast<int>(R_unif_index(left));
    out[i] = at(j) + 1;
    --left;
    moved[j] = at(left);
  }
  return out;
}

// The threads a pass asking for `requested` runs on, given the machine's online CPUs, runnable
// tasks in all (`running`) and in this process (`own`); negative: unknown
// (lsmoe::threads_for_load()).
// [[Rcpp::export]]
int cpp_threads_for_load(int requested, int online, int running, int own) {
  return lsmoe::threads_for_load(requested, online, running, own);
}

// The machine's load as a pass reads it now (lsmoe::cpu_load()): online CPUs, runnable tasks in
// all and in this process; NA where unknown (not Linux).
// [[Rcpp::export]]
Rcpp::IntegerVector cpp_cpu_load() {
  const lsmoe::CpuLoad L = lsmoe::cpu_load();
  const auto na = [](int v) { return v < 0 ? NA_INTEGER : v; };
  return Rcpp::IntegerVector::create(Rcpp::Named("online") = na(L.online), Rcpp::Named("running") = na(L.running),
                                     Rcpp::Named("own") = na(L.own));
}
