# Sigmoid versus softmax gating: convergence rates of the least squares estimator (issue 11).
# Companion paper: Nguyen, Ho and Rinaldo (2024), "Sigmoid gating is more sample efficient than
# softmax gating in mixture of experts", NeurIPS 2024, arXiv:2405.13997 (paper notes section 7).
#
# Usage (from the package root, lsmoe installed in a private library):
#   mkdir -p /tmp/sglib && R CMD INSTALL --library=/tmp/sglib .
#   R_LIBS=/tmp/sglib nohup Rscript data-raw/sigmoid-gating.R > sigmoid-gating.log 2>&1 &
# Optional arguments: [workers] [cpu_budget_minutes] [reps] [n_max] [wall_limit_minutes]
# (defaults 2, 130, 20, 1e6, 80). Environment: SG_NOISE_J, the noise grid (below).
# Writes inst/extdata/sigmoid-gating.rds, rewritten after every chunk with `partial = TRUE` until
# the run completes. Environment: SG_RESUME=1 keeps the results already stored there and runs only
# the missing tasks; SG_PLAN="1e5:4,3e5:2" runs only the given sizes with that many replicates
# (replicates 1..r: the same seeds and data as in the full design).
# Checkpoint: every task is also saved as it ends (by its worker) in a directory, SG_CHECKPOINT
# (default: sigmoid-gating under tools::R_user_dir("lsmoe", "cache"), subdirectory checkpoints;
# "none": no checkpoint), with lsmoe's rate_study() checkpoint helpers; a run stopped midway (a kill,
# Ctrl-C, a worker's death) and started again with the same settings loads the finished tasks and
# computes only the missing ones (each task sets its own seed, below, so the values are those of
# an uninterrupted run). Other settings or code with the same directory stop with an error saying
# so. The directory is deleted once the run completes.
#
# THE STORED RUN: one run of this script with its defaults (2 workers, CPU budget 130 worker
# minutes, wall limit 80 minutes: the n axis as in the earlier run plus the noise axis of issue 25)
# on the engine of the commit that stores it; its wall and CPU time and the load before and after
# are stored in the file. The budget and limit were fixed before the run from the earlier run's
# task times (mean task CPU 1.5 s at n = 1e4, 8.5 s at 1e5, 64 s at 1e6): the n axis below 1e6
# about 29 CPU minutes, the noise grid (14 levels x 120 tasks at n = 1e4) about 45, then blocks of
# 2 replicates at n = 1e6 (13 CPU minutes each) while the budget and the wall limit allow.
# Earlier stored runs: the previous one (n axis only, CPU budget 60, wall limit 30: 24.0 wall minutes,
# 2 replicates at n = 1e6) and an earlier one (sine-transform bounds, relu and linear only).
#
# SETTINGS (fixed before the run; not tuned to the theory)
# * d = 1, X ~ Uniform[-1, 1], Gaussian noise sd 0.1 (the companion's variance 0.01).
#   (and the noise axis below)
# * Truths: k* = 2 sigmoid-gated atoms, the same for every expert family,
#     atom 1: beta0 = 0,  beta1 = 0 (Regime 1) or 4 (Regime 2), eta = (a, b) = (2, 0.5)
#     atom 2: beta0 = -1, beta1 = 6,                                eta = (a, b) = (-3, 1)
#   Atom 1 is the over-fitted one. Both experts' kinks (ReLU) lie inside [-1, 1].
# * Experts: ReLU (the companion's), GELU (identifiable in the package's own check, where ReLU is
#   not: Euler's relation a dh/da + b dh/db = h, paper notes section 3) and linear.
# * Fitted k = k* + 1 = 3. n = 10^(3, 3.5, 4, 4.5, 5) with 20 replicates each, then n = 1e6
#   (10^5.5 is skipped: 20 replicates there alone would take about 50 of the 60 CPU minutes).
#   The noise axis: at n = 1e4 the noise sd also runs over 0.1 * 10^(-j/2), j = -1, -0.5, ..., 6
#   (n_eff = n (0.1 / sd)^2 from 1e3 to 1e10, as in data-raw/rates-noise.R), 20 replicates each;
#   slopes are reported on n (sd = 0.1 rows), on n_eff (every row) and on n_eff >= 1e6.
#   At n = 1e6 replicates run in blocks of 2 only while the projected CPU time of the workers stays
#   within `cpu_budget_minutes` (default 130, everything before included) and the projected
#   wall time within `wall_limit_minutes` (default 80); the projection for the first block is the
#   mean task CPU at n = 1e5 times 10. There is no minimum: if not even one block fits, the
#   largest n is 1e5.
# * Starts, sigmoid fits: 1 near the truth, then the fitter's 10 global starts (lse_control(n_starts
#   = 10)), each set a separate fit, the smaller RSS wins. (3 near-truth starts doubled the cost of
#   the over-specified linear fits, whose near-truth fits take 200 to 500 iterations.)
#   Near-truth: Regime 1, atom 1 split into two
#   jittered copies whose weights sigmoid(beta0) share sigmoid(beta0*_1); Regime 2, jittered copies
#   of G-bar. Jitter: N(0, 0.1 (1 + |v|)) on every parameter v.
# * Softmax on the same truths: the same (beta0, beta1, eta) read as a softmax-gated measure, data
#   with the same X and the same noise draws, fitted with softmax gating, k = 3, 1 near-truth start
#   (atom 1 split, weights exp(beta0*_1) / 2) then 10 global ones, as separate fits. Loss: the softmax Voronoi loss of
#   the seed paper (voronoi_loss(), moment alignment), D1 for ReLU and GELU, D2 (r = 2) for linear.
#   (Softmax gating is translation invariant: its "regimes" differ only in the truth.)
# * Losses of the sigmoid fits: Regime 1, D1 and D2 (r = 2) against G*; Regime 2, D3 against G-bar.
#   G-bar: gbar_measure(k = 3, noiseless n = 1e5, X ~ Uniform[-1, 1]); recomputed at n = 2e5 to
#   check stability. For these experts f_G* is exactly representable with 3 atoms (a null expert:
#   linear a = b = 0, ReLU b <= -|a| on [-1, 1], GELU a = b = 0; or, for the positively homogeneous
#   linear and ReLU experts, an atom duplicated with the same gate and the expert split), so G-bar is
#   not unique and D3 against one minimiser need not vanish. We therefore also report "D3min": D3
#   against the nearest of the explicit minimisers {G* + one null atom at the gate of fitted atom i},
#   {G* with atom j duplicated, experts split} and, for linear experts, the reflections
#   s(z)(a x + b) = (a x + b) - s(-z)(a x + b): atom 1, atom 2 or both reflected to
#   (-beta0, -beta1, -a, -b) plus a slope-0 atom carrying their experts (its beta0 optimised) (an upper bound on the D3 distance to the set of
#   minimisers).
# * Two estimates per gate and data set, each with every loss: "lse", the smaller RSS of the two
#   start sets (the least squares estimate as far as the starts find it), and "local", the fit
#   from the near-truth starts alone (a local minimiser near the truth, as the companion's SGD
#   from near the truth measures). rss_gap = RSS(global) - RSS(local) is recorded.
# * Also recorded: the L2(mu) regression error ||f_Ghat - f_G*|| of both gates (Monte Carlo,
#   1e5 points), the RSS and which start set won.
# * Slopes: least squares of log(loss) on log(n) over all replicates, 95% intervals (t), as in
#   the companion. Seeds: task t uses set.seed(20240521 + t): same numbers for any worker count.
#
# THE VERDICT RULE ON n_eff (issue 25), written down while the run's n axis was running and
# before any of its noise-axis results was read, used unchanged by the vignette: the rule of
# data-raw/rates-noise.R. Rows: Regime 1 D1 for ReLU and GELU experts and Regime 2 D3min for ReLU,
# GELU and linear experts (predicted -1/2, paper notes section 7), Regime 1 D2 for linear experts
# (predicted slower than any polynomial), and the sigmoid regression error (-1/2) of every case;
# for the LSE and for the local fit. "Global": the slope on log n_eff over the noise grid's points
# with n_eff >= 1e6 (n = 1e4, sd <= 0.01); "last": over n_eff in [1e9, 1e10]; 95% intervals.
# Predicted -1/2: band [-0.5, -0.5 + 1/(2 ln 1e6)]; reproduced when the global or the last
# interval meets the band while at most 0.5 wide and the last interval lies below -1/4; not
# reproduced when neither meets the band; inconclusive otherwise. Predicted slower than any
# polynomial: reproduced when both intervals lie above -1/4, not reproduced when both lie below,
# inconclusive otherwise.
suppressPackageStartupMessages({
  library(lsmoe)
  library(future)
  library(future.apply)
})
args <- commandArgs(trailingOnly = TRUE)
workers <- if (length(args) >= 1) as.integer(args[1]) else 2L
cpu_budget <- if (length(args) >= 2) as.numeric(args[2]) else 130
reps <- if (length(args) >= 3) as.integer(args[3]) else 20L
n_max <- if (length(args) >= 4) as.numeric(args[4]) else 1e6
wall_limit <- if (length(args) >= 5) as.numeric(args[5]) else 80
ns <- sort(unique(c(round(10^seq(3, min(5, log10(n_max)), by = 0.5)), n_max)))
# The noise axis (issue 25, paper notes section 8): at n_fixed the noise sd runs over
# noise_ref 10^(-j/2), j = -1, -0.5, ..., 6, so n_eff = n_fixed (noise_ref / sd)^2 runs from 1e3 to
# 1e10 in half decades (the grid of data-raw/rates-noise.R); j = 0 is the n-axis point n = 1e4.
# SG_NOISE_J (comma-separated j) overrides the grid, "none" drops it (the n-axis study alone).
noise_ref <- 0.1
n_fixed <- 1e4
noise_j <- local({
  v <- Sys.getenv("SG_NOISE_J", "")
  if (identical(v, "none")) numeric(0) else if (nzchar(v)) as.numeric(strsplit(v, ",")[[1]]) else seq(-1, 6, by = 0.5)
})
noise_grid <- noise_ref * 10^(-setdiff(noise_j, 0) / 2)
out_file <- "inst/extdata/sigmoid-gating.rds"
plan(multisession, workers = workers)
t_start <- Sys.time()
load_start <- tryCatch(readLines("/proc/loadavg"), error = function(e) NA_character_)
wall_before <- 0
logf <- function(...) cat(format(Sys.time(), "%H:%M:%S "), sprintf(...), "\n", sep = "")

