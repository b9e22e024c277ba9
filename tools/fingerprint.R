# Fingerprint of the fitting engine: a fixed set of seeded fits whose estimates, RSS, counts and
# per-start tables are saved at full precision, to show that a refactoring changes nothing.
#
#   R_LIBS=.lib Rscript tools/fingerprint.R save  FILE.rds
#   R_LIBS=.lib Rscript tools/fingerprint.R check FILE.rds   (exit 1 on any difference)
#
# The cases cover every stage of the pipeline: small data (every start finished, perturbation
# chains), the screened path (n > screen_rows), the sigmoid gate, re-anchoring, the Newton polish,
# reciprocal output weights, weights with zeros, given starts, the formula interface, d = 2.
# A check compares RSS and estimates to a relative 1e-12 and the counts exactly.

suppressPackageStartupMessages(library(lsmoe))
args <- commandArgs(TRUE)
if (length(args) != 2 || !args[1] %in% c("save", "check")) stop("usage: fingerprint.R save|check FILE.rds")

sim <- function(n, seed, d = 1) {
  set.seed(seed)
  x <- matrix(runif(n * d), n, d)
  f <- ifelse(x[, 1] < 0.5, plogis(8 * x[, 1] - 2), plogis(4 - 6 * x[, 1]))
  list(x = x, y = f + rnorm(n, sd = 0.05))
}
s1 <- sim(400, 1)
s2 <- sim(5000, 2)
s3 <- sim(600, 3, d = 2)
aq <- stats::na.omit(datasets::airquality)
cases <- list(
  sigmoid_small = function() moe_lse_fit(s1$x, s1$y, k = 2),
  sigmoid_k3 = function() moe_lse_fit(s1$x, s1$y, k = 3),
  screened = function() moe_lse_fit(s2$x, s2$y, k = 3),
  screened_linear = function() moe_lse_fit(s2$x, s2$y, k = 2, expert = "linear"),
  sigmoid_gate = function() moe_lse_fit(s1$x, s1$y, k = 2, gate = gate_sigmoid()),
  sigmoid_gate_tanh = function() moe_lse_fit(s3$x, 2 * s3$y, k = 2, expert = expert_tanh(output_weight = TRUE),
                                             gate = gate_sigmoid()),
  d2_linear = function() moe_lse_fit(s3$x, s3$y, k = 3, expert = "linear"),
  mcycle_tanh = function() moe_lse(accel ~ times, data = MASS::mcycle, k = 3, expert = expert_tanh(output_weight = TRUE)),
  mcycle_nopolish = function() moe_lse(accel ~ times, data = MASS::mcycle, k = 3, expert = expert_tanh(output_weight = TRUE),
                                       control = lse_control(polish = FALSE, n_starts = 20)),
  faithful_linear = function() moe_lse(eruptions ~ waiting, data = datasets::faithful, k = 3, expert = "linear"),
  boston_tanh = function() moe_lse(medv ~ lstat + rm, data = MASS::Boston, k = 2, expert = expert_tanh(output_weight = TRUE)),
  airquality_w = function() moe_lse(Ozone ~ Temp + Wind, data = aq, k = 2, expert = "linear",
                                    weights = rep(c(0, 1, 2), length.out = nrow(aq))),
  poly = function() moe_lse_fit(s1$x, 3 * s1$y, k = 2, expert = expert_polynomial(2)),
  relu_gelu = function() moe_lse_fit(s1$x, s1$y, k = 2, expert = "gelu"),
  start_given = function() moe_lse_fit(s1$x, s1$y, k = 2,
                                       start = list(beta0 = c(0, 0), beta1 = matrix(c(5, -5), 2, 1),
                                                    eta = matrix(c(8, -6, -2, 4), 2, 2))),
  reanchor = function() {
    z <- function(v) (v - mean(v)) / sqrt(mean((v - mean(v))^2))
    moe_lse_fit(matrix(z(datasets::faithful$waiting)), z(datasets::faithful$eruptions), k = 3, expert = "linear",
                start = list(beta0 = c(1.4, 1.3, 0), beta1 = matrix(c(-45, -40, 0), 3, 1),
                             eta = rbind(c(0.06, -1.2), c(-19, 1.5), c(0.14, 0.65))),
                control = lse_control(standardize = FALSE))
  },
  faithful_tanh = function() moe_lse(eruptions ~ waiting, data = datasets::faithful, k = 2,
                                     expert = expert_tanh(output_weight = TRUE), control = lse_control(n_starts = 20)),
  no_perturb = function() moe_lse_fit(s2$x, s2$y, k = 2, control = lse_control(n_perturb = 0, n_starts = 10))
)

fingerprint <- function(f) {
  list(theta = f$theta, rss = f$rss, iterations = f$iterations, evaluations = f$evaluations, status = f$status,
       message = f$message, converged = f$converged, on_bound = f$on_bound, bound_flags = f$bound_flags,
       starts = f$starts, best_start = f$best_start, fitted = unname(f$fitted.values))
}
res <- lapply(names(cases), function(nm) {
  set.seed(42)
  t0 <- proc.time()[["elapsed"]]
  f <- suppressWarnings(cases[[nm]]())
  cat(sprintf("%-18s rss %.15g  iter %d  %.2f s  %s\n", nm, f$rss, f$iterations, proc.time()[["elapsed"]] - t0, f$message))
  fingerprint(f)
})
names(res) <- names(cases)

if (args[1] == "save") {
  saveRDS(res, args[2])
  cat("saved", length(res), "fingerprints to", args[2], "\n")
} else {
  ref <- readRDS(args[2])
  bad <- 0L
  for (nm in names(res)) {
    a <- res[[nm]]
    b <- ref[[nm]]
    if (is.null(b)) next
    for (fld in names(b)) {
      x <- a[[fld]]
      y <- b[[fld]]
      same <- if (is.numeric(y) && !is.data.frame(y)) {
        length(x) == length(y) && isTRUE(all.equal(x, y, tolerance = 1e-12, check.attributes = FALSE))
      } else isTRUE(all.equal(x, y, tolerance = 1e-12, check.attributes = FALSE))
      if (!same) {
        bad <- bad + 1L
        cat(sprintf("DIFFERENT %s$%s\n", nm, fld))
      }
    }
  }
  cat(sprintf("%d case(s), %d field difference(s)\n", length(res), bad))
  quit(status = if (bad) 1 else 0)
}
