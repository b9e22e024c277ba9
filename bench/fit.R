# Benchmark: time one least squares fit of moe_lse() against its peers, on the same data.
#
#   make bench                                     (package installed into .lib first)
#   R_LIBS=/path/to/lib Rscript bench/fit.R        (any library holding lsmoe)
#
# Environment variables: LSMOE_BENCH_N (comma-separated sample sizes, default "1e3,1e4,1e5"),
# LSMOE_BENCH_OUT (directory for the results, default "bench" when it exists, else "."),
# LSMOE_BENCH_FLEXMIX_MAX_N (largest n at which flexmix runs to convergence, default 1e4).
# Writes results-fit.csv and results-fit.md there and prints the same table. Takes about 2
# minutes on a 2-core machine. This is a script, not a test: nothing asserts a time.
#
# Peers, all fitting k = 3 components to the same data:
# * moe_lse        lsmoe's C++ Levenberg-Marquardt (Eigen's port of MINPACK's lmder) with the
#                  analytic Jacobian, one given start, no bounds.
# * nlsLM          minpack.lm::nlsLM, the SAME model written in vectorised R (reference-category
#                  softmax gate with the last component anchored at 0, the same experts), with
#                  the analytic Jacobian passed as `jac` (minpack.lm's lmder: the same algorithm
#                  as moe_lse), the same start and the same stopping rules.
# * nlsLM-numjac   nlsLM on the same formula without `jac`, i.e. forward-difference Jacobians:
#                  what a user typically writes.
# * flexmix        flexmix::flexmix(y ~ x, k = 3, concomitant = FLXPmultinom(~ x)): the EM peer
#                  users reach for (Gaussian linear experts, multinomial-logit gate, maximum
#                  likelihood rather than least squares, random initial partition). Its RSS is
#                  that of its gating-weighted regression function
#                  sum_j gate_j(x) * (alpha_j + gamma_j x), with gate_j the softmax of its
#                  concomitant coefficients (prior(fit, newdata)).
#
# Comparable tolerances: moe_lse gets lse_control(ftol = xtol = sqrt(.Machine$double.eps),
# gtol = 0, step_bound = 100, max_iter = 500) and nlsLM nls.lm.control(ftol = ptol =
# sqrt(.Machine$double.eps), gtol = 0, factor = 100, maxiter = 500, maxfev = 5000): the same
# MINPACK tests with the same constants (Eigen's xtol is MINPACK's ptol; its evaluation limit is
# 10 * max_iter = 5000). moe_lse's bounds are switched off (bound_* = Inf), so it works in the
# same parametrisation as nlsLM; from the same start both take the same steps.
#
# Data: X ~ U[0, 1], Y = f_{G*}(X) + N(0, 0.1^2), k* = 3, with the truth below (gates switch near
# x = 0.2 and x = 0.7; sigmoid truth for the sigmoid rows, linear truth for the linear rows).
# Start (moe_lse and both nlsLM rows): the true free parameters plus N(0, (0.2 max(1, |theta|))^2)
# noise, drawn once with seed 42, the same at every n.

suppressPackageStartupMessages(library(lsmoe))
has_minpack <- requireNamespace("minpack.lm", quietly = TRUE)
has_flexmix <- requireNamespace("flexmix", quietly = TRUE)
if (!has_minpack) message("minpack.lm is not installed: skipping the nlsLM rows")
if (!has_flexmix) message("flexmix is not installed: skipping the flexmix rows")
if (has_flexmix) suppressPackageStartupMessages(library(flexmix))

ns <- as.numeric(strsplit(Sys.getenv("LSMOE_BENCH_N", "1e3,1e4,1e5"), ",")[[1]])
out_dir <- Sys.getenv("LSMOE_BENCH_OUT", if (dir.exists("bench")) "bench" else ".")
k <- 3L
noise_sd <- 0.1
tol <- sqrt(.Machine$double.eps)
max_iter <- 500L
# flexmix's EM refits a multinomial logit (nnet) at every iteration and needs 70-140 iterations
# here: about 40 s at n = 1e4 and several minutes at n = 1e5. Above flexmix_max_n it is run
# for flexmix_cap_iter EM iterations only (time per fit then understates a converged fit).
flexmix_max_n <- as.numeric(Sys.getenv("LSMOE_BENCH_FLEXMIX_MAX_N", "1e4"))
flexmix_cap_iter <- 10L
options(width = 160)

