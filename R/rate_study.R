#' Convergence-rate study of the least squares estimator
#'
#' For every sample size in `n`, every noise level in `noise_sd` and every replicate, simulates
#' data from the true mixing measure `G0` ([simulate_moe()]: \eqn{X \sim}{X ~} Uniform\eqn{[0,1]^d} unless `x` says otherwise,
#' \eqn{Y = f_{G_0}(X) + \varepsilon}{Y = f_{G_0}(X) + eps}, \eqn{\varepsilon \sim N(0, \sigma^2)}{eps ~ N(0, sigma^2)}), fits [moe_lse()]
#' with `k` experts of `G0`'s family (over-specified when `k > k*`), and computes the requested
#' losses between the fitted and the true mixing measure:
#' `"D1"` and `"D2"` ([voronoi_loss()], with exponent `r` for D2, under every alignment in
#' `align`) and `"regression"` ([regression_error()], the Monte Carlo \eqn{L^2(\mu)} distance
#' between regression functions). [estimate_rate()] then regresses log-loss on log-n (or on the
#' log of the effective sample size, below), globally and per window; [plot.rate_study()] draws
#' the losses, the local slopes, the decomposition of the Voronoi losses and the occupancy of the
#' Voronoi cells; [compare_n_eff()] checks the noise axis against the sample-size axis.
#'
#' **Starts.** `"near_truth"`: `n_starts` (from `control`) starts at the true atoms plus
#' independent \eqn{N(0, \mathrm{jitter}^2)}{N(0, jitter^2)} noise on every parameter; for an over-specified fit,
#' the `k - k*` surplus components split the true atoms with the largest weights: each split atom
#' is duplicated and both copies get half its weight (\eqn{\beta_0 - \log 2}{beta_0 - log 2}), as in the studies of
#' Nguyen, Ho and Rinaldo. `"data"`: the fitter's own strategy ([lse_control()]). `"both"`: all of
#' these starts; the smallest RSS wins. `"certified"`: three separate fits (below).
#'
#' **Certified fits** (`start = "certified"`). Each data set is fitted from three kinds of
#' starts, each kind a separate [moe_lse()] call: `"near_truth"`, the near-truth starts above;
#' `"split"` (only when `k > k*`), one start per way of placing the `k - k*` surplus atoms among
#' the k* true atoms (\eqn{\binom{k-1}{k-k^*}}{choose(k - 1, k - k*)} placements: an atom given \eqn{c} copies
#' appears \eqn{c + 1} times, each copy with weight \eqn{1/(c+1)} of its own, i.e.
#' \eqn{\beta_0 - \log(c + 1)}{beta_0 - log(c + 1)}; the same jitter on every parameter, which lets the copies move apart);
#' and `"global"`, the fitter's default global search (`lse_control()` defaults: 50 starts, the
#' perturbation search, ...) within the study's box (`bound_gate`, `bound_expert`,
#' `bound_output`, `standardize`, `bounds_method`, `threads` of `control`), which never sees the
#' truth. Every row of a certified study is one of two estimates of the same data set, the
#' column `estimate`: `"lse"`, the fit of smallest RSS over all kinds (the least squares
#' estimate as far as these searches find it), and `"local"`, the fit of smallest RSS over the
#' near-truth and split starts (a local minimiser near the truth, the object of the local theory).
#' The two coincide when a near-truth or split start wins. Each row also records which kind
#' gave its fit (`kind`) and the LSE (`won`), every kind's RSS and losses, and `rss_gap`
#' (RSS of the local fit minus RSS of the LSE, \eqn{\ge 0}{>= 0}: positive when the global search found
#' a lower minimum away from the truth). The data, the near-truth starts and the split starts
#' are drawn in that order from the task's random-number stream, then the global search draws
#' its own starts.
#'
#' **The noise axis and the effective sample size.** With several noise levels, every row
#' records \eqn{n_{\mathrm{eff}} = n\, (\sigma_{\mathrm{ref}} / \sigma)^2}{n_eff = n (sigma_ref / sigma)^2}
#' (\eqn{\sigma_{\mathrm{ref}}}{sigma_ref}: `noise_ref`), and [estimate_rate()] and [plot.rate_study()] with
#' `axis = "n_eff"` regress and draw the losses against it. Why: the RSS divided by n is, up to a
#' constant, \eqn{\|f_G - f_{G^*}\|_n^2 + 2 (\sigma / \sqrt{n}) Z_n(G)}{||f_G - f_G*||_n^2 + 2 (sigma / sqrt(n)) Z_n(G)}
#' with \eqn{Z_n(G) = n^{-1/2} \sum_i \xi_i (f_{G^*} - f_G)(X_i)}{Z_n(G) = n^(-1/2) sum_i xi_i (f_G* - f_G)(X_i)} and
#' \eqn{\xi_i = \varepsilon_i / \sigma}{xi_i = eps_i / sigma} of variance 1. When the empirical measure of the
#' design is close to \eqn{\mu}{mu}, \eqn{\|\cdot\|_n}{||.||_n} is close to the \eqn{L^2(\mu)}{L2(mu)} norm and
#' \eqn{Z_n}{Z_n} close in law to one centred Gaussian process (exactly Gaussian given the design
#' when the noise is), so the law of the estimate depends on \eqn{(n, \sigma)}{(n, sigma)} through
#' \eqn{\sigma / \sqrt{n}}{sigma / sqrt(n)} alone: a fit at \eqn{(n, \sigma)}{(n, sigma)} behaves as one at
#' \eqn{(n_{\mathrm{eff}}, \sigma_{\mathrm{ref}})}{(n_eff, sigma_ref)}, and a slope on \eqn{\log n_{\mathrm{eff}}}{log n_eff} estimates the same
#' exponent as a slope on \eqn{\log n}{log n}. This is the small-noise asymptotics of nonlinear
#' least squares (Seber and Wild, 1989): a fixed n with \eqn{\sigma \to 0}{sigma -> 0} reaches effective
#' sample sizes that cannot be simulated. Assumptions: n large enough that the design's empirical
#' measure is close to \eqn{\mu}{mu} (at fixed n the design's own fluctuation, of order
#' \eqn{n^{-1/2}}{n^(-1/2)}, stays whatever \eqn{\sigma}{sigma}: a finite-n design effect the noise axis does not
#' shrink); Gaussian noise (the equivalence needs the noise law to be the same at every level up to
#' scale, and is asymptotic for other light-tailed homoscedastic noise); and fits that reach the
#' global optimum at every noise level (at small \eqn{\sigma}{sigma} the basins narrow: certified fits guard
#' against a search that stops in the wrong one). It is an asymptotic equivalence, not an identity:
#' check it rather than assume it, with [compare_n_eff()] on points of equal n_eff reached by n and
#' by \eqn{\sigma}{sigma}. A noise level 0 has no effective sample size: `n_eff` is `NA` on its rows (they
#' drop out of slopes on n_eff).
#'
#' **Sign of even polynomial experts.** \eqn{(a^\top x + b)^p}{(a'x + b)^p} with p even is the same expert at
#' \eqn{(a, b)}{(a, b)} and \eqn{(-a, -b)}{(-a, -b)}: a fit determines each atom's expert parameters only up to
#' sign, and a search that does not start at the truth ends with either. Before the losses are
#' computed (and the measure is kept), each fitted atom of such an expert takes the sign whose
#' expert parameters are nearer to the nearest true atom's: the same mixing measure (the same
#' regression function), the representative the losses compare with `G0`, as the moment
#' alignment removes the gates' translation. Without it a sign flip alone gives D1 near 100 on the
#' truths of `data-raw/rates.R`.
#'
#' **Compact parameter space.** The fits use the box of `control` (`bound_gate`, `bound_expert`,
#' `bound_output`); the infimum alignment translates the true measure within the same gating box
#' \eqn{[-}`bound_gate`\eqn{, }`bound_gate`\eqn{]}, which must then be finite.
#'
#' **Kept fits.** With `keep_fits = TRUE` (default) every fit's estimated mixing measure is kept
#' in the attribute `fits` (one row per fitted atom, a few numbers each; with certified fits one
#' measure per kind of start), so that any loss can be recomputed later ([rate_study_fits()]);
#' each loss row also records its Voronoi cell sizes and the decomposition of the loss into its
#' weight, split-cell and single-cell terms ([voronoi_loss()] with `terms = TRUE`).
#'
#' **Parallel and reproducible.** The (n, noise level, replicate) tasks run through
#' `future.apply::future_lapply(..., future.seed = TRUE)`: choose a backend with
#' `future::plan()` (e.g. `plan(multisession, workers = 2)`, or `future.batchtools` /
#' `future.callr` on a cluster); the package never chooses one. Each task gets its own
#' L'Ecuyer-CMRG stream derived from R's seed, so `set.seed()` gives the same numbers with one or
#' many workers. With one noise level the tasks (and so their streams) are those of a study
#' without the noise axis. Each task also carries the session's `lsmoe.*` options (such as
#' `options(lsmoe.simd = FALSE)`, see [lsmoe-package]) and sets them on its worker while it runs,
#' so a worker computes with the same build of the fused pass as the session would. Progress is
#' signalled with `progressr` (wrap the call in `progressr::with_progress()` to see it).
#'
#' **Interrupting a study.** Ctrl-C (or Esc) stops the session's wait for the results, not the
#' tasks the workers are running: under `plan(multisession)` (or `plan(cluster)` with workers that
#' future started) they stay busy until their current task ends, and the next call that needs
#' them (such as the next `rate_study()`) waits for them, for as long as the interrupted tasks
#' had left to run. `rate_study()` therefore replaces those workers when it is interrupted: it
#' sets `future::plan(future::sequential)` and then the plan that was set before (the same
#' strategy and number of workers), which starts fresh workers and lets the busy ones exit after
#' their current task (they still use a core until then), and says so with a message of class
#' `lsmoe_message_workers`. Other plans are left alone. Where that does not apply (an interrupt in
#' the middle of that reset, workers of a cluster object that you created yourself, or another
#' package's `future_lapply()`), recover by hand with
#' `future::plan(future::sequential); future::plan(future::multisession, workers = 2)` (your own
#' plan), or `parallel::stopCluster()` on a cluster object of your own.
#'
#' **Checkpoints and resuming.** With `checkpoint = "<directory>"` (made if missing), each task
#' (one data set: its rows and fitted measures) is written to the directory as soon as it ends,
#' as `task-000012.rds` (the task's index), by the worker that ran it: written to a temporary
#' file in the same directory and renamed, so that a kill never leaves a truncated file. The
#' directory's `meta.rds` holds a digest (md5) of the study's arguments, the `lsmoe.*` options
#' the tasks run with, and the tasks' random-number streams. Rerun with the same arguments, the
#' same directory and the same random seed (the same `set.seed()` before the call), `rate_study()`
#' loads the finished tasks and computes only the missing ones: every task gets the stream it
#' gets in an uninterrupted run (the streams of all tasks are drawn up front, exactly as
#' `future.seed = TRUE` draws them, and each task is given its own), so the result equals an
#' uninterrupted run's (except the timings: `seconds` and the settings' wall time), and the
#' session's random-number generator ends where an uninterrupted run leaves it. A directory that
#' holds another study (other arguments) or the same study from another seed is an error of class
#' `lsmoe_error_input` (argument `checkpoint`), never a silent mix. Not part of the digest: `truth`
#' and `keep_fits` (used once the tasks are done), and `threads` and `warn` of `control` (the same
#' numbers with any number of threads); a function `x` is compared by its code, not its
#' environment. After an interrupt (Ctrl-C), a message of class `lsmoe_message_checkpoint` says
#' how many tasks are saved and how to resume (the workers are replaced as above); an error while
#' the tasks run, such as a worker's death (a `FutureError`), becomes an error of class
#' `lsmoe_error_stopped` that says the same (the original condition in its `parent`). The tasks
#' finished before the stop are on disk in either case, and so are those that busy workers finish
#' afterwards. On a cluster, the directory must be on a file system that the workers share. The
#' directory is not removed: rerunning a finished study loads it whole, and you delete it when it
#' is no longer needed.
#'
#' **Workers must find lsmoe.** Every worker process loads lsmoe itself. When the package is
#' installed in a private library (for example `R CMD INSTALL --library=~/Rlib .`), the workers
#' fail with "there is no package called 'lsmoe'" unless they see that library too: set
#' `R_LIBS=~/Rlib` (or `R_LIBS_USER`) in the environment before starting R, so that every R
#' process, the workers included, has it in `.libPaths()`; or call `.libPaths(c("~/Rlib",
#' .libPaths()))` in the session before `future::plan()` (multisession workers inherit the
#' library path of the session that starts them; cluster workers read their own `R_LIBS`, set in
#' the job template or `~/.Renviron`).
#'
#' @param G0 The true mixing measure ([mixing_measure()]), with k* atoms and input dimension d.
#' @param n Sample sizes: strictly increasing whole numbers >= 2.
#' @param reps Replicates per sample size and noise level, whole number >= 1. Default 20.
#' @param k Number of fitted experts, >= k* (default k*, exact-specified).
#' @param noise_sd Noise standard deviation(s) \eqn{\sigma}{sigma}: distinct finite numbers >= 0, in
#'   any order (several make the noise axis). Default 0.1.
#' @param losses Character vector, a subset of `c("D1", "D2", "regression")`. Default
#'   `c("D1", "regression")`.
#' @param start One of `"near_truth"` (default), `"data"`, `"both"`, `"certified"` (see
#'   Starts and Certified fits).
#' @param control [lse_control()] settings for every fit (with `"certified"`: for the near-truth
#'   and split fits, and the box of the global search). Default: `lse_control(n_starts = 2,
#'   standardize = FALSE, warn = FALSE, n_perturb = 0)`: the box of the compact parameter space then
#'   holds on the truth's own scale; no perturbation search (it runs only with `start = "data"`,
#'   whose starts are generated by the fitter).
#' @param x `NULL` (Uniform\eqn{[0,1]^d} inputs) or a function `function(n)` returning an n x d
#'   matrix of inputs.
#' @param r Exponent(s) of D2, in \eqn{[1, 100]}. Default 2. With several values, D2 is reported
#'   once per exponent, as losses `"D2_r1"`, `"D2_r2"`, ...; D2 with \eqn{r = 1} reads directly as
#'   a parameter error (its slope is the parameter rate), D2 with \eqn{r} as the \eqn{r}-th power
#'   of one.
#' @param jitter Standard deviation of the noise added to near-truth and split starts. Default 0.1.
#' @param n_mc Monte Carlo sample size for `"regression"`. Default 1e4.
#' @param align The alignments under which D1 and D2 are reported ([voronoi_loss()]): a subset
#'   of `c("moment", "infimum", "none")`. Default `NULL`: `c("moment", "infimum")` when d = 1,
#'   `"moment"` otherwise (the infimum alignment is implemented for d = 1).
#' @param keep_fits Logical, default `TRUE`: keep every fitted mixing measure (attribute
#'   `fits`). `FALSE` keeps only the losses, their decomposition and the cell sizes.
#' @param truth A label for the true measure, recorded in the column `truth` (to tell studies of
#'   several truths apart once combined). Default `"truth"`.
#' @param noise_ref The reference noise level \eqn{\sigma_{\mathrm{ref}}}{sigma_ref} of the effective sample size
#'   `n_eff`, a positive number, or `NULL` (default): the largest positive `noise_sd`, so that a
#'   study at one noise level has `n_eff = n` and a grid of noise levels reaches `n_eff >= n`. Give
#'   it explicitly to combine studies of different noise grids (with `rbind()`) on one n_eff axis.
#' @param checkpoint `NULL` (default: no checkpoint) or the path of a directory (a single string)
#'   where each finished task is saved, and from which a rerun of the same call resumes (see
#'   Checkpoints and resuming).
#' @returns A data frame of class `rate_study`, one row per (n, noise level, replicate, loss,
#'   alignment), and with `start = "certified"` per estimate too:
#'   `truth`, `expert` (short family name such as `"sigmoid"` or `"polynomial(2)"`), `k`, `k0`
#'   (k*), `n`, `noise_sd` (\eqn{\sigma}{sigma}), `n_eff` (\eqn{n (\sigma_{\mathrm{ref}}/\sigma)^2}{n (sigma_ref / sigma)^2}, a double; `NA` when
#'   \eqn{\sigma = 0}{sigma = 0}), `replicate`, `fit` (the fit's id: one per data set), `loss` (`"D1"`,
#'   `"D2"` or `"D2_r1"`, ..., `"regression"`), `align` (`"moment"`, `"infimum"`, `"none"`; `NA` for
#'   the regression error), `value`, `weight_term`, `split_term`, `single_term` (the
#'   decomposition of `value`; `NA` for the regression error), `cells` (the cell sizes
#'   \eqn{|A_1|, \dots, |A_{k^*}|}, as text such as `"2,1"`), `rss`, `converged`, `iterations`,
#'   `on_bound` (estimates on a bound), `seconds` (fit time; with certified fits, of all the data
#'   set's fits), `error` (message of a failed fit, else `NA`; its losses are `NA`). Certified
#'   studies add, after `fit`, `estimate` (`"lse"` or `"local"`) and, at the end, `kind` (the kind of
#'   start of the row's fit: `"near_truth"`, `"split"`, `"global"`), `won` (the kind that gave the
#'   LSE), `rss_gap`, `rss_near_truth`, `rss_split`, `rss_global` (each kind's RSS) and
#'   `value_near_truth`, `value_split`, `value_global` (the row's loss for each kind's fit); `NA`
#'   for a kind that failed or does not apply (`split` when `k = k*`). Failed and unconverged fits
#'   are kept and flagged, never dropped. Attributes: `settings` (a list with one entry per call:
#'   `truth`, `expert`, `k`, `G0`, `n`, `reps`, `noise_sd`, `noise_ref`, `start`, `control`,
#'   `control_global` (certified only), `losses`, `r`, `align`, `jitter`, `n_mc`, `keep_fits`,
#'   `seconds` (wall time)) and, with `keep_fits`, `fits` (a data frame with one row per fitted
#'   atom: `fit`, `setting` (index into `settings`), with certified fits `kind`, `lse`, `local`
#'   (logical: the kind's fit is that estimate), then `atom`, `beta0`, `beta1_1`, ..., `eta_1`,
#'   ...). Studies of different truths, experts, `k` or noise grids combine with `rbind()`, which
#'   renumbers the fits and merges these attributes (and warns, class `lsmoe_warning_noise_ref`,
#'   when their reference noise levels differ); row subsets (`[`) keep them. The object survives
#'   `saveRDS()`/`readRDS()`. Errors of class `lsmoe_error_input` for invalid arguments (n not
#'   increasing, reps < 1, k < k*, noise levels negative or repeated, a `noise_ref` that is not
#'   positive, unknown losses or alignments, the infimum alignment with an infinite `bound_gate`,
#'   a `checkpoint` that is not a directory path or whose directory holds another study or the
#'   same study from another random seed); of class `lsmoe_error_stopped` when a study with a
#'   checkpoint stops on an error (see Checkpoints and resuming).
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Nguyen, H., Nguyen, T. and Ho, N. (2023). Demystifying softmax gating function in Gaussian
#' mixture of experts. NeurIPS 2023. \doi{10.48550/arXiv.2305.03288}
#'
#' Seber, G. A. F. and Wild, C. J. (1989). Nonlinear Regression. Wiley, New York, chapter 12
#' (asymptotic theory, small-error asymptotics). \doi{10.1002/0471725315}
#' @seealso [estimate_rate()], [plot.rate_study()], [compare_n_eff()], [rate_study_fits()],
#'   [voronoi_loss()]
#' @examples
#' G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0),
#'                      eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' st <- rate_study(G0, n = c(200, 400, 800), reps = 2, noise_sd = 0.1)
#' head(st)
#' estimate_rate(st, window = NULL)
#'
#' # the noise axis: n_eff = n (0.1 / sigma)^2 reaches 8e4 from n = 800
#' set.seed(2)
#' sn <- rate_study(G0, n = 800, reps = 2, noise_sd = c(0.1, 0.03, 0.01), losses = "D1")
#' unique(sn[c("n", "noise_sd", "n_eff")])
#' estimate_rate(sn, axis = "n_eff", window = NULL)
#' @export
rate_study <- function(G0, n, reps = 20, k = NULL, noise_sd = 0.1, losses = c("D1", "regression"),
                       start = c("near_truth", "data", "both", "certified"), control = NULL, x = NULL, r = 2,
                       jitter = 0.1, n_mc = 1e4, align = NULL, keep_fits = TRUE, truth = "truth", noise_ref = NULL,
                       checkpoint = NULL) {
  # Longer than 60 lines: its length is the validation of every argument and the task list, before one future_lapply() over the tasks.
  G0 <- as_measure_arg(G0, "G0")
  if (!is.numeric(n) || length(n) < 1 || any(!is.finite(n)) || any(n != round(n)) || any(n < 2) ||
      any(n > .Machine$integer.max) || is.unsorted(n, strictly = TRUE)) {
    lsmoe_abort("`n` must be strictly increasing whole numbers >= 2.", arg = "n")
  }
  n <- as.integer(n)
  reps <- check_count(reps, "reps")
  k <- if (is.null(k)) G0$k else check_count(k, "k", max = 1000)
  if (k < G0$k) {
    lsmoe_abort(sprintf("`k` (%d) must be at least the number of atoms of `G0` (k* = %d).", k, G0$k), arg = "k")
  }
  noise_sd <- check_noise_levels(noise_sd)
  noise_ref <- check_noise_ref(noise_ref, noise_sd)
  known <- c("D1", "D2", "regression")
  if (!is.character(losses) || length(losses) < 1 || any(!losses %in% known)) {
    lsmoe_abort(sprintf("`losses` must be a subset of %s, not %s.", paste(dQuote(known, FALSE), collapse = ", "),
                        if (is.character(losses) && length(losses)) paste(losses, collapse = ", ") else describe(losses)),
                arg = "losses")
  }
  losses <- unique(losses)
  starts_msg <- "`start` must be \"near_truth\", \"data\", \"both\" or \"certified\"."
  if (!is.character(start)) lsmoe_abort(starts_msg, arg = "start")
  start <- tryCatch(match.arg(start), error = function(e) lsmoe_abort(starts_msg, arg = "start"))
  control <- if (is.null(control)) lse_control(n_starts = 2, standardize = FALSE, warn = FALSE, n_perturb = 0) else as_control(control)
  control_global <- if (start == "certified") certified_global_control(control)
  if (!is.null(x) && !is.function(x)) lsmoe_abort("`x` must be NULL or a function(n) returning an n x d matrix.", arg = "x")
  if (!is.numeric(r) || length(r) < 1 || any(!is.finite(r)) || any(r < 1) || any(r > 100) || anyDuplicated(r)) {
    lsmoe_abort("`r` must be distinct finite numbers in [1, 100].", arg = "r")
  }
  jitter <- check_number(jitter, "jitter", min = 0)
  n_mc <- check_count(n_mc, "n_mc", min = 10)
  if (is.null(align)) align <- if (G0$d == 1) c("moment", "infimum") else "moment"
  aligns <- c("moment", "infimum", "none")
  if (!is.character(align) || length(align) < 1 || anyNA(align) || any(!align %in% aligns)) {
    lsmoe_abort(sprintf("`align` must be a subset of %s.", paste(dQuote(aligns, FALSE), collapse = ", ")), arg = "align")
  }
  align <- unique(align)
  if ("infimum" %in% align && G0$d > 1) {
    lsmoe_abort(sprintf("`align = \"infimum\"` is implemented for d = 1 only (here d = %d).", G0$d), arg = "align")
  }
  if ("infimum" %in% align && !is.finite(control$bound_gate)) {
    lsmoe_abort("`align = \"infimum\"` needs a compact box: `control` has bound_gate = Inf.", arg = "align")
  }
  keep_fits <- check_flag(keep_fits, "keep_fits")
  if (!is.character(truth) || length(truth) != 1 || is.na(truth) || !nzchar(truth)) {
    lsmoe_abort(sprintf("`truth` must be a single non-empty string, not %s.", describe(truth)), arg = "truth")
  }
  checkpoint <- check_checkpoint(checkpoint)
  if (min(n) < n_free_params(k, G0$d, G0$q)) {
    lsmoe_abort(sprintf("The smallest `n` (%d) is below the number of free parameters (%d).", min(n),
                        n_free_params(k, G0$d, G0$q)), arg = "n")
  }

  # replicate fastest, then noise level, then n: with one noise level the tasks (and their
  # streams) are those of a study without the noise axis
  tasks <- expand.grid(replicate = seq_len(reps), noise_sd = noise_sd, n = n)
  tasks$n_eff <- n_eff_of(tasks$n, tasks$noise_sd, noise_ref)
  if (any(is.infinite(tasks$n_eff))) {
    lsmoe_abort(sprintf("`noise_sd` (smallest positive %s) is too small against `noise_ref` (%s): n_eff = n (noise_ref / noise_sd)^2 overflows.",
                        format(min(noise_sd[noise_sd > 0])), format(noise_ref)), arg = "noise_sd")
  }
  p <- progressr::progressor(steps = nrow(tasks))
  opts <- task_options()  # lsmoe's options travel with each task (workers.R)
  one <- function(i) with_task_options(opts, {
    res <- rate_study_task(G0, tasks$n[i], k, tasks$noise_sd[i], losses, start, control, x, r, jitter, n_mc, align,
                           control_global)
    p(if (length(noise_sd) > 1) sprintf("n = %d, noise_sd = %g, replicate %d", tasks$n[i], tasks$noise_sd[i], tasks$replicate[i])
      else sprintf("n = %d, replicate %d", tasks$n[i], tasks$replicate[i]))
    res$rows <- data.frame(n = tasks$n[i], noise_sd = tasks$noise_sd[i], n_eff = tasks$n_eff[i],
                           replicate = tasks$replicate[i], fit = i, res$rows, stringsAsFactors = FALSE)
    res
  })
  t_start <- proc.time()[["elapsed"]]
  # one task per future: the tasks' costs grow with n, so contiguous chunks would leave a worker
  # idle; the seeds are per task, drawn up front as future.seed = TRUE draws them, so results do
  # not depend on the chunking, and a resumed study gives each missing task its own stream
  seeds <- task_seeds(nrow(tasks))
  key <- if (!is.null(checkpoint)) {
    # everything a task's result depends on; not `truth` and `keep_fits` (used after the tasks),
    # nor the threads (the same bits with any number) and warn of `control`
    checkpoint_key(list(what = "rate_study", G0 = G0, n = n, reps = reps, k = k, noise_sd = noise_sd,
                        noise_ref = noise_ref, losses = losses, start = start,
                        control = control[setdiff(names(control), c("threads", "warn"))], x = x, r = r,
                        jitter = jitter, n_mc = n_mc, align = align, options = opts))
  }
  results <- checkpoint_lapply(seq_len(nrow(tasks)), one, seeds, checkpoint, key, what = "rate_study()",
                               on_loaded = function(m) p(amount = m, message = sprintf("%d tasks loaded from the checkpoint", m)))
  seconds <- proc.time()[["elapsed"]] - t_start
  out <- do.call(rbind, lapply(results, `[[`, "rows"))
  out <- data.frame(truth = truth, expert = expert_short(G0$expert), k = k, k0 = G0$k, out, stringsAsFactors = FALSE)
  rownames(out) <- NULL
  fits <- NULL
  if (keep_fits) {
    fits <- do.call(rbind, lapply(seq_along(results), function(i) {
      m <- results[[i]]$measure
      if (start != "certified") return(measure_rows(m, i, 1L, G0$d, G0$q))
      do.call(rbind, lapply(names(m), function(kd) {
        rows <- measure_rows(m[[kd]], i, 1L, G0$d, G0$q)
        if (is.null(rows)) return(NULL)
        data.frame(rows[1:2], kind = kd, lse = identical(kd, results[[i]]$lse),
                   local = identical(kd, results[[i]]$local), rows[-(1:2)])
      }))
    }))
  }
  settings <- list(list(truth = truth, expert = expert_short(G0$expert), k = k, G0 = G0, n = n, reps = reps,
                        noise_sd = noise_sd, noise_ref = noise_ref, start = start, control = control,
                        control_global = control_global, losses = losses, r = r, align = align, jitter = jitter,
                        n_mc = n_mc, keep_fits = keep_fits, seconds = seconds))
  new_rate_study(out, settings, fits)
}

