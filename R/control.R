#' Tuning knobs of the least squares fitter
#'
#' Every tuning parameter of [moe_lse()], validated once. The fitter runs lsmoe's own
#' Levenberg-Marquardt on the normal equations (each iteration one fused pass over the
#' observations that accumulates \eqn{J^\top J}{J'J} and \eqn{J^\top r}{J'r}; gain-ratio damping) with the
#' analytic Jacobian, from many starts, and keeps the fit with the smallest residual sum of
#' squares (RSS).
#'
#' **Scaling.** With `standardize = TRUE` (default) the fitter works on standardised inputs
#' \eqn{x' = (x - \bar x) / s_x}{x' = (x - mean(x)) / s_x} (per column) and, for experts whose parameters live on the scale of
#' the response, a rescaled response: \eqn{y' = (y - \bar y) / s_y}{y' = (y - mean(y)) / s_y} for linear and constant
#' experts, \eqn{y' = y / s_y} for polynomial and output-weighted experts (the response of sigmoid,
#' tanh, ReLU and GELU experts without output weight is left alone: it is what the expert must
#' reach). Starts and bounds refer to that scale, so they mean the same on every data set; every
#' estimate is transformed back exactly (the gate \eqn{\beta_0 + \beta_1^\top x}{beta_0 + beta_1' x} and the ridge
#' \eqn{a^\top x + b}{a' x + b} are affine in \eqn{x}). With `standardize = FALSE` the data, starts and bounds
#' are used as given (the compact parameter set of a simulation study). Each input is centred
#' before it is scaled, so a spread that is small against the input's size is kept; an input whose
#' values are all equal is left as it is. An input whose standard deviation is below
#' \eqn{10^{-12}}{1e-12} times its mean in absolute value (such as \eqn{2^{52} + (1, \dots, 200)}{2^52 + (1, ..., 200)}) is an
#' error of class `lsmoe_error_input` naming it: the fit on the standardised scale would be
#' exact, but the parameters on the input's scale (\eqn{\beta_0 + \beta_1 x}{beta_0 + beta_1 x}, \eqn{a x + b})
#' cannot hold it, since every linear predictor loses about \eqn{\epsilon |\bar x| / s_x}{eps |mean(x)| / s_x} to the
#' cancellation (the fitted values of `x = c + 1:200` differ from those of `x = 1:200` by a
#' relative 1e-8 at \eqn{c = 2^{30}}{c = 2^30} and 1e-4 at \eqn{c = 2^{45}}{c = 2^45}, near that limit); subtract a
#' constant from it. So is an input whose standard deviation is below \eqn{10^{-150}}{1e-150} (its
#' parameters would overflow): rescale it.
#'
#' **Starts (global search).** `n_starts` starts are drawn: `"data"` starts partition the rows by
#' k-means (on standardised `x`, at most 5000 rows), fit one expert by least squares in each part
#' and set the gate to the softmax that picks the nearest centre; `"tree"` starts partition the
#' rows by a regression tree with k leaves (CART's least squares splits with constant leaves,
#' grown greedily along the coordinate axes and, with d > 1, 8 random directions per split, each
#' split chosen on a random half of the rows as in bagging; at most 2000 rows), fit one expert
#' per leaf and set the gate to the multinomial logistic regression of the leaf labels (logistic
#' regressions under [gate_sigmoid()]), its logits multiplied by a sharpness drawn from
#' \{1, 3, 10\} and kept within half of `bound_gate`; `"random"` starts draw gating and expert
#' parameters at random on the standardised scale (gating slopes and the slopes of a ridge inside a
#' nonlinearity with variances \eqn{4/d} and \eqn{9/d} per standardised input, so that a random
#' logit or ridge varies over the data about as much whatever the number of inputs d); `"mixed"` (default) makes a fifth of the starts
#' (at least one) data starts, a fifth tree starts (none when k = 1 or `n_starts` < 3) and the rest
#' random. Why tree starts: an optimum whose gate is a steep hyperplane split is the basin of few
#' random or k-means starts, while a tree split that isolates the same rows, with a sharpened
#' gate, lies in it: on airquality (`Ozone ~ Temp + Wind`, k = 2 linear experts) 4 of 300 random,
#' 0 of 300 k-means and 239 of 300 tree starts reach the best optimum. With more than `n_finish` starts,
#' (by default: on data with more than `screen_rows` rows, with more than 10 starts, or 3 on data
#' with more than `refine_rows` rows)
#' every start is first run for at most `screen_iter` iterations on a random subsample of
#' `screen_rows` rows (all rows when there are fewer), and the `n_finish` starts with the smallest
#' subsample RSS are then run to convergence from where their screening ended: on all rows when
#' there are at most `refine_rows`, otherwise on a random subsample of `refine_rows` rows, after
#' which the best of them is finished on all rows (it then starts close to the optimum and needs
#' few passes over the data). Why 10: the screen's ranking after `screen_iter` iterations on a
#' subsample predicts poorly where a start ends on all rows, and on simulated data the least squares
#' optimum is often reached by one start of 50; on the 38 truths with n = 2e4 of
#' `bench/simulated.R` (quick mode), default fits reached the best known RSS in 25 with 3 finished
#' starts and 30 with 10 (and the perturbation search below finishing 3 per round), at about the
#' same median time. On data with more than `refine_rows` rows, where every finish runs on all
#' rows, 3 are finished (10 took 2.5 times as long at n = 1e6). All draws use
#' R's random number generator, so `set.seed()` makes a fit reproducible. More starts find the best optimum more often, at a proportional cost
#' (`bench/NOTES.md` has the measurements).
#'
#' **Perturbation search.** After the multistart of generated starts (not when [moe_lse()] is
#' given `start`), the best fit is perturbed (an iterated local search, or basin hopping, over the
#' components): a round makes `n_perturb` starts, each the best fit with one component, chosen at
#' random, given new random gating parameters, new random expert parameters, or both, drawn as the
#' random starts draw them (the other components kept); they are run as the starts are (on data
#' with more than `screen_rows` rows screened and refined on subsamples, the best 3 finished on
#' all rows, 1 beyond `refine_rows` rows; otherwise every one finished), and the round's best fit replaces the best fit when its
#' RSS is smaller by more than a relative \eqn{10^{-9}}. The search stops after
#' `perturb_patience` rounds in a row without improvement, or after 50 rounds. A local optimum of
#' a mixture often has all but one component right (two experts sharing a region that one would
#' serve, while another region is fitted by none); random starts reach the best optimum's basin
#' rarely (on the tanh cases of `bench/realdata.R`, at most 5 of 200 starts in 10 of 12 cases),
#' a start that keeps the good components and redraws one reaches it far more often
#' (`bench/NOTES.md` has the measurements). `n_perturb = 0` turns the search off. When every start was finished on
#' all rows (data with at most `screen_rows` rows, by default), the search runs as `perturb_chains`
#' chains: one from each of the `perturb_chains` best distinct optima of the multistart (RSS apart
#' by more than a relative \eqn{10^{-6}}; a start's optimum is refitted from the start), each with
#' its own rounds and stopping rule; the best fit of all chains is kept. On larger data one chain
#' runs, from the best fit. Why chains: the best optima found on the real data sets are often
#' reached by perturbing a good optimum that is not the multistart's best (faithful, k = 3 linear
#' experts: none of 200 starts of any kind reaches the best known RSS, while the search from a
#' tree start's optimum does). The `starts` of a fit list the perturbed starts too
#' (columns `round`, the round within its chain, and `chain`, the row of the multistart start the
#' chain began from; 0 for the multistart's own rows).
#'
#' **How sure the search is.** No finite search certifies the global minimum: on data simulated
#' from the model the default fit reaches the least squares optimum (the best RSS of the default,
#' a fit started at the true parameters and a fit finishing all 50 starts) in 72 of 80 cases of
#' `bench/simulated.R` (quick mode), 42 of 42 with n = 2000 and 30 of 38 with n = 20000 (screened
#' starts); on the six real data sets of `bench/realdata.R` 93 of 120 default fits reach the best
#' RSS of all fits made there (mostly the k = 3 output-weighted tanh cases miss). A fit's `starts`
#' (and its summary) shows how many starts reached the best RSS. When exactly one of several
#' generated starts reached it (within a relative \eqn{10^{-6}}; perturbed starts count), the fit
#' warns with class `lsmoe_warning_search`: the smallest RSS lies in a basin that few starts find,
#' so a smaller one may exist that none found. The rule was measured on those benches: on the
#' screened simulated fits it flags 5 of the 8 that missed and none of the 30 that did not; with
#' n = 2000, 3 of 42 fits (all reached the optimum); on the real data 9 of 120 default fits, 5 of
#' which missed the best RSS of all fits (22 of the 111 not flagged missed it too). Refit with more
#' starts (`n_starts`) or other seeds and keep the smallest RSS; `warn = FALSE` silences it.
#'
#' **Bounds (compact parameter space).** The theory assumes a compact parameter set; the fitter
#' keeps every parameter in a box and reports how many estimates end on a bound. With
#' `bounds_method = "projection"` (default) a parameter on a bound whose gradient or step points
#' outward is held there and every step is projected onto the box (an active-set projected
#' Levenberg-Marquardt, Kanzow, Yamashita and Fukushima 2004), so an optimum on a bound (a gate
#' that wants to be a hard switch, an output weight that wants to grow without end) is reached
#' and recognised; with `"transform"` the fit runs in unbounded variables through a smooth change
#' of variables (the MINUIT/lmfit sine transform), which approaches such an optimum only slowly.
#' Gating parameters
#' (\eqn{\beta_0, \beta_1}) lie in `[-bound_gate, bound_gate]`; expert parameters inside a
#' nonlinearity in `[-bound_expert, bound_expert]`; response-scale expert parameters (output
#' weights, linear and constant experts) in `[-bound_output, bound_output]` (see [experts]). With
#' `standardize = TRUE` the bounds hold on the standardised scale (the default `bound_output = 20`
#' keeps a linear expert within 20 standard deviations of the response per standard deviation of
#' the inputs, so no expert extrapolates absurdly). `Inf` removes a bound.
#'
#' **Reciprocal output weights.** An output-weighted tanh expert \eqn{c \tanh(a^\top x + b)}{c tanh(a' x + b)}
#' tends to the linear function \eqn{L^\top x + M}{L' x + M} as \eqn{c \to \infty}{c -> Inf} with \eqn{c a = L},
#' \eqn{c b = M}; on many data sets the RSS keeps falling along that valley up to the bound on
#' \eqn{c}. In \eqn{(a, b, c)} the valley is a hyperbola, which Levenberg-Marquardt follows in
#' short steps (fits end at the iteration limit). With `reciprocal_weight = TRUE` (default) and
#' `bound_output` at most 1e50, the fitter works with \eqn{s = 1/c} in place of \eqn{c}: the expert is
#' \eqn{\tanh(a^\top x + b)/s}{tanh(a' x + b)/s} and the valley the straight ray \eqn{(a, b, s) = s (L, M, 1)}.
#' Since tanh is odd, \eqn{c} and \eqn{-c} with \eqn{(-a, -b)} give the same expert: a start's
#' negative weight moves its sign into \eqn{(a, b)}, and every estimate has \eqn{c > 0} (the
#' sign symmetry of the parametrisation is removed). The box holds
#' \eqn{c_{\min} \le c \le}{c_min <= c <=} `bound_output`, with \eqn{c_{\min}}{c_min} \eqn{10^{-4}} times the smaller
#' of `bound_output` and the root mean square of the (standardised) response (a weight cannot pass
#' through 0 during a fit, and need not); the other bounds are unchanged. Other experts, and tanh
#' experts with `bound_output` above 1e50 or `Inf`, are fitted in their own parameters.
#'
#' **Stopping.** A start has converged when an accepted step reduces the RSS by at most
#' `ftol` relative and the predicted reduction is as small (status 1), when the step changes the
#' parameters (with `"transform"`: the transformed ones) by at most `xtol` relative (status 2, 3),
#' when the scaled gradient of the parameters not held on a bound is below `gtol` (status 4), when
#' no step of any damping reduces the RSS (status 6), when every parameter is held on a bound (a
#' KKT point, status 8) or when the residuals are zero (status 12); it stops unconverged after
#' `max_iter` iterations (status 10). With `restart = TRUE` (default) a best fit that stopped
#' there is run once more from where it stopped, for at most `max_iter` further iterations, with
#' the initial damping and a fresh scaling: the running maximum of \eqn{\mathrm{diag}(J^\top J)}{diag(J'J)}
#' that scales the damping can grow large on the way to an optimum and then slow the fit to a
#' crawl. The fit's
#' `iterations` and `evaluations` then count both runs.
#'
#' **Newton polish.** A best fit that still stops at the iteration limit after the restart (and
#' after the perturbation search) is usually crawling along a curved valley towards a bound (a
#' tanh expert or a gate turning into a step, an output weight growing), where the residuals are
#' large and the Gauss-Newton model \eqn{J^\top J}{J'J} misses the second-order term
#' \eqn{\sum_i r_i \nabla^2 r_i}{sum_i r_i d^2 r_i / d theta^2} of the Hessian of the RSS. With `polish = TRUE` (default), data of at most
#' `refine_rows` rows (of positive weight) and at most 200 parameters, it is polished by Newton's method with the full Hessian:
#' [stats::nlminb()] (PORT's trust-region Newton method with box bounds) on the standardised
#' scale, in the coordinates and within the box of the fit (with reciprocal output weights in
#' \eqn{s = 1/c}), with the analytic gradient \eqn{2 J^\top W r}{2 J'W r} and the Hessian by forward
#' differences of it (\eqn{p} passes over the rows), for at most about as many passes as the
#' Levenberg-Marquardt iterations of all starts (\eqn{p + 2} per Newton iteration; 10 to 200
#' iterations), so that it at most about doubles the time of a call; Levenberg-Marquardt then runs from
#' the polished point, so that the status and convergence are those of the rules above. The
#' polish is kept when its RSS is at most the fit's; the fit's `message` then ends in
#' "(after a Newton polish)", and its `iterations` and `evaluations` (passes over the rows)
#' include it.
#'
#' **Re-anchoring.** Under the softmax gate the last component is anchored (its gating
#' parameters are 0) and `bound_gate` bounds the others' gating parameters, i.e. their
#' differences from the anchor's. Since the order of the components is arbitrary, the box is not
#' invariant under relabelling: a difference of two non-anchored gates can reach twice
#' `bound_gate`, one with the anchor only `bound_gate`, so the same mixing measure may lie inside
#' the box under one anchor and outside it under another. The least squares estimator is
#' defined over mixing measures, so every anchoring is admissible. With `reanchor = TRUE` (default),
#' k of at least 3 and a finite `bound_gate`, a fit with a gating parameter on its bound (a gate
#' that wants to be steeper than the box allows) is refitted under each of its k - 1 other
#' anchorings (component j made the last one and its gate subtracted from every gate: the same
#' regression function, clamped into the box where a difference exceeds it), from where it stands.
#' The k - 1 refits run as a race: each runs 25 iterations, then the better half of those not yet
#' converged run 50 more, and so on (doubling, each at most `max_iter` in all), the others keeping
#' the fit they reached (sigmoid experts, d = 4, k = 9, n = 1e4: the default fit's CPU time 56 s
#' against 83 s with every refit run to convergence, the RSS the same to a relative 2e-8). The best refit replaces the fit when its RSS is
#' smaller by more than a relative \eqn{10^{-9}}{1e-9},
#' at most k - 1 times in a row. This runs for the best fit of the search (its `message` then
#' ends in "(after re-anchoring the gate)", its `iterations` and `evaluations` count the refits,
#' and the best start's row of `starts` holds the result; before the Newton polish, and again,
#' at most 3 times in all, when the polish or re-anchoring moved the fit: a polish can take a gate
#' to its bound, a re-anchored refit can stop at the iteration limit) and, inside the perturbation search,
#' for each chain's best fit (its k - 1 anchorings join every round's perturbed starts). With
#' k = 2 the other anchoring negates the gate, and the box is symmetric; the sigmoid gate has no
#' anchor. On faithful (`eruptions ~ waiting`, k = 3, linear experts) the best known fit, RSS
#' 35.76351, has a steep gate between two of its experts (slope difference 4.18 per minute of
#' waiting, beyond the box's 3.68 under the default scaling) and is inside the box only when the
#' steep expert is the anchor; fits that reach the same fit under another anchoring (RSS
#' 35.81133, the gate on its bound) are taken to it by re-anchoring.
#'
#' @param n_starts Number of starts, whole number from 1 to 1e5. Default 50.
#' @param start_strategy One of `"mixed"` (default), `"data"`, `"tree"`, `"random"`.
#' @param n_finish Number of screened starts run to convergence, whole number >= 1, or `NULL`
#'   (default): every start when the data have at most `screen_rows` rows (the screening would
#'   use all rows anyway, and on small real data sets the best optimum is often found by only a
#'   few starts: see `bench/results-realdata.md`), 10 on data with at most `refine_rows` rows,
#'   otherwise 3 (see Starts).
#' @param screen_rows Rows of the screening subsample, whole number >= 1. Default 2000.
#' @param screen_iter Iterations per start in the screening, whole number >= 1. Default 30.
#' @param refine_rows Rows of the refining subsample, whole number >= 1. Default 20000.
#' @param max_iter Maximum Levenberg-Marquardt iterations per start (trial steps), whole number
#'   from 1 to 1e6. Default 500. With `restart = TRUE` the best start may run `max_iter` more.
#' @param ftol Relative reduction of the RSS below which the fit has converged, >= 0. Default 1e-10.
#' @param xtol Relative change of the parameters below which the fit has converged, >= 0.
#'   Default 1e-10.
#' @param gtol Scaled gradient \eqn{\max_i |g_i| / \sqrt{A_{ii}\,\mathrm{RSS}}}{max_i |g_i| / sqrt(A_ii RSS)} below which the fit
#'   has converged, >= 0. Default 0 (off).
#' @param damping Initial Levenberg-Marquardt damping \eqn{\mu}: a step solves
#'   \eqn{(J^\top J + \mu D) h = -J^\top r}{(J'J + mu D) h = -J'r} with \eqn{D} the running maximum of
#'   \eqn{\mathrm{diag}(J^\top J)}{diag(J'J)} (More's scaling), > 0. Default 0.1 (on the bench problem of
#'   `bench/fit.R` 11 iterations against 57 with 1e-3, which jumps to another local optimum).
#'   The refining and finishing stages after a screening continue fits that are already near an
#'   optimum and start with `damping * 1e-4` (gain-ratio damping raises it where needed).
#' @param bound_gate,bound_expert,bound_output Positive numbers (at most 1e100) or `Inf`: the
#'   bounds above. Defaults 50, 50 and 20.
#' @param standardize Logical, default `TRUE`: fit on the standardised scale (see Scaling).
#' @param threads OpenMP threads over fixed chunks of 4096 observations, whole number from 1 to
#'   1024. Default 1. Results do not depend on it (the chunks' sums are added in a fixed order);
#'   threads are used only when each gets at least two chunks. It is a maximum: on Linux each
#'   pass over the rows uses no more threads than the machine has free cores at that moment (the
#'   online CPUs less the runnable tasks of other processes, read from `/proc/loadavg` and
#'   `/proc/self/task` at most every 10 ms), because an OpenMP thread that shares its core with
#'   another process costs more time than it brings (libgomp's threads spin while they wait):
#'   with one of 2 cores kept busy, 2 threads took 1.8 times as long as 1 for a one-start fit at
#'   n = 2e5, and now take as long (`bench/threads.R`). Elsewhere every pass uses `threads`.
#'   `options(lsmoe.adapt_threads = FALSE)` (see [lsmoe-package]) uses exactly `threads` whatever
#'   the load, e.g. on cores reserved for the job. Starting R with the environment variable
#'   `OMP_WAIT_POLICY=passive` stops the spinning (libgomp reads it when R starts; setting it from
#'   R has no effect); with it, 2 threads gained even with a core busy (0.83 of the time of 1).
#' @param warn Logical, default `TRUE`: warn (class `lsmoe_warning_convergence`) when the best
#'   fit has not converged, (class `lsmoe_warning_search`) when its RSS was reached by only
#'   one of several generated starts (see How sure the search is), and (class
#'   `lsmoe_warning_few_data`) when the data have fewer than 10 rows of positive weight per free
#'   parameter (see [moe_lse()]).
#' @param bounds_method How the bounds are kept: `"projection"` (default) or `"transform"` (see
#'   Bounds).
#' @param restart Logical, default `TRUE`: run a best fit that stopped at the iteration limit once
#'   more from where it stopped, with fresh damping and scaling (see Stopping).
#' @param polish Logical, default `TRUE`: polish a best fit that stopped at the iteration limit by
#'   Newton's method with the full Hessian, on data of at most `refine_rows` rows and with at
#'   most 200 parameters (see Newton polish).
#' @param reanchor Logical, default `TRUE`: refit a softmax-gated fit whose gate is held at
#'   `bound_gate` under its other anchorings (see Re-anchoring).
#' @param reciprocal_weight Logical, default `TRUE`: fit the output weights of tanh experts
#'   through their reciprocals (see Reciprocal output weights).
#' @param n_perturb Perturbed starts per round of the perturbation search, whole number from 0
#'   (no search) to 1e5. Default 10.
#' @param perturb_chains Chains of the perturbation search on data where every start is finished,
#'   whole number from 1 to 1000. Default 3.
#' @param perturb_patience Rounds in a row without improvement after which the perturbation search
#'   stops, whole number from 1 to 1000. Default 2.
#' @returns A list of class `lse_control` with the validated values.
#'   Invalid values raise an error of class `lsmoe_error_input` naming the argument.
#' @references
#' Nguyen, H., Ho, N. and Rinaldo, A. (2024). On least squares estimation in softmax gating
#' mixture of experts. ICML 2024, PMLR 235. \doi{10.48550/arXiv.2402.02952}
#'
#' Breiman, L., Friedman, J. H., Olshen, R. A. and Stone, C. J. (1984). *Classification and
#' Regression Trees*. Wadsworth. \doi{10.1201/9781315139470}
#'
#' Madsen, K., Nielsen, H. B. and Tingleff, O. (2004). *Methods for Non-Linear Least Squares
#' Problems*, 2nd ed. Technical University of Denmark.
#'
#' Kanzow, C., Yamashita, N. and Fukushima, M. (2004). Levenberg-Marquardt methods with strong
#' local convergence properties for solving nonlinear equations with convex constraints.
#' *Journal of Computational and Applied Mathematics* 172, 375-397. \doi{10.1016/j.cam.2004.02.013}
#'
#' More, J. J. (1978). The Levenberg-Marquardt algorithm: implementation and theory.
#' *Numerical Analysis*, Lecture Notes in Mathematics 630, 105-116. \doi{10.1007/BFb0067700}
#' @examples
#' lse_control(n_starts = 100, bound_expert = 20)
#' @export
lse_control <- function(n_starts = 50, start_strategy = c("mixed", "data", "tree", "random"), n_finish = NULL,
                        screen_rows = 2000, screen_iter = 30, refine_rows = 20000, max_iter = 500,
                        ftol = 1e-10, xtol = 1e-10, gtol = 0, damping = 0.1,
                        bound_gate = 50, bound_expert = 50, bound_output = 20, standardize = TRUE,
                        threads = 1, warn = TRUE, bounds_method = c("projection", "transform"), restart = TRUE,
                        reciprocal_weight = TRUE, n_perturb = 10, perturb_patience = 2,
                        perturb_chains = 3, polish = TRUE, reanchor = TRUE) {
  bounds_method <- match_choice(bounds_method, c("projection", "transform"), "bounds_method")
  if (!is.character(start_strategy)) {
    lsmoe_abort("`start_strategy` must be one of \"mixed\", \"data\", \"tree\", \"random\".", arg = "start_strategy")
  }
  start_strategy <- tryCatch(match.arg(start_strategy),
    error = function(e) lsmoe_abort(sprintf("`start_strategy` must be one of \"mixed\", \"data\", \"tree\", \"random\", not \"%s\".",
                                            paste(start_strategy, collapse = ", ")), arg = "start_strategy"))
  structure(list(
    n_starts = check_count(n_starts, "n_starts", max = 1e5),
    start_strategy = start_strategy,
    n_finish = if (is.null(n_finish)) NULL else check_count(n_finish, "n_finish", max = 1e5),
    screen_rows = check_count(screen_rows, "screen_rows"),
    screen_iter = check_count(screen_iter, "screen_iter", max = 1e6),
    refine_rows = check_count(refine_rows, "refine_rows"),
    max_iter = check_count(max_iter, "max_iter", max = 1e6),
    ftol = check_number(ftol, "ftol", min = 0),
    xtol = check_number(xtol, "xtol", min = 0),
    gtol = check_number(gtol, "gtol", min = 0),
    damping = check_number(damping, "damping", min = 0, max = 1e10, strict_min = TRUE),
    bound_gate = check_bound(bound_gate, "bound_gate"),
    bound_expert = check_bound(bound_expert, "bound_expert"),
    bound_output = check_bound(bound_output, "bound_output"),
    standardize = check_flag(standardize, "standardize"),
    threads = check_threads(threads),
    warn = check_flag(warn, "warn"),
    bounds_method = bounds_method,
    restart = check_flag(restart, "restart"),
    reciprocal_weight = check_flag(reciprocal_weight, "reciprocal_weight"),
    n_perturb = check_count(n_perturb, "n_perturb", min = 0, max = 1e5),
    perturb_patience = check_count(perturb_patience, "perturb_patience", max = 1000),
    perturb_chains = check_count(perturb_chains, "perturb_chains", max = 1000),
    polish = check_flag(polish, "polish"),
    reanchor = check_flag(reanchor, "reanchor")
  ), class = "lse_control")
}

