# Regenerates inst/extdata/rates.rds, the convergence-rate study behind the vignette
# "Convergence rates: reproducing Nguyen, Ho and Rinaldo (2024)".
#
# Run from the package root with lsmoe installed where every worker finds it (see "Workers" below):
#   Rscript data-raw/rates.R
# The full study (settings below) is meant to run in at most 60 minutes on 2 cores with the fast
# engine. Environment variables override the settings for smoke runs and interim studies:
#   LSMOE_N          comma-separated sample sizes (default: 13 log-spaced values 1e3 .. 1e6)
#   LSMOE_REPS       replicates per n (default 20)
#   LSMOE_LARGE_N    sample sizes >= this use the large-n settings (default 3e5)
#   LSMOE_REPS_LARGE replicates at the large n (default: LSMOE_REPS, i.e. not reduced)
#   LSMOE_STARTS_LARGE near-truth (and data) starts at the large n (default: as below, not reduced)
#   LSMOE_WORKERS    future workers (default 2)
#   LSMOE_OUT        output file (default inst/extdata/rates.rds)
#   LSMOE_INTERIM    "true" marks the stored study as an interim one (reduced settings)
#   LSMOE_CHECKPOINT directory of the checkpoints (default: checkpoints/<name of LSMOE_OUT without
#                    .rds> under tools::R_user_dir("lsmoe", "cache"); "none": no checkpoint)
# Whatever is reduced at the large n is recorded in attr(study, "meta")$reductions.
#
# Workers: plan(multisession) starts fresh R sessions that must find lsmoe on their library path.
# If lsmoe lives in a private library, start R with R_LIBS=/path/to/lib (or call
# .libPaths(c("/path/to/lib", .libPaths())) before plan()); on a cluster, set R_LIBS in the job
# template or ~/.Renviron.
#
# Checkpoints: every rate_study() call of the script saves each task as it ends in its own
# directory under LSMOE_CHECKPOINT (rate_study(checkpoint = ), one directory per configuration and
# call). A run stopped midway (a kill, Ctrl-C, a worker's death) and started again with the same
# settings loads the finished tasks and computes only the missing ones, with the values of an
# uninterrupted run (each configuration sets its seed, and rate_study() gives every task the
# stream of the full run). A rerun with other settings stops with an error naming the directory:
# delete it (or set LSMOE_CHECKPOINT) to start afresh. The directory is deleted once the stored
# study is complete.
library(lsmoe)
library(future)

env_num <- function(name, default) {
  v <- Sys.getenv(name, "")
  if (nzchar(v)) as.numeric(strsplit(v, ",")[[1]]) else default
}

# ---- settings, fixed before any result of this study was seen --------------------------------
n_all <- env_num("LSMOE_N", round(10^seq(3, 6, by = 0.25)))   # 13 values, 1e3 .. 1e6
reps <- as.integer(env_num("LSMOE_REPS", 20))
large_n <- env_num("LSMOE_LARGE_N", 3e5)
reps_large <- as.integer(env_num("LSMOE_REPS_LARGE", reps))
n_starts <- 2L                                   # near-truth starts, and as many data-driven starts
n_starts_large <- as.integer(env_num("LSMOE_STARTS_LARGE", n_starts))
workers <- as.integer(env_num("LSMOE_WORKERS", 2))
out_file <- Sys.getenv("LSMOE_OUT", "inst/extdata/rates.rds")
interim <- identical(tolower(Sys.getenv("LSMOE_INTERIM", "false")), "true")
ck_root <- Sys.getenv("LSMOE_CHECKPOINT", file.path(tools::R_user_dir("lsmoe", "cache"), "checkpoints",
                                                  sub("\\.rds$", "", basename(out_file))))
checkpoint_dir <- function(...) if (identical(ck_root, "none")) NULL else file.path(ck_root, paste0(...))
noise_sd <- 0.1
ks <- c(2L, 3L)
experts <- list(sigmoid = expert_sigmoid(), tanh = expert_tanh(), linear = expert_linear(),
                `polynomial(2)` = expert_polynomial(2))

# Compact parameter space: every gating and expert parameter in [-20, 20] (bound_output = 20 for
# the response-scale parameters of linear and polynomial experts). Both truths' largest magnitude
# is 12. The infimum alignment translates the truth within the same gating box.
bound <- 20
make_control <- function(starts) {
  lse_control(n_starts = starts, max_iter = 300, ftol = 1e-8, xtol = 1e-8, bound_gate = bound, bound_expert = bound,
              bound_output = bound, standardize = FALSE, warn = FALSE)
}

