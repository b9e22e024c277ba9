# Benchmark: time one least squares fit of moe_lse() against its peers, on the same data and from
# the same start, and time a default fit (all default starts).
#
#   make bench                                     (package installed into .lib first)
#   R_LIBS=/path/to/lib Rscript bench/fit.R        (any library holding lsmoe)
#
# Environment variables: LSMOE_BENCH_N (comma-separated sample sizes, default "1e3,1e4,1e5,1e6"),
# LSMOE_BENCH_OUT (directory for the results, default "bench" when it exists, else "."),
# LSMOE_BENCH_FLEXMIX_MAX_N (largest n at which flexmix runs to convergence, default 1e4),
# LSMOE_BENCH_CONTENTION_N (n of the contention rows, default the largest n; 0 skips them).
# Writes results-fit.csv and results-fit.md there and prints the same table. Takes about 15
# minutes on a 2-core machine with n up to 1e6 (nlsLM, gslnls and flexmix dominate). This is a
# script, not a test: nothing asserts a time. A speed claim is a ratio measured within one run;
# the 1-minute load average is recorded at the start and at the end.
#
# Peers, all fitting k = 3 components to the same data from the same start (except flexmix):
# * moe_lse t=1, t=2  lsmoe's normal-equations Levenberg-Marquardt (LM): each iteration one fused
#                  pass over the rows accumulating J'J and J'r (analytic Jacobian, no n x p
#                  matrix), with threads = 1 and 2 (OpenMP over fixed chunks of 4096 rows, used
#                  only when each thread gets at least 2 chunks, i.e. n >= 16384). One given start,
#                  bounds off (bound_* = Inf), standardize = FALSE: the same parametrisation and
#                  the same data as the peers.
# * nlsLM          minpack.lm::nlsLM, the SAME model written in vectorised R (reference-category
#                  softmax gate with the last component anchored at 0, the same experts), with
#                  the analytic Jacobian passed as `jac` (MINPACK's lmder: QR of the n x p Jacobian).
# * gsl lm, gsl lmaccel  gslnls::gsl_nls (GSL's multifit_nlinear, trust-region LM, QR solver, More
#                  scaling), the same R model and analytic Jacobian, without and with geodesic
#                  acceleration (second directional derivative by finite differences).
# * flexmix        flexmix::flexmix(y ~ x, k = 3, concomitant = FLXPmultinom(~ x)): the EM peer
#                  users reach for (Gaussian linear experts, multinomial-logit gate, maximum
#                  likelihood rather than least squares, random initial partition). Its RSS is
#                  that of its gating-weighted regression function
#                  sum_j gate_j(x) * (alpha_j + gamma_j x), with gate_j the softmax of its
#                  concomitant coefficients. Above LSMOE_BENCH_FLEXMIX_MAX_N it is stopped after
#                  10 EM iterations (its time then understates a converged fit).
# * default t=1, t=2  moe_lse(X, y, k = 3, expert = ...) with every default (50 starts screened on
#                  2000 rows, best 3 refined on 20000 rows, best finished on all rows; standardised
#                  data, default bounds), set.seed(1), threads = 1 and 2. Its RSS is compared with
#                  the one-start fits' (column `RSS - RSS(t=1)`).
# * contention     at LSMOE_BENCH_CONTENTION_N, sigmoid experts: moe_lse t=1 and t=2 (one start)
#                  while another process (`Rscript -e 'repeat{}'`) keeps one core busy; it is
#                  killed right after, also on error.
#
# Tolerances: moe_lse lse_control(ftol = xtol = sqrt(eps), gtol = 0, max_iter = 500); nlsLM
# nls.lm.control(ftol = ptol = sqrt(eps), gtol = 0, factor = 100, maxiter = 500, maxfev = 5000);
# gsl_nls gsl_nls_control(xtol = ftol = sqrt(eps), gtol = 0, maxiter = 500). The stopping rules
# differ in detail between the three implementations (see their documentation), so the table
# gives the iterations and RSS each reached.
#
# Data: X ~ U[0, 1], Y = f_{G*}(X) + N(0, 0.1^2), k* = 3, with the truth below (gates switch near
# x = 0.2 and x = 0.7; sigmoid truth for the sigmoid rows, linear truth for the linear rows).
# Start (one-start rows): the true free parameters plus N(0, (0.2 max(1, |theta|))^2) noise, drawn
# once with seed 42, the same at every n.
#
# Columns: seconds = elapsed (wall-clock) seconds per fit, median of `reps` runs (reps = 5 below
# 0.2 s, 3 below 1.5 s, else 1); cpu = CPU seconds of this R process (user + system, summed over
# its threads); passes = moe_lse's passes over the rows (`fit$evaluations`); ns/obs/pass =
# 1e9 * seconds / (n * passes) and cpu ns/obs/pass = 1e9 * cpu / (n * passes), for the one-start
# moe_lse rows (on a shared machine the CPU figure of a 1-thread fit is the steadier one). For a
# default fit `fit$evaluations` counts the passes of the last stage of the best start only (the
# one on all rows), while `fit$iterations` sums its stages.

