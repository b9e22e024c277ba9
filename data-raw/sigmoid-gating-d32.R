# The companion paper's simulation at its own size (issue 26, item 6): d = 32, k* = 8, fitted
# k = 9, sigmoid and softmax gates, ReLU and linear experts, Regimes 1 and 2.
# Companion paper: Nguyen, Ho and Rinaldo (2024), "Sigmoid gating is more sample efficient than
# softmax gating in mixture of experts", NeurIPS 2024, arXiv:2405.13997 (paper notes section 7).
#
# Usage (from the package root, lsmoe installed in a private library):
#   mkdir -p /tmp/sglib && R CMD INSTALL --library=/tmp/sglib .
#   R_LIBS=/tmp/sglib nohup Rscript data-raw/sigmoid-gating-d32.R > sigmoid-gating-d32.log 2>&1 &
# Optional argument: [workers] (default 2). Environment: D32_REPS (replicates, default 20),
# D32_N (comma-separated sample sizes), D32_NOISE_J (comma-separated j of the noise grid, "none":
# no noise grid), D32_OUT (output file), D32_CHECKPOINT (checkpoint directory, "none": none); a
# run with any of the first three set is marked `pilot` in the stored settings.
# Writes inst/extdata/sigmoid-gating-d32.rds, rewritten after every chunk with `partial = TRUE`
# until the run completes. Checkpoints as in data-raw/sigmoid-gating.R: a run stopped midway and
# started again with the same settings computes only the missing tasks.
#
# SETTINGS (fixed before the run; not tuned to the theory or to the companion's slopes)
# * d = 32, X ~ Uniform[-1, 1]^32, Gaussian noise sd 0.1 (the companion's variance 0.01).
# * Truth (k* = 8), drawn once with set.seed(2405) and stored in the output: gating slopes
#   beta1*_j = 2 u_j / |u_j|, u_j ~ N(0, I_32) (norm 2); intercepts beta0*_j ~ U(-1, 1); ridge
#   experts h(x) = g(a_j'x + b_j) with a_j = 2 v_j / |v_j|, v_j ~ N(0, I_32), b_j ~ U(-0.5, 0.5)
#   (ReLU kinks cross the cube). Regime 1: atom 1's gating slope set to 0 (the over-fitted atom);
#   Regime 2: as drawn (every slope non-zero). The same numbers for ReLU and linear experts.
# * Fitted k = 9. Starts near the truth only (as the companion's): Regime 1, atom 1 split into two
#   copies whose weights sigmoid(beta0) share sigmoid(beta0*_1) (softmax: beta0*_1 - log 2 each),
#   every parameter jittered by N(0, 0.02 (1 + |v|)) (0.02, not the d = 1 study's 0.1: 594 jittered
#   parameters at 0.1 put the start about 2.4 from the truth); Regime 2 (sigmoid), jittered copies
#   of G-bar. One start per fit, lse_control(max_iter = 500) otherwise at its defaults.
# * Global fits (the fitter's default search) are NOT run: at d = 32, k = 9, n = 1e4 one takes
#   about 380 CPU seconds (issue 26), 20 runs x 8 cases x 5 sample sizes would take days.
# * Softmax on the same truths: the same (beta0, beta1, eta) read as a softmax-gated measure, data
#   with the same X and noise, softmax gating, k = 9, atom 1 split. Loss: the seed paper's Voronoi
#   loss (voronoi_loss(), moment alignment), D1 for ReLU, D2 (r = 2) for linear experts.
# * Sigmoid losses: Regime 1, D1 and D2 (r = 2) against G*; Regime 2, D3 against G-bar. For these
#   experts f_G* is exactly representable with 9 atoms (an atom duplicated with its expert split
#   t : 1 - t, or a null expert), so G-bar, a minimiser of ||f_G - f_G*|| over 9 atoms, is not
#   unique: G-bar here is G* with atom 1 duplicated, expert split 1/2 : 1/2 (f_G-bar = f_G*
#   exactly; the d = 1 study's G-bar fits to a noiseless sample found such representations,
#   MSE 1e-32); also "D3min", D3 against the nearest
#   of {G* with atom j duplicated, experts t eta*_j and (1 - t) eta*_j (t optimised), j = 1..8} and
#   {G* plus an atom with expert 0 at the gate of fitted atom i, i = 1..9} (an upper bound on the
#   D3 distance to the set of minimisers).
# * Regression error ||f_Ghat - f_G*||_L2(mu) of both gates (Monte Carlo, 2e4 points).
# * n = 10^(3, 3.5, 4) at sd 0.1, and the noise axis (issue 25, paper notes section 8): at n = 1e4,
#   sd = 0.1 10^(-j/2), j = 2, 4, 6 (n_eff = n (0.1 / sd)^2 = 1e6, 1e8, 1e10); 10 replicates.
#   Not the companion's n up to 1e5 with 20 runs: a pilot (1 replicate per case, commit 497ad9e,
#   on a machine shared with two other studies) measured the CPU seconds of one task (the sigmoid
#   and the softmax fit from near the truth, 100 to 900 iterations each, and the losses): 4 to 15
#   at n = 1e3, 12 to 58 at n = 1e4, so about 3 to 10 CPU minutes at n = 1e5; the companion's
#   design (5 sizes to 1e5, 20 runs, 4 cases) would take about 11 CPU hours. The noise axis reaches
#   n_eff = 1e10 at n = 1e4 instead. Projected: about 95 CPU minutes, 48 wall minutes on 2 idle
#   cores.
# * Slopes: least squares of log(loss) on log(n) (sd = 0.1 rows) and on log(n_eff) (every row),
#   95% t intervals, as the companion (their Regime 1 ReLU D1 -0.46, linear D2 -0.02; Regime 2
#   ReLU D3 -0.48, linear D3 -0.42, SGD for 10 epochs from near the truth).
# * Seeds: task t uses set.seed(32000 + t): the same numbers for any number of workers.
# * Budget: 90 minutes on 2 cores (issue 26): the design above, fixed from the pilot's task times.
suppressPackageStartupMessages({
  library(lsmoe)
  library(future)
})
args <- commandArgs(trailingOnly = TRUE)
workers <- if (length(args) >= 1) as.integer(args[1]) else 2L
env_num <- function(name, default) {
  v <- Sys.getenv(name, "")
  if (identical(v, "none")) return(numeric(0))
  if (nzchar(v)) as.numeric(strsplit(v, ",")[[1]]) else default
}
pilot <- any(nzchar(Sys.getenv(c("D32_REPS", "D32_N", "D32_NOISE_J"))))
reps <- as.integer(env_num("D32_REPS", 10))
ns <- env_num("D32_N", round(10^seq(3, 4, by = 0.5)))
noise_j <- env_num("D32_NOISE_J", c(2, 4, 6))
noise_ref <- 0.1
n_fixed <- 1e4
out_file <- Sys.getenv("D32_OUT", "inst/extdata/sigmoid-gating-d32.rds")
plan(multisession, workers = workers)
t_start <- Sys.time()
load_start <- tryCatch(readLines("/proc/loadavg"), error = function(e) NA_character_)
logf <- function(...) cat(format(Sys.time(), "%H:%M:%S "), sprintf(...), "\n", sep = "")