# Noise levels: distinct finite numbers >= 0.
check_noise_levels <- function(noise_sd) {
  if (!is.numeric(noise_sd) || !is.null(dim(noise_sd)) || length(noise_sd) < 1 || anyNA(noise_sd) ||
      any(!is.finite(noise_sd)) || any(noise_sd < 0) || anyDuplicated(noise_sd)) {
    lsmoe_abort(sprintf("`noise_sd` must be distinct finite numbers >= 0, not %s.",
                        if (is.numeric(noise_sd) && length(noise_sd) > 1) paste(format(noise_sd), collapse = ", ")
                        else describe(noise_sd)), arg = "noise_sd")
  }
  as.double(noise_sd)
}

# The reference noise level of n_eff: a positive finite number, by default the largest positive
# noise level (NA when every level is 0: n_eff is then NA whatever the reference).
check_noise_ref <- function(noise_ref, noise_sd) {
  if (is.null(noise_ref)) return(if (any(noise_sd > 0)) max(noise_sd) else NA_real_)
  check_number(noise_ref, "noise_ref", min = 0, strict_min = TRUE)
}

# n_eff = n (noise_ref / noise_sd)^2 as a double; NA for noise level 0 (no finite effective
# sample size: a noiseless fit is not on the axis).
n_eff_of <- function(n, noise_sd, noise_ref) {
  ifelse(noise_sd == 0, NA_real_, as.double(n) * (noise_ref / noise_sd)^2)
}