suppressPackageStartupMessages(library(lsmoe))
has_minpack <- requireNamespace("minpack.lm", quietly = TRUE)
has_gsl <- requireNamespace("gslnls", quietly = TRUE)
has_flexmix <- requireNamespace("flexmix", quietly = TRUE)
if (!has_minpack) message("minpack.lm is not installed: skipping the nlsLM rows")
if (!has_gsl) message("gslnls is not installed: skipping the gsl_nls rows")
if (!has_flexmix) message("flexmix is not installed: skipping the flexmix rows")

ns <- as.numeric(strsplit(Sys.getenv("LSMOE_BENCH_N", "1e3,1e4,1e5,1e6"), ",")[[1]])
out_dir <- Sys.getenv("LSMOE_BENCH_OUT", if (dir.exists("bench")) "bench" else ".")
contention_n <- as.numeric(Sys.getenv("LSMOE_BENCH_CONTENTION_N", format(max(ns), scientific = FALSE)))
k <- 3L
noise_sd <- 0.1
tol <- sqrt(.Machine$double.eps)
max_iter <- 500L
# flexmix's EM refits a multinomial logit (nnet) at every iteration and needs 70-140 iterations
# here: about 15-40 s at n = 1e4 and many minutes beyond. Above flexmix_max_n it is run for
# flexmix_cap_iter EM iterations only.
flexmix_max_n <- as.numeric(Sys.getenv("LSMOE_BENCH_FLEXMIX_MAX_N", "1e4"))
flexmix_cap_iter <- 10L
options(width = 180)

# ---- the truth (documented in the output) ------------------------------------------------------
gate <- list(beta0 = c(10, 7, 0), beta1 = matrix(c(-25, -10, 0), k, 1))
truths <- list(
  sigmoid = c(gate, list(eta = rbind(c(10, -1), c(-8, 4), c(6, -3)))),   # h = sigmoid(a x + b)
  linear  = c(gate, list(eta = rbind(c(3, 0), c(-2, 1.5), c(1, -0.5))))  # h = a x + b
)
experts <- list(sigmoid = expert_sigmoid(), linear = expert_linear())
theta_of <- function(p) lsmoe:::pack_theta(p$beta0, p$beta1, p$eta)
par_names <- c("g0.1", "g0.2", "g1.1", "g1.2", "a1", "b1", "a2", "b2", "a3", "b3")  # moe_lse's theta order

