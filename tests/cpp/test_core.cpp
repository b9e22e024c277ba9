// Standalone tests of the header-only core (no R): the fused pass against finite differences and
// the dense reference model, the reciprocal output-weight wrapper and coordinates, an LM fit
// recovering a known truth, the on-bound rule, the parameter layout, status codes and messages.
// Build and run with `make cpp-test`; exits non-zero when a check fails.
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>
#include <Eigen/Dense>
#include <lsmoe/lsmoe.hpp>

namespace {

int n_passed = 0, n_failed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++n_passed;
  } else {
    ++n_failed;
    std::printf("FAILED: %s\n", what.c_str());
  }
}

// |a - b| <= tol * max(1, |a|, |b|)
bool close(double a, double b, double tol) {
  return std::abs(a - b) <= tol * std::max(1.0, std::max(std::abs(a), std::abs(b)));
}

bool close(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b, double tol) {
  if (a.rows() != b.rows() || a.cols() != b.cols()) return false;
  for (Eigen::Index i = 0; i < a.size(); ++i)
    if (!close(a.data()[i], b.data()[i], tol)) return false;
  return true;
}

struct Case {
  lsmoe::Family family;
  int degree;
  bool output_weight;
  const char* name;
};

const std::vector<Case> cases = {
    {lsmoe::Family::sigmoid, 1, false, "sigmoid"},   {lsmoe::Family::sigmoid, 1, true, "sigmoid+c"},
    {lsmoe::Family::tanh, 1, false, "tanh"},         {lsmoe::Family::tanh, 1, true, "tanh+c"},
    {lsmoe::Family::linear, 1, false, "linear"},     {lsmoe::Family::polynomial, 3, false, "polynomial3"},
    {lsmoe::Family::relu, 1, false, "relu"},         {lsmoe::Family::gelu, 1, true, "gelu+c"},
    {lsmoe::Family::constant, 1, false, "constant"},
};

struct Sample {
  Eigen::MatrixXd x;
  Eigen::VectorXd y, sw;
  lsmoe::Data data(bool weighted) const {
    lsmoe::Data D;
    D.X = x.data(); D.ldx = x.rows(); D.n = x.rows(); D.d = static_cast<int>(x.cols()); D.y = y.data();
    D.sw = weighted ? sw.data() : nullptr;
    return D;
  }
};