# The control of the global search of certified fits: lse_control()'s defaults for the search,
# within the study's box and parametrisation; no search warning (the study records the RSS).
certified_global_control <- function(control) {
  lse_control(bound_gate = control$bound_gate, bound_expert = control$bound_expert, bound_output = control$bound_output,
              standardize = control$standardize, bounds_method = control$bounds_method, threads = control$threads,
              reciprocal_weight = control$reciprocal_weight, reanchor = control$reanchor, warn = FALSE)
}

# Runs `expr` (the future_lapply() of a study): on an interrupt, replaces the workers of a
# multisession or cluster plan (reset_busy_workers()) before the interrupt goes on to the top
# level. A calling handler, so the interrupt itself is not caught.
with_worker_reset <- function(expr) {
  withCallingHandlers(expr, interrupt = function(cnd) reset_busy_workers())
}

# After an interrupt the workers of a multisession (or cluster) plan still run their tasks, and
# the next future waits for them. Setting the sequential plan shuts them down (each exits after
# its current task) and setting the previous plan again starts fresh ones. Other plans (sequential,
# multicore, callr, batchtools) are left as they are. TRUE when the workers were replaced.
reset_busy_workers <- function() {
  # future is installed with future.apply (which imports it); lsmoe lists it in Suggests
  if (!requireNamespace("future", quietly = TRUE)) return(invisible(FALSE))
  if (!inherits(future::plan("next"), c("multisession", "cluster"))) return(invisible(FALSE))
  stack <- future::plan("list")
  future::plan(future::sequential)
  future::plan(stack)
  message(structure(class = c("lsmoe_message_workers", "message", "condition"), list(
    message = "lsmoe: interrupted; the busy future workers were replaced by fresh ones (the same plan), so the next call does not wait for them.\n",
    call = NULL)))
  invisible(TRUE)
}

# ---- Checkpoints: resumable task lists (issue 29) ------------------------------------------------
# A task list (rate_study(), the drivers in data-raw/) runs through checkpoint_lapply(): each task's
# result is written to the checkpoint directory as soon as the task ends (by the worker that ran
# it), and a rerun with the same key loads the finished tasks and runs only the missing ones, with
# the random-number streams the full run gives them (task_seeds()).

# The per-task random-number streams of future.apply::future_lapply(X, FUN, future.seed = TRUE),
# drawn up front, as future.apply (1.10) draws them: the L'Ecuyer-CMRG seed of the session's RNG
# state (the state itself when the session already uses L'Ecuyer-CMRG), then for task i the first
# substream of stream i; the session's RNG then moves on by the one draw future.apply makes there.
# Passed on as future_lapply(X[j], FUN, future.seed = seeds[j]), any subset j of the tasks gets the
# streams it would get in the full run, and the session's RNG ends where it would
# (checkpoint_lapply()). The test of rate_study() checks this against future.apply itself.
task_seeds <- function(count) {
  genv <- globalenv()
  oseed <- genv$.Random.seed
  if (is.numeric(oseed) && length(oseed) == 7L && all(is.finite(oseed)) && oseed[1] %% 10000L == 407L) {
    seed <- oseed
  } else {
    RNGkind("L'Ecuyer-CMRG")
    seed <- genv$.Random.seed
    if (is.null(oseed)) rm(".Random.seed", envir = genv) else assign(".Random.seed", oseed, envir = genv)
  }
  sample.int(n = 1L, size = 1L, replace = FALSE)
  seeds <- vector("list", count)
  for (i in seq_len(count)) {
    seeds[[i]] <- parallel::nextRNGSubStream(seed)
    seed <- parallel::nextRNGStream(seed)
  }
  seeds
}

# The md5 digest of an R object (serialised in format 2, which writes compact sequences and other
# ALTREP vectors as plain vectors, so equal values give equal digests). Functions are compared by
# their code (deparsed without source references), not by their environment.
checkpoint_key <- function(x) {
  canon <- function(v) {
    if (is.function(v)) {
      return(paste(deparse(v, control = c("keepNA", "keepInteger", "niceNames", "showAttributes")), collapse = "\n"))
    }
    if (is.list(v) && !is.environment(v)) {
      a <- attributes(v)
      v <- lapply(v, canon)
      attributes(v) <- a
    }
    v
  }
  f <- tempfile("lsmoe-key-")
  on.exit(unlink(f), add = TRUE)
  writeBin(serialize(canon(x), NULL, version = 2L), f)
  unname(tools::md5sum(f))
}

# `checkpoint` as given to rate_study(): NULL or the path of a directory (made if missing).
check_checkpoint <- function(checkpoint) {
  if (is.null(checkpoint)) return(NULL)
  if (!is.character(checkpoint) || length(checkpoint) != 1 || is.na(checkpoint) || !nzchar(checkpoint)) {
    lsmoe_abort(sprintf("`checkpoint` must be NULL or the path of a directory, not %s.", describe(checkpoint)),
                arg = "checkpoint")
  }
  # a path longer than a file system path may be (PATH_MAX, 4096 bytes on Linux) is refused before
  # it reaches base R's file functions: under R CMD check, file.exists() of a path of 1e5 characters
  # aborted the R process ("buffer overflow detected")
  if (nchar(checkpoint, type = "bytes") >= 4096) {
    lsmoe_abort(sprintf("The checkpoint directory %s... cannot be created: its path has %d bytes, more than a file system path may have (4095).",
                        substr(checkpoint, 1, 60), nchar(checkpoint, type = "bytes")), arg = "checkpoint")
  }
  checkpoint
}

# The file of task `i` in a checkpoint directory.
checkpoint_file <- function(dir, i) file.path(dir, sprintf("task-%06d.rds", as.integer(i)))

# Opens the checkpoint directory `dir` for a task list with digest `key` (its arguments) and
# `seed_key` (its random-number streams, NA when the tasks seed themselves): makes the directory
# and its meta.rds, or checks that they are this task list's (a classed error otherwise), removes
# temporary files of writes that were cut off, and loads the finished tasks among X. Returns
# list(dir (absolute, so that workers in another working directory find it), results (by task)).
checkpoint_open <- function(dir, key, seed_key, X, what) {
  # (base R warns about a path too long to expand: the classed error below says it)
  if (suppressWarnings(file.exists(dir) && !dir.exists(dir))) {
    lsmoe_abort(sprintf("`checkpoint` (%s) is a file, not a directory.", dir), arg = "checkpoint")
  }
  if (suppressWarnings(!dir.exists(dir) && !dir.create(dir, recursive = TRUE, showWarnings = FALSE))) {
    shown <- if (nchar(dir) > 200) paste0(substr(dir, 1, 197), "...") else dir
    lsmoe_abort(sprintf("The checkpoint directory %s cannot be created.", shown), arg = "checkpoint")
  }
  dir <- normalizePath(dir, mustWork = TRUE)
  meta_file <- file.path(dir, "meta.rds")
  if (file.exists(meta_file)) {
    meta <- tryCatch(readRDS(meta_file), error = function(e) NULL)
    if (!is.list(meta) || is.null(meta$key)) {
      lsmoe_abort(sprintf("The checkpoint directory %s has a meta.rds that is not an lsmoe checkpoint's: use another directory.",
                          dir), arg = "checkpoint")
    }
    if (!identical(meta$key, key)) {
      lsmoe_abort(sprintf(paste("The checkpoint directory %s holds the finished tasks of another %s (created %s, its arguments",
                                "differ from this call's): use a new directory for this call, or delete that one to start",
                                "afresh, or rerun that %s's own call to resume it."),
                          dir, meta$what, format(meta$created), meta$what), arg = "checkpoint")
    }
    if (!identical(meta$seed_key, seed_key)) {
      lsmoe_abort(sprintf(paste("The checkpoint directory %s holds the finished tasks of this %s, but from another random seed:",
                                "restore the random seed the first run started from (the same set.seed() before the",
                                "call) to resume it, or use a new directory."), dir, what), arg = "checkpoint")
    }
  } else {
    if (length(list.files(dir, pattern = "^task-[0-9]+\\.rds$"))) {
      lsmoe_abort(sprintf("The checkpoint directory %s has task files but no meta.rds: use another directory.", dir),
                  arg = "checkpoint")
    }
    checkpoint_write(meta_file, list(format = 1L, what = what, key = key, seed_key = seed_key, tasks = length(X),
                                     created = Sys.time(), lsmoe = as.character(utils::packageVersion("lsmoe")),
                                     r = R.version.string))
  }
  unlink(list.files(dir, pattern = "^\\..*\\.tmp$", full.names = TRUE, all.files = TRUE))
  results <- vector("list", length(X))
  done <- logical(length(X))
  for (j in seq_along(X)) {
    f <- checkpoint_file(dir, X[j])
    if (!file.exists(f)) next
    obj <- tryCatch(readRDS(f), error = function(e) e)
    if (inherits(obj, "error") || !is.list(obj) || !identical(obj$index, as.integer(X[j]))) {
      lsmoe_warn(sprintf("The checkpoint file %s cannot be read: the task runs again.", f), class = "lsmoe_warning_checkpoint")
      unlink(f)
      next
    }
    if (!identical(obj$key, key) || !identical(obj$seed_key, seed_key)) {
      lsmoe_abort(sprintf("The checkpoint file %s belongs to another task list than %s/meta.rds: use a new directory.",
                          f, dir), arg = "checkpoint")
    }
    results[j] <- list(obj$value)
    done[j] <- TRUE
  }
  list(dir = dir, results = results, done = done)
}