unif <- function(n) matrix(runif(n, -1, 1), n, 1)
experts <- list(relu = expert_relu(), gelu = expert_gelu(), linear = expert_linear())
truth <- function(regime, expert, gate = gate_sigmoid()) {
  mixing_measure(beta0 = c(0, -1), beta1 = c(if (regime == 1) 0 else 4, 6), eta = rbind(c(2, 0.5), c(-3, 1)),
                 expert = experts[[expert]], gate = gate)
}
cases <- expand.grid(regime = 1:2, expert = names(experts), stringsAsFactors = FALSE)
truths <- lapply(seq_len(nrow(cases)), function(i) truth(cases$regime[i], cases$expert[i]))
truths_soft <- lapply(seq_len(nrow(cases)), function(i) truth(cases$regime[i], cases$expert[i], gate_softmax()))

# G-bar of the Regime 2 truths (k = 3), and its stability when the noiseless sample doubles
quiet_gbar <- function(G0, n, label) {
  # as stored: before the perturbation search and before tree starts (lsmoe at commit b70d520
  # draws the generated starts of the stored run; later versions make 2 of the 10 tree starts)
  withCallingHandlers(gbar_measure(G0, k = 3, n = n, x = unif, control = lse_control(n_starts = 10, n_perturb = 0)),
                      lsmoe_warning_gbar = function(w) {
                        logf("G-bar (%s, n = %g): %s", label, n, conditionMessage(w))
                        invokeRestart("muffleWarning")
                      })
}
set.seed(20240520)  # G-bar (random starts, noiseless sample): reproducible