Sample sample(Eigen::Index n, int d, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> N(0.0, 1.0);
  std::uniform_real_distribution<double> U(0.5, 2.0);
  Sample s{Eigen::MatrixXd(n, d), Eigen::VectorXd(n), Eigen::VectorXd(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    for (int u = 0; u < d; ++u) s.x(i, u) = N(rng);
    s.y[i] = N(rng);
    s.sw[i] = std::sqrt(U(rng));
  }
  return s;
}

Eigen::VectorXd random_theta(int p, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> N(0.0, 0.7);
  Eigen::VectorXd t(p);
  for (int i = 0; i < p; ++i) t[i] = N(rng);
  return t;
}

// The fused pass's J'r against central differences of RSS / 2, and J'J and J'r against the dense
// reference Jacobian of Model::residuals (unweighted and weighted), for every family and gate.
void test_fused_pass() {
  const int d = 2, k = 3;
  const Sample s = sample(700, d, 1);  // more than one block of rows
  for (const Case& c : cases) {
    for (lsmoe::GateKind gk : {lsmoe::GateKind::softmax, lsmoe::GateKind::sigmoid}) {
      const std::string tag = std::string(c.name) + (gk == lsmoe::GateKind::softmax ? "/softmax" : "/sigmoid");
      const lsmoe::Expert e(c.family, c.degree, c.output_weight, d);
      const lsmoe::Model model(e, k, gk);
      lsmoe::dispatch_family(c.family, [&](auto act) {
        lsmoe::dispatch_gate(gk, [&](auto g) {
          typedef lsmoe::MoeProblem<decltype(act), decltype(g)> P;
          Eigen::VectorXd theta = random_theta(model.n_free(), 7);
          for (bool weighted : {false, true}) {
            const std::string wt = tag + (weighted ? " weighted" : "");
            const P prob(e, k, s.data(weighted), 1, 256, 64);
            check(prob.p() == model.n_free(), wt + ": p");
            lsmoe::PassSums sums;
            const double rss = prob.eval(theta, sums, true);
            // dense reference on the weighted rows
            Eigen::VectorXd r;
            Eigen::MatrixXd J;
            const double rss_ref = model.residuals(s.x, s.y, theta, r, &J);
            if (weighted) {
              r = r.cwiseProduct(s.sw);
              J = s.sw.asDiagonal() * J;
            }
            check(close(rss, weighted ? r.squaredNorm() : rss_ref, 1e-12), wt + ": RSS against the reference");
            check(close(sums.A, J.transpose() * J, 1e-10), wt + ": J'J against the dense reference");
            check(close(sums.g, J.transpose() * r, 1e-10), wt + ": J'r against the dense reference");
            // RSS-only pass gives the same RSS
            lsmoe::PassSums plain;
            check(prob.eval(theta, plain, false) == rss, wt + ": residual-only pass");
            if (c.family == lsmoe::Family::relu) continue;  // kinks: no finite differences
            Eigen::VectorXd fd(theta.size());
            for (Eigen::Index i = 0; i < theta.size(); ++i) {
              const double hstep = 1e-6 * std::max(1.0, std::abs(theta[i]));
              Eigen::VectorXd tp = theta, tm = theta;
              tp[i] += hstep;
              tm[i] -= hstep;
              fd[i] = (prob.eval(tp, plain, false) - prob.eval(tm, plain, false)) / (4.0 * hstep);
            }
            check(close(sums.g, fd, 1e-6), wt + ": J'r against finite differences of RSS / 2");
          }
        });
      });
    }
  }
}

// Threads change nothing: the partial sums are added in chunk order. Four threads whatever the
// machine's load (adapt_threads = false).
void test_threads() {
  const Sample s = sample(3000, 1, 2);
  const lsmoe::Expert e(lsmoe::Family::tanh, 1, true, 1);
  typedef lsmoe::MoeProblem<lsmoe::ActTanh, lsmoe::GateSoftmax> P;
  const P one(e, 2, s.data(true), 1, 256, 64),
      four(e, 2, s.data(true), 4, 256, 64, lsmoe::Accumulation::automatic, false);
  const Eigen::VectorXd theta = random_theta(one.p(), 3);
  lsmoe::PassSums a, b;
  const double ra = one.eval(theta, a, true), rb = four.eval(theta, b, true);
  check(ra == rb && a.A == b.A && a.g == b.g, "threads: bit-identical sums");
}

// The threads of a pass on a loaded machine (threads.hpp): requested, online CPUs, runnable tasks
// in all and in this process.
void test_threads_for_load() {
  using lsmoe::threads_for_load;
  check(threads_for_load(2, 2, 1, 1) == 2, "threads for load: idle machine");
  check(threads_for_load(2, 2, 2, 2) == 2, "threads for load: the pass's own spinning thread is not load");
  check(threads_for_load(2, 2, 2, 1) == 1, "threads for load: one other runnable task on 2 cores");
  check(threads_for_load(2, 2, 9, 2) == 1, "threads for load: a loaded machine");
  check(threads_for_load(4, 2, 1, 1) == 2, "threads for load: no more than the online CPUs");
  check(threads_for_load(8, 16, 11, 1) == 6, "threads for load: the free cores of a larger machine");
  check(threads_for_load(1, 2, 1, 1) == 1 && threads_for_load(0, 2, 1, 1) == 1, "threads for load: one asked");
  check(threads_for_load(3, -1, 5, 1) == 3 && threads_for_load(3, 2, -1, 1) == 3 && threads_for_load(3, 2, 5, -1) == 3,
        "threads for load: unknown load, the threads asked for");
  check(threads_for_load(2, 2, 1, 3) == 2, "threads for load: more own than running (reads a moment apart)");
  const lsmoe::CpuLoad L = lsmoe::cpu_load();
#if defined(__linux__)
  check(L.online >= 1 && L.running >= 1 && L.own >= 1, "cpu_load: read on Linux, the calling thread is runnable");
#else
  check(L.online == -1 && L.running == -1 && L.own == -1, "cpu_load: unknown off Linux");
#endif
}

// Reciprocal output weights: the wrapped problem's J'r against central differences in phi.
void test_reciprocal() {
  const int d = 2, k = 2;
  const Sample s = sample(500, d, 6);
  const lsmoe::Expert e(lsmoe::Family::tanh, 1, true, d);
  for (lsmoe::GateKind gk : {lsmoe::GateKind::softmax, lsmoe::GateKind::sigmoid}) {
    lsmoe::dispatch_gate(gk, [&](auto g) {
      typedef lsmoe::MoeProblem<lsmoe::ActTanh, decltype(g)> P;
      const P base(e, k, s.data(true), 1);
      const lsmoe::Layout L(k, d, e.q(), gk);
      const lsmoe::ReciprocalWeightProblem prob(base, L);
      Eigen::VectorXd phi = random_theta(prob.p(), 8);
      for (int j = 0; j < k; ++j) phi[L.eta(j) + d + 1] = 0.5 + 0.25 * j;  // s = 1 / c > 0
      lsmoe::PassSums sums, plain;
      prob.eval(phi, sums, true);
      Eigen::VectorXd fd(phi.size());
      for (Eigen::Index i = 0; i < phi.size(); ++i) {
        Eigen::VectorXd pp = phi, pm = phi;
        pp[i] += 1e-6;
        pm[i] -= 1e-6;
        fd[i] = (prob.eval(pp, plain, false) - prob.eval(pm, plain, false)) / 4e-6;
      }
      check(close(sums.g, fd, 1e-6), "reciprocal: J'r against finite differences in phi");
      Eigen::VectorXd theta;
      prob.to_theta(phi, theta);
      check(theta[L.eta(1) + d + 1] == 1.0 / phi[L.eta(1) + d + 1], "reciprocal: c = 1 / s");
    });
  }
}

// A problem of p parameters that is never evaluated: the base a ReciprocalWeightProblem needs.
struct NoPass final : public lsmoe::Problem {
  explicit NoPass(int p) : p_(p) {}
  int p() const override { return p_; }
  double eval(const Eigen::VectorXd&, lsmoe::PassSums&, bool) const override { return 0.0; }
  int p_;
};

// The reciprocal coordinates as free functions (what the R side calls through the glue): signs
// into (a, b), |c| clamped into [c_min, bound_output], NaN kept, the round trip, the layout checks,
// and ReciprocalWeightProblem::to_theta() agreeing with from_reciprocal().
void test_reciprocal_coordinates() {
  const int d = 2, k = 4;
  for (lsmoe::GateKind gk : {lsmoe::GateKind::softmax, lsmoe::GateKind::sigmoid}) {
    const lsmoe::Layout L(k, d, d + 2, gk);
    Eigen::VectorXd theta = random_theta(L.p(), 31);
    const double c[k] = {-3.0, 0.5, 40.0, 1e-9};
    for (int j = 0; j < k; ++j) theta[lsmoe::output_weight_index(L, j)] = c[j];
    check(lsmoe::output_weight_index(L, 1) == L.eta(1) + d + 1, "reciprocal coordinates: c is eta's last");
    Eigen::VectorXd phi = theta;
    lsmoe::to_reciprocal(L, phi, 1e-4, 20.0);
    const double s[k] = {1.0 / 3.0, 1.0 / 0.5, 1.0 / 20.0, 1.0 / 1e-4};
    bool ok = true;
    for (int j = 0; j < k; ++j) {
      ok = ok && phi[lsmoe::output_weight_index(L, j)] == s[j];
      for (int r = 0; r <= d; ++r) ok = ok && phi[L.eta(j) + r] == (c[j] < 0 ? -1.0 : 1.0) * theta[L.eta(j) + r];
    }
    for (int i = 0; i < L.n_gate(); ++i) ok = ok && phi[i] == theta[i];
    check(ok, "reciprocal coordinates: signs moved into (a, b), s = 1 / |c| clamped");
    Eigen::VectorXd back = phi;
    lsmoe::from_reciprocal(L, back);
    ok = true;
    for (int j = 0; j < k; ++j) ok = ok && back[lsmoe::output_weight_index(L, j)] == 1.0 / s[j];
    check(ok, "reciprocal coordinates: from_reciprocal gives c = 1 / s");
    Eigen::VectorXd t2;
    const NoPass base(L.p());
    lsmoe::ReciprocalWeightProblem(base, L).to_theta(phi, t2);
    check(t2 == back, "reciprocal coordinates: ReciprocalWeightProblem::to_theta is from_reciprocal");
    Eigen::VectorXd nan = theta;
    nan[lsmoe::output_weight_index(L, 0)] = std::nan("");
    lsmoe::to_reciprocal(L, nan, 1e-4, 20.0);
    const int ic0 = lsmoe::output_weight_index(L, 0);
    check(std::isnan(nan[L.eta(0)]) && std::isnan(nan[L.eta(0) + d]) && std::isnan(nan[ic0]) && nan[L.eta(1)] == theta[L.eta(1)],
          "reciprocal coordinates: a NaN output weight makes its (a, b, s) NaN, and only those");
  }
  bool threw_q = false, threw_p = false;
  Eigen::VectorXd v = Eigen::VectorXd::Zero(lsmoe::Layout(2, 1, 2, lsmoe::GateKind::softmax).p());
  try {
    lsmoe::from_reciprocal(lsmoe::Layout(2, 1, 2, lsmoe::GateKind::softmax), v);
  } catch (const std::invalid_argument&) {
    threw_q = true;
  }
  Eigen::VectorXd w = Eigen::VectorXd::Zero(3);
  try {
    lsmoe::to_reciprocal(lsmoe::Layout(2, 1, 3, lsmoe::GateKind::softmax), w, 1e-4, 20.0);
  } catch (const std::invalid_argument&) {
    threw_p = true;
  }
  check(threw_q && threw_p, "reciprocal coordinates: a layout without output weight or a wrong length is rejected");
}

// A noiseless sample from a known mixture: the LM fit from a nearby start recovers it.
void test_recovery() {
  const int d = 1, k = 2;
  const lsmoe::Expert e(lsmoe::Family::sigmoid, 1, false, d);
  const lsmoe::Model model(e, k, lsmoe::GateKind::softmax);
  Sample s = sample(400, d, 4);
  lsmoe::Params truth;
  truth.beta0 = Eigen::Vector2d(0.5, 0.0);
  truth.beta1 = Eigen::MatrixXd(k, d);
  truth.beta1 << 2.0, 0.0;
  truth.eta = Eigen::MatrixXd(e.q(), k);
  truth.eta << 1.5, -1.0, 0.3, 0.8;
  model.predict(s.x, truth, s.y);
  const Eigen::VectorXd theta_true = model.pack(truth);
  Eigen::VectorXd start = theta_true;
  for (Eigen::Index i = 0; i < start.size(); ++i) start[i] += (i % 2 ? 0.15 : -0.1);
  typedef lsmoe::MoeProblem<lsmoe::ActSigmoid, lsmoe::GateSoftmax> P;
  const P prob(e, k, s.data(false), 1);
  lsmoe::Control ctl;
  const lsmoe::Bounds none = lsmoe::Bounds::none(prob.p());
  for (bool project : {true, false}) {
    ctl.project = project;
    const std::string tag = project ? "recovery (projected)" : "recovery (transform)";
    const lsmoe::Fit fit = lsmoe::lm_fit(prob, start, none, ctl);
    check(fit.converged, tag + ": converged");
    check(fit.rss < 1e-16, tag + ": RSS near zero");
    check(close(fit.theta, theta_true, 1e-6), tag + ": parameters recovered");
    check(fit.evaluations >= fit.jacobians && fit.jacobians >= 1, tag + ": pass counts");
    // the problem of a run-time family and gate is the same problem
    const std::unique_ptr<lsmoe::FittedProblem> rt =
        lsmoe::make_moe_problem(e, k, lsmoe::GateKind::softmax, s.data(false), 1);
    const lsmoe::Fit fit_rt = lsmoe::lm_fit(*rt, start, none, ctl);
    check(fit_rt.theta == fit.theta && fit_rt.rss == fit.rss && fit_rt.evaluations == fit.evaluations,
          tag + ": make_moe_problem() gives the same fit");
  }
  // the multistart with screening keeps the best start
  Eigen::MatrixXd starts(prob.p(), 4);
  starts.col(0) = random_theta(prob.p(), 11);
  starts.col(1) = start;
  starts.col(2) = random_theta(prob.p(), 12);
  starts.col(3) = random_theta(prob.p(), 13);
  std::vector<int> rows;
  for (int i = 0; i < 100; ++i) rows.push_back(4 * i);
  Sample sub{Eigen::MatrixXd(100, d), Eigen::VectorXd(100), Eigen::VectorXd::Ones(100)};
  for (int i = 0; i < 100; ++i) { sub.x.row(i) = s.x.row(rows[i]); sub.y[i] = s.y[rows[i]]; }
  const P screen(e, k, sub.data(false), 1);
  ctl.project = true;
  ctl.n_finish = 2;
  const lsmoe::MultiFit mf = lsmoe::fit_multi(prob, &screen, nullptr, starts, none, ctl);
  check(mf.screen_rss.size() == 4 && mf.fits.size() == 4, "multistart: one fit per start");
  check(mf.fits[mf.best].rss < 1e-16, "multistart: the best fit recovers the truth");
  int n_screened = 0;
  for (const lsmoe::Fit& f : mf.fits) n_screened += f.status == lsmoe::screened;
  check(n_screened == 2, "multistart: the starts not finished are marked screened");
}

// The solvers take any Problem: a straight line y = 2 - 3x through a plain struct (not
// derived from Problem) and ProblemAdapter.
struct LineProblem {
  Eigen::VectorXd x, y;
  int p() const { return 2; }
  double eval(const Eigen::VectorXd& th, lsmoe::PassSums& s, bool jac) const {
    s.reset(2, jac);
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      const double r = th[0] + th[1] * x[i] - y[i];
      s.rss += r * r;
      if (!jac) continue;
      const Eigen::Vector2d J(1.0, x[i]);
      s.A += J * J.transpose();
      s.g += J * r;
    }
    return s.rss;
  }
};

