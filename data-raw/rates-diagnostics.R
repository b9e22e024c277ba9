# Diagnostics for the over-specified sigmoid study of data-raw/rates.R: why does D1 fall more
# slowly than the theory's n^(-1/2)? On each simulated data set (k* = 2 sigmoid truth), k = 3
# sigmoid experts are fitted three ways:
#   baseline : bounds 20, one start near the truth (as in rates.R)
#   bounds15 : bounds 15 (a smaller compact parameter space that still holds the truth, |a| = 12)
#   starts   : bounds 20, two near-truth starts plus two data-driven starts (best RSS wins)
# and, for every fit, D1 is computed with and without the moment alignment. The three fits share
# their data, so their RSS and losses compare pairwise.
# Writes inst/extdata/rates-diagnostics.rds. Run from the package root with lsmoe installed:
#   Rscript data-raw/rates-diagnostics.R        (about 5 minutes with 2 workers)
library(lsmoe)
library(future)
plan(multisession, workers = as.integer(Sys.getenv("LSMOE_WORKERS", "2")))

truth <- list(beta0 = c(-5, 0), beta1 = c(10, 0), eta = rbind(c(12, -9), c(-12, 3)))
G0 <- mixing_measure(truth$beta0, truth$beta1, truth$eta, expert = expert_sigmoid())
n <- round(10^seq(3, 5, length.out = 5))
reps <- 10
ctl <- function(bound, n_starts) {
  lse_control(n_starts = n_starts, max_iter = 300, ftol = 1e-8, xtol = 1e-8, bound_gate = bound,
              bound_expert = bound, bound_output = bound, warn = FALSE)
}
variants <- list(
  baseline = list(control = ctl(20, 1), start = "near_truth"),
  bounds15 = list(control = ctl(15, 1), start = "near_truth"),
  starts = list(control = ctl(20, 2), start = "both")
)
tasks <- expand.grid(replicate = seq_len(reps), n = n)
set.seed(7)
t0 <- proc.time()[["elapsed"]]
rows <- future.apply::future_lapply(seq_len(nrow(tasks)), function(i) {
  sim <- simulate_moe(G0, tasks$n[i], noise_sd = 0.1)
  do.call(rbind, lapply(names(variants), function(vn) {
    v <- variants[[vn]]
    starts <- lapply(seq_len(v$control$n_starts), function(s) lsmoe:::near_truth_start(G0, 3, 0.1))
    if (v$start == "both") {
      th <- lsmoe:::make_starts(sim$x, sim$y, 3, G0$expert, v$control)
      starts <- c(starts, lapply(seq_len(ncol(th)), function(s) lsmoe:::unpack_theta(th[, s], 3, 1, 2)))
    }
    fit <- moe_lse(sim$x, sim$y, k = 3, expert = G0$expert, start = starts, control = v$control)
    data.frame(tasks[i, ], variant = vn, rss = fit$rss, on_bound = fit$on_bound, converged = fit$converged,
               D1_aligned = voronoi_loss(fit, G0, "D1")$value,
               D1_unaligned = voronoi_loss(fit, G0, "D1", align = FALSE)$value)
  }))
}, future.seed = TRUE)
res <- do.call(rbind, rows)
out <- list(results = res, truth = truth, n = n, reps = reps, seconds = proc.time()[["elapsed"]] - t0)
saveRDS(out, "inst/extdata/rates-diagnostics.rds", compress = "xz")
message(sprintf("wrote inst/extdata/rates-diagnostics.rds in %.1f minutes", out$seconds / 60))