# Writes `object` to `file` atomically: saveRDS() to a temporary file in the same directory, then
# file.rename() (atomic within a file system): a write cut off by a kill leaves only the temporary
# file (removed by the next checkpoint_open()), never a truncated `file`.
checkpoint_write <- function(file, object) {
  tmp <- tempfile(paste0(".", basename(file), "-"), tmpdir = dirname(file), fileext = ".tmp")
  saveRDS(object, tmp)
  if (!file.rename(tmp, file)) {
    unlink(tmp)
    stop(sprintf("lsmoe: cannot write the checkpoint file %s.", file), call. = FALSE)
  }
  invisible(file)
}

# The function a worker runs: the task, then its result written to the checkpoint directory. Built
# here so that its environment holds only these (a closure carries its environment to the worker).
checkpoint_runner <- function(FUN, dir, key, seed_key) {
  force(FUN)
  function(i) {
    value <- FUN(i)
    checkpoint_write(checkpoint_file(dir, i), list(key = key, seed_key = seed_key, index = as.integer(i), value = value))
    value
  }
}

# How to resume, for the message of an interrupt or the error of a stopped study.
checkpoint_resume_text <- function(dir, X, how) {
  done <- sum(file.exists(checkpoint_file(dir, X)))
  sprintf("%d of %d tasks are saved in the checkpoint directory %s. %s to compute only the %d missing ones.",
          done, length(X), dir, how, length(X) - done)
}

# lapply() over the tasks X (positive whole numbers, the task ids) through future_lapply(), one
# task per future, task j with the random-number stream seeds[[j]] (task_seeds(); or TRUE when FUN
# sets its own seed). With a checkpoint directory (NULL: none), each finished task is written
# there and the finished ones are loaded rather than run again; `key` is the digest of everything
# the tasks' results depend on (checkpoint_key()). `on_loaded(m)` is called with the number of
# tasks loaded (for progress); `how` says how to resume. On an interrupt the workers are reset (with_worker_reset()) and a
# message of class lsmoe_message_checkpoint says how to resume; an error (a task's, or a
# FutureError when a worker dies) becomes an error of class lsmoe_error_stopped that says the same
# (the original condition in its `parent`). The session's random-number generator ends where the
# full future_lapply(future.seed = TRUE) would leave it, whatever was loaded.
checkpoint_lapply <- function(X, FUN, seeds, checkpoint = NULL, key = NULL, what = "study", on_loaded = NULL,
                              how = "Run the same call again (the same arguments and checkpoint, after the same set.seed())") {
  X <- as.integer(X)
  results <- vector("list", length(X))
  todo <- seq_along(X)
  run <- FUN
  seed_key <- if (is.list(seeds)) checkpoint_key(seeds) else NA_character_
  if (!is.null(checkpoint)) {
    ck <- checkpoint_open(checkpoint, key, seed_key, X, what)
    checkpoint <- ck$dir
    results[ck$done] <- ck$results[ck$done]
    todo <- which(!ck$done)
    if (!is.null(on_loaded) && any(ck$done)) on_loaded(sum(ck$done))
    run <- checkpoint_runner(FUN, checkpoint, key, seed_key)
  }
  if (!length(todo)) {
    # future_lapply() moves the session's generator on by one draw with a list of seeds (two with
    # future.seed = TRUE: one more to draw the seeds)
    for (d in seq_len(if (is.list(seeds)) 1L else if (isTRUE(seeds)) 2L else 0L)) sample.int(n = 1L, size = 1L, replace = FALSE)
    return(results)
  }
  fs <- if (is.list(seeds)) seeds[todo] else seeds
  stopped <- function(cnd) {
    if (is.null(checkpoint)) return(invisible())
    msg <- sprintf("%s stopped: %s\n%s", what, conditionMessage(cnd), checkpoint_resume_text(checkpoint, X, how))
    stop(structure(class = c("lsmoe_error_stopped", "lsmoe_error", "error", "condition"),
                   list(message = msg, call = NULL, parent = cnd, checkpoint = checkpoint)))
  }
  interrupted <- function(cnd) {
    if (is.null(checkpoint)) return(invisible())
    message(structure(class = c("lsmoe_message_checkpoint", "message", "condition"), list(
      message = sprintf("lsmoe: %s interrupted. %s\n", what, checkpoint_resume_text(checkpoint, X, how)), call = NULL)))
  }
  results[todo] <- withCallingHandlers(
    with_worker_reset(future.apply::future_lapply(X[todo], run, future.seed = fs, future.chunk.size = 1)),
    error = stopped, interrupt = interrupted
  )
  results
}

new_rate_study <- function(df, settings, fits, meta = NULL) {
  structure(df, class = c("rate_study", "data.frame"), settings = settings, fits = fits, meta = meta)
}

# Short label of an expert family: "sigmoid", "tanh", "linear", "polynomial(2)", "c*sigmoid", ...
expert_short <- function(expert) {
  lab <- if (expert$name == "polynomial") sprintf("polynomial(%d)", expert$degree) else expert$name
  if (isTRUE(expert$output_weight)) paste0("c*", lab) else lab
}

# A fitted measure as rows of the `fits` attribute (NULL measure of a failed fit: no rows).
measure_rows <- function(m, fit, setting, d, q) {
  if (is.null(m)) return(NULL)
  k <- length(m$beta0)
  b1 <- matrix(m$beta1, k, d, dimnames = list(NULL, paste0("beta1_", seq_len(d))))
  et <- matrix(m$eta, k, q, dimnames = list(NULL, paste0("eta_", seq_len(q))))
  data.frame(fit = as.integer(fit), setting = as.integer(setting), atom = seq_len(k), beta0 = m$beta0, b1, et)
}

# Starts at the truth, with surplus components splitting the heaviest atoms, plus noise.
near_truth_start <- function(G0, k, jitter) {
  k0 <- G0$k
  idx <- c(seq_len(k0), order(G0$beta0, decreasing = TRUE)[rep_len(seq_len(k0), k - k0)])
  split_start(G0, idx, jitter)
}

# The start whose atoms are the true atoms idx (atom j repeated c_j times, each copy with
# beta0_j - log(c_j): the copies share atom j's weight), plus N(0, jitter^2) on every parameter.
split_start <- function(G0, idx, jitter) {
  k <- length(idx)
  copies <- tabulate(idx, G0$k)
  beta0 <- G0$beta0[idx] - log(copies[idx])
  beta1 <- G0$beta1[idx, , drop = FALSE]
  eta <- G0$eta[idx, , drop = FALSE]
  list(beta0 = beta0 + stats::rnorm(k, sd = jitter),
       beta1 = beta1 + stats::rnorm(length(beta1), sd = jitter),
       eta = eta + stats::rnorm(length(eta), sd = jitter))
}

# Split starts of certified fits: one per way of placing the k - k* surplus atoms among the k*
# true atoms (the multisets of size k - k*, in lexicographic order), each jittered.
split_starts <- function(G0, k, jitter) {
  lapply(split_placements(G0$k, k - G0$k), function(extra) split_start(G0, c(seq_len(G0$k), extra), jitter))
}

# The multisets of size s from 1..k0 as sorted integer vectors (choose(k0 + s - 1, s) of them).
split_placements <- function(k0, s) {
  if (s == 0) return(list(integer(0)))
  out <- list()
  rec <- function(prefix, from, left) {
    if (left == 0) {
      out[[length(out) + 1]] <<- prefix
      return(invisible())
    }
    for (j in from:k0) rec(c(prefix, j), j, left - 1L)
  }
  rec(integer(0), 1L, as.integer(s))
  out
}

# One (n, noise level, replicate) task: simulate, fit, and compute every loss. Returns
# list(rows, measure) (with certified fits, measure is a list by kind, plus lse and local: the
# kinds of the two estimates).
rate_study_task <- function(G0, n, k, noise_sd, losses, start, control, x, r, jitter, n_mc,
                            align = "moment", control_global = NULL) {
  sim <- simulate_moe(G0, n = n, noise_sd = noise_sd, x = x)
  spec <- loss_spec(losses, r, align)
  if (start == "certified") return(certified_task(sim, G0, k, spec, control, control_global, x, jitter, n_mc))
  starts <- NULL
  if (start %in% c("near_truth", "both")) {
    starts <- lapply(seq_len(control$n_starts), function(s) near_truth_start(G0, k, jitter))
  }
  if (start == "both") {
    th <- make_starts(sim$x, sim$y, k, G0$expert, control)
    starts <- c(starts, lapply(seq_len(ncol(th)), function(s) unpack_theta(th[, s], k, G0$d, G0$q)))
  }
  run <- timed_fit(sim, G0, k, starts, control)
  if (inherits(run$fit, "error")) {
    return(list(rows = failed_rows(spec, run$seconds, conditionMessage(run$fit)), measure = NULL))
  }
  ev <- fit_losses(run$fit, G0, spec, control$bound_gate, x, n_mc)
  rows <- data.frame(spec[c("loss", "align")], ev$values, fit_columns(run$fit), seconds = run$seconds,
                     error = NA_character_, stringsAsFactors = FALSE)
  list(rows = rows, measure = ev$measure)
}

# One fit of a task's data, timed; a failure is returned as its condition.
timed_fit <- function(sim, G0, k, starts, control) {
  t0 <- proc.time()[["elapsed"]]
  fit <- tryCatch(moe_lse(sim$x, sim$y, k = k, expert = G0$expert, start = starts, control = control),
                  error = function(e) e)
  list(fit = fit, seconds = proc.time()[["elapsed"]] - t0)
}

# The fit columns of a task's rows.
fit_columns <- function(fit) {
  data.frame(rss = fit$rss, converged = fit$converged, iterations = fit$iterations, on_bound = fit$on_bound)
}

# The rows of a failed fit: every loss NA, the error message.
failed_rows <- function(spec, seconds, message) {
  data.frame(spec[c("loss", "align")], value = NA_real_, weight_term = NA_real_, split_term = NA_real_,
             single_term = NA_real_, cells = NA_character_, rss = NA_real_, converged = FALSE,
             iterations = NA_integer_, on_bound = NA_integer_, seconds = seconds, error = message,
             stringsAsFactors = FALSE)
}

# Every loss of `spec` for one fit: list(values = data.frame(value, weight_term, split_term,
# single_term, cells), measure = list(beta0, beta1, eta)).
fit_losses <- function(fit, G0, spec, bound_gate, x, n_mc) {
  G <- sign_representative(as_mixing_measure(fit), G0)
  vals <- lapply(seq_len(nrow(spec)), function(i) {
    if (spec$type[i] == "regression") {
      return(list(value = as.numeric(regression_error(G, G0, n_mc = n_mc, x = x)), weight = NA_real_,
                  split = NA_real_, single = NA_real_, cells = NA_character_))
    }
    tm <- voronoi_loss(G, G0, type = spec$type[i], r = spec$r[i], align = spec$align[i],
                       bound_gate = bound_gate, terms = TRUE)
    list(value = attr(tm, "value"), weight = sum(tm$weight), split = sum(tm$split), single = sum(tm$single),
         cells = paste(tm$cell_size, collapse = ","))
  })
  col <- function(nm) unlist(lapply(vals, `[[`, nm))
  list(values = data.frame(value = col("value"), weight_term = col("weight"), split_term = col("split"),
                           single_term = col("single"), cells = col("cells"), stringsAsFactors = FALSE),
       measure = list(beta0 = G$beta0, beta1 = G$beta1, eta = G$eta))
}

# Even polynomial experts: (a'x + b)^p with p even is the same expert at (a, b) and (-a, -b), so
# a fit determines each atom's expert parameters only up to sign (a global search picks either).
# Each fitted atom takes the sign whose eta is nearer (Euclidean) to the nearest true eta, the
# representative of the same mixing measure (the same f_G) that the losses compare with G0, as the
# moment alignment removes the gates' translation. Other families are returned unchanged (an
# output-weighted tanh's sign symmetry is removed by the fitter: c > 0).
sign_representative <- function(G, G0) {
  ex <- G$expert
  if (!identical(ex$name, "polynomial") || ex$degree %% 2 != 0) return(G)
  near <- function(e) min(colSums((t(G0$eta) - e)^2))
  flip <- vapply(seq_len(G$k), function(i) near(-G$eta[i, ]) < near(G$eta[i, ]), NA)
  if (!any(flip)) return(G)
  eta <- G$eta
  eta[flip, ] <- -eta[flip, ]
  mixing_measure(G$beta0, G$beta1, eta, ex, gate = G$gate)
}