d <- 32L
ks <- 8L
k <- 9L
jitter_sd <- 0.02
unif <- function(n) matrix(runif(n * d, -1, 1), n, d)
truth_par <- local({
  set.seed(2405)
  u <- matrix(rnorm(ks * d), ks, d)
  v <- matrix(rnorm(ks * d), ks, d)
  list(beta0 = runif(ks, -1, 1), beta1 = 2 * u / sqrt(rowSums(u^2)),
       eta = cbind(2 * v / sqrt(rowSums(v^2)), runif(ks, -0.5, 0.5)))
})
experts <- list(relu = expert_relu(), linear = expert_linear())
truth <- function(regime, expert, gate = gate_sigmoid()) {
  b1 <- truth_par$beta1
  if (regime == 1) b1[1, ] <- 0
  mixing_measure(truth_par$beta0, b1, truth_par$eta, expert = experts[[expert]], gate = gate)
}
cases <- expand.grid(regime = 1:2, expert = names(experts), stringsAsFactors = FALSE)
truths <- lapply(seq_len(nrow(cases)), function(i) truth(cases$regime[i], cases$expert[i]))
truths_soft <- lapply(seq_len(nrow(cases)), function(i) truth(cases$regime[i], cases$expert[i], gate_softmax()))

jit <- function(v, s = jitter_sd) v + rnorm(length(v), 0, s * (1 + abs(v)))
split_start <- function(G0, gate, jitter = TRUE) {
  J <- if (jitter) jit else identity
  b0 <- if (gate == "sigmoid") qlogis(plogis(G0$beta0[1]) / 2) else G0$beta0[1] - log(2)
  list(beta0 = J(c(rep(b0, 2), G0$beta0[-1])),
       beta1 = J(rbind(G0$beta1[1, ], G0$beta1[1, ], G0$beta1[-1, , drop = FALSE])),
       eta = J(rbind(G0$eta[1, ], G0$eta[1, ], G0$eta[-1, , drop = FALSE])))
}
ctl <- lse_control(max_iter = 500, warn = FALSE)