void test_any_problem() {
  LineProblem line;
  line.x = Eigen::VectorXd::LinSpaced(20, -1.0, 1.0);
  line.y = (2.0 - 3.0 * line.x.array()).matrix();
  const lsmoe::ProblemAdapter<LineProblem> prob(line);
  const lsmoe::Fit fit = lsmoe::lm_fit(prob, Eigen::Vector2d(0.0, 0.0), lsmoe::Bounds::none(2), lsmoe::Control());
  check(fit.converged && fit.rss < 1e-20, "any problem: converged to the exact line");
  check(close(fit.theta, Eigen::Vector2d(2.0, -3.0), 1e-10), "any problem: parameters of the line");
}

// A bound that holds the optimum: the projected fit ends on it, and the on-bound rule flags it.
void test_bounds() {
  const Sample s = sample(300, 1, 5);
  const lsmoe::Expert e(lsmoe::Family::linear, 1, false, 1);
  typedef lsmoe::MoeProblem<lsmoe::ActLinear, lsmoe::GateSoftmax> P;
  Sample t = s;
  for (Eigen::Index i = 0; i < t.y.size(); ++i) t.y[i] = 3.0 * t.x(i, 0) + 1.0;
  const P prob(e, 1, t.data(false), 1);
  Eigen::VectorXd lo(2), hi(2);
  lo << -10.0, -10.0;
  hi << 2.0, 10.0;
  const lsmoe::Bounds b(lo, hi);
  lsmoe::Control ctl;
  const lsmoe::Fit fit = lsmoe::lm_fit(prob, Eigen::Vector2d(0.0, 0.0), b, ctl);
  check(fit.theta[0] == 2.0, "bounds: the slope is held on its upper bound");
  check(fit.on_bound == 1, "bounds: one parameter on a bound");
  const std::vector<bool> flags = b.on_bound_flags(fit.theta);
  check(flags.size() == 2 && flags[0] && !flags[1], "bounds: on-bound flags");
  // the rule: within 1e-4 * max(1, |bound|) of a finite bound
  Eigen::VectorXd l3(3), h3(3), th(3);
  const double inf = std::numeric_limits<double>::infinity();
  l3 << -inf, 100.0, 0.0;
  h3 << 1.0, inf, 1.0;
  th << 1.0 - 0.9e-4, 100.0 + 1.1e-2, 0.5;
  const std::vector<bool> f3 = lsmoe::Bounds(l3, h3).on_bound_flags(th);
  check(f3[0] && !f3[1] && !f3[2], "bounds: relative tolerance of the on-bound rule");
  th[1] = 100.0 + 0.9e-2;
  check(lsmoe::Bounds(l3, h3).count_on_bound(th) == 2, "bounds: count_on_bound");
}

