# Fits with hundreds of parameters (issue 26): the cost of a pass, of J'J's accumulation against
# a matrix product of the same shape, and of fits from near the truth and by default, over
# d in {1, 4, 10, 32}, k in {3, 5, 9} sigmoid experts (softmax gate), n in {1e4, 1e5, 1e6}.
#
#   make bench                                     (package installed into .lib first)
#   R_LIBS=/path/to/lib Rscript bench/scale.R      (any library holding lsmoe)
#
# Environment: LSMOE_BENCH_SCALE_N (default "1e4,1e5,1e6"), LSMOE_BENCH_SCALE_D (default
# "1,4,10,32"), LSMOE_BENCH_SCALE_K (default "3,5,9"), LSMOE_BENCH_OUT (directory of
# results-scale.md and .csv, default "bench" when it exists). About 15 minutes on a shared
# 2-core machine. A script, not a test: nothing asserts a time; every speed claim is a ratio of
# timings made in alternation in this run, and the 1-minute load is recorded.
#
# Data: X ~ U[0, 1]^d, Y = f_G*(X) + N(0, 0.1^2), a seeded random truth per (d, k) (gate slopes
# N(0, 2^2), expert slopes N(0, 1.5^2), intercepts centring both at x = 1/2). p = (2k - 1)(d + 1).
# Columns (one thread throughout):
# * acc: the accumulation of J'J the pass uses at this p and d (lsmoe::Accumulation: dots,
#   rank_update or structured; fused.hpp).
# * pass s: seconds of one pass with the Jacobian (cpp_normal_equations() at the truth; repeated
#   for at least 0.2 s), median of `reps` (3, 1 at n = 1e6); dots s: the same pass with the dot products forced (n <= 1e5),
#   and dots/pass, the median ratio of the two timed in alternation.
# * acc GF/s: n p (p + 1) (the multiply-adds of J'J's lower triangle, 2 flops each) over the
#   seconds of the accumulation (pass s minus a pass without the Jacobian, cpp_fitted());
#   gemm GF/s: 2 n' p^2 over the seconds of Eigen's GEMM A += J'J of the same shape (AVX2 build,
#   blocks of 256 rows, n' = min(n, 1e5) rows), timed in alternation with the pass;
#   acc/gemm: their ratio (the target: at least 1/2 at p = 561). acc GF/s is left out (-) where
#   the accumulation takes less than 5% of the pass (small p: it is lost in the timing noise).
#   The csv also has fitted_s, the seconds of the pass without the Jacobian.
# * iter, truth s, s/iter: a fit from the truth perturbed by N(0, (0.05 max(1, |theta|))^2)
#   (lse_control(n_perturb = 0, max_iter = 200, restart = FALSE)): LM iterations (with a Newton
#   polish's, for p <= 200 at the iteration limit), seconds, and seconds per iteration (the whole
#   fit's, with its fixed costs: standardising x, the fitted values, the object; at n = 1e6 they
#   are seconds); conv: its convergence. Skipped (NA) when its estimated time (15
#   passes) exceeds 150 s.
# * default s: moe_lse_fit(x, y, k) with every default (set.seed(1)), at n = 1e4 for p <= 100
#   and at n = 1e5 for p <= 30 only (50 starts, their refinement and the perturbation search:
#   87 s already at d = 4, k = 9, n = 1e4 in a trial run; minutes for p in the hundreds).
suppressPackageStartupMessages(library(lsmoe))
num_env <- function(v, def) as.numeric(strsplit(Sys.getenv(v, def), ",")[[1]])
ns <- num_env("LSMOE_BENCH_SCALE_N", "1e4,1e5,1e6")
ds <- num_env("LSMOE_BENCH_SCALE_D", "1,4,10,32")
ks <- num_env("LSMOE_BENCH_SCALE_K", "3,5,9")
out_dir <- Sys.getenv("LSMOE_BENCH_OUT", if (dir.exists("bench")) "bench" else ".")
load0 <- readLines("/proc/loadavg")
elapsed <- function(expr) {
  t0 <- proc.time()[["elapsed"]]
  force(expr)
  proc.time()[["elapsed"]] - t0
}
# Seconds per call of f(), repeated until 0.2 s have passed (a pass at small n takes microseconds).
per_call <- function(f) {
  r <- 0
  t <- 0
  while (t < 0.2) {
    t <- t + elapsed(f())
    r <- r + 1
  }
  t / r
}
truth_dk <- function(d, k, seed = 1) {
  set.seed(seed)
  beta1 <- matrix(rnorm(k * d, 0, 2), k, d)
  beta1[k, ] <- 0
  beta0 <- -as.vector(beta1 %*% rep(0.5, d)) + rnorm(k, 0, 0.5)
  beta0[k] <- 0
  a <- matrix(rnorm(k * d, 0, 1.5), k, d)
  list(beta0 = beta0, beta1 = beta1, eta = cbind(a, -as.vector(a %*% rep(0.5, d)) + rnorm(k)))
}
e <- expert_sigmoid()
rows <- list()
for (d in ds) for (k in ks) {
  tr <- truth_dk(d, k)
  G <- do.call(mixing_measure, c(tr, list(expert = e)))
  th <- lsmoe:::cpp_pack(tr$beta0, tr$beta1, tr$eta, e)$theta
  p <- length(th)
  set.seed(2)
  start <- lapply(tr, function(v) v + rnorm(length(v), 0, 0.05 * pmax(1, abs(v))))
  start$beta0[k] <- 0
  start$beta1[k, ] <- 0
  for (n in ns) {
    set.seed(3)
    s <- simulate_moe(G, n = n, noise_sd = 0.1)
    reps <- if (n >= 1e6) 1 else 3
    ne <- function(acc) lsmoe:::cpp_normal_equations(s$x, s$y, numeric(0), th, e, k, 1L, "softmax", TRUE, FALSE, acc)
    acc <- ne("auto")$accumulation
    with_dots <- n <= 1e5 && acc != "dots"
    n_gemm <- min(n, 1e5)
    tm <- replicate(reps, c(
      pass = per_call(function() ne("auto")),
      dots = if (with_dots) per_call(function() ne("dots")) else NA,
      fitted = per_call(function() lsmoe:::cpp_fitted(s$x, th, e, k, 1L, "softmax", TRUE)),
      gemm = per_call(function() lsmoe:::cpp_gemm_seconds(p, n_gemm, 256L))))
    pass_s <- median(tm["pass", ])
    # the accumulation's seconds, where they stand out of the timing noise of the two passes
    acc_s <- tm["pass", ] - tm["fitted", ]
    acc_gf <- ifelse(acc_s > 0.05 * tm["pass", ], n * p * (p + 1) / acc_s / 1e9, NA)
    gemm_gf <- 2 * n_gemm * p^2 / tm["gemm", ] / 1e9
    fit_est <- 15 * pass_s
    fit <- list(iterations = NA, converged = NA)
    t_truth <- NA
    if (fit_est <= 150) {
      ctl <- lse_control(n_perturb = 0, max_iter = 200, restart = FALSE, threads = 1, warn = FALSE)
      t_truth <- elapsed(fit <- moe_lse_fit(s$x, s$y, k = k, expert = e, start = start, control = ctl))
    }
    t_default <- NA
    if ((n <= 1e4 && p <= 100) || (n <= 1e5 && p <= 30)) {
      set.seed(1)
      t_default <- elapsed(moe_lse_fit(s$x, s$y, k = k, expert = e, control = lse_control(threads = 1, warn = FALSE)))
    }
    rows[[length(rows) + 1]] <- data.frame(
      d = d, k = k, p = p, n = n, acc = acc, reps = reps, pass_s = pass_s, fitted_s = median(tm["fitted", ]),
      dots_s = if (with_dots) median(tm["dots", ]) else NA,
      dots_over_pass = if (with_dots) median(tm["dots", ] / tm["pass", ]) else NA,
      acc_gflops = median(acc_gf), gemm_gflops = median(gemm_gf), acc_over_gemm = median(acc_gf / gemm_gf),
      iterations = fit$iterations, converged = fit$converged, truth_s = t_truth,
      s_per_iter = t_truth / fit$iterations, default_s = t_default)
    print(tail(rows[[length(rows)]], 1), digits = 3, row.names = FALSE)
  }
}
res <- do.call(rbind, rows)
load_line <- sprintf("1-minute load average %s at the start, %s at the end (2 cores, shared).",
                     strsplit(load0, " ")[[1]][1], strsplit(readLines("/proc/loadavg"), " ")[[1]][1])
