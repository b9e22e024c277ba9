# Regenerates inst/extdata/rates.rds, the convergence-rate study behind the vignette
# "Convergence rates: reproducing Nguyen, Ho and Rinaldo (2024)".
#
# Run from the package root with the package installed:
#   Rscript data-raw/rates.R            (2 workers; about 20 minutes on a 2-core machine)
# On a cluster, replace the plan() below by e.g. future::plan(future.batchtools::batchtools_slurm)
# without changing the rate_study() calls.
library(lsmoe)
library(future)

workers <- as.integer(Sys.getenv("LSMOE_WORKERS", "2"))
plan(multisession, workers = workers)

# The truth: d = 1, X ~ Uniform[0, 1], k* = 2. The gate logit of atom 1 against atom 2 is
# -5 + 10 x, so atom 1's gate probability moves from 0.007 at x = 0 through 0.5 at x = 0.5 to
# 0.993 at x = 1; the experts h(x, (12, -9)) and h(x, (-12, 3)) are distinct (for sigmoid they
# switch at x = 0.75 and x = 0.25). The same numbers serve every expert family. Noise sd 0.1.
# (A gentler truth, gate -2 + 4x with experts (6, -2) and (-5, 3), was tried first: its sigmoid
# parameters are so poorly determined on [0, 1] that D1 was still 1.3 at n = 1e5, exact-specified.)
truth <- list(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)))
noise_sd <- 0.1
n <- round(10^seq(3, 5, length.out = 9))
reps <- as.integer(Sys.getenv("LSMOE_REPS", "20"))
experts <- list(sigmoid = expert_sigmoid(), tanh = expert_tanh(), linear = expert_linear(),
                polynomial = expert_polynomial(2))
# Compact parameter space: every parameter in [-20, 20] (the truth's largest magnitude is 12).
# One start near the truth per fit (the true atoms, the heaviest one split for k = 3, plus
# N(0, 0.1^2) noise), as in the studies of the paper's group.
control <- lse_control(n_starts = 1, max_iter = 300, ftol = 1e-8, xtol = 1e-8, bound_gate = 20, bound_expert = 20,
                       bound_output = 20, warn = FALSE)

set.seed(2024)
t0 <- proc.time()[["elapsed"]]
studies <- list()
for (nm in names(experts)) {
  G0 <- mixing_measure(truth$beta0, truth$beta1, truth$eta, expert = experts[[nm]])
  for (k in c(2L, 3L)) {
    t1 <- proc.time()[["elapsed"]]
    st <- rate_study(G0, n = n, reps = reps, k = k, noise_sd = noise_sd, losses = c("D1", "D2", "regression"),
                     start = "near_truth", control = control, r = c(1, 2), jitter = 0.1, n_mc = 1e4)
    studies[[paste(nm, k)]] <- st
    message(sprintf("%s, k = %d: %.0f s", nm, k, proc.time()[["elapsed"]] - t1))
  }
}
elapsed <- proc.time()[["elapsed"]] - t0
rates <- do.call(rbind, lapply(studies, as.data.frame))
rownames(rates) <- NULL
out <- list(
  results = rates, truth = truth, noise_sd = noise_sd, n = n, reps = reps, control = unclass(control),
  start = "near_truth", jitter = 0.1, r = c(1, 2), n_mc = 1e4, workers = workers, seconds = elapsed,
  date = format(Sys.Date()), lsmoe_version = as.character(utils::packageVersion("lsmoe"))
)
dir.create("inst/extdata", showWarnings = FALSE, recursive = TRUE)
saveRDS(out, "inst/extdata/rates.rds", compress = "xz")
message(sprintf("wrote inst/extdata/rates.rds: %d rows, %.1f minutes with %d workers", nrow(rates), elapsed / 60,
                workers))