gbars <- lapply(seq_len(nrow(cases)), function(i) {
  if (cases$regime[i] != 2) return(NULL)
  quiet_gbar(truths[[i]], 1e5, cases$expert[i])
})
gbar_check <- do.call(rbind, lapply(which(cases$regime == 2), function(i) {
  g2 <- quiet_gbar(truths[[i]], 2e5, cases$expert[i])
  data.frame(expert = cases$expert[i], mse_1e5 = gbars[[i]]$gbar$mse, mse_2e5 = g2$gbar$mse,
             D3_2e5_vs_1e5 = voronoi_loss_sigmoid(g2, gbars[[i]], "D3")$value)
}))
print(gbar_check)

jit <- function(v, s = 0.1) v + rnorm(length(v), 0, s * (1 + abs(v)))
n_near <- 1L
near_starts <- function(G0, gbar, gate, m = n_near) {
  lapply(seq_len(m), function(s) {
    if (!is.null(gbar)) return(list(beta0 = jit(gbar$beta0), beta1 = jit(gbar$beta1), eta = jit(gbar$eta)))
    b0 <- if (gate == "sigmoid") qlogis(plogis(G0$beta0[1]) / 2) else G0$beta0[1] - log(2)
    list(beta0 = c(rep(b0, 2), G0$beta0[-1]),
         beta1 = rbind(jit(G0$beta1[1, ]), jit(G0$beta1[1, ]), G0$beta1[-1, , drop = FALSE]),
         eta = rbind(jit(G0$eta[1, ]), jit(G0$eta[1, ]), G0$eta[-1, , drop = FALSE]))
  })
}
fit_both <- function(x, y, expert, gate, start, ctl) {
  fits <- list(local = tryCatch(moe_lse_fit(x, y, k = 3, expert = expert, gate = gate, start = start, control = ctl),
                                error = function(e) NULL),
               global = tryCatch(moe_lse_fit(x, y, k = 3, expert = expert, gate = gate, control = ctl),
                                 error = function(e) NULL))
  rss <- vapply(fits, function(f) if (is.null(f)) Inf else f$rss, 0)
  list(lse = fits[[which.min(rss)]], local = fits$local, won = names(fits)[which.min(rss)], rss = rss)
}