# A certified task (rate_study(), "Certified fits"): the near-truth, split (k > k*) and global
# fits of one data set, each with every loss; rows for the LSE (smallest RSS of all kinds) and
# the local fit (smallest RSS of the near-truth and split kinds).
certified_task <- function(sim, G0, k, spec, control, control_global, x, jitter, n_mc) {
  kinds <- c("near_truth", "split", "global")
  runs <- list(near_truth = timed_fit(sim, G0, k, lapply(seq_len(control$n_starts), function(s) near_truth_start(G0, k, jitter)),
                                      control))
  if (k > G0$k) runs$split <- timed_fit(sim, G0, k, split_starts(G0, k, jitter), control)
  runs$global <- timed_fit(sim, G0, k, NULL, control_global)
  ok <- vapply(runs, function(r) !inherits(r$fit, "error") && is.finite(r$fit$rss), NA)
  evals <- lapply(names(runs), function(kd) if (ok[[kd]]) fit_losses(runs[[kd]]$fit, G0, spec, control$bound_gate, x, n_mc))
  names(evals) <- names(runs)
  rss <- vapply(kinds, function(kd) if (isTRUE(ok[kd])) runs[[kd]]$fit$rss else NA_real_, 0)
  seconds <- sum(vapply(runs, `[[`, 0, "seconds"))
  best <- function(cand) {
    cand <- cand[is.finite(rss[cand])]
    if (length(cand)) cand[which.min(rss[cand])] else NA_character_
  }
  won <- best(kinds)
  local <- best(c("near_truth", "split"))
  per_kind <- vapply(kinds, function(kd) if (isTRUE(ok[kd])) evals[[kd]]$values$value else rep(NA_real_, nrow(spec)),
                     numeric(nrow(spec)))
  per_kind <- matrix(per_kind, nrow(spec), dimnames = list(NULL, kinds))
  errors <- vapply(names(runs), function(kd) {
    f <- runs[[kd]]$fit
    if (inherits(f, "error")) paste0(kd, ": ", conditionMessage(f)) else if (!ok[[kd]]) paste0(kd, ": non-finite RSS") else NA_character_
  }, "")
  rows_of <- function(estimate, kd, cand) {
    base <- if (is.na(kd)) {
      failed_rows(spec, seconds, paste(stats::na.omit(errors[intersect(cand, names(errors))]), collapse = "; "))
    } else {
      data.frame(spec[c("loss", "align")], evals[[kd]]$values, fit_columns(runs[[kd]]$fit), seconds = seconds,
                 error = NA_character_, stringsAsFactors = FALSE)
    }
    data.frame(estimate = estimate, base, kind = kd, won = won,
               rss_gap = if (is.na(local) || is.na(won)) NA_real_ else rss[[local]] - rss[[won]],
               rss_near_truth = rss[["near_truth"]], rss_split = rss[["split"]], rss_global = rss[["global"]],
               value_near_truth = per_kind[, "near_truth"], value_split = per_kind[, "split"],
               value_global = per_kind[, "global"], stringsAsFactors = FALSE)
  }
  rows <- rbind(rows_of("lse", won, kinds), rows_of("local", local, c("near_truth", "split")))
  measure <- lapply(evals, function(e) e$measure)
  list(rows = rows, measure = measure[!vapply(measure, is.null, NA)], lse = won, local = local)
}

# The loss rows of one fit: every Voronoi loss (D1, D2 per exponent) under every alignment, then
# the regression error. "D2" becomes "D2_r1", "D2_r2", ... when several r are asked for.
loss_spec <- function(losses, r, align) {
  rows <- lapply(losses, function(l) {
    switch(l,
      D1 = data.frame(loss = "D1", type = "D1", r = NA_real_, align = align),
      D2 = do.call(rbind, lapply(r, function(rr) {
        data.frame(loss = if (length(r) > 1) sprintf("D2_r%g", rr) else "D2", type = "D2", r = rr, align = align)
      })),
      regression = data.frame(loss = "regression", type = "regression", r = NA_real_, align = NA_character_)
    )
  })
  out <- do.call(rbind, rows)
  out$loss <- as.character(out$loss)
  out$align <- as.character(out$align)
  out
}

# Loss names of a study's rows (kept for callers of the old internal helper).
loss_labels <- function(losses, r) unique(loss_spec(losses, r, "moment")$loss)

#' Fitted measures kept by a rate study
#'
#' Rebuilds the fitted mixing measures that [rate_study()] keeps (with `keep_fits = TRUE`),
#' together with the true measure of their setting, so that any loss can be recomputed, for
#' instance `voronoi_loss(f$G, f$G0, align = "infimum")`.
#'
#' @param study A [rate_study()] result (possibly several combined with `rbind()`).
#' @param fit Fit ids (the column `fit` of the study), or `NULL` (default) for every kept fit.
#' @param estimate Which fitted measure of a certified fit (`start = "certified"`): `"lse"`
#'   (default: the fit of smallest RSS), `"local"` (the best near-truth or split fit), or a kind
#'   of start, `"near_truth"`, `"split"`, `"global"`. A fit of a study that is not certified has
#'   one measure, returned for `"lse"`.
#' @returns A list with one element per fit, named by fit id, each a list with `fit`, `n`,
#'   `noise_sd`, `n_eff` (`NA` for studies made before the noise axis), `replicate`, `truth`,
#'   `expert`, `k`, `kind` (the kind of start of the measure, `NA` for a study that is not
#'   certified), `G` (the fitted [mixing_measure()]) and `G0` (the true one). Errors of class
#'   `lsmoe_error_input` when the study kept no fits, a fit id is unknown, `estimate` is not
#'   one of the above, or a requested fit has no such measure (a failed kind, `"split"` with
#'   `k = k*`, or any but `"lse"` in a study that is not certified).
#' @seealso [rate_study()], [voronoi_loss()]
#' @examples
#' G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0),
#'                      eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' st <- rate_study(G0, n = c(200, 400), reps = 1, losses = "D1")
#' f <- rate_study_fits(st)[[1]]
#' voronoi_loss(f$G, f$G0)$value
#' st$value[st$fit == f$fit & st$align == "moment"]
#' @export
rate_study_fits <- function(study, fit = NULL, estimate = "lse") {
  fits <- attr(study, "fits")
  settings <- attr(study, "settings")
  if (!inherits(study, "rate_study") || is.null(fits) || is.null(settings)) {
    lsmoe_abort("`study` kept no fitted measures: run rate_study() with keep_fits = TRUE.", arg = "study")
  }
  estimate <- match_choice(estimate, c("lse", "local", "near_truth", "split", "global"), "estimate")
  ids <- unique(fits$fit)
  if (!is.null(fit)) {
    if (!is.numeric(fit) || anyNA(fit) || any(!fit %in% ids)) {
      lsmoe_abort("`fit` must be fit ids of the study's kept fits (its column `fit`).", arg = "fit")
    }
    ids <- unique(fit)
  }
  df <- as.data.frame(study)
  kinds <- if (is.null(fits$kind)) rep(NA_character_, nrow(fits)) else fits$kind
  pick <- function(rows_all, kd_all) {
    if (all(is.na(kd_all))) return(if (estimate == "lse") rep(TRUE, length(kd_all)) else rep(FALSE, length(kd_all)))
    if (estimate %in% c("lse", "local")) rows_all[[estimate]] %in% TRUE else kd_all %in% estimate
  }
  out <- lapply(ids, function(id) {
    sel <- fits$fit == id
    rows <- fits[sel, , drop = FALSE]
    rows <- rows[pick(rows, kinds[sel]), , drop = FALSE]
    if (!nrow(rows)) {
      lsmoe_abort(sprintf("Fit %s has no \"%s\" measure (a failed fit, no split starts when k = k*, or a study that is not certified).",
                          format(id), estimate), arg = "estimate")
    }
    s <- settings[[rows$setting[1]]]
    G0 <- s$G0
    b1 <- as.matrix(rows[paste0("beta1_", seq_len(G0$d))])
    et <- as.matrix(rows[paste0("eta_", seq_len(G0$q))])
    info <- df[df$fit == id, , drop = FALSE][1, ]
    na_col <- function(nm) if (is.null(info[[nm]])) NA_real_ else info[[nm]]
    list(fit = id, n = info$n, noise_sd = na_col("noise_sd"), n_eff = na_col("n_eff"), replicate = info$replicate,
         truth = s$truth, expert = s$expert, k = s$k, kind = if (is.null(rows$kind)) NA_character_ else rows$kind[1],
         G = mixing_measure(rows$beta0, b1, et, G0$expert), G0 = G0)
  })
  names(out) <- ids
  out
}

#' @export
`[.rate_study` <- function(x, ...) {
  out <- NextMethod()
  if (is.data.frame(out) && !all(c("n", "value") %in% names(out))) {
    # a column subset that is no longer a study: a plain data frame
    return(structure(out, class = "data.frame", settings = NULL, fits = NULL, meta = NULL))
  }
  if (is.data.frame(out)) {
    attr(out, "settings") <- attr(x, "settings")
    attr(out, "fits") <- attr(x, "fits")
    attr(out, "meta") <- attr(x, "meta")
  }
  out
}

#' @export
rbind.rate_study <- function(..., deparse.level = 1) {
  args <- Filter(Negate(is.null), list(...))
  for (a in args) check_study_df(a, "...")
  refs <- unique(stats::na.omit(unlist(lapply(args, function(a) lapply(attr(a, "settings"), setting_noise_ref)))))
  if (length(refs) > 1) {
    lsmoe_warn(sprintf("The studies' n_eff refer to different reference noise levels (%s): compare them on n, or rerun them with one `noise_ref`.",
                       paste(format(refs), collapse = ", ")), class = "lsmoe_warning_noise_ref")
  }
  # a study made before the noise axis gets noise_sd and n_eff = n when combined with one that has them
  noise_axis <- any(vapply(args, function(a) !is.null(a[["n_eff", exact = TRUE]]), NA))
  offset_fit <- 0L
  offset_setting <- 0L
  tabs <- list()
  fits <- list()
  settings <- list()
  for (a in args) {
    df <- as.data.frame(a)
    st <- attr(a, "settings")
    if (noise_axis) df <- with_noise_columns(df, st)
    fa <- attr(a, "fits")
    if (!is.null(df$fit)) {
      if (!is.null(fa)) {
        fa$fit <- fa$fit + offset_fit
        fa$setting <- fa$setting + offset_setting
        fits[[length(fits) + 1]] <- fa
      }
      step <- max(c(0L, df$fit), na.rm = TRUE)
      df$fit <- df$fit + offset_fit
      offset_fit <- offset_fit + step
    }
    offset_setting <- offset_setting + length(st)
    settings <- c(settings, st)
    tabs[[length(tabs) + 1]] <- df
  }
  cols <- unique(unlist(lapply(tabs, names)))
  fill <- function(d, cols) {
    for (cn in setdiff(cols, names(d))) d[[cn]] <- NA
    d[cols]
  }
  out <- do.call(rbind.data.frame, lapply(tabs, fill, cols = cols))
  rownames(out) <- NULL
  fits_all <- NULL
  if (length(fits)) {
    fcols <- unique(unlist(lapply(fits, names)))
    fits_all <- do.call(rbind.data.frame, lapply(fits, fill, cols = fcols))
    rownames(fits_all) <- NULL
  }
  new_rate_study(out, settings, fits_all, attr(args[[1]], "meta"))
}

# The reference noise level of a study's setting: noise_ref, or for a study made before the noise
# axis its one noise level (its n_eff is n). NA when unknown.
setting_noise_ref <- function(s) {
  ref <- if (!is.null(s$noise_ref)) s$noise_ref else if (length(s$noise_sd) == 1) s$noise_sd else NA_real_
  if (length(ref) == 1 && is.numeric(ref) && is.finite(ref) && ref > 0) ref else NA_real_
}

# A study's rows with the columns noise_sd and n_eff (after n). A study made before the noise axis
# (no column n_eff) ran at one noise level per setting, its own reference: n_eff = n, and noise_sd
# the settings' level when they agree (else NA). A data frame with several noise levels and no
# n_eff is returned without n_eff (its n_eff is unknown).
with_noise_columns <- function(df, settings = NULL) {
  if (!is.null(df[["n_eff", exact = TRUE]])) return(df)
  if (is.null(df[["noise_sd", exact = TRUE]])) {
    sds <- unique(unlist(lapply(settings, `[[`, "noise_sd")))
    df$noise_sd <- if (length(sds) == 1 && is.numeric(sds)) sds else NA_real_
  }
  if (length(unique(stats::na.omit(df$noise_sd))) > 1) return(df)
  df$n_eff <- as.double(df$n)
  nm <- setdiff(names(df), c("noise_sd", "n_eff"))
  at <- match("n", nm)
  df[c(nm[seq_len(at)], "noise_sd", "n_eff", nm[-seq_len(at)])]
}