# ---- the truth (documented in the output) ------------------------------------------------------
gate <- list(beta0 = c(10, 7, 0), beta1 = matrix(c(-25, -10, 0), k, 1))
truths <- list(
  sigmoid = c(gate, list(eta = rbind(c(10, -1), c(-8, 4), c(6, -3)))),   # h = sigmoid(a x + b)
  linear  = c(gate, list(eta = rbind(c(3, 0), c(-2, 1.5), c(1, -0.5))))  # h = a x + b
)
experts <- list(sigmoid = expert_sigmoid(), linear = expert_linear())
theta_of <- function(p) lsmoe:::pack_theta(p$beta0, p$beta1, p$eta)
par_names <- c("g0.1", "g0.2", "g1.1", "g1.2", "a1", "b1", "a2", "b2", "a3", "b3")  # moe_lse's theta order

# ---- the model in vectorised R, for nlsLM ------------------------------------------------------
# theta = (beta0_1, beta0_2, beta1_1, beta1_2, a_1, b_1, a_2, b_2, a_3, b_3), last gate anchored
# at 0. value() caches the gate, the experts and f, so that jac() at the same point (MINPACK asks
# for the Jacobian at the last evaluated point) only assembles the columns:
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
# Elapsed (wall-clock) seconds, and the CPU seconds of this R process (user + system), which are
# less disturbed by other jobs on a shared machine.
time_fit <- function(fun) {
  one <- function() {
    tt <- system.time(res <<- fun())
    c(elapsed = tt[["elapsed"]], cpu = tt[["user.self"]] + tt[["sys.self"]])
  }
  res <- NULL
  t1 <- one()
  reps <- if (t1[["elapsed"]] < 0.2) 5L else if (t1[["elapsed"]] < 1.5) 3L else 1L
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

rows <- list()
add_row <- function(...) rows[[length(rows) + 1L]] <<- data.frame(..., stringsAsFactors = FALSE)
breakdown <- NULL
truth_rss <- list()
bench_start <- Sys.time()
load_start <- load_avg()

for (n in ns) {
  for (ename in names(truths)) {
    p <- truths[[ename]]
    set.seed(1)
    x <- stats::runif(n)
    rm0 <- r_model(ename)
    f_true <- rm0$value(x, k, theta_of(p))
    y <- f_true + stats::rnorm(n, sd = noise_sd)
    truth_rss[[sprintf("%s n=%g", ename, n)]] <- sum((y - f_true)^2)
    th_true <- theta_of(p)
    set.seed(42)
    th0 <- th_true + stats::rnorm(length(th_true), sd = 0.2 * pmax(1, abs(th_true)))
    start <- lsmoe:::unpack_theta(th0, k, 1L, 2L)
    X <- matrix(x, ncol = 1, dimnames = list(NULL, "x"))

    # moe_lse
    ctl <- lse_control(n_starts = 1, ftol = tol, xtol = tol, gtol = 0, step_bound = 100, max_iter = max_iter,
                       bound_gate = Inf, bound_expert = Inf, bound_output = Inf, warn = FALSE)
    tm <- time_fit(function() moe_lse(X, y, k = k, expert = experts[[ename]], start = start, control = ctl))
    f <- tm$fit
    t_moe <- tm$seconds
    add_row(n = n, expert = ename, method = "moe_lse", seconds = t_moe, cpu = tm$cpu, reps = tm$reps,
            iterations = f$iterations, rss = f$rss, converged = f$converged,
            ns_per_obs_iter = 1e9 * t_moe / (n * max(1L, f$iterations)))

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
      tm <- time_fit(function() minpack.lm::nlsLM(fml, data = dat, start = st, jac = jac, control = nctl))
      g <- tm$fit
      add_row(n = n, expert = ename, method = "nlsLM", seconds = tm$seconds, cpu = tm$cpu, reps = tm$reps,
              iterations = g$convInfo$finIter, rss = stats::deviance(g), converged = g$convInfo$isConv,
              ns_per_obs_iter = NA_real_)
      tm <- time_fit(function() minpack.lm::nlsLM(fml, data = dat, start = st, control = nctl))
      g <- tm$fit
      add_row(n = n, expert = ename, method = "nlsLM-numjac", seconds = tm$seconds, cpu = tm$cpu, reps = tm$reps,
              iterations = g$convInfo$finIter, rss = stats::deviance(g), converged = g$convInfo$isConv,
              ns_per_obs_iter = NA_real_)
    }

    if (has_flexmix) {
      d <- data.frame(x = x, y = y)
      capped <- n > flexmix_max_n
      fctl <- if (capped) list(iter.max = flexmix_cap_iter) else list()
      tm <- time_fit(function() {
        set.seed(3)
        flexmix::flexmix(y ~ x, data = d, k = k, concomitant = flexmix::FLXPmultinom(~ x), control = fctl)
      })
      fm <- tm$fit
      add_row(n = n, expert = ename,
              method = if (capped) sprintf("flexmix (capped at %d EM its)", flexmix_cap_iter) else
                sprintf("flexmix (%d comps kept)", fm@k),
              seconds = tm$seconds, cpu = tm$cpu,
              reps = tm$reps, iterations = fm@iter, rss = flexmix_rss(fm, x, y), converged = fm@converged,
              ns_per_obs_iter = NA_real_)
    }

    # Where moe_lse's time goes, at the largest n: one evaluation of the residuals and the n x p
    # Jacobian (C++, copied to R), one residual-only evaluation with gate and experts
    # (cpp_predict), and R's QR of the same n x p Jacobian as a stand-in for the LM's QR.
    if (n == max(ns)) {
      ex <- experts[[ename]]
      med <- function(fun, reps = 10) stats::median(replicate(reps, system.time(fun())[["elapsed"]]))
      cr <- lsmoe:::cpp_residuals(X, y, f$theta, ex, k)
      pp <- f$coefficients
      breakdown <- rbind(breakdown, data.frame(
        n = n, expert = ename, p = length(f$theta),
        ms_per_lm_iteration = 1e3 * t_moe / max(1L, f$iterations),
        evaluations_per_iteration = f$evaluations / max(1L, f$iterations),
        ms_residuals_and_jacobian = 1e3 * med(function() lsmoe:::cpp_residuals(X, y, f$theta, ex, k)),
        ms_residuals_only = 1e3 * med(function() lsmoe:::cpp_predict(X, pp$beta0, pp$beta1, t(pp$eta), ex)),
        ms_qr_of_jacobian = 1e3 * med(function() qr(cr$jacobian))
      ))
    }
  }
}