cat(load_line, "\n")
utils::write.csv(res, file.path(out_dir, "results-scale.csv"), row.names = FALSE)
f <- function(x, fmt) ifelse(is.na(x), "-", sprintf(fmt, x))
md <- c("# Fits with hundreds of parameters (bench/scale.R)", "",
        "Generated by `Rscript bench/scale.R`; see its header for the columns. One thread, sigmoid experts,",
        "softmax gate, p = (2k - 1)(d + 1). `-`: not run (the dot products are timed at n <= 1e5 where",
        "the pass does not use them; near-truth fits whose 15 passes would exceed 150 s and default fits",
        "beyond n = 1e4 with p <= 100 and n = 1e5 with p <= 30 are skipped to keep the run near 15",
        "minutes).", "",
        "| d | k | p | n | acc | pass s | dots s | dots/pass | acc GF/s | gemm GF/s | acc/gemm | iter | conv | truth s | s/iter | default s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        sprintf("| %d | %d | %d | %g | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
                res$d, res$k, res$p, res$n, res$acc, f(res$pass_s, "%.3g"), f(res$dots_s, "%.3g"),
                f(res$dots_over_pass, "%.2f"), f(res$acc_gflops, "%.1f"), f(res$gemm_gflops, "%.1f"),
                f(res$acc_over_gemm, "%.2f"), f(res$iterations, "%d"),
                ifelse(is.na(res$converged), "-", as.character(res$converged)), f(res$truth_s, "%.2f"),
                f(res$s_per_iter, "%.3f"), f(res$default_s, "%.2f")),
        "", sprintf("%s; lsmoe %s; kernel %s; run %s. %s", R.version.string, utils::packageVersion("lsmoe"),
                    lsmoe:::cpp_simd_kernel(), format(Sys.time(), "%Y-%m-%d %H:%M"), load_line))
writeLines(md, file.path(out_dir, "results-scale.md"))
cat("Wrote", file.path(out_dir, "results-scale.md"), "\n")
