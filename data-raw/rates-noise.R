# Regenerates inst/extdata/rates-noise.rds: the convergence-rate study on the noise axis (issue 25).
#
# Why a noise axis: for large n the law of the least squares estimate depends on (n, sigma) through
# sigma / sqrt(n) (small-noise asymptotics of nonlinear least squares; ?rate_study, "The noise axis
# and the effective sample size"), so a fixed n over a grid of noise levels reaches the effective
# sample size n_eff = n (sigma_ref / sigma)^2 far beyond what can be simulated. The real-n points
# (sigma = sigma_ref) let compare_n_eff() check the equivalence where both axes meet.
#
# Run from the package root, on the final engine, with lsmoe installed where every worker finds it
# (see "Workers" in data-raw/rates.R), on a machine with no other heavy job:
#   Rscript data-raw/rates-noise.R
# The settings below are fixed before any result of this study was seen; environment variables
# override them only for smoke runs and pilots (a run with an override is marked `pilot` in the
# stored meta):
#   LSMOE_REPS     replicates per (n, noise level) (default 20)
#   LSMOE_J        comma-separated exponents j of the noise grid sigma = sigma_ref 10^(-j/2),
#                  n_eff = 1e4 10^j
#   LSMOE_REAL_N   comma-separated real sample sizes at sigma_ref ("none": no real-n points)
#   LSMOE_CONFIGS  comma-separated configuration numbers to run (1..16, in the order of the loop)
#   LSMOE_WORKERS  future workers (default 2)
#   LSMOE_OUT      output file (default inst/extdata/rates-noise.rds)
#   LSMOE_CHECKPOINT directory of the checkpoints (default: checkpoints/<name of LSMOE_OUT without
#                  .rds> under tools::R_user_dir("lsmoe", "cache"); "none": no checkpoint)
#
# RUN TIME (estimated from pilots on the engine of commit 1b26d3c, not measured on the full design):
# three pilots ran 120 certified tasks sequentially (one core, niced, on a machine shared with
# other jobs, load 3.4 to 5.6 on 2 cores, so that a task's wall time was 2.2 to 2.4 times its CPU
# time): truths A and B, the four families, k = 3 and k = 2, n = 1e4 at sigma = 0.0316 and 1e-4,
# and n = 1e3, 3162, 31623, 1e5 at sigma = 0.1, 2 replicates each. CPU per task, losses included:
# k = 3 about 1.24 s at n = 1e4 (any sigma), 0.68 s at 1e3, 0.40 s at 3162, 1.33 s at 31623, 2.13 s
# at 1e5 (tanh and polynomial(2) about twice sigmoid's); k = 2 about 0.16 s at n = 1e4 and 0.23 s at
# 1e5. The full design (16 configurations x (15 noise levels at n = 1e4 + 4 real n) x 20 replicates
# = 6080 tasks) then needs about 3700 + 500 = 4200 CPU seconds: about 35 minutes of wall time on 2
# idle cores, about 80 minutes if the cores are shared as during the pilots. Run it on an idle
# machine. If a rerun on the final engine (its global search may cost more) projects more than 90
# minutes, drop every other noise level (LSMOE_J = -1,0,1,2,3,4,5,6: whole decades of n_eff)
# before the run, and say so. Projected file size: about 3.1 MB (0.66 kB per k = 3 task,
# 0.36 kB per k = 2 task, xz, as in the pilots); the script warns above 5 MB.
#
# Checkpoints: every rate_study() call of the script saves each task as it ends in its own
# directory under LSMOE_CHECKPOINT (rate_study(checkpoint = ), one directory per configuration and
# call). A run stopped midway (a kill, Ctrl-C, a worker's death) and started again with the same
# settings loads the finished tasks and computes only the missing ones, with the values of an
# uninterrupted run (each configuration sets its seed, and rate_study() gives every task the
# stream of the full run). A rerun with other settings stops with an error naming the directory:
# delete it (or set LSMOE_CHECKPOINT) to start afresh. The directory is deleted once the stored
# study is complete.
#
# THE VERDICT RULE ON n_eff (issue 25, item 6), written down before any result of this study was
# read (the run started on commit c8d215b's engine, this rule was committed while it ran, before
# its first configuration was looked at) and used unchanged by the vignette "Convergence rates":
# the rule of data-raw/rates.R's verdicts, restated on n_eff. For each truth, expert and k, on the
# least squares estimate (estimate = "lse", the best of the certified candidates), one row per
# prediction: the regression error (-1/2, every expert and k); D1 under each alignment for
# sigmoid and tanh experts (-1/2, every k); D2 (r = 1) under each alignment for over-specified
# (k = 3) linear and polynomial(2) experts (slower than any polynomial rate): 40 rows.
# "Global" is the slope of log loss on log n_eff over the noise grid's points with n_eff >= 1e6
# (n = 1e4, sd <= 0.01: n_eff 1e6 .. 1e10, 9 levels, 20 replicates each); "last" the local slope
# in the last one-decade window, n_eff in [1e9, 1e10] (3 levels); 95% intervals.
# * Predicted -1/2: band [-1/2, -1/2 + 1/(2 ln 1e6)] = [-0.5, -0.464]. Reproduced when the global
#   or the last interval meets the band while at most 0.5 wide, and the last interval lies below
#   -1/4; not reproduced when neither interval meets the band; inconclusive otherwise.
# * Predicted slower than any polynomial: reproduced when the global and the last interval both
#   lie above -1/4; not reproduced when both lie below -1/4; inconclusive otherwise.
# Where the asymptotic regime starts: local slopes on n_eff in half-decade windows over all
# points (real n and noise grid); for each -1/2 row, the smallest window start from which every
# later window's slope estimate lies in [-0.65, -0.35] ("never" if none).
# The equivalence check: compare_n_eff() on the whole study (pairs of (n, sd) with equal n_eff:
# n = 1e3, 3162, 31623, 1e5 at sd 0.1 against n = 1e4 at sd 0.316, 0.178, 0.0562, 0.0316), every
# pair reported.
library(lsmoe)
library(future)