// Layout offsets for both gates, and Model's pack/unpack through them.
void test_layout() {
  const lsmoe::Layout soft(3, 2, 4, lsmoe::GateKind::softmax), sig(3, 2, 4, lsmoe::GateKind::sigmoid);
  check(soft.gated() == 2 && soft.n_gate() == 6 && soft.p() == 18, "layout: softmax sizes");
  check(sig.gated() == 3 && sig.n_gate() == 9 && sig.p() == 21, "layout: sigmoid sizes");
  check(soft.beta0(1) == 1 && soft.beta1(0, 0) == 2 && soft.beta1(1, 0) == 3 && soft.beta1(0, 1) == 4 &&
            soft.beta1(1, 1) == 5,
        "layout: softmax gate offsets (beta1 column-major, kg x d)");
  check(soft.eta(0) == 6 && soft.eta(1) == 10 && soft.eta(2) == 14, "layout: softmax expert offsets");
  check(sig.beta1(2, 1) == 8 && sig.eta(0) == 9 && sig.eta(2) == 17, "layout: sigmoid offsets");
  const lsmoe::Layout one(1, 3, 5, lsmoe::GateKind::softmax);
  check(one.gated() == 0 && one.n_gate() == 0 && one.p() == 5 && one.eta(0) == 0, "layout: k = 1 softmax");
  bool threw = false;
  try {
    lsmoe::Layout(0, 1, 1, lsmoe::GateKind::softmax);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  check(threw, "layout: k = 0 rejected");
  const lsmoe::Expert e(lsmoe::Family::tanh, 1, true, 2);
  for (lsmoe::GateKind gk : {lsmoe::GateKind::softmax, lsmoe::GateKind::sigmoid}) {
    const lsmoe::Model model(e, 3, gk);
    const lsmoe::Layout L = model.layout();
    const Eigen::VectorXd theta = random_theta(L.p(), 21);
    const lsmoe::Params P = model.unpack(theta);
    bool ok = model.pack(P) == theta;
    for (int j = 0; j < L.gated(); ++j) {
      ok = ok && P.beta0[j] == theta[L.beta0(j)];
      for (int u = 0; u < L.d; ++u) ok = ok && P.beta1(j, u) == theta[L.beta1(j, u)];
    }
    for (int j = 0; j < L.k; ++j)
      for (int r = 0; r < L.q; ++r) ok = ok && P.eta(r, j) == theta[L.eta(j) + r];
    check(ok, "layout: Model::unpack and pack follow the layout");
  }
}

void test_status() {
  using namespace lsmoe;
  const int codes[] = {improper_input, ftol_reached, xtol_reached, ftol_and_xtol_reached, gradient_small,
                       reserved_evaluations, no_reduction, reserved_precision, all_held_kkt, iteration_limit,
                       non_finite_start, exact_fit, screened};
  const int values[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13};
  for (int i = 0; i < 13; ++i) check(codes[i] == values[i], "status: code " + std::to_string(values[i]));
  const bool conv[] = {false, true, true, true, true, false, true, true, true, false, false, true, false};
  for (int i = 0; i < 13; ++i)
    check(status_converged(values[i]) == conv[i], "status: converged for code " + std::to_string(values[i]));
  check(status_message(8) ==
            "converged: every parameter is held on a bound with its gradient pointing outward (a KKT point)",
        "status: message 8");
  check(status_message(10) == "stopped: iteration limit (max_iter) reached", "status: message 10");
  check(status_message(6) == "converged: no further reduction of the RSS possible at machine precision",
        "status: message 6");
  check(status_message(9) == "unknown status", "status: unknown code");
}

}  // namespace

int main() {
  test_fused_pass();
  test_threads();
  test_threads_for_load();
  test_reciprocal();
  test_reciprocal_coordinates();
  test_recovery();
  test_any_problem();
  test_bounds();
  test_layout();
  test_status();
  std::printf("%d passed, %d failed\n", n_passed, n_failed);
  return n_failed == 0 ? 0 : 1;
}