#' @export
print.rate_study <- function(x, ...) {
  check_study_df(x)
  df <- as.data.frame(x)
  nl <- max(1L, nrow(unique(df[intersect(c("loss", "align"), names(df))])))
  cat(sprintf("<rate_study> %s; %s experts; k = %s (k* = %s)\n",
              if (!is.null(df$truth)) paste("truth", paste(unique(df$truth), collapse = "/")) else "one truth",
              paste(unique(df$expert), collapse = "/"), paste(unique(df$k), collapse = "/"),
              if (is.null(df$k0)) "?" else paste(unique(df$k0), collapse = "/")))
  # a data frame given the class by hand (as in ?plot.rate_study) may lack the fit columns
  nfit <- if (!is.null(df$fit)) length(unique(df$fit)) else nrow(df) %/% nl
  first <- if (!is.null(df$fit)) !duplicated(df$fit) else rep(TRUE, nrow(df))
  losses <- if (is.null(df$loss)) "value" else if (is.null(df$align)) df$loss else
    ifelse(is.na(df$align), df$loss, paste0(df$loss, " (", df$align, ")"))
  status <- c(if (!is.null(df$converged)) sprintf("%d not converged", sum(!df$converged[first] %in% TRUE)),
              if (!is.null(df$error)) sprintf("%d failed", sum(!is.na(df$error[first]))))
  cat(sprintf("n: %s\nlosses: %s; %d fit(s)%s%s\n", paste(unique(df$n), collapse = ", "),
              paste(unique(losses), collapse = ", "), nfit,
              if (length(status)) paste0(", ", status, collapse = "") else "",
              if (!is.null(attr(x, "fits"))) "; fitted measures kept" else ""))
  sds <- unique(df$noise_sd)
  if (length(sds) > 1) {
    ne <- df$n_eff[is.finite(df$n_eff)]
    refs <- unique(stats::na.omit(vapply(attr(x, "settings"), setting_noise_ref, 0)))
    cat(sprintf("noise_sd: %s; n_eff %s%s\n", paste(format(sort(sds, decreasing = TRUE)), collapse = ", "),
                if (length(ne)) sprintf("%s to %s", format(min(ne), digits = 3), format(max(ne), digits = 3)) else "unknown",
                if (length(refs)) sprintf(" (reference noise level %s)", paste(format(refs), collapse = "/")) else ""))
  }
  if (!is.null(df$estimate) && !is.null(df$won)) {
    lse <- df[df$estimate %in% "lse" & !duplicated(df[c("fit", "estimate")]), ]
    won <- table(factor(lse$won, levels = c("near_truth", "split", "global")))
    cat(sprintf("certified fits: the LSE came from near-truth starts %d, split starts %d, the global search %d times; %d local fit(s) above the LSE\n",
                won[["near_truth"]], won[["split"]], won[["global"]], sum(lse$rss_gap > 0, na.rm = TRUE)))
  }
  print(utils::head(df, 6L), ...)
  if (nrow(x) > 6) cat(sprintf("... %d more rows\n", nrow(x) - 6))
  invisible(x)
}

#' Empirical convergence rates, global and local
#'
#' Fits \eqn{\log(\mathrm{loss}) = \log c + s \log n}{log(loss) = log c + s log n} by least squares for every loss (and every
#' truth / expert / `k` / estimate / noise level / alignment setting a study holds), both on the
#' replicate values (`method = "replicates"`) and on the per-n mean losses (`method = "means"`),
#' and reports the slope \eqn{s} with its standard error and confidence interval. With `window`,
#' it also fits the same line on the replicate values inside windows of n (`method = "local"`; by
#' default one per half-decade), so that a slope that changes with n is seen rather than averaged
#' away. The theory (Nguyen, Ho and Rinaldo, 2024) predicts slopes near \eqn{-1/2} for the
#' regression error of every expert and for D1 with strongly identifiable experts, and much
#' flatter slopes for D2 with linear and polynomial experts when over-specified.
#'
#' **Axis.** `axis = "n"` (default) regresses on the sample size, separately for each noise level
#' of a study with several (noise levels with a single n are then left out); `axis = "n_eff"` on
#' the effective sample size \eqn{n_{\mathrm{eff}} = n (\sigma_{\mathrm{ref}} / \sigma)^2}{n_eff = n (sigma_ref / sigma)^2}
#' of [rate_study()] (see "The noise axis" there for why the two slopes estimate the same exponent,
#' and its assumptions), pooling every (n, noise level) pair; windows and the columns `n_lo`,
#' `n_hi`, `n_sizes` are then on n_eff. A study made before the noise axis (no column `n_eff`) ran
#' at one noise level, its reference: its n_eff is n.
#'
#' **Windows.** The windows are \eqn{[10^{b_m}, 10^{b_{m+1}}]} with breaks \eqn{b_m} every
#' `window` decades from \eqn{\lfloor \log_{10} \min n \rfloor}{floor(log10(min n))}; a window includes its two end
#' points (to within \eqn{10^{-3}} decades, since log-spaced sample sizes are rounded), so
#' neighbouring windows share the sample size on their common boundary. A window with fewer than
#' two distinct n is skipped. Local intervals are t intervals from the replicate values of the
#' window: they describe the noise of the replicates, not the choice of the window.
#'
#' @param study A [rate_study()] result, or any data frame with columns `n` and `value` (and
#'   optionally `truth`, `expert`, `k`, `estimate`, `noise_sd`, `n_eff`, `loss`, `align`).
#' @param level Confidence level, in (0, 1). Default 0.95.
#' @param window Width of the local windows in decades of the axis, a positive number (default
#'   0.5: one window per half-decade), or `NULL` for the global slopes only.
#' @param axis `"n"` (default) or `"n_eff"`: the variable whose logarithm the log-losses are
#'   regressed on.
#' @returns A data frame with one row per setting, loss and method: `truth`, `expert`, `k`,
#'   `estimate` (`"lse"` or `"local"` for certified studies), `noise_sd` (the noise level of
#'   the slope on `n`; `NA` on `n_eff`), `loss`, `align` (`NA` where the study has no such
#'   column), `axis`, `method` (`"replicates"`, `"means"` or `"local"`), `n_lo`, `n_hi` (the range
#'   of the axis used), `slope`, `se`, `lower`, `upper` (interval for the slope), `c` (the constant
#'   \eqn{e^{\mathrm{intercept}}}{exp(intercept)}), `n_sizes` (distinct values of the axis), `n_points`, `n_dropped`
#'   (rows left out because the loss is missing, e.g. a failed fit, or the axis value is missing,
#'   infinite or not positive). Errors of class `lsmoe_error_input` when a
#'   setting has fewer than two distinct values of the axis, or a loss value is zero or negative
#'   (its logarithm is undefined), or for an invalid `level`, `window` (including one so narrow
#'   that it would make more than 1000 windows) or `axis` (`"n_eff"` for a data frame with several
#'   noise levels and no column `n_eff`). Losses on an exact power law (all equal, for instance)
#'   give `se` 0 and a zero-width interval, without a warning; with two points `se`, `lower` and
#'   `upper` are `NA`. A constant `c` that overflows is `NA`, with a warning of class
#'   `lsmoe_warning_nonfinite`.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @seealso [rate_study()], [compare_n_eff()], [plot.rate_study()]
#' @examples
#' set.seed(1)
#' n <- rep(round(10^seq(3, 5, by = 0.25)), each = 10)
#' # a broken power law: slope -0.25 below n = 1e4, -0.5 above
#' value <- ifelse(n < 1e4, n^-0.25, 10^-1 * (n / 1e4)^-0.5) * exp(rnorm(length(n), sd = 0.1))
#' est <- estimate_rate(data.frame(n = n, value = value))
#' est[, c("method", "n_lo", "n_hi", "slope", "lower", "upper")]
#'
#' # the noise axis: n = 1000 at four noise levels, n_eff = n (0.1 / sigma)^2
#' sd <- rep(c(0.1, 0.01, 0.001, 1e-4), each = 10)
#' d <- data.frame(n = 1000, noise_sd = sd, n_eff = 1000 * (0.1 / sd)^2)
#' d$value <- d$n_eff^-0.5 * exp(rnorm(40, sd = 0.1))
#' estimate_rate(d, axis = "n_eff", window = NULL)[, c("axis", "method", "n_lo", "n_hi", "slope")]
#' @export
estimate_rate <- function(study, level = 0.95, window = 0.5, axis = c("n", "n_eff")) {
  # Longer than 60 lines: the validation, the grouping by setting, and the global and windowed fits of each group.
  if (!is.data.frame(study) || !all(c("n", "value") %in% names(study))) {
    lsmoe_abort("`study` must be a rate_study() result or a data frame with columns n and value.", arg = "study")
  }
  level <- check_number(level, "level", min = 0, max = 1, strict_min = TRUE)
  if (level >= 1) lsmoe_abort("`level` must be below 1.", arg = "level")
  if (!is.null(window)) window <- check_number(window, "window", min = 0, strict_min = TRUE)
  axis <- match_choice(axis, c("n", "n_eff"), "axis")
  df <- study_axis(study, axis)
  if (!nrow(df) || !is.numeric(df$n) || !is.numeric(df$value)) {
    lsmoe_abort("`study` needs numeric columns n and value and at least one row.", arg = "study")
  }
  key_cols <- c("truth", "expert", "k", "estimate", "noise_sd", "loss", "align")
  for (col in key_cols) if (is.null(df[[col]])) df[[col]] <- NA
  keys <- unique(df[key_cols])
  # with several noise levels, a noise level with a single n has no slope on n: left out
  several_noise <- axis == "n" && length(unique(df$noise_sd)) > 1
  what <- if (axis == "n") "sample sizes n" else "effective sample sizes n_eff"
  out <- lapply(seq_len(nrow(keys)), function(i) {
    sel <- df
    for (col in key_cols) sel <- sel[sel[[col]] %in% keys[[col]][i], , drop = FALSE]
    ok <- is.finite(sel$value) & is.finite(sel$n) & sel$n > 0
    label <- if (is.na(keys$loss[i])) "" else sprintf(" (loss %s)", keys$loss[i])
    if (any(sel$value[ok] <= 0)) {
      lsmoe_abort(sprintf("`study`%s has %d zero or negative loss value(s): log(loss) is undefined.", label,
                          sum(sel$value[ok] <= 0)), arg = "study")
    }
    sel_ok <- sel[ok, ]
    if (length(unique(sel_ok$n)) < 2) {
      if (several_noise) return(NULL)
      lsmoe_abort(sprintf("`study`%s needs at least two distinct %s to estimate a rate.", label, what), arg = "study")
    }
    means <- stats::aggregate(value ~ n, data = sel_ok, FUN = mean)
    res <- rbind(
      rate_fit(sel_ok$n, sel_ok$value, "replicates", level, sum(!ok)),
      rate_fit(means$n, means$value, "means", level, sum(!ok))
    )
    if (!is.null(window)) {
      ln <- log10(sel_ok$n)
      n_win <- (max(ln) - floor(min(ln))) / window + 1
      if (n_win > 1000) {
        lsmoe_abort(sprintf("`window` (%s decades) is too narrow: it would make %.3g windows over the study's n (at most 1000).",
                            format(window), n_win), arg = "window")
      }
      breaks <- seq(floor(min(ln)), max(ln) + window, by = window)
      loc <- lapply(seq_len(length(breaks) - 1), function(m) {
        inw <- ln >= breaks[m] - 1e-3 & ln <= breaks[m + 1] + 1e-3
        if (length(unique(sel_ok$n[inw])) < 2) return(NULL)
        rate_fit(sel_ok$n[inw], sel_ok$value[inw], "local", level, 0L)
      })
      res <- rbind(res, do.call(rbind, loc))
    }
    cbind(keys[rep(i, nrow(res)), , drop = FALSE], axis = axis, res)
  })
  res <- do.call(rbind, out)
  if (is.null(res)) {
    lsmoe_abort(sprintf("`study` needs at least two distinct %s at one noise level to estimate a rate (or use axis = \"n_eff\").",
                        what), arg = "study")
  }
  rownames(res) <- NULL
  res
}

# The rows of a study with the regression axis in column n: n itself, or n_eff (the noise levels
# pooled: column noise_sd NA). Error of class lsmoe_error_input when n_eff is unknown.
study_axis <- function(study, axis) {
  df <- as.data.frame(study)
  if (axis == "n") return(df)
  df <- with_noise_columns(df, attr(study, "settings"))
  if (is.null(df$n_eff) || !is.numeric(df$n_eff)) {
    lsmoe_abort("`study` has several noise levels but no numeric column n_eff: `axis = \"n_eff\"` needs it (rate_study() records it).",
                arg = "axis")
  }
  df$n <- df$n_eff
  df$noise_sd <- NA_real_
  df
}