# Truth A (the stored study's truth since the first version): d = 1, X ~ Uniform[0, 1], k* = 2.
# Gate logit of atom 1 against atom 2: -5 + 10 x (switch at x = 0.5, from 0.007 to 0.993);
# experts (a, b) = (12, -9) and (-12, 3) (for sigmoid they switch at x = 0.75 and 0.25).
# Truth B, chosen for conditioning and written down before any result of this study was seen:
#   X ~ Uniform[-1, 1]; beta0* = (0.5, 0), beta1* = (3, 0): the gate logit 0.5 + 3 x switches at
#   x = -1/6 and moves from 0.08 to 0.97, a soft gate far from the box (|beta1| = 3 against 20);
#   eta1* = (5, -2): sigmoid(5x - 2) switches at x = 0.4, inside the region where atom 1's gate
#   dominates (x > -1/6), and z = 5x - 2 runs over [-2.8, 3] there, so both curvature peaks of the
#   sigmoid (z = +-1.32, where |sigmoid''| is largest) lie inside the support;
#   eta2* = (-7, -4.5): switches at x = -0.64, inside atom 2's region (x < -1/6), z over [-3.3, 2.5].
# Reasons: (i) a wider input interval relative to the parameter scale improves the conditioning
# of smooth families (paper notes, section 3), and the issue's explanation for slow
# over-specified sigmoid fits is weak second-order terms on [0, 1]; (ii) gate and experts switch
# inside the support, each expert where its own gate dominates; (iii) the atoms are well separated
# ((beta1, a, b) = (3, 5, -2) and (0, -7, -4.5), 12.6 apart) and eta2* is far from both eta1*
# (12.3) and -eta1* (6.8; sigmoid(-z) = 1 - sigmoid(z), tanh and (a x + b)^2 are (anti)symmetric,
# so eta_i = -eta_j breaks identifiability); (iv) unequal weights (exp(0.5) vs 1) make the atom
# that near-truth starts split for k = 3 (the heavier one, atom 1) well defined; (v) moderate
# magnitudes (at most 7) keep every true parameter far from the bound 20.
# B differs from A in several features at once: a difference between them says that the truth
# matters, not which feature does.
truths <- list(
  A = list(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)), x = NULL, support = c(0, 1)),
  B = list(beta0 = c(0.5, 0), beta1 = c(3, 0), eta = rbind(c(5, -2), c(-7, -4.5)),
           x = function(n) matrix(stats::runif(n, -1, 1), ncol = 1), support = c(-1, 1))
)
losses <- c("D1", "D2", "regression")
r <- c(1, 2)
align <- c("moment", "infimum")
jitter <- 0.1
n_mc <- 1e4

# ---- the study --------------------------------------------------------------------------------
plan(multisession, workers = workers)
n_small <- n_all[n_all < large_n]
n_large <- n_all[n_all >= large_n]
reductions <- character(0)
if (length(n_large) && reps_large < reps) {
  reductions <- c(reductions, sprintf("n >= %g: %d replicates instead of %d", large_n, reps_large, reps))
}
if (length(n_large) && n_starts_large < n_starts) {
  reductions <- c(reductions, sprintf("n >= %g: %d near-truth + %d data-driven starts instead of %d + %d", large_n,
                                      n_starts_large, n_starts_large, n_starts, n_starts))
}

t_all <- proc.time()[["elapsed"]]
# Saves the configurations done so far; `complete = FALSE` marks a partial study (the vignette
# says which configurations are missing).
save_study <- function(complete) {
  elapsed <- proc.time()[["elapsed"]] - t_all
  study <- do.call(rbind, studies)
  attr(study, "meta") <- list(
    truths = lapply(truths, function(t) t[c("beta0", "beta1", "eta", "support")]),
    noise_sd = noise_sd, n = n_all, reps = reps, large_n = large_n, reps_large = reps_large, n_starts = n_starts,
    n_starts_large = n_starts_large, start = "both", bound = bound, losses = losses, r = r, align = align,
    jitter = jitter, n_mc = n_mc, workers = workers, seconds = elapsed, reductions = reductions, interim = interim,
    complete = complete,
    date = format(Sys.Date()), lsmoe_version = as.character(utils::packageVersion("lsmoe")),
    script = "data-raw/rates.R"
  )
  dir.create(dirname(out_file), showWarnings = FALSE, recursive = TRUE)
  saveRDS(study, out_file, compress = "xz")
  size <- file.size(out_file)
  message(sprintf("wrote %s: %d rows, %d fits, %.2f MB, %.1f minutes with %d workers%s", out_file, nrow(study),
                  length(unique(study$fit)), size / 2^20, elapsed / 60, workers,
                  if (length(reductions)) paste0("; reduced: ", paste(reductions, collapse = "; ")) else ""))
  if (size > 2 * 2^20) warning("the stored study is larger than 2 MB")
}

studies <- list()
config <- 0L
# Order: truth A before B, over-specified (k = 3) before exact-specified, so that a run cut short
# (the study is saved after every configuration, marked incomplete) has the paper's main case first.
for (tn in names(truths)) {
  tr <- truths[[tn]]
  for (k in rev(ks)) {
    for (en in names(experts)) {
      G0 <- mixing_measure(tr$beta0, tr$beta1, tr$eta, expert = experts[[en]])
      config <- config + 1L
      set.seed(2024 + config)  # one seed per configuration: any configuration reruns on its own
      t1 <- proc.time()[["elapsed"]]
      blocks <- list(list(n = n_small, reps = reps, starts = n_starts),
                     list(n = n_large, reps = reps_large, starts = n_starts_large))
      for (bi in seq_along(blocks)) {
        b <- blocks[[bi]]
        if (!length(b$n)) next
        st <- rate_study(G0, n = b$n, reps = b$reps, k = k, noise_sd = noise_sd, losses = losses, r = r,
                         start = "both", control = make_control(b$starts), x = tr$x, jitter = jitter, n_mc = n_mc,
                         align = align, keep_fits = TRUE, truth = tn,
                         checkpoint = checkpoint_dir(sprintf("config-%02d-", config), c("small", "large")[bi], "-n"))
        studies[[length(studies) + 1]] <- st
      }
      message(sprintf("truth %s, %s, k = %d: %.0f s", tn, en, k, proc.time()[["elapsed"]] - t1))
      save_study(complete = FALSE)
    }
  }
}
save_study(complete = TRUE)
if (!identical(ck_root, "none")) unlink(ck_root, recursive = TRUE)  # the stored study holds every task now