# Distance from an expert parameter (a, b) to the null set of the family on [-1, 1] (d = 1).
null_proj <- function(eta, expert) {
  if (expert != "relu") return(c(0, 0))
  if (eta[2] <= -abs(eta[1])) return(eta)  # max(0, a x + b) = 0 on [-1, 1]
  rays <- list(c(1, -1) / sqrt(2), c(-1, -1) / sqrt(2))  # the cone b <= -|a|
  cand <- lapply(rays, function(u) max(0, sum(eta * u)) * u)
  cand[[which.min(vapply(cand, function(p) sum((eta - p)^2), 0))]]
}
# D3 against the nearest of the explicit 3-atom minimisers of ||f_G - f_G*|| (see the header).
d3_min <- function(G, G0, expert) {
  mk <- function(b0, b1, eta) mixing_measure(b0, b1, eta, G0$expert, gate_sigmoid())
  vals <- numeric(0)
  for (i0 in 1:3) {  # G* plus a null atom at the gate of fitted atom i0
    Gb <- mk(c(G0$beta0, G$beta0[i0]), c(G0$beta1[, 1], G$beta1[i0, 1]), rbind(G0$eta, null_proj(G$eta[i0, ], expert)))
    vals <- c(vals, voronoi_loss_sigmoid(G, Gb, "D3")$value)
  }
  if (expert %in% c("linear", "relu")) {  # atom j duplicated with the same gate, experts e and eta*_j - e
    dup <- function(j, e) {
      eta <- G0$eta
      eta[j, ] <- e
      mk(c(G0$beta0, G0$beta0[j]), c(G0$beta1[, 1], G0$beta1[j, 1]), rbind(eta, G0$eta[j, ] - e))
    }
    for (j in 1:2) for (i1 in 1:3) {
      if (expert == "relu") {  # ReLU splits only into positive multiples: e = t eta*_j
        f <- function(t) voronoi_loss_sigmoid(G, dup(j, t * G0$eta[j, ]), "D3")$value
        vals <- c(vals, optimize(f, c(0, 1))$objective)
      } else {
        for (i2 in setdiff(1:3, i1)) {
          for (e in list(G$eta[i1, ], G0$eta[j, ] - G$eta[i2, ], (G$eta[i1, ] + G0$eta[j, ] - G$eta[i2, ]) / 2)) {
            vals <- c(vals, voronoi_loss_sigmoid(G, dup(j, e), "D3")$value)
          }
        }
      }
    }
  }
  if (expert == "linear") {  # reflection: s(z)(a x + b) = (a x + b) - s(-z)(a x + b)
    # atoms `sel` of G* reflected to (-beta0, -beta1, -a, -b), plus a slope-0 atom of weight
    # s(b0p) whose expert carries the sum of their experts (any b0p)
    refl <- function(sel, b0p) {
      beta0 <- G0$beta0; beta1 <- G0$beta1[, 1]; eta <- G0$eta
      beta0[sel] <- -beta0[sel]; beta1[sel] <- -beta1[sel]; eta[sel, ] <- -eta[sel, ]
      mk(c(beta0, b0p), c(beta1, 0), rbind(eta, colSums(G0$eta[sel, , drop = FALSE]) / plogis(b0p)))
    }
    for (sel in list(1, 2, 1:2)) {
      f <- function(b0p) voronoi_loss_sigmoid(G, refl(sel, b0p), "D3")$value
      vals <- c(vals, optimize(f, c(-10, 10))$objective)
    }
  }
  min(vals)
}