# A bound: positive, at most 1e100 (so that hi - lo and the sine transform stay finite), or Inf.
check_bound <- function(x, arg) {
  x <- check_number(x, arg, min = 0, strict_min = TRUE, allow_inf = TRUE)
  if (is.finite(x) && x > 1e100) {
    lsmoe_abort(sprintf("`%s` must be at most 1e100 or Inf, not %s.", arg, format(x)), arg = arg)
  }
  x
}

check_threads <- function(threads) {
  threads <- check_count(threads, "threads")
  if (threads > 1024) lsmoe_abort(sprintf("`threads` must be at most 1024, not %d.", threads), arg = "threads")
  threads
}

# A control from lse_control() (validated again, in case it was edited by hand) or a plain list
# of lse_control()'s arguments.
as_control <- function(control) {
  if (is.null(control)) return(lse_control())
  if (is.list(control)) {
    control <- unclass(control)
    nms <- names(control)
    if (length(control) && (is.null(nms) || any(nms == ""))) {
      lsmoe_abort("`control` must be a named list of lse_control() arguments.", arg = "control")
    }
    bad <- setdiff(nms, names(formals(lse_control)))
    if (length(bad)) {
      lsmoe_abort(sprintf("`control` has unknown entries: %s.", paste(bad, collapse = ", ")), arg = "control")
    }
    # quote = TRUE: a language object in a hand-edited control is a value to reject, not code to run
    return(do.call(lse_control, control, quote = TRUE))
  }
  lsmoe_abort(sprintf("`control` must come from lse_control(), not %s.", describe(control)), arg = "control")
}

#' @export
print.lse_control <- function(x, ...) {
  orig <- x
  x <- tryCatch(as_control(x), lsmoe_error_input = function(e) {
    lsmoe_abort(paste("`x` is not a valid lse_control object:", conditionMessage(e)), arg = "x")
  })
  cat("<lse_control>\n")
  v <- vapply(unclass(x), function(v) format(v), character(1))
  cat(paste0("  ", format(names(v)), " : ", v), sep = "\n")
  invisible(orig)
}