res <- do.call(rbind, rows)
res$ratio_to_moe_lse <- NA_real_
for (i in seq_len(nrow(res))) {
  ref <- res$seconds[res$n == res$n[i] & res$expert == res$expert[i] & res$method == "moe_lse"]
  res$ratio_to_moe_lse[i] <- res$seconds[i] / ref
}
res <- res[, c("n", "expert", "method", "seconds", "cpu", "reps", "iterations", "rss", "ratio_to_moe_lse",
               "ns_per_obs_iter", "converged")]

fmt_table <- function(df) {
  out <- data.frame(
    n = format(df$n, scientific = TRUE, digits = 1),
    expert = df$expert, method = df$method,
    `s/fit` = formatC(df$seconds, format = "g", digits = 3),
    `cpu s` = formatC(df$cpu, format = "g", digits = 3),
    reps = df$reps, iter = df$iterations,
    RSS = formatC(df$rss, format = "f", digits = 3),
    `x moe_lse` = formatC(df$ratio_to_moe_lse, format = "f", digits = 1),
    `ns/obs/iter` = ifelse(is.na(df$ns_per_obs_iter), "", formatC(df$ns_per_obs_iter, format = "f", digits = 0)),
    conv = ifelse(df$converged, "yes", "NO"),
    check.names = FALSE, stringsAsFactors = FALSE)
  out
}
tab <- fmt_table(res)
md_table <- function(df) {
  c(paste0("| ", paste(names(df), collapse = " | "), " |"),
    paste0("|", paste(rep("---", ncol(df)), collapse = "|"), "|"),
    apply(df, 1, function(r) paste0("| ", paste(trimws(r), collapse = " | "), " |")))
}
elapsed <- as.numeric(difftime(Sys.time(), bench_start, units = "secs"))
load_end <- load_avg()

