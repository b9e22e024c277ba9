// lsmoe: the best of many starts: screening on a subsample, refining, finishing on all rows.
#ifndef LSMOE_MULTISTART_HPP
#define LSMOE_MULTISTART_HPP

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>
#include <Eigen/Dense>
#include "bounds.hpp"
#include "control.hpp"
#include "lm.hpp"
#include "problem.hpp"
#include "status.hpp"

namespace lsmoe {

// Best of several starts (columns of `starts`, p x S), in up to three stages:
//  1. screening (when `screen` is given and S > n_finish): every start runs at most screen_iter
//     iterations on the screening problem (a small subsample of rows);
//  2. the n_finish starts with the smallest screening RSS run to convergence, on the refining
//     problem (a larger subsample) when `refine` is given, else on all rows;
//  3. with a refining stage, the refined fit with the smallest RSS is finished on all rows.
// The refining and finishing stages continue fits that are already near an optimum: they start
// with damping ctl.damping * continuation_damping (Gauss-Newton-like steps; gain-ratio damping
// raises it again where that fails). Without screening every start runs to convergence on all
// rows. `best` indexes the start whose fit on all rows has the smallest RSS; fits not run on all
// rows have rss = NaN and status `screened`. With ctl.restart, a best fit stopped by the
// iteration limit is run once more from where it stopped, for at most ctl.max_iter iterations,
// with the initial damping and a fresh scaling: the running maximum of diag(J'J) that scales
// the damping can grow large on the way and then slow the fit to a crawl (see
// lse_control(restart)).
// Race (ctl.race_iter > 0): the starts finished on all rows run in rungs instead of each to
// convergence at once. Rung r runs every start still in the race for at most race_iter * 2^r
// further iterations (each start's total capped at max_iter); after a rung, starts stopped by a
// convergence test leave the race as finished fits, and of the starts stopped by the rung's limit
// only the better half (by RSS, ties by start order) go on; the others keep the fit they reached
// (status iteration_limit). Starts that converge within the first rung end as without the race,
// but a fit continued over several rungs restarts its damping at each (continuation damping).
// Used where many finishes crawl: the k - 1 re-anchored refits of a fit on its gating bound and
// fits with many parameters (R/fit-core.R).
struct MultiFit {
  std::vector<Fit> fits;
  std::vector<double> screen_rss;  // empty without screening
  std::vector<double> refine_rss;  // empty without refining
  int best = 0;
};

// Initial damping of the refining and finishing stages, relative to Control::damping.
constexpr double continuation_damping = 1e-4;

// (template <class = void>: see lm.hpp)
template <class = void>
inline MultiFit fit_multi(const Problem& full, const Problem* screen, const Problem* refine,
                          const Eigen::Ref<const Eigen::MatrixXd>& starts, const Bounds& bounds, const Control& ctl,
                          const std::function<void()>& interrupt = {}) {
  const Eigen::Index S = starts.cols();
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  if (S < 1) throw std::invalid_argument("at least one start is needed");
  if (starts.rows() != full.p()) throw std::invalid_argument("starts have the wrong number of rows");
  MultiFit out;
  out.fits.resize(static_cast<size_t>(S));
  // Runs the starts `idx` on all rows from `from(s)` with control `c0` (the first run) and `cn`
  // (continuations): each to convergence, or as a race when ctl.race_iter > 0 (see above).
  auto finish_all_rows = [&](const std::vector<Eigen::Index>& idx, const std::function<Eigen::VectorXd(Eigen::Index)>& from,
                             const Control& c0, const Control& cn) {
    if (ctl.race_iter <= 0 || idx.size() < 2) {
      for (Eigen::Index s : idx) {
        const int it0 = out.fits[s].iterations;
        out.fits[s] = lm_fit(full, from(s), bounds, c0, interrupt);
        out.fits[s].iterations += it0;
      }
      return;
    }
    std::vector<int> used(static_cast<size_t>(S), 0), base(static_cast<size_t>(S), 0);
    for (Eigen::Index s : idx) base[s] = out.fits[s].iterations;
    std::vector<Eigen::Index> running = idx;
    long long rung = ctl.race_iter;
    bool first = true;
    while (!running.empty()) {
      std::vector<Eigen::Index> next;
      for (Eigen::Index s : running) {
        Control rc = first ? c0 : cn;
        rc.max_iter = static_cast<int>(std::min<long long>(rung, ctl.max_iter - used[s]));
        Fit f = lm_fit(full, first ? from(s) : out.fits[s].theta, bounds, rc, interrupt);
        if (!first) {
          if (!std::isfinite(f.rss)) continue;  // keeps the fit it had (never: LM does not leave finite RSS)
          f.evaluations += out.fits[s].evaluations;
          f.jacobians += out.fits[s].jacobians;
        }
        used[s] += f.iterations;
        f.iterations = base[s] + used[s];
        out.fits[s] = f;
        if (f.status == iteration_limit && used[s] < ctl.max_iter && std::isfinite(f.rss)) next.push_back(s);
      }
      if (next.size() > 1) {
        std::stable_sort(next.begin(), next.end(), [&](Eigen::Index a, Eigen::Index b) { return out.fits[a].rss < out.fits[b].rss; });
        next.resize((next.size() + 1) / 2);
        std::sort(next.begin(), next.end());
      }
      running.swap(next);
      rung *= 2;
      first = false;
    }
  };
  std::vector<Eigen::Index> finish;
  auto by = [](const std::vector<double>& v) {
    std::vector<Eigen::Index> order(v.size());
    for (size_t s = 0; s < v.size(); ++s) order[s] = static_cast<Eigen::Index>(s);
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return v[a] < v[b]; });
    return order;
  };
  auto mark_partial = [&](Fit& f) {
    f.status = screened;
    f.converged = false;
    f.rss = nan;
  };
  if (screen && S > ctl.n_finish) {
    Control sc = ctl;
    sc.max_iter = ctl.screen_iter;
    out.screen_rss.assign(static_cast<size_t>(S), inf);
    for (Eigen::Index s = 0; s < S; ++s) {
      out.fits[s] = lm_fit(*screen, starts.col(s), bounds, sc, interrupt);
      if (std::isfinite(out.fits[s].rss)) out.screen_rss[s] = out.fits[s].rss;
      else out.fits[s].theta = starts.col(s);
      mark_partial(out.fits[s]);
    }
    const std::vector<Eigen::Index> order = by(out.screen_rss);
    const int m = static_cast<int>(std::min<Eigen::Index>(ctl.n_finish, S));
    Control cc = ctl;
    cc.damping = ctl.damping * continuation_damping;
    if (refine) {
      out.refine_rss.assign(static_cast<size_t>(S), nan);
      std::vector<double> rr(static_cast<size_t>(S), inf);
      for (int i = 0; i < m; ++i) {
        const Eigen::Index s = order[i];
        const int it0 = out.fits[s].iterations;
        out.fits[s] = lm_fit(*refine, out.fits[s].theta, bounds, cc, interrupt);
        out.fits[s].iterations += it0;
        if (std::isfinite(out.fits[s].rss)) rr[s] = out.refine_rss[s] = out.fits[s].rss;
        else out.fits[s].theta = starts.col(s);
        mark_partial(out.fits[s]);
      }
      const Eigen::Index s = by(rr)[0];
      const int it0 = out.fits[s].iterations;
      out.fits[s] = lm_fit(full, out.fits[s].theta, bounds, cc, interrupt);
      out.fits[s].iterations += it0;
      finish.push_back(s);
    } else {
      for (int i = 0; i < m; ++i) finish.push_back(order[i]);
      std::sort(finish.begin(), finish.end());
      std::vector<Eigen::VectorXd> from(static_cast<size_t>(S));
      for (Eigen::Index s : finish) from[s] = out.fits[s].theta;
      finish_all_rows(finish, [&](Eigen::Index s) { return from[s]; }, cc, cc);
    }
  } else {
    for (Eigen::Index s = 0; s < S; ++s) finish.push_back(s);
    Control cc = ctl;
    cc.damping = ctl.damping * continuation_damping;
    finish_all_rows(finish, [&](Eigen::Index s) { return Eigen::VectorXd(starts.col(s)); }, ctl, cc);
  }
  out.best = static_cast<int>(finish[0]);
  for (Eigen::Index s : finish) {
    const Fit& f = out.fits[s];
    const Fit& b = out.fits[out.best];
    if (std::isfinite(f.rss) && (!std::isfinite(b.rss) || f.rss < b.rss)) out.best = static_cast<int>(s);
  }
  Fit& b = out.fits[out.best];
  if (ctl.restart && b.status == iteration_limit && std::isfinite(b.rss)) {
    Fit r = lm_fit(full, b.theta, bounds, ctl, interrupt);
    if (std::isfinite(r.rss) && r.rss <= b.rss) {  // always, unless the pass is not deterministic
      r.iterations += b.iterations;  // the fit's counts cover both runs
      r.evaluations += b.evaluations;
      r.jacobians += b.jacobians;
      b = r;
    }
  }
  return out;
}

}  // namespace lsmoe

#endif