# G-bar of the Regime 2 truths: G* with atom 1 duplicated (the same gate twice), its expert split
# 1/2 : 1/2; f_G-bar = f_G* exactly (see the header)
gbar_of <- function(G0, t = 0.5) {
  mixing_measure(c(G0$beta0, G0$beta0[1]), rbind(G0$beta1, G0$beta1[1, ]), rbind(t * G0$eta[1, ], G0$eta[-1, ], (1 - t) * G0$eta[1, ]),
                 expert = G0$expert, gate = gate_sigmoid())
}
gbars <- lapply(seq_len(nrow(cases)), function(i) if (cases$regime[i] == 2) gbar_of(truths[[i]]))
gbar_check <- vapply(which(cases$regime == 2), function(i) {
  xc <- local({ set.seed(7); unif(1e4) })
  max(abs(predict(gbars[[i]], xc) - predict(truths[[i]], xc)))
}, 0)
logf("G-bar: max |f_G-bar - f_G*| on 1e4 points %s", paste(signif(gbar_check, 3), collapse = ", "))

# D3 against the nearest explicit 9-atom minimiser (see the header): an upper bound on the D3
# distance to the set of minimisers of ||f_G - f_G*||
d3_min <- function(G, G0) {
  mk <- function(b0, b1, eta) mixing_measure(b0, b1, eta, G0$expert, gate_sigmoid())
  vals <- numeric(0)
  for (j in seq_len(ks)) {
    f <- function(t) {
      eta <- G0$eta
      eta[j, ] <- t * G0$eta[j, ]
      Gb <- mk(c(G0$beta0, G0$beta0[j]), rbind(G0$beta1, G0$beta1[j, ]), rbind(eta, (1 - t) * G0$eta[j, ]))
      voronoi_loss_sigmoid(G, Gb, "D3")$value
    }
    vals <- c(vals, optimize(f, c(0, 1))$objective)
  }
  for (i in seq_len(nrow(G$eta))) {
    Gb <- mk(c(G0$beta0, G$beta0[i]), rbind(G0$beta1, G$beta1[i, ]), rbind(G0$eta, 0 * G0$eta[1, ]))
    vals <- c(vals, voronoi_loss_sigmoid(G, Gb, "D3")$value)
  }
  min(vals)
}

tasks <- expand.grid(case = seq_len(nrow(cases)), rep = seq_len(reps), n = ns)
tasks$noise_sd <- noise_ref
if (length(noise_j)) {
  tasks <- rbind(tasks, transform(expand.grid(case = seq_len(nrow(cases)), rep = seq_len(reps),
                                              noise_sd = noise_ref * 10^(-noise_j / 2)), n = n_fixed)[names(tasks)])
}
tasks$n_eff <- tasks$n * (noise_ref / tasks$noise_sd)^2
tasks$id <- seq_len(nrow(tasks))
xs_eval <- local({ set.seed(99); unif(2e4) })

