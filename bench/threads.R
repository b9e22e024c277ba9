# Threads under contention: does `threads = 2` ever cost time? (issue 29, item 5)
#
#   make bench                                        (package installed into .lib first)
#   R_LIBS=/path/to/lib Rscript --vanilla bench/threads.R   (from the package root)
#
# The problem, data, start and tolerances are those of bench/fit.R's one-start rows (read from it,
# not copied): sigmoid experts, d = 1, k = 3, X ~ U[0, 1], one given start, bounds off,
# standardize = FALSE, polish = FALSE: the Levenberg-Marquardt fit alone, every pass over all n rows.
# moe_lse_fit() is timed with threads = 1, threads = 2 and threads = 2 with
# options(lsmoe.adapt_threads = FALSE) ("t=2 fixed": exactly two threads whatever the load; the
# same as "t=2" before lsmoe chose fewer threads on a busy machine), in two conditions:
#   as is      the machine as it is (other jobs included: see the load average);
#   1 busy     while a process started by this script (`sh -c 'while :; do :; done'`) keeps one
#              core busy; it is started before the condition's fits and killed (SIGKILL) right
#              after them, also on error or interrupt.
# Each of `rounds` rounds times every (condition, threads) cell once, in alternating orders (the
# conditions' order and the threads' order swap from one round to the next), so that a drift of
# the machine's speed touches all cells alike. A cell's time is the median of `reps` fits (reps =
# 3 at n <= 2e5, else 1). The ratios t2/t1 and t2f/t1 are taken within each round and condition;
# the table gives the medians of the times and of these ratios (and the ratios' range), the CPU
# seconds of this R process (user + system over all its threads: a spinning OpenMP thread shows
# there), and whether the fits with 1 and 2 threads gave identical coefficients. "2 thr." is the
# share of the moments (before each fit) at which a pass asking for 2 threads would have used 2
# (lsmoe:::cpp_cpu_load(), lsmoe:::cpp_threads_for_load()), with the runnable tasks of other
# processes seen then (median).
#
# Environment variables: LSMOE_BENCH_THREADS_N (comma-separated sample sizes, default "2e5,1e6"),
# LSMOE_BENCH_THREADS_ROUNDS (default 9), LSMOE_BENCH_OUT (directory, default "bench" when it
# exists, else "."), LSMOE_BENCH_THREADS_TAG (appended to the output file names, e.g. "-before";
# default none). Writes results-threads<tag>.md and results-threads<tag>.csv. When the tag is empty
# and results-threads-before.csv exists there, the .md also gives the before/after table.
# OMP_WAIT_POLICY, GOMP_SPINCOUNT and OMP_SCHEDULE, as set for this process, are recorded.
# Takes about 3 minutes on a 2-core machine. A script, not a test: nothing asserts a time.
suppressPackageStartupMessages(library(lsmoe))
ns <- as.numeric(strsplit(Sys.getenv("LSMOE_BENCH_THREADS_N", "2e5,1e6"), ",")[[1]])
rounds <- as.integer(Sys.getenv("LSMOE_BENCH_THREADS_ROUNDS", "9"))
out_dir <- Sys.getenv("LSMOE_BENCH_OUT", if (dir.exists("bench")) "bench" else ".")
tag <- Sys.getenv("LSMOE_BENCH_THREADS_TAG", "")
options(width = 160)

# the definitions of bench/fit.R this script needs
wanted <- c("k", "noise_sd", "tol", "max_iter", "gate", "truths", "experts", "theta_of", "r_model")
for (e in parse("bench/fit.R")) {
  if (is.call(e) && identical(e[[1]], as.name("<-")) && is.name(e[[2]]) && as.character(e[[2]]) %in% wanted) eval(e)
}
ctl <- function(th) {
  lse_control(n_starts = 1, ftol = tol, xtol = tol, gtol = 0, max_iter = max_iter, bound_gate = Inf,
              bound_expert = Inf, bound_output = Inf, standardize = FALSE, threads = th, warn = FALSE,
              polish = FALSE)
}
load_now <- function() {
  if (!file.exists("/proc/loadavg")) return(c(load1 = NA_real_, running = NA_real_))
  f <- strsplit(readLines("/proc/loadavg", n = 1), " ")[[1]]
  c(load1 = as.numeric(f[1]), running = as.numeric(strsplit(f[4], "/")[[1]][1]))
}

