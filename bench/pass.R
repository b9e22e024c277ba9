# The cost of one fused pass over the observations, without the fixed costs of a call.
#
#   R_LIBS=/path/to/lib Rscript bench/pass.R   (any library holding lsmoe)
#
# bench/fit.R divides the whole time of a moe_lse() call by its passes, so its ns/obs/pass also
# carries the call's fixed costs (checks, standardisation, the fitted values, the returned
# object). Here the problem of bench/fit.R (k = 3, d = 1, X ~ U[0, 1], noise sd 0.1, its truth,
# no bounds, no standardisation; start: the truth with every gate intercept + 0.3, from which
# the fit converges in about 12 iterations) is fitted with every stopping rule off
# (ftol = xtol = gtol = 0), once with max_iter = 2 and once with max_iter = 11, so that
# nearly every pass between the two is a full pass with the Jacobian. The marginal cost is
#   (CPU(11) - CPU(2)) / (passes(11) - passes(2)) / n,
# in nanoseconds per observation, the median over `reps` pairs. Passes are `fit$evaluations`
# (accepted iterations make a full pass with the Jacobian, rejected steps a residual-only pass, so
# this is the mean over the passes the fit actually makes). Environment: LSMOE_BENCH_PASS_N
# (default "1e5,1e6"), LSMOE_BENCH_PASS_REPS (default 5). Prints a table; asserts nothing.
suppressPackageStartupMessages(library(lsmoe))
ns <- as.numeric(strsplit(Sys.getenv("LSMOE_BENCH_PASS_N", "1e5,1e6"), ",")[[1]])
reps <- as.integer(Sys.getenv("LSMOE_BENCH_PASS_REPS", "5"))
k <- 3
gate <- list(beta0 = c(10, 7, 0), beta1 = matrix(c(-25, -10, 0), k, 1))
truths <- list(sigmoid = c(gate, list(eta = rbind(c(10, -1), c(-8, 4), c(6, -3)))),
               linear = c(gate, list(eta = rbind(c(3, 0), c(-2, 1.5), c(1, -0.5)))))
experts <- list(sigmoid = expert_sigmoid(), linear = expert_linear())
cpu <- function(expr) {
  t0 <- proc.time()
  force(expr)
  t1 <- proc.time() - t0
  sum(t1[c("user.self", "sys.self")], na.rm = TRUE)
}
rows <- list()
load0 <- readLines("/proc/loadavg")
for (n in ns) for (en in names(truths)) {
  set.seed(1)
  G <- do.call(mixing_measure, c(truths[[en]], list(expert = experts[[en]])))
  x <- matrix(runif(n), n, 1)
  y <- as.vector(predict(G, x)) + rnorm(n, 0, 0.1)
  st <- truths[[en]]
  st$beta0 <- st$beta0 + 0.3
  for (th in 1:2) {
    fit_m <- function(m) {
      ctl <- lse_control(max_iter = m, ftol = 0, xtol = 0, gtol = 0, threads = th, warn = FALSE, standardize = FALSE,
                          bound_gate = Inf, bound_expert = Inf, bound_output = Inf)
      f <- NULL
      c <- cpu(f <- moe_lse_fit(x, y, k = k, expert = experts[[en]], start = list(st), control = ctl))
      e <- {
        t0 <- Sys.time()
        moe_lse_fit(x, y, k = k, expert = experts[[en]], start = list(st), control = ctl)
        as.numeric(difftime(Sys.time(), t0, units = "secs"))
      }
      c(cpu = c, elapsed = e, passes = f$evaluations)
    }
    m <- replicate(reps, {
      a <- fit_m(2)
      b <- fit_m(11)
      c(cpu = (b[["cpu"]] - a[["cpu"]]) / (b[["passes"]] - a[["passes"]]) / n * 1e9,
        elapsed = (b[["elapsed"]] - a[["elapsed"]]) / (b[["passes"]] - a[["passes"]]) / n * 1e9,
        fixed_cpu_ms = (a[["cpu"]] - a[["passes"]] / (b[["passes"]] - a[["passes"]]) * (b[["cpu"]] - a[["cpu"]])) * 1e3)
    })
    rows[[length(rows) + 1]] <- data.frame(n = n, expert = en, threads = th, reps = reps,
                                           cpu_ns_per_obs_pass = median(m["cpu", ]),
                                           elapsed_ns_per_obs_pass = median(m["elapsed", ]),
                                           fixed_cpu_ms_per_call = median(m["fixed_cpu_ms", ]))
  }
}
res <- do.call(rbind, rows)
print(res, digits = 3, row.names = FALSE)
cat(sprintf("1-minute load average %s at the start, %s at the end (2 cores)\n",
            strsplit(load0, " ")[[1]][1], strsplit(readLines("/proc/loadavg"), " ")[[1]][1]))