# ---- the model in vectorised R, for nlsLM and gsl_nls -----------------------------------------
# theta = (beta0_1, beta0_2, beta1_1, beta1_2, a_1, b_1, a_2, b_2, a_3, b_3), last gate anchored
# at 0. value() caches the gate, the experts and f, so that jac() at the same point (the
# solvers ask for the Jacobian at the last evaluated point) only assembles the columns:
#   df/dbeta0_j = w_j (h_j - f), df/dbeta1_j = x w_j (h_j - f), df/da_j = x w_j h'_j, df/db_j = w_j h'_j.
r_model <- function(expert_name) {
  cache <- new.env(parent = emptyenv())
  value <- function(x, k, th) {
    th <- as.numeric(unlist(th, use.names = FALSE))
    km1 <- k - 1L
    L <- cbind(outer(x, th[km1 + seq_len(km1)]) + rep(th[seq_len(km1)], each = length(x)), 0)
    L <- L - do.call(pmax, lapply(seq_len(k), function(j) L[, j]))
    W <- exp(L)
    W <- W / rowSums(W)
    E <- matrix(th[2L * km1 + seq_len(2L * k)], 2L)
    Z <- outer(x, E[1, ]) + rep(E[2, ], each = length(x))
    if (expert_name == "sigmoid") {
      H <- 1 / (1 + exp(-Z))
      D <- H * (1 - H)
    } else {
      H <- Z
      D <- 1
    }
    f <- rowSums(W * H)
    list2env(list(th = th, x = x, k = k, W = W, H = H, D = D, f = f), cache)
    f
  }
  jac <- function(x, k, th) {
    th <- as.numeric(unlist(th, use.names = FALSE))
    if (!identical(th, cache$th) || !identical(x, cache$x) || !identical(k, cache$k)) value(x, k, th)
    km1 <- k - 1L
    G <- cache$W[, seq_len(km1), drop = FALSE] * (cache$H[, seq_len(km1), drop = FALSE] - cache$f)
    WD <- cache$W * cache$D
    J <- matrix(0, length(x), 2L * km1 + 2L * k)
    J[, seq_len(km1)] <- G
    J[, km1 + seq_len(km1)] <- G * x
    J[, 2L * km1 + 2L * seq_len(k) - 1L] <- WD * x
    J[, 2L * km1 + 2L * seq_len(k)] <- WD
    J
  }
  list(value = value, jac = jac)
}

# ---- timing helper: median of a few repetitions where cheap -------------------------------------
# Elapsed (wall-clock) seconds, and the CPU seconds of this R process (user + system, all threads),
# which are less disturbed by other jobs on a shared machine. `once = TRUE` runs the fit once.
time_fit <- function(fun, once = FALSE) {
  res <- NULL
  one <- function() {
    gc(FALSE)
    tt <- system.time(res <<- fun(), gcFirst = FALSE)
    c(elapsed = tt[["elapsed"]], cpu = tt[["user.self"]] + tt[["sys.self"]])
  }
  t1 <- one()
  reps <- if (once) 1L else if (t1[["elapsed"]] < 0.2) 5L else if (t1[["elapsed"]] < 1.5) 3L else 1L
  times <- rbind(t1)
  while (nrow(times) < reps) times <- rbind(times, one())
  list(seconds = stats::median(times[, "elapsed"]), cpu = stats::median(times[, "cpu"]), reps = reps, fit = res)
}
load_avg <- function() {
  if (file.exists("/proc/loadavg")) strsplit(readLines("/proc/loadavg", n = 1), " ")[[1]][1] else "n/a"
}

softmax_rows <- function(L) {
  P <- exp(L - apply(L, 1, max))
  P / rowSums(P)
}

flexmix_rss <- function(fm, x, y) {
  g <- flexmix::parameters(fm, which = "concomitant")  # (1 + d) x k, first column 0
  b <- flexmix::parameters(fm)                          # coef.(Intercept), coef.x, sigma by component
  X1 <- cbind(1, x)
  f <- rowSums(softmax_rows(X1 %*% g) * (X1 %*% b[c("coef.(Intercept)", "coef.x"), , drop = FALSE]))
  sum((y - f)^2)
}

# A process that keeps one core busy, started in the background; returns its pid.
start_hog <- function() {
  rscript <- file.path(R.home("bin"), "Rscript")
  pid <- system(sprintf("%s --vanilla -e 'repeat{}' >/dev/null 2>&1 & echo $!", shQuote(rscript)), intern = TRUE)
  pid <- as.integer(pid[length(pid)])
  Sys.sleep(1)  # let it start spinning
  pid
}
stop_hog <- function(pid) {
  if (!is.na(pid)) tools::pskill(pid, tools::SIGKILL)
  invisible()
}

rows <- list()
add_row <- function(n, expert, method, tm, iterations = NA_integer_, passes = NA_integer_, rss = NA_real_,
                    converged = NA, per_pass = FALSE) {
  rows[[length(rows) + 1L]] <<- data.frame(
    n = n, expert = expert, method = method, seconds = tm$seconds, cpu = tm$cpu, reps = tm$reps,
    iterations = iterations, passes = passes, rss = rss, converged = converged,
    ns_per_obs_pass = if (per_pass) 1e9 * tm$seconds / (n * max(1, passes)) else NA_real_,
    cpu_ns_per_obs_pass = if (per_pass) 1e9 * tm$cpu / (n * max(1, passes)) else NA_real_,
    stringsAsFactors = FALSE)
}
truth_rss <- list()
bench_start <- Sys.time()
load_start <- load_avg()
message(sprintf("load average at the start: %s", load_start))