#' Does the noise axis agree with the sample-size axis?
#'
#' The effective sample size \eqn{n_{\mathrm{eff}} = n (\sigma_{\mathrm{ref}} / \sigma)^2}{n_eff = n (sigma_ref / sigma)^2} of
#' [rate_study()] rests on an asymptotic equivalence (the law of the least squares estimate
#' depends on \eqn{(n, \sigma)}{(n, sigma)} through \eqn{\sigma / \sqrt{n}}{sigma / sqrt(n)}; see "The noise axis" in
#' [rate_study()]). This checks it on the study itself: wherever one effective sample size is
#' reached by two or more (n, noise level) pairs (for instance n = 1e5 at \eqn{\sigma = 0.1}{sigma = 0.1} and
#' n = 1e4 at \eqn{\sigma = 0.0316}{sigma = 0.0316}), it gives each pair's median loss with a distribution-free
#' confidence interval for the median, and whether the intervals of the pairs overlap.
#'
#' **Intervals.** For m replicate values \eqn{v_{(1)} \le \dots \le v_{(m)}}{v_(1) <= ... <= v_(m)}, the interval is
#' \eqn{[v_{(l)}, v_{(m - l + 1)}]}{[v_(l), v_(m - l + 1)]} with \eqn{l} = `qbinom((1 - level) / 2, m, 1/2)`, which
#' covers the median with probability at least `level` for any continuous law (the binomial
#' order-statistic interval); with too few values for that (m < 6 at 95%) it is `NA`. Pairs of
#' one group agree (`agree = TRUE`) when their intervals have a common point. Overlapping
#' intervals do not make two medians equal (and with many groups a few disagreements arise by
#' chance, about 1 in 20 pairs of equal medians at 95% when the intervals are far from nested);
#' read `ratio` too.
#'
#' @param study A [rate_study()] result with several noise levels (or a data frame with columns
#'   `n`, `noise_sd`, `n_eff`, `value`, and optionally `truth`, `expert`, `k`, `estimate`,
#'   `loss`, `align`).
#' @param level Confidence level of the intervals, in (0, 1). Default 0.95.
#' @param tol Tolerance in decades: effective sample sizes whose \eqn{\log_{10}}{log10} differ by at most
#'   `tol` (chained) form one group. Default 0.01 (2.3%).
#' @returns A data frame with one row per (setting, group, (n, noise level) pair), only for groups
#'   reached by at least two pairs: `truth`, `expert`, `k`, `estimate`, `loss`, `align` (`NA`
#'   where the study has no such column), `group` (an id per setting and n_eff group), `n`,
#'   `noise_sd`, `n_eff`, `reps` (finite loss values), `median`, `lower`, `upper` (the interval
#'   for the median; `NA` with too few values), `ratio` (the median over the median of the
#'   group's pair with the largest n, the point reached by the sample size), `agree` (the group's
#'   intervals have a common point; `NA` when one is missing). Errors of class
#'   `lsmoe_error_input` for a study without the columns, an invalid `level` or `tol`, or no
#'   effective sample size reached by two pairs.
#' @seealso [rate_study()], [estimate_rate()]
#' @examples
#' G0 <- mixing_measure(beta0 = c(-4, 0), beta1 = c(8, 0),
#'                      eta = rbind(c(6, -2), c(-5, 3)), expert = expert_sigmoid())
#' set.seed(1)
#' # n_eff = 1600 is reached by n = 400 at sigma = 0.05 and by n = 1600 at sigma = 0.1
#' st <- rate_study(G0, n = c(400, 1600), reps = 6, noise_sd = c(0.1, 0.05), losses = "D1",
#'                  align = "moment")
#' compare_n_eff(st)
#' @export
compare_n_eff <- function(study, level = 0.95, tol = 0.01) {
  if (!is.data.frame(study) || !all(c("n", "value") %in% names(study))) {
    lsmoe_abort("`study` must be a rate_study() result or a data frame with columns n, noise_sd, n_eff and value.",
                arg = "study")
  }
  level <- check_number(level, "level", min = 0, max = 1, strict_min = TRUE)
  if (level >= 1) lsmoe_abort("`level` must be below 1.", arg = "level")
  tol <- check_number(tol, "tol", min = 0, max = 1)
  df <- with_noise_columns(as.data.frame(study), attr(study, "settings"))
  if (!all(c("noise_sd", "n_eff") %in% names(df)) || !is.numeric(df$n_eff) || !is.numeric(df$value) ||
      !is.numeric(df$n)) {
    lsmoe_abort("`study` needs numeric columns n, noise_sd, n_eff and value (a rate_study() with several noise levels).",
                arg = "study")
  }
  df <- df[is.finite(df$value) & is.finite(df$n_eff) & df$n_eff > 0, , drop = FALSE]
  if (!nrow(df)) lsmoe_abort("`study` has no row with a finite loss and a finite positive n_eff.", arg = "study")
  key_cols <- c("truth", "expert", "k", "estimate", "loss", "align")
  for (col in key_cols) if (is.null(df[[col]])) df[[col]] <- NA
  keys <- unique(df[key_cols])
  group_id <- 0L
  out <- lapply(seq_len(nrow(keys)), function(i) {
    sel <- df
    for (col in key_cols) sel <- sel[sel[[col]] %in% keys[[col]][i], , drop = FALSE]
    pairs <- unique(sel[c("n", "noise_sd", "n_eff")])
    pairs <- pairs[order(pairs$n_eff, -pairs$n), , drop = FALSE]
    lg <- log10(pairs$n_eff)
    cluster <- cumsum(c(TRUE, diff(lg) > tol))
    rows <- lapply(split(seq_len(nrow(pairs)), cluster), function(idx) {
      if (length(idx) < 2) return(NULL)
      group_id <<- group_id + 1L
      g <- do.call(rbind, lapply(idx, function(j) {
        v <- sel$value[sel$n == pairs$n[j] & sel$noise_sd %in% pairs$noise_sd[j]]
        ci <- median_interval(v, level)
        data.frame(group = group_id, n = pairs$n[j], noise_sd = pairs$noise_sd[j], n_eff = pairs$n_eff[j],
                   reps = length(v), median = stats::median(v), lower = ci[1], upper = ci[2])
      }))
      g$ratio <- g$median / g$median[which.max(g$n)]
      g$agree <- if (anyNA(g$lower)) NA else max(g$lower) <= min(g$upper)
      g
    })
    rows <- do.call(rbind, rows)
    if (is.null(rows)) return(NULL)
    cbind(keys[rep(i, nrow(rows)), , drop = FALSE], rows)
  })
  res <- do.call(rbind, out)
  if (is.null(res)) {
    lsmoe_abort("No effective sample size of `study` is reached by two (n, noise_sd) pairs: nothing to compare.",
                arg = "study")
  }
  rownames(res) <- NULL
  res
}

# Distribution-free interval for the median of v: order statistics l and m - l + 1 with l the
# (1 - level) / 2 quantile of Binomial(m, 1/2); c(NA, NA) when l = 0 (too few values).
median_interval <- function(v, level) {
  v <- sort(v)
  m <- length(v)
  l <- if (m) stats::qbinom((1 - level) / 2, m, 0.5) else 0
  if (l < 1) return(c(NA_real_, NA_real_))
  c(v[l], v[m - l + 1])
}

rate_fit <- function(n, value, method, level, dropped) {
  # least squares of log(value) on log(n), written out (summary.lm() warns on an exact fit, which is
  # legitimate here: equal losses give slope 0 with standard error 0)
  lx <- log(n)
  ly <- log(value)
  m <- length(lx)
  cx <- lx - mean(lx)
  sxx <- sum(cx^2)
  slope <- sum(cx * (ly - mean(ly))) / sxx
  icpt <- mean(ly) - slope * mean(lx)
  se <- if (m > 2) sqrt(sum((ly - icpt - slope * lx)^2) / (m - 2) / sxx) else NA_real_
  if (!is.finite(se)) se <- NA_real_  # no residual degrees of freedom: no interval, never NaN
  q <- if (is.finite(se)) stats::qt(1 - (1 - level) / 2, df = m - 2) else NA_real_
  cc <- exp(icpt)
  if (!is.finite(cc) || !is.finite(slope)) {
    lsmoe_warn(sprintf("The fitted line of log(loss) on log(n) (%s) is not finite: the constant c = exp(%.4g) overflows; it is NA.",
                       method, icpt), class = "lsmoe_warning_nonfinite")
    cc <- NA_real_
  }
  data.frame(method = method, n_lo = min(n), n_hi = max(n), slope = slope, se = se, lower = slope - q * se,
             upper = slope + q * se, c = cc, n_sizes = length(unique(n)), n_points = m,
             n_dropped = dropped)
}

# The label of a study's setting (truth shown only when the study holds several) and of a loss
# (its alignment appended unless moment or none).
setting_label <- function(df) {
  lab <- paste0(df$expert, ", k = ", df$k)
  if (!is.null(df$truth) && length(unique(df$truth)) > 1) lab <- paste0(df$truth, ": ", lab)
  if (!is.null(df$noise_sd) && length(unique(df$noise_sd)) > 1) lab <- paste0(lab, ", sd ", signif(df$noise_sd, 3))
  if (!is.null(df$estimate) && length(unique(df$estimate)) > 1) lab <- paste0(lab, " (", df$estimate, ")")
  lab
}
loss_label <- function(df) {
  al <- if (is.null(df$align)) rep(NA_character_, nrow(df)) else as.character(df$align)
  ifelse(is.na(al) | al %in% c("moment", "none"), as.character(df$loss), paste0(df$loss, " (", al, ")"))
}

