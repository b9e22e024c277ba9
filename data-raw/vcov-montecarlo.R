# Monte Carlo check of vcov() and Wald intervals for an exact-specified fit (issue 9).
#
#   R_LIBS=.lib Rscript data-raw/vcov-montecarlo.R [reps] [n]      (defaults 500 and 2e4)
#
# Truth: k = 2 sigmoid experts on d = 1, x ~ U(-2, 2), noise sd 0.1 (the d = 1 truth of
# tests/testthat/helper-reference.R: beta0 = (0.3, 0), beta1 = (3, 0), eta = ((2.5, -4), (2.5, 3))).
# Each replicate simulates fresh data and fits from the truth (one start, which keeps the labels
# of the components, so estimates are comparable across replicates), then records the estimates,
# the classical and HC0 standard errors and whether the Wald 95% intervals cover the truth.
# Reported per free parameter: Monte Carlo SD of the estimate, mean reported SE, their ratio, and
# the coverage. Monte Carlo error: the SD/SE ratio has relative standard error about
# 1 / sqrt(2 reps) (3.2% at 500 reps), coverage has binomial SE sqrt(0.95 * 0.05 / reps) (1.0%).
suppressPackageStartupMessages(library(lsmoe))
args <- commandArgs(TRUE)
reps <- if (length(args) >= 1) as.integer(args[1]) else 500L
n <- if (length(args) >= 2) as.numeric(args[2]) else 2e4
truth <- list(beta0 = c(0.3, 0), beta1 = matrix(c(3, 0), 2, 1), eta = rbind(c(2.5, -4), c(2.5, 3)))
G0 <- mixing_measure(truth$beta0, truth$beta1, truth$eta, expert = "sigmoid")
theta0 <- lsmoe:::pack_theta(truth$beta0, truth$beta1, truth$eta)
ctl <- lse_control(n_starts = 1, warn = FALSE)
set.seed(20240909)
t0 <- proc.time()[["elapsed"]]
res <- lapply(seq_len(reps), function(r) {
  x <- runif(n, -2, 2)
  y <- predict(G0, matrix(x)) + rnorm(n, sd = 0.1)
  fit <- moe_lse_fit(cbind(x = x), y, k = 2, expert = "sigmoid", start = truth, control = ctl)
  se <- sqrt(diag(vcov(fit)))
  se_hc <- sqrt(diag(vcov(fit, type = "HC0")))
  ci <- confint(fit)
  list(est = coef(fit), se = se, se_hc = se_hc, cover = ci[, 1] <= theta0 & theta0 <= ci[, 2], conv = fit$converged)
})
elapsed <- proc.time()[["elapsed"]] - t0
est <- do.call(rbind, lapply(res, `[[`, "est"))
se <- do.call(rbind, lapply(res, `[[`, "se"))
se_hc <- do.call(rbind, lapply(res, `[[`, "se_hc"))
cover <- do.call(rbind, lapply(res, `[[`, "cover"))
tab <- data.frame(
  truth = theta0, mean_est = colMeans(est), mc_sd = apply(est, 2, sd), mean_se = colMeans(se),
  ratio = apply(est, 2, sd) / colMeans(se), mean_se_hc0 = colMeans(se_hc),
  coverage = colMeans(cover)
)
cat(sprintf("vcov Monte Carlo: %d replicates, n = %g, k = 2 sigmoid experts, noise sd 0.1 (%.0f s; %d converged)\n",
            reps, n, elapsed, sum(vapply(res, `[[`, TRUE, "conv"))))
print(signif(tab, 4))
cat(sprintf("Pooled Wald 95%% coverage: %.3f; SD/SE ratios %.3f to %.3f\n", mean(cover), min(tab$ratio), max(tab$ratio)))