one_start_control <- function(threads) {
  lse_control(n_starts = 1, ftol = tol, xtol = tol, gtol = 0, max_iter = max_iter,
              bound_gate = Inf, bound_expert = Inf, bound_output = Inf, standardize = FALSE,
              threads = threads, warn = FALSE, polish = FALSE)  # the Levenberg-Marquardt fit alone
}

for (n in ns) {
  for (ename in names(truths)) {
    message(sprintf("n = %g, %s experts", n, ename))
    p <- truths[[ename]]
    set.seed(1)
    x <- stats::runif(n)
    rm0 <- r_model(ename)
    f_true <- rm0$value(x, k, theta_of(p))
    y <- f_true + stats::rnorm(n, sd = noise_sd)
    rm(rm0)
    truth_rss[[sprintf("%s n=%g", ename, n)]] <- sum((y - f_true)^2)
    th_true <- theta_of(p)
    set.seed(42)
    th0 <- th_true + stats::rnorm(length(th_true), sd = 0.2 * pmax(1, abs(th_true)))
    start <- lsmoe:::unpack_theta(th0, k, 1L, 2L)
    X <- matrix(x, ncol = 1, dimnames = list(NULL, "x"))
    peers_once <- n >= 1e6  # nlsLM, gsl_nls and flexmix run once at n = 1e6

    # moe_lse, one start, 1 and 2 threads
    for (th in 1:2) {
      ctl <- one_start_control(th)
      tm <- time_fit(function() moe_lse(X, y, k = k, expert = experts[[ename]], start = start, control = ctl))
      f <- tm$fit
      add_row(n, ename, sprintf("moe_lse t=%d", th), tm, f$iterations, f$evaluations, f$rss, f$converged,
              per_pass = TRUE)
    }

    if (has_minpack) {
      rmod <- r_model(ename)
      moe_r <- rmod$value
      fml <- stats::as.formula(paste0("y ~ moe_r(x, k, list(", paste(par_names, collapse = ", "), "))"))
      # `data` is a list holding k, a variable of another length than x: nlsLM then evaluates in
      # `data` directly. (With a data frame, minpack.lm 1.2.3's nlsLM passes `jac` on to
      # model.frame() and fails with "invalid type (closure) for variable '(jac)'".)
      dat <- list(x = x, y = y, k = k)
      st <- stats::setNames(as.list(th0), par_names)
      nctl <- minpack.lm::nls.lm.control(ftol = tol, ptol = tol, gtol = 0, factor = 100, maxiter = max_iter, maxfev = 5000)
      jac <- function(par, ...) -rmod$jac(x, k, par)  # Jacobian of the residuals y - f
      tm <- time_fit(function() minpack.lm::nlsLM(fml, data = dat, start = st, jac = jac, control = nctl), once = peers_once)
      g <- tm$fit
      add_row(n, ename, "nlsLM", tm, g$convInfo$finIter, NA_integer_, stats::deviance(g), g$convInfo$isConv)
      rm(g, tm, dat, jac, rmod, moe_r)
    }

    if (has_gsl) {
      rmod <- r_model(ename)
      gctl <- gslnls::gsl_nls_control(maxiter = max_iter, xtol = tol, ftol = tol, gtol = .Machine$double.xmin)  # gtol must be > 0: effectively off
      st <- stats::setNames(th0, par_names)
      for (alg in c("lm", "lmaccel")) {
        tm <- time_fit(function() {
          gslnls::gsl_nls(fn = function(th) rmod$value(x, k, th), y = y, start = st, algorithm = alg,
                          control = gctl, jac = function(th) rmod$jac(x, k, th))
        }, once = peers_once)
        g <- tm$fit
        add_row(n, ename, paste("gsl", alg), tm, g$convInfo$finIter, NA_integer_, stats::deviance(g),
                g$convInfo$isConv)
        rm(g, tm)
      }
      rm(rmod)
    }

    if (has_flexmix) {
      d <- data.frame(x = x, y = y)
      capped <- n > flexmix_max_n
      fctl <- if (capped) list(iter.max = flexmix_cap_iter) else list()
      tm <- time_fit(function() {
        set.seed(3)
        flexmix::flexmix(y ~ x, data = d, k = k, concomitant = flexmix::FLXPmultinom(~ x), control = fctl)
      }, once = peers_once)
      fm <- tm$fit
      add_row(n, ename,
              if (capped) sprintf("flexmix (capped at %d EM its, %d comps)", flexmix_cap_iter, fm@k) else
                sprintf("flexmix (%d comps)", fm@k),
              tm, fm@iter, NA_integer_, flexmix_rss(fm, x, y), fm@converged)
      rm(fm, tm, d)
    }

    # default fit: all default starts
    for (th in 1:2) {
      tm <- time_fit(function() {
        set.seed(1)
        moe_lse(X, y, k = k, expert = experts[[ename]], control = lse_control(threads = th))
      }, once = n >= 1e6)
      f <- tm$fit
      add_row(n, ename, sprintf("default t=%d", th), tm, f$iterations, f$evaluations, f$rss, f$converged)
    }
    rm(f, tm)

    # contention: one core kept busy by another process
    if (ename == "sigmoid" && n == contention_n) {
      for (th in 1:2) {
        pid <- NA_integer_
        tm <- tryCatch({
          pid <- start_hog()
          ctl <- one_start_control(th)
          time_fit(function() moe_lse(X, y, k = k, expert = experts[[ename]], start = start, control = ctl))
        }, finally = stop_hog(pid))
        f <- tm$fit
        add_row(n, ename, sprintf("moe_lse t=%d, 1 core busy", th), tm, f$iterations, f$evaluations, f$rss,
                f$converged, per_pass = TRUE)
      }
    }
    gc(FALSE)
  }
}