# the n axis first (its task ids, hence its seeds, are those of the stored n-axis study), then the
# noise grid at n_fixed
tasks <- expand.grid(case = seq_len(nrow(cases)), rep = seq_len(reps), n = ns)
tasks$noise_sd <- noise_ref
if (length(noise_grid)) {
  tasks <- rbind(tasks, transform(expand.grid(case = seq_len(nrow(cases)), rep = seq_len(reps), noise_sd = noise_grid),
                                  n = n_fixed)[names(tasks)])
}
tasks$n_eff <- tasks$n * (noise_ref / tasks$noise_sd)^2
tasks$id <- seq_len(nrow(tasks))
xs_eval <- local({ set.seed(99); unif(1e5) })
one <- function(t) {
  cpu0 <- proc.time()
  i <- tasks$case[t]; n <- tasks$n[t]; sd <- tasks$noise_sd[t]; ex <- cases$expert[i]; regime <- cases$regime[i]
  set.seed(20240521 + tasks$id[t], kind = "Mersenne-Twister", normal.kind = "Inversion")
  G0 <- truths[[i]]; G0s <- truths_soft[[i]]
  sim <- simulate_moe(G0, n = n, noise_sd = sd, x = unif)
  eps <- as.vector(sim$y) - as.vector(predict(G0, sim$x))
  y_soft <- as.vector(predict(G0s, sim$x)) + eps
  ctl <- lse_control(n_starts = 10, warn = FALSE, n_perturb = 0)  # as stored: before the perturbation search
  sg <- fit_both(sim$x, sim$y, G0$expert, gate_sigmoid(), near_starts(G0, gbars[[i]], "sigmoid"), ctl)
  sm <- fit_both(sim$x, y_soft, G0$expert, gate_softmax(), near_starts(G0s, NULL, "softmax"), ctl)
  reg <- function(M, T) sqrt(mean((predict(M, xs_eval) - predict(T, xs_eval))^2))
  soft_type <- if (ex == "linear") "D2" else "D1"
  losses <- function(fs, fm) {  # fs: sigmoid fit, fm: softmax fit
    if (is.null(fs) || is.null(fm)) return(NULL)
    G <- as_mixing_measure(fs); Gs <- as_mixing_measure(fm)
    v <- c(regression_sigmoid = reg(G, G0), regression_softmax = reg(Gs, G0s),
           softmax = as.double(voronoi_loss(Gs, G0s, type = soft_type, r = 2)))
    c(v, if (regime == 1) {
      c(D1 = voronoi_loss_sigmoid(G, G0, "D1")$value, D2 = voronoi_loss_sigmoid(G, G0, "D2", r = 2)$value)
    } else {
      c(D3 = voronoi_loss_sigmoid(G, gbars[[i]], "D3")$value, D3min = d3_min(G, G0, ex))
    })
  }
  l1 <- losses(sg$lse, sm$lse); l2 <- losses(sg$local, sm$local)
  loss <- c(l1, l2)
  fit <- rep(c("lse", "local"), c(length(l1), length(l2)))
  cpu <- proc.time() - cpu0
  par <- function(f) if (is.null(f)) NULL else {
    G <- as_mixing_measure(f)
    list(beta0 = G$beta0, beta1 = G$beta1, eta = G$eta, rss = f$rss, converged = f$converged)
  }
  fits <- list(sigmoid_lse = par(sg$lse), sigmoid_local = par(sg$local), softmax_lse = par(sm$lse), softmax_local = par(sm$local))
  rows <- data.frame(row.names = NULL, regime = regime, expert = ex, n = n, noise_sd = sd, n_eff = tasks$n_eff[t],
             rep = tasks$rep[t], fit = fit, loss = names(loss), value = unname(loss),
             won_sigmoid = sg$won, won_softmax = sm$won, rss_gap_sigmoid = diff(sg$rss), rss_gap_softmax = diff(sm$rss),
             cpu = sum(cpu[c("user.self", "sys.self")], na.rm = TRUE))
  list(rows = rows, fits = fits)
}

