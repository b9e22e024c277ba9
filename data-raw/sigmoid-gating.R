# Sigmoid versus softmax gating: convergence rates of the least squares estimator (issue 11).
# Companion paper: Nguyen, Ho and Rinaldo (2024), "Sigmoid gating is more sample efficient than
# softmax gating in mixture of experts", NeurIPS 2024, arXiv:2405.13997 (paper notes section 7).
#
# Usage (from the package root, with lsmoe installed in ./.lib):
#   R_LIBS=.lib Rscript data-raw/sigmoid-gating.R [n_max] [reps] [workers]
# Full settings (the issue's): n_max = 1e6, reps = 20. Writes inst/extdata/sigmoid-gating.rds.
#
# Design. d = 1, X ~ Uniform[-1, 1], noise sd 0.1 (the companion's variance 0.01). Two true
# measures with k* = 2 sigmoid-gated atoms, for ReLU and linear experts; fitted k = k* + 1 = 3:
#   Regime 1: the over-fitted atom 1 has gating slope 0 (beta1 = 0); losses D1 and D2 (r = 2)
#             against G* (voronoi_loss_sigmoid());
#   Regime 2: atom 1 has slope 4; loss D3 against G-bar (gbar_measure(), noiseless n = 1e5).
# Starts: 3 near the truth (atom 1 split in two jittered copies sharing its weight) plus the
# fitter's 10 global starts; the smallest RSS wins. On the same data, a softmax-gated fit with
# k = 3 (global starts only: the truth is not a softmax measure). Parameter losses of a softmax
# fit against a sigmoid truth are undefined, so the two gates are compared on the regression
# error ||f_Ghat - f_G*||_L2 (Monte Carlo, 1e5 points). Slopes: least squares of log(loss) on
# log(n) over all replicates, with 95% intervals.
suppressPackageStartupMessages({
  library(lsmoe)
  library(future)
  library(future.apply)
})
args <- commandArgs(trailingOnly = TRUE)
n_max <- if (length(args) >= 1) as.numeric(args[1]) else 1e6
reps <- if (length(args) >= 2) as.integer(args[2]) else 20L
workers <- if (length(args) >= 3) as.integer(args[3]) else 2L
ns <- round(10^seq(3, log10(n_max), by = 0.5))
plan(multisession, workers = workers)
t_start <- Sys.time()

unif <- function(n) matrix(runif(n, -1, 1), n, 1)
truth <- function(regime, expert) {
  eta <- if (expert == "relu") rbind(c(2, 0.5), c(-3, 1)) else rbind(c(2, 0.5), c(-3, 1))
  mixing_measure(beta0 = c(0, -1), beta1 = c(if (regime == 1) 0 else 4, 6), eta = eta,
                 expert = if (expert == "relu") expert_relu() else expert_linear(), gate = gate_sigmoid())
}
cases <- expand.grid(regime = 1:2, expert = c("relu", "linear"), stringsAsFactors = FALSE)
truths <- lapply(seq_len(nrow(cases)), function(i) truth(cases$regime[i], cases$expert[i]))
# G-bar of the Regime 2 truths (k = 3), in the fitter's default box
gbars <- lapply(seq_len(nrow(cases)), function(i) {
  if (cases$regime[i] != 2) return(NULL)
  withCallingHandlers(gbar_measure(truths[[i]], k = 3, n = 1e5, x = unif),
                      lsmoe_warning_gbar = function(w) {
                        message("G-bar (", cases$expert[i], "): ", conditionMessage(w))
                        invokeRestart("muffleWarning")
                      })
})

near_starts <- function(G0, k, m = 3, jitter = 0.1) {
  lapply(seq_len(m), function(s) {
    jit <- function(v) v + rnorm(length(v), 0, jitter * (1 + abs(v)))
    w <- plogis(G0$beta0[1]) / 2
    list(beta0 = c(rep(qlogis(w), 2), G0$beta0[-1]),
         beta1 = rbind(jit(G0$beta1[1, ]), jit(G0$beta1[1, ]), G0$beta1[-1, , drop = FALSE]),
         eta = rbind(jit(G0$eta[1, ]), jit(G0$eta[1, ]), G0$eta[-1, , drop = FALSE]))
  })
}

tasks <- expand.grid(case = seq_len(nrow(cases)), n = ns, rep = seq_len(reps))
one <- function(t) {
  i <- tasks$case[t]; n <- tasks$n[t]
  G0 <- truths[[i]]
  sim <- simulate_moe(G0, n = n, noise_sd = 0.1, x = unif)
  ctl <- lse_control(n_starts = 10, warn = FALSE)
  f1 <- tryCatch(moe_lse_fit(sim$x, sim$y, k = 3, expert = G0$expert, gate = gate_sigmoid(),
                             start = near_starts(G0, 3), control = ctl), error = function(e) NULL)
  f2 <- tryCatch(moe_lse_fit(sim$x, sim$y, k = 3, expert = G0$expert, gate = gate_sigmoid(), control = ctl),
                 error = function(e) NULL)
  fs <- Filter(Negate(is.null), list(f1, f2))
  fit <- fs[[which.min(vapply(fs, `[[`, 0, "rss"))]]
  soft <- moe_lse_fit(sim$x, sim$y, k = 3, expert = G0$expert, gate = gate_softmax(), control = ctl)
  G <- as_mixing_measure(fit)
  xs <- unif(1e5)
  f0 <- predict(G0, xs)
  reg <- function(F) sqrt(mean((predict(as_mixing_measure(F), xs) - f0)^2))
  out <- data.frame(regime = cases$regime[i], expert = cases$expert[i], n = n, rep = tasks$rep[t],
                    loss = c("regression_sigmoid", "regression_softmax"), value = c(reg(fit), reg(soft)))
  extra <- if (cases$regime[i] == 1) {
    data.frame(loss = c("D1", "D2"), value = c(voronoi_loss_sigmoid(G, G0, "D1")$value,
                                               voronoi_loss_sigmoid(G, G0, "D2", r = 2)$value))
  } else {
    data.frame(loss = "D3", value = voronoi_loss_sigmoid(G, gbars[[i]], "D3")$value)
  }
  rbind(out, cbind(out[rep(1, nrow(extra)), 1:4], extra))
}
res <- do.call(rbind, future_lapply(seq_len(nrow(tasks)), one, future.seed = 20240521L))
wall <- as.numeric(difftime(Sys.time(), t_start, units = "mins"))

slopes <- do.call(rbind, lapply(split(res, list(res$regime, res$expert, res$loss), drop = TRUE), function(s) {
  s <- s[s$value > 0, ]
  m <- lm(log(value) ~ log(n), data = s)
  ci <- confint(m)["log(n)", ]
  data.frame(regime = s$regime[1], expert = s$expert[1], loss = s$loss[1], slope = unname(coef(m)[2]),
             lower = ci[1], upper = ci[2], n_min = min(s$n), n_max = max(s$n), reps = max(s$rep))
}))
rownames(slopes) <- NULL
out <- list(results = res, slopes = slopes, truths = truths, gbars = gbars, cases = cases,
            settings = list(ns = ns, reps = reps, workers = workers, noise_sd = 0.1, k = 3,
                            reduced = n_max < 1e6 || reps < 20),
            wall_minutes = wall, session = utils::sessionInfo()$R.version$version.string)
dir.create("inst/extdata", showWarnings = FALSE, recursive = TRUE)
saveRDS(out, "inst/extdata/sigmoid-gating.rds", compress = "xz")
print(slopes, digits = 3)
cat(sprintf("wall time %.1f minutes (%d workers)\n", wall, workers))