# The busy core: a shell loop in the background; its pid, killed by stop_hog().
hogs <- integer()
start_hog <- function() {
  pid <- system("sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!", intern = TRUE)
  pid <- as.integer(pid[length(pid)])
  hogs <<- c(hogs, pid)
  Sys.sleep(0.5)  # let it spin
  pid
}
stop_hog <- function(pid) {
  if (length(pid) && !is.na(pid)) tools::pskill(pid, tools::SIGKILL)
  hogs <<- setdiff(hogs, pid)
  invisible()
}

# What a pass asking for 2 threads sees now: the threads it would use and the runnable tasks of
# other processes (NA with an lsmoe that does not adapt the threads).
seen_now <- function() {
  if (!exists("cpp_cpu_load", asNamespace("lsmoe"))) return(c(threads = NA_real_, others = NA_real_))
  L <- lsmoe:::cpp_cpu_load()
  c(threads = lsmoe:::cpp_threads_for_load(2L, L[["online"]], L[["running"]], L[["own"]]),
    others = L[["running"]] - L[["own"]])
}
arms <- c("1", "2", "2 fixed")
time_cell <- function(X, y, arm, reps) {
  th <- if (arm == "1") 1L else 2L
  old <- options(lsmoe.adapt_threads = arm != "2 fixed")
  on.exit(options(old))
  one <- function() {
    gc(FALSE)
    tt <- system.time(f <<- moe_lse_fit(X, y, k = k, expert = experts$sigmoid, start = start, control = ctl(th)),
                      gcFirst = FALSE)
    c(elapsed = tt[["elapsed"]], cpu = tt[["user.self"]] + tt[["sys.self"]])
  }
  f <- NULL
  tm <- replicate(reps, one())
  list(elapsed = stats::median(tm["elapsed", ]), cpu = stats::median(tm["cpu", ]), fit = f)
}

p <- truths$sigmoid
th_true <- theta_of(p)
set.seed(42)
th0 <- th_true + stats::rnorm(length(th_true), sd = 0.2 * pmax(1, abs(th_true)))  # bench/fit.R's start
start <- lsmoe:::unpack_theta(th0, k, 1L, 2L)
conds <- c("as is", "1 busy")
load_start <- load_now()
rows <- list()
same <- list()
loads <- numeric()
tryCatch({
  for (n in ns) {
    set.seed(1)
    x <- stats::runif(n)
    y <- r_model("sigmoid")$value(x, k, th_true) + stats::rnorm(n, sd = noise_sd)
    X <- matrix(x, ncol = 1, dimnames = list(NULL, "x"))
    reps <- if (n <= 2e5) 3L else 1L
    invisible(time_cell(X, y, "1", 1L))  # warm up
    for (r in seq_len(rounds)) {
      for (cond in if (r %% 2) conds else rev(conds)) {
        pid <- if (cond == "1 busy") start_hog() else NA_integer_
        loads <- c(loads, load_now()[["load1"]])
        fits <- list()
        for (arm in if (r %% 2) arms else rev(arms)) {
          seen <- seen_now()
          tm <- time_cell(X, y, arm, reps)
          fits[[arm]] <- tm$fit
          rows[[length(rows) + 1L]] <- data.frame(n = n, condition = cond, round = r, arm = arm,
                                                  seconds = tm$elapsed, cpu = tm$cpu, passes = tm$fit$evaluations,
                                                  rss = tm$fit$rss, seen_threads = seen[["threads"]],
                                                  seen_others = seen[["others"]])
        }
        stop_hog(pid)
        same[[length(same) + 1L]] <- all(vapply(fits[-1], function(f) {
          identical(coef(fits[[1]]), coef(f)) && identical(fits[[1]]$rss, f$rss)
        }, logical(1)))
      }
      message(sprintf("n = %g: round %d of %d done", n, r, rounds))
    }
  }
}, finally = for (pid in hogs) stop_hog(pid))
load_end <- load_now()
tab <- do.call(rbind, rows)