res <- do.call(rbind, rows)
ref_of <- function(i, col) res[[col]][res$n == res$n[i] & res$expert == res$expert[i] & res$method == "moe_lse t=1"]
res$ratio_to_moe_lse <- vapply(seq_len(nrow(res)), function(i) res$seconds[i] / ref_of(i, "seconds"), numeric(1))
res$cpu_ratio_to_moe_lse <- vapply(seq_len(nrow(res)), function(i) res$cpu[i] / ref_of(i, "cpu"), numeric(1))
res$rss_minus_moe_lse <- vapply(seq_len(nrow(res)), function(i) res$rss[i] - ref_of(i, "rss"), numeric(1))
res <- res[, c("n", "expert", "method", "seconds", "cpu", "reps", "ratio_to_moe_lse", "cpu_ratio_to_moe_lse",
               "iterations", "passes", "ns_per_obs_pass", "cpu_ns_per_obs_pass", "rss", "rss_minus_moe_lse", "converged")]

fmt_g <- function(v, digits = 3) ifelse(is.na(v), "", formatC(v, format = "g", digits = digits))
tab <- data.frame(
  n = format(res$n, scientific = TRUE, digits = 1),
  expert = res$expert, method = res$method,
  `s/fit` = fmt_g(res$seconds), `cpu s` = fmt_g(res$cpu), reps = res$reps,
  `x t=1` = formatC(res$ratio_to_moe_lse, format = "f", digits = 2),
  `cpu x t=1` = formatC(res$cpu_ratio_to_moe_lse, format = "f", digits = 2),
  iter = ifelse(is.na(res$iterations), "", res$iterations),
  passes = ifelse(is.na(res$passes), "", res$passes),
  `ns/obs/pass` = ifelse(is.na(res$ns_per_obs_pass), "", formatC(res$ns_per_obs_pass, format = "f", digits = 0)),
  `cpu ns/obs/pass` = ifelse(is.na(res$cpu_ns_per_obs_pass), "", formatC(res$cpu_ns_per_obs_pass, format = "f", digits = 0)),
  RSS = formatC(res$rss, format = "f", digits = 3),
  `RSS - RSS(t=1)` = formatC(res$rss_minus_moe_lse, format = "g", digits = 2),
  conv = ifelse(res$converged, "yes", "NO"),
  check.names = FALSE, stringsAsFactors = FALSE)