one <- function(t) {
  cpu0 <- proc.time()
  i <- tasks$case[t]; n <- tasks$n[t]; sd <- tasks$noise_sd[t]; ex <- cases$expert[i]; regime <- cases$regime[i]
  set.seed(32000 + tasks$id[t], kind = "Mersenne-Twister", normal.kind = "Inversion")
  G0 <- truths[[i]]; G0s <- truths_soft[[i]]
  sim <- simulate_moe(G0, n = n, noise_sd = sd, x = unif)
  eps <- as.vector(sim$y) - as.vector(predict(G0, sim$x))
  y_soft <- as.vector(predict(G0s, sim$x)) + eps
  st_sig <- if (regime == 2) {
    gb <- gbars[[i]]
    list(beta0 = jit(gb$beta0), beta1 = jit(gb$beta1), eta = jit(gb$eta))
  } else split_start(G0, "sigmoid")
  fit <- function(y, gate, start) {
    t0 <- proc.time()
    f <- tryCatch(moe_lse_fit(sim$x, y, k = k, expert = G0$expert, gate = gate, start = start, control = ctl),
                  error = function(e) NULL)
    list(fit = f, cpu = sum((proc.time() - t0)[c("user.self", "sys.self")], na.rm = TRUE))
  }
  sg <- fit(sim$y, gate_sigmoid(), st_sig)
  sm <- fit(y_soft, gate_softmax(), split_start(G0s, "softmax"))
  reg <- function(M, T) sqrt(mean((predict(M, xs_eval) - predict(T, xs_eval))^2))
  loss <- c()
  if (!is.null(sg$fit)) {
    G <- as_mixing_measure(sg$fit)
    loss <- c(loss, regression_sigmoid = reg(G, G0), if (regime == 1) {
      c(D1 = voronoi_loss_sigmoid(G, G0, "D1")$value, D2 = voronoi_loss_sigmoid(G, G0, "D2", r = 2)$value)
    } else {
      c(D3 = voronoi_loss_sigmoid(G, gbars[[i]], "D3")$value, D3min = d3_min(G, G0))
    })
  }
  if (!is.null(sm$fit)) {
    Gs <- as_mixing_measure(sm$fit)
    loss <- c(loss, regression_softmax = reg(Gs, G0s),
              softmax = as.double(voronoi_loss(Gs, G0s, type = if (ex == "linear") "D2" else "D1", r = 2)))
  }
  info <- function(f) if (is.null(f)) c(NA, NA, NA) else c(f$iterations, f$converged, f$rss)
  cpu <- proc.time() - cpu0
  rows <- data.frame(row.names = NULL, regime = regime, expert = ex, n = n, noise_sd = sd, n_eff = tasks$n_eff[t],
                     rep = tasks$rep[t], loss = names(loss), value = unname(loss),
                     iter_sigmoid = info(sg$fit)[1], converged_sigmoid = as.logical(info(sg$fit)[2]),
                     rss_sigmoid = info(sg$fit)[3], cpu_fit_sigmoid = sg$cpu,
                     iter_softmax = info(sm$fit)[1], converged_softmax = as.logical(info(sm$fit)[2]),
                     rss_softmax = info(sm$fit)[3], cpu_fit_softmax = sm$cpu,
                     cpu = sum(cpu[c("user.self", "sys.self")], na.rm = TRUE))
  if (!length(loss)) rows <- rows[0, ]
  rows
}