# ---- summary: medians per (n, condition, threads), ratios t2/t1 within rounds -------------------
summ <- do.call(rbind, lapply(split(tab, list(tab$condition, tab$n), drop = TRUE), function(d) {
  t1 <- d[d$arm == "1", ]
  t2 <- d[d$arm == "2", ]
  t2 <- t2[match(t1$round, t2$round), ]
  tf <- d[d$arm == "2 fixed", ]
  tf <- tf[match(t1$round, tf$round), ]
  ratio <- t2$seconds / t1$seconds
  ratio_f <- tf$seconds / t1$seconds
  data.frame(n = d$n[1], condition = d$condition[1], rounds = nrow(t1),
             t1 = stats::median(t1$seconds), t2 = stats::median(t2$seconds),
             ratio = stats::median(ratio), ratio_min = min(ratio), ratio_max = max(ratio),
             t2f = stats::median(tf$seconds), ratio_f = stats::median(ratio_f), ratio_f_min = min(ratio_f),
             ratio_f_max = max(ratio_f), cpu1 = stats::median(t1$cpu), cpu2 = stats::median(t2$cpu),
             cpu2f = stats::median(tf$cpu), passes = t1$passes[1],
             seen2 = mean(d$seen_threads == 2), seen_others = stats::median(d$seen_others))
}))
summ <- summ[order(summ$n, match(summ$condition, conds)), ]
rownames(summ) <- NULL
all_same <- all(unlist(same))
env_of <- function(v) if (nzchar(Sys.getenv(v))) sprintf("%s=%s", v, Sys.getenv(v)) else sprintf("%s unset", v)
md_table <- function(s) {
  pct <- function(v) ifelse(is.na(v), "n/a", sprintf("%.0f%%", 100 * v))
  c(paste("| n | condition | t=1 s | t=2 s | t2/t1 median | t2/t1 range | t=2 fixed s | t2f/t1 median | t2f/t1 range",
          "| cpu t=1 s | cpu t=2 s | cpu t=2 fixed s | passes | 2 thr. | others |"),
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    sprintf("| %g | %s | %.3f | %.3f | **%.2f** | %.2f-%.2f | %.3f | %.2f | %.2f-%.2f | %.3f | %.3f | %.3f | %d | %s | %s |",
            s$n, s$condition, s$t1, s$t2, s$ratio, s$ratio_min, s$ratio_max, s$t2f, s$ratio_f, s$ratio_f_min,
            s$ratio_f_max, s$cpu1, s$cpu2, s$cpu2f, as.integer(s$passes), pct(s$seen2),
            ifelse(is.na(s$seen_others), "n/a", format(s$seen_others))))
}
info <- c(
  sprintf("%d rounds; one-start fit (sigmoid experts, d = 1, k = 3, bench/fit.R's start); %s.", rounds,
          if (all_same) "coefficients and RSS identical with 1 and 2 threads in every round"
          else "COEFFICIENTS OR RSS DIFFER between 1 and 2 threads"),
  sprintf("1-minute load average: %.2f at the start, %.2f at the end, median %.2f at the conditions' starts (%d cores); runnable tasks at the start %g, at the end %g.",
          load_start[["load1"]], load_end[["load1"]], stats::median(loads), parallel::detectCores(),
          load_start[["running"]], load_end[["running"]]),
  sprintf("%s; lsmoe %s; run %s; %s, %s, %s.", R.version.string, utils::packageVersion("lsmoe"),
          format(Sys.time(), "%Y-%m-%d %H:%M"), env_of("OMP_WAIT_POLICY"), env_of("GOMP_SPINCOUNT"), env_of("OMP_SCHEDULE")))
cat(md_table(summ), "", info, "", sep = "\n")

utils::write.csv(cbind(summ, load_start = load_start[["load1"]], load_end = load_end[["load1"]]),
                 file.path(out_dir, sprintf("results-threads%s.csv", tag)), row.names = FALSE)
before <- file.path(out_dir, "results-threads-before.csv")
ba <- character()
if (!nzchar(tag) && file.exists(before)) {
  b <- utils::read.csv(before)
  m <- merge(b, summ, by = c("n", "condition"), suffixes = c("_before", "_after"))
  m <- m[order(m$n, match(m$condition, conds)), ]
  ba <- c("", "## Before and after", "",
          sprintf("Before: results-threads-before.csv (load %.2f at its start, %.2f at its end); after: this run.",
                  b$load_start[1], b$load_end[1]), "",
          "| n | condition | before t=1 s | before t=2 s | before t2/t1 | after t=1 s | after t=2 s | after t2/t1 |",
          "|---|---|---|---|---|---|---|---|",
          sprintf("| %g | %s | %.3f | %.3f | %.2f | %.3f | %.3f | **%.2f** |", m$n, m$condition, m$t1_before,
                  m$t2_before, m$ratio_before, m$t1_after, m$t2_after, m$ratio_after))
  cat(ba, sep = "\n")
}
writeLines(c("# Threads under contention (bench/threads.R)", "",
             "Generated by `Rscript --vanilla bench/threads.R`; see its header. Elapsed seconds per fit (medians over",
             "rounds), t2/t1 = the ratio of the 2-thread and 1-thread times within a round (median and range);",
             "`1 busy`: a process started by the script keeps one core busy.", "",
             md_table(summ), "", paste0("- ", info), ba),
           file.path(out_dir, sprintf("results-threads%s.md", tag)))