env_num <- function(name, default) {
  v <- Sys.getenv(name, "")
  if (!nzchar(v)) return(default)
  if (identical(v, "none")) return(numeric(0))
  as.numeric(strsplit(v, ",")[[1]])
}
overridden <- any(nzchar(Sys.getenv(c("LSMOE_REPS", "LSMOE_J", "LSMOE_REAL_N", "LSMOE_CONFIGS"))))

# ---- settings, fixed before any result of this study was seen --------------------------------
noise_ref <- 0.1                               # sigma_ref: the noise level of data-raw/rates.R
n_fixed <- 1e4                                 # the noise grid's sample size
j <- env_num("LSMOE_J", seq(-1, 6, by = 0.5)) # sigma = 0.1 * 10^(-j/2): 0.316 .. 1e-4 (15 levels)
noise_grid <- noise_ref * 10^(-j / 2)          # n_eff = 1e4 * 10^j: 1e3 .. 1e10, half-decade steps
real_n <- env_num("LSMOE_REAL_N", round(10^c(3, 3.5, 4.5, 5)))  # at sigma_ref (n = 1e4 is on the grid)
reps <- as.integer(env_num("LSMOE_REPS", 20))
configs_run <- env_num("LSMOE_CONFIGS", 1:16)
workers <- as.integer(env_num("LSMOE_WORKERS", 2))
out_file <- Sys.getenv("LSMOE_OUT", "inst/extdata/rates-noise.rds")
ck_root <- Sys.getenv("LSMOE_CHECKPOINT", file.path(tools::R_user_dir("lsmoe", "cache"), "checkpoints",
                                                  sub("\\.rds$", "", basename(out_file))))
checkpoint_dir <- function(...) if (identical(ck_root, "none")) NULL else file.path(ck_root, paste0(...))
ks <- c(2L, 3L)
experts <- list(sigmoid = expert_sigmoid(), tanh = expert_tanh(), linear = expert_linear(),
                `polynomial(2)` = expert_polynomial(2))