md_table <- function(df) {
  c(paste0("| ", paste(names(df), collapse = " | "), " |"),
    paste0("|", paste(rep("---", ncol(df)), collapse = "|"), "|"),
    apply(df, 1, function(r) paste0("| ", paste(trimws(r), collapse = " | "), " |")))
}
elapsed <- as.numeric(difftime(Sys.time(), bench_start, units = "secs"))
load_end <- load_avg()

cat("\nlsmoe benchmark: one least squares fit from one start, and a default fit; k = 3, d = 1\n\n")
print(tab, row.names = FALSE, right = TRUE)
cat(sprintf("\nRSS at the true parameters: %s\n",
            paste(sprintf("%s %.3f", names(truth_rss), unlist(truth_rss)), collapse = "; ")))
cat(sprintf("Total benchmark time: %.0f s; 1-minute load average %s at the start, %s at the end (%d cores)\n",
            elapsed, load_start, load_end, parallel::detectCores()))

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
csv <- file.path(out_dir, "results-fit.csv")
utils::write.csv(res, csv, row.names = FALSE)
md <- file.path(out_dir, "results-fit.md")
pkg_v <- function(p, has) if (has) as.character(utils::packageVersion(p)) else "-"
info <- sprintf(paste0("R %s; lsmoe %s; minpack.lm %s; gslnls %s; flexmix %s; %s; %d cores (`parallel::detectCores()`), ",
                       "shared with other jobs; run %s, %.0f s; 1-minute load average %s at the start, %s at the end."),
                getRversion(), utils::packageVersion("lsmoe"), pkg_v("minpack.lm", has_minpack), pkg_v("gslnls", has_gsl),
                pkg_v("flexmix", has_flexmix), utils::sessionInfo()$running, parallel::detectCores(),
                format(Sys.time(), "%Y-%m-%d %H:%M"), elapsed, load_start, load_end)
writeLines(c(
  "# Benchmark: one least squares fit (bench/fit.R)",
  "",
  "Generated by `make bench` (`Rscript bench/fit.R`); the data, truth, start and tolerances are",
  "documented at the top of the script. k = 3 components, d = 1, X ~ U[0, 1], noise sd 0.1.",
  "`s/fit` is elapsed seconds per fit (median of `reps` runs), `cpu s` the CPU seconds of the R process",
  "(all threads). `x t=1` and `cpu x t=1` divide them by those of `moe_lse t=1` at the same n and expert.",
  "`moe_lse t=1`/`t=2` (1 or 2 threads), `nlsLM` (minpack.lm), `gsl lm` and `gsl lmaccel` (gslnls)",
  "start from the same point, with analytic Jacobians (the peers' model is vectorised R) and relative",
  "tolerances sqrt(eps), gtol = 0, at most 500 iterations; moe_lse without bounds and without",
  "standardisation. `passes` counts moe_lse's passes over the rows (`fit$evaluations`; for a default fit",
  "only those of the best start's last stage, on all rows); `ns/obs/pass` and `cpu ns/obs/pass` are its",
  "elapsed and CPU time per observation per pass. flexmix (EM, linear experts, multinomial gate, one random start, seed 3)",
  sprintf("maximises a likelihood; its RSS is that of its gating-weighted regression function; above n = %g", flexmix_max_n),
  sprintf("it is stopped after %d EM iterations (`comps`: components it kept). `default t=1`/`t=2` is `moe_lse(X, y, k = 3, expert = ...)`", flexmix_cap_iter),
  "with all defaults (50 starts screened on 2000 rows; at n = 1e4 10 finished on all rows, above 3 refined on 20000, 1 finished on all rows;",
  "standardised, default bounds; set.seed(1)); its `iter` sums the stages of the best start.",
  "`RSS - RSS(t=1)` compares each RSS with the one-start moe_lse fit. The rows `1 core busy` repeat the",
  "one-start fit while another process (`Rscript -e 'repeat{}'`) keeps one of the 2 cores busy.",
  "Peers at n = 1e6 and default fits at n = 1e6 run once.",
  "",
  md_table(tab),
  "",
  sprintf("RSS at the true parameters: %s.", paste(sprintf("%s %.3f", names(truth_rss), unlist(truth_rss)), collapse = "; ")),
  "",
  info
), md)
cat(sprintf("Wrote %s and %s\n", normalizePath(csv), normalizePath(md)))