# Slopes of log(loss) on log(axis), axis "n" (the rows at noise_ref) or "n_eff" (every row, or
# those with n_eff >= from)
slope_table <- function(res, axis = c("n", "n_eff"), from = 0) {
  axis <- match.arg(axis)
  res <- if (axis == "n") res[res$noise_sd == noise_ref, ] else res[res$n_eff >= from, ]
  if (!nrow(res)) return(NULL)
  s <- do.call(rbind, lapply(split(res, list(res$regime, res$expert, res$loss, res$fit), drop = TRUE), function(s) {
    s <- s[is.finite(s$value) & s$value > 0, ]
    s$a <- s[[axis]]
    if (length(unique(s$a)) < 2) return(NULL)
    m <- lm(log(value) ~ log(a), data = s)
    ci <- confint(m)["log(a)", ]
    data.frame(regime = s$regime[1], expert = s$expert[1], fit = s$fit[1], loss = s$loss[1], axis = axis,
               slope = unname(coef(m)[2]), lower = unname(ci[1]), upper = unname(ci[2]), min = min(s$a), max = max(s$a),
               reps_at_max = length(unique(s$rep[s$a == max(s$a)])), n_fits = nrow(s))
  }))
  rownames(s) <- NULL
  s
}
results <- NULL
fits_store <- list()  # the estimates of every task (names: task id), for analyses beyond the stored losses
cpu_before <- 0
if (identical(Sys.getenv("SG_RESUME"), "1") && file.exists(out_file)) {
  old <- readRDS(out_file)
  results <- old$results
  fits_store <- if (is.null(old$fits)) list() else old$fits
  cpu_before <- old$cpu_minutes_workers * 60
  wall_before <- old$wall_minutes
  logf("resuming: %d rows, %.1f worker CPU minutes and %.1f wall minutes so far", nrow(results), cpu_before / 60, wall_before)
}
plan_env <- Sys.getenv("SG_PLAN")
if (nzchar(plan_env)) {
  pl <- do.call(rbind, lapply(strsplit(strsplit(plan_env, ",")[[1]], ":"), function(v) data.frame(n = round(as.numeric(v[1])), r = as.integer(v[2]))))
  pl$n <- ns[vapply(pl$n, function(v) which.min(abs(log(ns / v))), 1L)]  # "3e5" means 10^5.5
  keep <- tasks$n %in% pl$n & tasks$rep <= pl$r[match(tasks$n, pl$n)]
  tasks_run <- tasks[keep, ]
} else {
  tasks_run <- tasks
}
if (!is.null(results)) {
  done <- paste(results$regime, results$expert, results$n, results$noise_sd, results$rep)
  key <- paste(cases$regime[tasks_run$case], cases$expert[tasks_run$case], tasks_run$n, tasks_run$noise_sd, tasks_run$rep)
  tasks_run <- tasks_run[!key %in% done, ]
}
ck_dir <- Sys.getenv("SG_CHECKPOINT", file.path(tools::R_user_dir("lsmoe", "cache"), "checkpoints", "sigmoid-gating"))
if (identical(ck_dir, "none")) ck_dir <- NULL
# everything a task's result depends on: the task table, truths, G-bars, the evaluation points,
# the code of the task and its helpers, and lsmoe's options
ck_key <- lsmoe:::checkpoint_key(list(tasks = tasks, cases = cases, truths = truths, truths_soft = truths_soft, gbars = gbars,
                                      xs_eval = xs_eval, n_near = n_near, code = list(one, fit_both, near_starts, jit, null_proj,
                                                                                      d3_min, unif, truth),
                                      options = lsmoe:::task_options()))