# The compact parameter space, fits and losses of data-raw/rates.R: every parameter in [-20, 20];
# two near-truth starts; D1, D2 with r = 1 and 2, and the regression error; moment and infimum
# alignments. Certified fits (?rate_study): near-truth starts, split starts (k = 3: one per true
# atom), and the fitter's default global search in the same box; the LSE and the local fit are
# both stored.
bound <- 20
control <- lse_control(n_starts = 2, max_iter = 300, ftol = 1e-8, xtol = 1e-8, bound_gate = bound,
                       bound_expert = bound, bound_output = bound, standardize = FALSE, warn = FALSE)
losses <- c("D1", "D2", "regression")
r <- c(1, 2)
align <- c("moment", "infimum")
jitter <- 0.1
n_mc <- 1e4
# Truths A and B of data-raw/rates.R (the reasons for B are written there).
truths <- list(
  A = list(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)), x = NULL, support = c(0, 1)),
  B = list(beta0 = c(0.5, 0), beta1 = c(3, 0), eta = rbind(c(5, -2), c(-7, -4.5)),
           x = function(n) matrix(stats::runif(n, -1, 1), ncol = 1), support = c(-1, 1))
)

# ---- the study --------------------------------------------------------------------------------
plan(multisession, workers = workers)
t_all <- proc.time()[["elapsed"]]
studies <- list()
save_study <- function(complete) {
  elapsed <- proc.time()[["elapsed"]] - t_all
  study <- do.call(rbind, studies)
  attr(study, "meta") <- list(
    truths = lapply(truths, function(t) t[c("beta0", "beta1", "eta", "support")]),
    noise_ref = noise_ref, n_fixed = n_fixed, noise_grid = noise_grid, real_n = real_n, reps = reps,
    start = "certified", control = control, bound = bound, losses = losses, r = r, align = align, jitter = jitter,
    n_mc = n_mc, workers = workers, seconds = elapsed, configs = configs_run, pilot = overridden, complete = complete,
    date = format(Sys.Date()), lsmoe_version = as.character(utils::packageVersion("lsmoe")),
    script = "data-raw/rates-noise.R"
  )
  dir.create(dirname(out_file), showWarnings = FALSE, recursive = TRUE)
  saveRDS(study, out_file, compress = "xz")
  message(sprintf("wrote %s: %d rows, %d fits, %.2f MB, %.1f minutes with %d workers", out_file, nrow(study),
                  length(unique(study$fit)), file.size(out_file) / 2^20, elapsed / 60, workers))
  if (file.size(out_file) > 5 * 2^20) warning("the stored study is larger than 5 MB")
}

config <- 0L
# Order: truth A before B, over-specified (k = 3) before exact-specified, as in data-raw/rates.R.
for (tn in names(truths)) {
  tr <- truths[[tn]]
  for (k in rev(ks)) {
    for (en in names(experts)) {
      config <- config + 1L
      if (!config %in% configs_run) next
      G0 <- mixing_measure(tr$beta0, tr$beta1, tr$eta, expert = experts[[en]])
      set.seed(2025 + config)  # one seed per configuration: any configuration reruns on its own
      t1 <- proc.time()[["elapsed"]]
      run <- function(n, noise_sd, part) {
        rate_study(G0, n = n, reps = reps, k = k, noise_sd = noise_sd, noise_ref = noise_ref, losses = losses, r = r,
                   start = "certified", control = control, x = tr$x, jitter = jitter, n_mc = n_mc, align = align,
                   keep_fits = TRUE, truth = tn, checkpoint = checkpoint_dir(sprintf("config-%02d-", config), part))
      }
      if (length(noise_grid)) studies[[length(studies) + 1]] <- run(n_fixed, noise_grid, "noise-grid")
      if (length(real_n)) studies[[length(studies) + 1]] <- run(real_n, noise_ref, "real-n")
      message(sprintf("truth %s, %s, k = %d: %.0f s", tn, en, k, proc.time()[["elapsed"]] - t1))
      save_study(complete = FALSE)
    }
  }
}
save_study(complete = TRUE)
if (!identical(ck_root, "none")) unlink(ck_root, recursive = TRUE)  # the stored study holds every task now