cat("\nlsmoe benchmark: one least squares fit, k = 3, d = 1 (seconds per fit: median of `reps` runs)\n\n")
print(tab, row.names = FALSE, right = TRUE)
if (!is.null(breakdown)) {
  cat("\nWhere moe_lse's time goes at n =", format(max(ns), scientific = TRUE), "(milliseconds):\n")
  print(format(breakdown, digits = 3), row.names = FALSE)
}
cat(sprintf("\nRSS at the true parameters: %s\n",
            paste(sprintf("%s %.3f", names(truth_rss), unlist(truth_rss)), collapse = "; ")))
cat(sprintf("Total benchmark time: %.0f s; 1-minute load average %s at the start, %s at the end (%d cores)\n",
            elapsed, load_start, load_end, parallel::detectCores()))

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
csv <- file.path(out_dir, "results-fit.csv")
utils::write.csv(res, csv, row.names = FALSE)
md <- file.path(out_dir, "results-fit.md")
info <- c(
  sprintf("R %s; lsmoe %s; minpack.lm %s; flexmix %s; %s; %d cores (`parallel::detectCores()`); run %s, %.0f s; load average %s at the start, %s at the end.",
          getRversion(), utils::packageVersion("lsmoe"),
          if (has_minpack) as.character(utils::packageVersion("minpack.lm")) else "-",
          if (has_flexmix) as.character(utils::packageVersion("flexmix")) else "-",
          utils::sessionInfo()$running, parallel::detectCores(), format(Sys.time(), "%Y-%m-%d %H:%M"), elapsed,
          load_start, load_end))
writeLines(c(
  "# Benchmark: one least squares fit (bench/fit.R)",
  "",
  "Generated by `make bench` (`Rscript bench/fit.R`); the data, truth, start and tolerances are",
  "documented at the top of the script. k = 3 components, d = 1, X ~ U[0, 1], noise sd 0.1.",
  "`s/fit` is elapsed seconds per fit (median of `reps` runs), `cpu s` the CPU seconds of the R process.",
  "moe_lse and both nlsLM rows start from the same point and use the same MINPACK stopping rules",
  "(ftol = xtol = sqrt(eps), gtol = 0, factor 100, at most 500 iterations); moe_lse without bounds.",
  "`nlsLM` gets the analytic Jacobian (`jac =`), `nlsLM-numjac` uses forward differences.",
  "flexmix (EM, linear experts, multinomial gate, one random start, seed 3) maximises a likelihood;",
  sprintf("its RSS is that of its gating-weighted regression function. Above n = %g flexmix is stopped", flexmix_max_n),
  sprintf("after %d EM iterations (a converged fit takes 70-140 here). `x moe_lse` is seconds per fit", flexmix_cap_iter),
  "divided by moe_lse's; `ns/obs/iter` is moe_lse's time per observation per LM iteration.",
  "",
  md_table(tab),
  "",
  if (!is.null(breakdown)) c(sprintf("Where moe_lse's time goes at n = %s (milliseconds; `cpp_residuals` returns the n x p Jacobian to R, `cpp_predict` evaluates f, gate and experts, `qr()` is R's QR of the same Jacobian):", format(max(ns), scientific = TRUE)),
                             "", md_table(format(breakdown, digits = 3)), ""),
  sprintf("RSS at the true parameters: %s.", paste(sprintf("%s %.3f", names(truth_rss), unlist(truth_rss)), collapse = "; ")),
  "",
  info
), md)
cat(sprintf("Wrote %s and %s\n", normalizePath(csv), normalizePath(md)))