if (!is.null(ck_dir)) logf("checkpoint: %s", ck_dir)
save_state <- function(partial) {
  cpu_workers <- sum(results$cpu[!duplicated(results[c("regime", "expert", "n", "noise_sd", "rep")])])  # all stages
  out <- list(results = results, slopes = slope_table(results), slopes_n_eff = slope_table(results, "n_eff"),
              slopes_n_eff_1e6 = slope_table(results, "n_eff", from = 1e6), fits = fits_store, tasks = tasks, truths = truths, truths_softmax = truths_soft,
              gbars = gbars, gbar_check = gbar_check, cases = cases,
              settings = list(ns = ns, reps = reps, workers = workers, noise_sd = noise_ref, noise_ref = noise_ref,
                              n_fixed = n_fixed, noise_grid = noise_grid, k = 3, n_starts = 10,
                              near_starts = n_near, jitter = 0.1, gbar_n = 1e5, cpu_budget_minutes = cpu_budget,
                              wall_limit_minutes = wall_limit,
                              reps_at_max_n = length(unique(results$rep[results$n == max(ns) & results$noise_sd == noise_ref]))),
              wall_minutes = as.numeric(difftime(Sys.time(), t_start, units = "mins")) + wall_before,
              cpu_minutes_workers = cpu_workers / 60,
              cpu_minutes_main = sum(proc.time()[c("user.self", "sys.self")]) / 60,
              load_start = load_start, load_end = tryCatch(readLines("/proc/loadavg"), error = function(e) NA_character_),
              partial = partial, session = utils::sessionInfo()$R.version$version.string)
  dir.create(dirname(out_file), showWarnings = FALSE, recursive = TRUE)
  saveRDS(out, out_file, compress = "xz")
  out
}
run_chunk <- function(ids) {
  # each task sets its own seed (one()), so future's streams do not matter (seeds = TRUE)
  out <- lsmoe:::checkpoint_lapply(ids, one, seeds = TRUE, checkpoint = ck_dir, key = ck_key,
                                   what = "data-raw/sigmoid-gating.R",
                                   how = "Run the script again with the same arguments and environment")
  results <<- rbind(results, do.call(rbind, lapply(out, `[[`, "rows")))
  fits_store[as.character(ids)] <<- lapply(out, `[[`, "fits")
  st <- save_state(partial = TRUE)
  logf("done %d tasks (n = %s, noise sd %s): wall %.1f min, worker CPU %.1f min", length(ids),
       paste(unique(tasks$n[ids]), collapse = ","), paste(signif(unique(tasks$noise_sd[ids]), 3), collapse = ","),
       st$wall_minutes, st$cpu_minutes_workers)
  st
}
st <- list(cpu_minutes_workers = cpu_before / 60)
on_n <- tasks_run$noise_sd == noise_ref
for (n in ns[ns < max(ns)]) if (any(on_n & tasks_run$n == n)) st <- run_chunk(tasks_run$id[on_n & tasks_run$n == n])
# the noise grid at n_fixed, one chunk per noise level, from the largest noise to the smallest
for (sd in sort(unique(tasks_run$noise_sd[!on_n]), decreasing = TRUE)) st <- run_chunk(tasks_run$id[tasks_run$noise_sd == sd])
# the largest n: blocks of 2 replicates while the CPU budget and the wall limit allow (possibly none)
big <- tasks_run[on_n & tasks_run$n == max(ns), ]
per_task <- NA
for (b in if (nrow(big)) split(big$id, ceiling(big$rep / 2)) else list()) {
  used <- st$cpu_minutes_workers
  est <- if (is.na(per_task) && length(ns) == 1) 0 else if (is.na(per_task)) {
    prev <- results[results$n == ns[length(ns) - 1] & results$noise_sd == noise_ref &
                      !duplicated(results[c("regime", "expert", "n", "noise_sd", "rep")]), ]
    mean(prev$cpu) * max(ns) / ns[length(ns) - 1] / 60
  } else per_task
  done_reps <- length(unique(results$rep[results$n == max(ns) & results$noise_sd == noise_ref]))
  wall_used <- as.numeric(difftime(Sys.time(), t_start, units = "mins"))
  if (used + est * length(b) > cpu_budget || wall_used + est * length(b) / workers > wall_limit) {
    logf("CPU %.1f min used (next block about %.1f, budget %g), wall %.1f min (limit %g): stopping at %d replicates at n = %g",
         used, est * length(b), cpu_budget, wall_used, wall_limit, done_reps, max(ns))
    break
  }
  st <- run_chunk(b)
  cur <- results[results$n == max(ns) & results$noise_sd == noise_ref & !duplicated(results[c("regime", "expert", "n", "rep")]), ]
  per_task <- mean(cur$cpu) / 60
}
st <- save_state(partial = FALSE)
if (!is.null(ck_dir)) unlink(ck_dir, recursive = TRUE)  # the stored file holds every task now
print(st$slopes, digits = 3)
cat(sprintf("wall time %.1f minutes, worker CPU %.1f minutes, main %.1f minutes (%d workers); load %s -> %s\n",
            st$wall_minutes, st$cpu_minutes_workers, st$cpu_minutes_main, workers, load_start, st$load_end))