slope_table <- function(res, axis = c("n", "n_eff")) {
  axis <- match.arg(axis)
  if (axis == "n") res <- res[res$noise_sd == noise_ref, ]
  s <- do.call(rbind, lapply(split(res, list(res$regime, res$expert, res$loss), drop = TRUE), function(s) {
    s <- s[is.finite(s$value) & s$value > 0, ]
    s$a <- s[[axis]]
    if (length(unique(s$a)) < 2 || nrow(s) < 3) return(NULL)
    m <- lm(log(value) ~ log(a), data = s)
    ci <- confint(m)["log(a)", ]
    data.frame(regime = s$regime[1], expert = s$expert[1], loss = s$loss[1], axis = axis, slope = unname(coef(m)[2]),
               lower = unname(ci[1]), upper = unname(ci[2]), min = min(s$a), max = max(s$a), n_fits = nrow(s))
  }))
  rownames(s) <- NULL
  s
}

ck_dir <- Sys.getenv("D32_CHECKPOINT", file.path(tools::R_user_dir("lsmoe", "cache"), "checkpoints", "sigmoid-gating-d32"))
if (identical(ck_dir, "none")) ck_dir <- NULL
ck_key <- lsmoe:::checkpoint_key(list(tasks = tasks, cases = cases, truths = truths, truths_soft = truths_soft, gbars = gbars,
                                      xs_eval = xs_eval, ctl = ctl, code = list(one, split_start, jit, d3_min, unif, truth, gbar_of),
                                      options = lsmoe:::task_options()))
results <- NULL
save_state <- function(partial) {
  out <- list(results = results, slopes = slope_table(results), slopes_n_eff = slope_table(results, "n_eff"),
              tasks = tasks, truth = truth_par, truths = truths, truths_softmax = truths_soft, gbars = gbars,
              gbar_check = gbar_check, cases = cases,
              settings = list(d = d, k_true = ks, k = k, ns = ns, reps = reps, noise_ref = noise_ref, n_fixed = n_fixed,
                              noise_j = noise_j, jitter = jitter_sd, control = ctl, workers = workers, pilot = pilot),
              companion = data.frame(regime = c(1, 1, 2, 2), expert = c("relu", "linear", "relu", "linear"),
                                     loss = c("D1", "D2", "D3", "D3"), slope = c(-0.46, -0.02, -0.48, -0.42)),
              wall_minutes = as.numeric(difftime(Sys.time(), t_start, units = "mins")),
              cpu_minutes_workers = sum(results$cpu[!duplicated(results[c("regime", "expert", "n", "noise_sd", "rep")])]) / 60,
              load_start = load_start, load_end = tryCatch(readLines("/proc/loadavg"), error = function(e) NA_character_),
              partial = partial, lsmoe_version = as.character(utils::packageVersion("lsmoe")))
  dir.create(dirname(out_file), showWarnings = FALSE, recursive = TRUE)
  saveRDS(out, out_file, compress = "xz")
  out
}
run_chunk <- function(ids) {
  out <- lsmoe:::checkpoint_lapply(ids, one, seeds = TRUE, checkpoint = ck_dir, key = ck_key,
                                   what = "data-raw/sigmoid-gating-d32.R",
                                   how = "Run the script again with the same arguments and environment")
  results <<- rbind(results, do.call(rbind, out))
  st <- save_state(partial = TRUE)
  logf("done %d tasks (n = %s, noise sd %s): wall %.1f min, worker CPU %.1f min", length(ids),
       paste(unique(tasks$n[ids]), collapse = ","), paste(signif(unique(tasks$noise_sd[ids]), 3), collapse = ","),
       st$wall_minutes, st$cpu_minutes_workers)
}
on_n <- tasks$noise_sd == noise_ref
for (n in ns) run_chunk(tasks$id[on_n & tasks$n == n])
for (sd in sort(unique(tasks$noise_sd[!on_n]), decreasing = TRUE)) run_chunk(tasks$id[tasks$noise_sd == sd])
st <- save_state(partial = FALSE)
if (!is.null(ck_dir)) unlink(ck_dir, recursive = TRUE)
print(st$slopes, digits = 3)
print(st$slopes_n_eff, digits = 3)
cat(sprintf("wall time %.1f minutes, worker CPU %.1f minutes (%d workers); load %s -> %s\n",
            st$wall_minutes, st$cpu_minutes_workers, workers, load_start, st$load_end))