#' Plot a convergence-rate study
#'
#' Four views of a [rate_study()]:
#' * `what = "loss"` (default): log-log plot of the mean loss per sample size (or effective
#'   sample size, with `axis = "n_eff"`) with
#'   \eqn{\pm 2}{+-2} standard-deviation bars (cut at the smallest observed loss where the mean minus
#'   two SD is not positive) and the least-squares line \eqn{c\, n^{s}}{c n^s} (fitted on the replicate
#'   values), labelled, one panel per loss and one colour per setting;
#' * `what = "local"`: the local slopes of [estimate_rate()] (one per window of n, at the
#'   window's geometric midpoint, with their intervals), one panel per loss, the global slope as
#'   a dashed line;
#' * `what = "terms"`: for the Voronoi loss `loss` under alignment `align`, the mean over
#'   replicates of its weight, split-cell and single-cell terms against n (log-log; a term that is
#'   zero in every replicate is left out), one panel per setting;
#' * `what = "cells"`: the Voronoi cell occupancy: for each pattern of cell sizes
#'   (\eqn{|A_1|, \dots, |A_{k^*}|}, e.g. `"2,1"`), the fraction of fits with that pattern
#'   against n, one panel per setting.
#' A setting is a truth, an expert family and `k`; with several noise levels and `axis = "n"`
#' also a noise level ("sd 0.01"), and for certified studies an estimate ("(lse)", "(local)").
#' Uses ggplot2 when installed, base graphics otherwise.
#'
#' @param x A [rate_study()] result (possibly several combined with `rbind()`).
#' @param what `"loss"` (default), `"local"`, `"terms"` or `"cells"`.
#' @param loss For `"loss"` and `"local"`: the losses to show (default all); for `"terms"` and
#'   `"cells"`: the one Voronoi loss to take apart (default `"D1"`, else the first Voronoi loss).
#' @param align For `"terms"` and `"cells"`: the alignment, default `"moment"`.
#' @param window Window width in decades for `"local"` (see [estimate_rate()]). Default 0.5.
#' @param use_ggplot Logical; default `TRUE` when ggplot2 is installed.
#' @param axis `"n"` (default) or `"n_eff"`: the horizontal axis (and the axis of the fitted
#'   lines and local slopes, as in [estimate_rate()]).
#' @param ... Unused.
#' @returns A ggplot object (printed when not assigned), or `x` invisibly for base graphics.
#'   Errors of class `lsmoe_error_input` for an unknown `what` or `axis`, a `loss` that is not a
#'   character vector, or when the study has no rows for the requested loss and alignment (or no
#'   decomposition columns, or no n_eff for `axis = "n_eff"`).
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#' @examples
#' set.seed(1)
#' n <- rep(c(1e3, 1e4, 1e5), each = 5)
#' st <- data.frame(expert = "sigmoid", k = 2, loss = "D1", n = n,
#'                  value = n^-0.5 * exp(rnorm(15, sd = 0.2)))
#' class(st) <- c("rate_study", "data.frame")
#' plot(st, use_ggplot = FALSE)
#' @export
plot.rate_study <- function(x, what = c("loss", "local", "terms", "cells"), loss = NULL, align = "moment",
                            window = 0.5, use_ggplot = requireNamespace("ggplot2", quietly = TRUE),
                            axis = c("n", "n_eff"), ...) {
  # Longer than 60 lines: its length is the validation of the arguments and two parallel drawings (ggplot2 and base graphics) of the same plot.
  check_study_df(x)
  what <- match_choice(what, c("loss", "local", "terms", "cells"), "what")
  use_ggplot <- check_flag(use_ggplot, "use_ggplot")
  if (use_ggplot && !requireNamespace("ggplot2", quietly = TRUE)) {
    lsmoe_abort("`use_ggplot = TRUE` needs the ggplot2 package: install it or use use_ggplot = FALSE.", arg = "use_ggplot")
  }
  axis <- match_choice(axis, c("n", "n_eff"), "axis")
  xlab <- if (axis == "n") "sample size n" else "effective sample size n_eff"
  df <- study_axis(x, axis)
  if (axis == "n_eff") df$noise_sd <- NULL
  if (is.null(df$loss)) df$loss <- "loss"
  if (is.null(df$expert)) df$expert <- ""
  if (is.null(df$k)) df$k <- NA
  df$setting <- setting_label(df)
  df$panel <- loss_label(df)
  if (what %in% c("terms", "cells")) return(plot_rate_parts(x, df[is.finite(df$n), ], what, loss, align, use_ggplot, xlab))
  if (!is.null(loss) && (!is.character(loss) || !length(loss) || anyNA(loss))) {
    lsmoe_abort(sprintf("`loss` must be NULL or names of losses in the study, not %s.", describe(loss)), arg = "loss")
  }
  if (!is.null(loss)) df <- df[df$loss %in% loss, ]
  df <- df[is.finite(df$value) & df$value > 0 & is.finite(df$n), ]
  if (!nrow(df)) lsmoe_abort("`x` has no positive loss values to plot (for the requested `loss`).", arg = "loss")
  if (what == "local") return(plot_rate_local(x, df, window, use_ggplot, xlab))
  summ <- stats::aggregate(value ~ setting + panel + n, data = df,
                           FUN = function(v) c(mean = mean(v), sd = if (length(v) > 1) stats::sd(v) else 0))
  summ <- data.frame(summ[c("setting", "panel", "n")], mean = summ$value[, "mean"], sd = summ$value[, "sd"])
  # a lower bar end below zero cannot be drawn on a log scale: it is cut at the group's smallest loss
  low <- stats::aggregate(value ~ setting + panel + n, data = df, FUN = min)
  m2 <- summ$mean - 2 * summ$sd
  summ$lo <- ifelse(m2 > 0, m2, low$value[match(paste(summ$setting, summ$panel, summ$n),
                                                paste(low$setting, low$panel, low$n))])
  summ$hi <- summ$mean + 2 * summ$sd
  # a fitted line where a setting has two n or more (a noise level of a noise grid at one n has none on n)
  sl <- sloped_rows(df)
  rates <- if (nrow(sl)) estimate_rate(data.frame(n = sl$n, value = sl$value, loss = sl$panel, expert = sl$setting),
                                       window = NULL)
  rates <- rates[rates$method == "replicates", , drop = FALSE]
  lines <- data.frame(setting = character(0), panel = character(0), n = numeric(0), fit = numeric(0), label = character(0))
  lines <- do.call(rbind, c(list(lines), lapply(seq_len(NROW(rates)), function(i) {
    ns <- range(df$n[df$setting == rates$expert[i] & df$panel == rates$loss[i]])
    g <- exp(seq(log(ns[1]), log(ns[2]), length.out = 50))
    data.frame(setting = rates$expert[i], panel = rates$loss[i], n = g, fit = rates$c[i] * g^rates$slope[i],
               label = sprintf("%.3g n^%.2f", rates$c[i], rates$slope[i]))
  })))
  if (use_ggplot) {
    g <- ggplot2::ggplot(summ, ggplot2::aes(x = .data$n, y = .data$mean, colour = .data$setting)) +
      ggplot2::geom_point() +
      ggplot2::geom_errorbar(ggplot2::aes(ymin = .data$lo, ymax = .data$hi), width = 0.05)
    if (nrow(lines)) {
      lab <- do.call(rbind, lapply(split(lines, lines$panel), function(l) {
        u <- unique(l[c("setting", "label")])
        data.frame(panel = l$panel[1], text = paste(paste0(u$setting, ": ", u$label), collapse = "\n"))
      }))
      g <- g + ggplot2::geom_line(data = lines, ggplot2::aes(y = .data$fit), linetype = 2) +
        ggplot2::geom_text(data = lab, ggplot2::aes(x = Inf, y = Inf, label = .data$text), inherit.aes = FALSE,
                           hjust = 1.02, vjust = 1.1, size = 2.7, lineheight = 0.9)
    }
    g + ggplot2::scale_x_log10() + ggplot2::scale_y_log10() +
      ggplot2::facet_wrap(~panel, scales = "free_y") +
      ggplot2::labs(x = xlab, y = "mean loss (+-2 SD)", colour = NULL) +
      ggplot2::theme_bw() + ggplot2::theme(legend.position = "bottom")
  } else {
    panels <- unique(summ$panel)
    settings <- unique(summ$setting)
    cols <- grDevices::hcl.colors(max(2, length(settings)), "Dark 3")
    op <- graphics::par(mfrow = c(1, length(panels)))
    on.exit(graphics::par(op))
    for (l in panels) {
      s <- summ[summ$panel == l, ]
      graphics::plot(s$n, s$mean, log = "xy", type = "n", ylim = range(c(s$lo, s$hi)), xlab = xlab, ylab = "mean loss",
                     main = l)
      for (j in seq_along(settings)) {
        sj <- s[s$setting == settings[j], ]
        lj <- lines[lines$setting == settings[j] & lines$panel == l, ]
        graphics::points(sj$n, sj$mean, pch = 16, col = cols[j])
        graphics::arrows(sj$n, sj$lo, sj$n, sj$hi, angle = 90, code = 3, length = 0.03, col = cols[j])
        graphics::lines(lj$n, lj$fit, lty = 2, col = cols[j])
      }
      if (any(lines$panel == l)) {
        graphics::legend("topright", legend = unique(paste(lines$setting, lines$label)[lines$panel == l]),
                         col = cols[seq_along(settings)], lty = 2, bty = "n", cex = 0.7)
      }
    }
    invisible(x)
  }
}

plot_rate_local <- function(x, df, window, use_ggplot, xlab = "sample size n") {
  df <- sloped_rows(df)
  if (!nrow(df)) lsmoe_abort("No setting has two sample sizes: plot the noise axis with axis = \"n_eff\".", arg = "axis")
  est <- estimate_rate(data.frame(n = df$n, value = df$value, loss = df$panel, expert = df$setting), window = window)
  loc <- est[est$method == "local", ]
  if (!nrow(loc)) lsmoe_abort("No window holds two sample sizes: use a wider `window`.", arg = "window")
  glob <- est[est$method == "replicates", ]
  loc$mid <- sqrt(as.numeric(loc$n_lo) * as.numeric(loc$n_hi))  # double: n_lo * n_hi overflows an integer above n = 46341
  names(loc)[names(loc) == "expert"] <- "setting"
  names(glob)[names(glob) == "expert"] <- "setting"
  if (use_ggplot) {
    dodge <- ggplot2::position_dodge(width = 0.08)
    ggplot2::ggplot(loc, ggplot2::aes(x = .data$mid, y = .data$slope, colour = .data$setting)) +
      ggplot2::geom_hline(data = glob, ggplot2::aes(yintercept = .data$slope, colour = .data$setting), linetype = 2) +
      ggplot2::geom_hline(yintercept = -0.5, colour = "grey50", linetype = 3) +
      ggplot2::geom_pointrange(ggplot2::aes(ymin = .data$lower, ymax = .data$upper), position = dodge, size = 0.3) +
      ggplot2::scale_x_log10() +
      ggplot2::facet_wrap(~loss) +
      ggplot2::labs(x = paste(xlab, "(window midpoint)"), y = "local slope (95% interval)", colour = NULL,
                    caption = "dashed: global slope; dotted: -1/2") +
      ggplot2::theme_bw() + ggplot2::theme(legend.position = "bottom")
  } else {
    panels <- unique(loc$loss)
    settings <- unique(loc$setting)
    cols <- grDevices::hcl.colors(max(2, length(settings)), "Dark 3")
    op <- graphics::par(mfrow = c(1, length(panels)))
    on.exit(graphics::par(op))
    for (l in panels) {
      s <- loc[loc$loss == l, ]
      yl <- range(c(s$lower, s$upper, -0.5), na.rm = TRUE)
      graphics::plot(s$mid, s$slope, log = "x", type = "n", ylim = yl, xlab = xlab, ylab = "local slope", main = l)
      graphics::abline(h = -0.5, lty = 3, col = "grey50")
      for (j in seq_along(settings)) {
        sj <- s[s$setting == settings[j], ]
        graphics::points(sj$mid, sj$slope, pch = 16, col = cols[j])
        ok <- is.finite(sj$lower)
        if (any(ok)) graphics::arrows(sj$mid[ok], sj$lower[ok], sj$mid[ok], sj$upper[ok], angle = 90, code = 3,
                                      length = 0.03, col = cols[j])
        graphics::abline(h = glob$slope[glob$loss == l & glob$setting == settings[j]], lty = 2, col = cols[j])
      }
      graphics::legend("topright", legend = settings, col = cols[seq_along(settings)], pch = 16, bty = "n", cex = 0.7)
    }
    invisible(x)
  }
}

# The rows of the (setting, panel) groups with at least two distinct n: those with a slope.
sloped_rows <- function(df) {
  m <- stats::ave(df$n, df$setting, df$panel, FUN = function(v) length(unique(v)))
  df[m >= 2, , drop = FALSE]
}

plot_rate_parts <- function(x, df, what, loss, align, use_ggplot, xlab = "sample size n") {
  # Longer than 60 lines: the ggplot2 and base-graphics drawings of the same three plots, side by side so that they stay alike.
  need <- c("weight_term", "split_term", "single_term", "cells", "align")
  if (!all(need %in% names(df))) {
    lsmoe_abort("`x` has no decomposition or cell columns: it comes from an older rate_study().", arg = "x")
  }
  voronoi <- setdiff(unique(df$loss), "regression")
  if (is.null(loss)) loss <- if ("D1" %in% voronoi) "D1" else voronoi[1]
  if (!is.character(loss) || length(loss) != 1 || !loss %in% voronoi) {
    lsmoe_abort(sprintf("`loss` must be one of the study's Voronoi losses (%s).", paste(voronoi, collapse = ", ")),
                arg = "loss")
  }
  sel <- df[df$loss == loss & df$align %in% align & is.finite(df$value), ]
  if (!nrow(sel)) {
    lsmoe_abort(sprintf("`x` has no rows for loss %s under alignment \"%s\".", loss, paste(align, collapse = ", ")),
                arg = "align")
  }
  title <- sprintf("%s (%s alignment)", loss, paste(align, collapse = ", "))
  if (what == "terms") {
    long <- do.call(rbind, lapply(c(weight = "weight_term", split = "split_term", single = "single_term"), function(cn) {
      data.frame(setting = sel$setting, n = sel$n, term = sub("_term", "", cn), value = sel[[cn]])
    }))
    long <- stats::aggregate(value ~ setting + n + term, data = long, FUN = mean)
    long <- long[long$value > 0, ]
    ylab <- "mean term over replicates"
    logy <- TRUE
  } else {
    tab <- stats::aggregate(rep(1, nrow(sel)) ~ setting + n + cells, data = sel, FUN = sum)
    names(tab)[4] <- "count"
    tot <- stats::aggregate(count ~ setting + n, data = tab, FUN = sum)
    tab$value <- tab$count / tot$count[match(paste(tab$setting, tab$n), paste(tot$setting, tot$n))]
    long <- tab
    long$term <- long$cells
    ylab <- "fraction of fits"
    logy <- FALSE
  }
  if (use_ggplot) {
    g <- ggplot2::ggplot(long, ggplot2::aes(x = .data$n, y = .data$value, colour = .data$term)) +
      ggplot2::geom_point() + ggplot2::geom_line() +
      ggplot2::scale_x_log10() +
      ggplot2::facet_wrap(~setting, scales = if (logy) "free_y" else "fixed") +
      ggplot2::labs(x = xlab, y = ylab, colour = if (what == "terms") "term" else "cell sizes",
                    title = title) +
      ggplot2::theme_bw() + ggplot2::theme(legend.position = "bottom")
    if (logy) g <- g + ggplot2::scale_y_log10()
    g
  } else {
    settings <- unique(long$setting)
    groups <- unique(long$term)
    cols <- grDevices::hcl.colors(max(2, length(groups)), "Dark 3")
    op <- graphics::par(mfrow = grDevices::n2mfrow(length(settings)))
    on.exit(graphics::par(op))
    for (s in settings) {
      ls <- long[long$setting == s, ]
      graphics::plot(ls$n, ls$value, log = if (logy) "xy" else "x", type = "n", xlab = xlab, ylab = ylab, main = s,
                     ylim = if (logy) range(ls$value) else c(0, 1))
      for (j in seq_along(groups)) {
        lj <- ls[ls$term == groups[j], ]
        lj <- lj[order(lj$n), ]
        graphics::lines(lj$n, lj$value, type = "b", pch = 16, col = cols[j])
      }
      graphics::legend("topright", legend = groups, col = cols, lty = 1, bty = "n", cex = 0.7)
    }
    invisible(x)
  }
}
