# The real-data bench on both builds of the fused pass: does a default moe_lse() fit give the same
# answer with the AVX2 kernel and with the portable one, beyond rounding? (issue 30, item 3)
#
#   R_LIBS=/path/to/lib Rscript bench/kernels.R   (any library holding lsmoe; a CPU with AVX2)
#
# Environment variables: LSMOE_BENCH_OUT (directory for the results, default "bench" when it
# exists, else "."), LSMOE_BENCH_TONEDATA (as in bench/realdata.R), LSMOE_BENCH_SEEDS ("from:to",
# default "1:5"), LSMOE_BENCH_RDS (a path: also saves every fit's stage records and starts tables
# there, for a closer look; default none).
# Writes results-kernels.csv (one row per case and seed, both builds side by side) and
# results-kernels.md (the summary and every case whose two RSS differ by more than a relative
# 1e-8). This is a script, not a test: it measures, it asserts nothing.
#
# Cases: those of bench/realdata.R (8 data sets, k = 2 and 3, expert_linear() and
# expert_tanh(output_weight = TRUE)), each default fit `moe_lse(formula, data, k, expert)` with
# set.seed(s), s = 1..5, once with options(lsmoe.simd = TRUE) and once with FALSE: 80 cases x 2.
# fit$kernel names the build that ran ("avx2" / "portable"); the script stops if it is not the
# one asked for.
#
# Where the two fits part: the stages of the pipeline (R/fit.R: search_starts(), search_perturb(),
# finish_fit() with its reanchor_best() and newton_polish()) are wrapped in the loaded namespace
# (assignInNamespace, this process only; the wrappers call the originals and record their
# results, and draw no random numbers), so that each fit leaves its RSS (on the fitting scale)
# after the multistart, after the perturbation search and after each finishing step. `stage`
# is the first stage whose best RSS differs between the builds by more than a relative 1e-8
# ("multistart", "perturbation", "re-anchoring", "polish", or "none"; a finishing step run on one
# build only counts as a difference); `ms_best_same` whether the multistart picked the same
# start (starts that reach the same optimum tie to about 1e-12 and one build may rank them
# the other way). `trace` is the first stage where anything differs at all: a start's status or
# iteration count, or its RSS by more than a relative 1e-10.

suppressPackageStartupMessages(library(lsmoe))
out_dir <- Sys.getenv("LSMOE_BENCH_OUT", if (dir.exists("bench")) "bench" else ".")
seeds_env <- Sys.getenv("LSMOE_BENCH_SEEDS", "1:5")
if (!grepl("^[0-9]+:[0-9]+$", seeds_env)) stop("LSMOE_BENCH_SEEDS must look like \"1:5\", not \"", seeds_env, "\"")
seeds <- seq(as.integer(sub(":.*", "", seeds_env)), as.integer(sub(".*:", "", seeds_env)))
rds_path <- Sys.getenv("LSMOE_BENCH_RDS", "")
tol_same <- 1e-8   # "the same RSS" (the issue's target)
tol_loose <- 1e-6  # the real-data bench's "reached"
tol_trace <- 1e-10 # a start's RSS differing at all, beyond accumulated rounding
options(width = 200)
if (!identical(lsmoe:::cpp_simd_kernel(), "avx2")) stop("this CPU has no AVX2 build of the pass: nothing to compare")

load_avg <- function() {
  if (file.exists("/proc/loadavg")) strsplit(readLines("/proc/loadavg", n = 1), " ")[[1]][1] else "n/a"
}

# ---- data sets (as bench/realdata.R) ------------------------------------------------------------
get_tonedata <- function() {
  e <- new.env()
  if (requireNamespace("mixtools", quietly = TRUE)) {
    utils::data("tonedata", package = "mixtools", envir = e)
    return(e$tonedata)
  }
  path <- Sys.getenv("LSMOE_BENCH_TONEDATA", "")
  if (nzchar(path) && file.exists(path)) {
    load(path, envir = e)
    if (exists("tonedata", envir = e)) return(e$tonedata)
  }
  NULL
}
cases <- list(
  list(name = "faithful", formula = eruptions ~ waiting, data = datasets::faithful),
  list(name = "mcycle", formula = accel ~ times, data = MASS::mcycle),
  list(name = "tonedata", formula = tuned ~ stretchratio, data = get_tonedata()),
  list(name = "cars", formula = dist ~ speed, data = datasets::cars),
  list(name = "Boston", formula = medv ~ lstat + rm, data = MASS::Boston),
  list(name = "airquality", formula = Ozone ~ Temp + Wind, data = stats::na.omit(datasets::airquality)),
  list(name = "airquality3", formula = Ozone ~ Solar.R + Wind + Temp, data = stats::na.omit(datasets::airquality)),
  list(name = "Boston4", formula = medv ~ lstat + rm + ptratio + dis, data = MASS::Boston)
)
if (is.null(cases[[3]]$data)) {
  message("tonedata is unavailable (mixtools not installed, LSMOE_BENCH_TONEDATA not set): skipping it")
  cases <- cases[-3]
}
experts <- list(linear = expert_linear(), `tanh(ow)` = expert_tanh(output_weight = TRUE))
ks <- 2:3

# ---- stage records ------------------------------------------------------------------------------
ns <- asNamespace("lsmoe")
rec <- new.env()
rec$log <- list()
record <- function(x) rec$log[[length(rec$log) + 1L]] <- x
per_start <- function(r) list(rss = r$start_rss, status = r$start_status, iterations = r$start_iterations)
wrap_stage <- function(name, make) {
  orig <- get(name, envir = ns)
  f <- make(orig)
  environment(f) <- list2env(list(orig = orig, record = record, per_start = per_start), parent = ns)
  utils::assignInNamespace(name, f, ns)
}
wrap_stage("search_starts", function(orig) function(prob) {
  out <- orig(prob)
  record(list(stage = "multistart", rss = out$rss, best = out$best, status = out$status,
              iterations = out$iterations, starts = per_start(out), n_obs = length(prob$rows), p = prob$p))
  out
})
wrap_stage("search_perturb", function(orig) function(prob, res) {
  out <- orig(prob, res)
  rounds <- tapply(out$start_round, out$start_chain, max)
  record(list(stage = "perturbation", rss = out$rss, best = out$best, status = out$status,
              iterations = out$iterations, starts = per_start(out),
              chains = paste(sprintf("%s:%d", names(rounds)[-1], rounds[-1]), collapse = " ")))
  out
})
wrap_stage("reanchor_best", function(orig) function(prob, res) {
  out <- orig(prob, res)
  record(list(stage = "re-anchoring", rss_in = res$rss, rss = out$rss, ran = out$iterations > res$iterations,
              status = out$status, iterations = out$iterations))
  out
})
wrap_stage("newton_polish", function(orig) function(prob, res) {
  out <- orig(prob, res)
  record(list(stage = "polish", rss_in = res$rss, rss = out$rss, ran = TRUE, status = out$status,
              iterations = out$iterations))
  out
})

run_fit <- function(cs, k, expert, seed, simd) {
  rec$log <- list()
  warns <- character(0)
  t0 <- proc.time()[["elapsed"]]
  fit <- withr::with_options(list(lsmoe.simd = simd), {
    set.seed(seed)
    withCallingHandlers(moe_lse(cs$formula, data = cs$data, k = k, expert = expert),
                        warning = function(w) {
                          warns <<- c(warns, sub("^lsmoe_warning_", "", class(w)[1]))
                          invokeRestart("muffleWarning")
                        })
  })
  secs <- proc.time()[["elapsed"]] - t0
  want <- if (simd) "avx2" else "portable"
  if (!identical(fit$kernel, want)) stop(sprintf("asked for the %s build, %s ran", want, fit$kernel))
  list(fit = fit, log = rec$log, warnings = paste(unique(warns), collapse = ";"), seconds = secs)
}

# ---- comparison of the two builds' records ------------------------------------------------------
rel <- function(a, b) if (is.finite(a) && is.finite(b)) abs(a - b) / min(abs(a), abs(b)) else if (identical(a, b)) 0 else Inf
starts_differ <- function(sa, sb, tol) {
  if (length(sa$rss) != length(sb$rss)) return(TRUE)
  ra <- ifelse(is.finite(sa$rss), sa$rss, NA)
  rb <- ifelse(is.finite(sb$rss), sb$rss, NA)
  d <- abs(ra - rb) / pmin(ra, rb)
  any(xor(is.na(ra), is.na(rb))) || any(d > tol, na.rm = TRUE) ||
    any(sa$status != sb$status) || any(sa$iterations != sb$iterations)
}
stage_of <- function(log, name) Filter(function(x) x$stage == name, log)
# The first stage whose result differs (RSS beyond tol or the best start), and the first where
# anything differs (per-start records, a finishing step run on one build only).
compare_stages <- function(la, lb) {
  first_result <- "none"
  first_trace <- "none"
  ma <- stage_of(la, "multistart")[[1]]
  mb <- stage_of(lb, "multistart")[[1]]
  if (starts_differ(ma$starts, mb$starts, tol_trace)) first_trace <- "multistart"
  if (rel(ma$rss, mb$rss) > tol_same) first_result <- "multistart"
  pa <- stage_of(la, "perturbation")
  pb <- stage_of(lb, "perturbation")
  if (length(pa) && length(pb)) {
    if (first_trace == "none" && (starts_differ(pa[[1]]$starts, pb[[1]]$starts, tol_trace) || pa[[1]]$chains != pb[[1]]$chains))
      first_trace <- "perturbation"
    if (first_result == "none" && rel(pa[[1]]$rss, pb[[1]]$rss) > tol_same)
      first_result <- "perturbation"
  }
  fa <- Filter(function(x) x$stage %in% c("re-anchoring", "polish"), la)
  fb <- Filter(function(x) x$stage %in% c("re-anchoring", "polish"), lb)
  for (i in seq_len(max(length(fa), length(fb)))) {
    a <- if (i <= length(fa)) fa[[i]]
    b <- if (i <= length(fb)) fb[[i]]
    st <- if (!is.null(a)) a$stage else b$stage
    if (first_trace == "none" && (is.null(a) || is.null(b) || a$stage != b$stage || a$ran != b$ran ||
                                  a$iterations != b$iterations || a$status != b$status || rel(a$rss, b$rss) > tol_trace))
      first_trace <- st
    if (first_result == "none" && (is.null(a) || is.null(b) || a$stage != b$stage || rel(a$rss, b$rss) > tol_same))
      first_result <- st
  }
  c(stage = first_result, trace = first_trace)
}
stage_rss <- function(log, name) {
  s <- stage_of(log, name)
  if (length(s)) s[[length(s)]]$rss else NA_real_
}
describe <- function(r) {
  f <- r$fit
  perturb <- stage_of(r$log, "perturbation")
  data.frame(
    rss = f$rss, status = f$status, iterations = f$iterations, best_start = f$best_start,
    best_round = f$starts$round[f$best_start],
    finish_steps = paste(f$finish_steps, collapse = "+"), on_bound = f$on_bound, converged = f$converged,
    ms_best = stage_of(r$log, "multistart")[[1]]$best,
    chains = if (length(perturb)) perturb[[1]]$chains else "",
    rows = nrow(f$starts), warnings = r$warnings, seconds = r$seconds,
    stringsAsFactors = FALSE)
}

# ---- the runs -----------------------------------------------------------------------------------
load_start <- load_avg()
bench_start <- Sys.time()
message(sprintf("load average at the start: %s", load_start))
rows <- list()
keep <- list()
for (cs in cases) {
  for (k in ks) {
    for (en in names(experts)) {
      message(sprintf("%s, k = %d, %s", cs$name, k, en))
      for (s in seeds) {
        a <- run_fit(cs, k, experts[[en]], s, TRUE)
        b <- run_fit(cs, k, experts[[en]], s, FALSE)
        da <- describe(a)
        db <- describe(b)
        names(da) <- paste0(names(da), "_avx2")
        names(db) <- paste0(names(db), "_port")
        cmp <- compare_stages(a$log, b$log)
        fa <- stats::fitted(a$fit)
        fb <- stats::fitted(b$fit)
        ms <- stage_of(a$log, "multistart")[[1]]
        dfres <- a$fit$nobs - length(a$fit$theta)
        gap <- rel(a$fit$rss, b$fit$rss)
        row <- data.frame(
          data = cs$name, n = a$fit$nobs, k = k, expert = en, seed = s, p = length(a$fit$theta),
          rel_rss = gap, signed = (b$fit$rss - a$fit$rss) / min(a$fit$rss, b$fit$rss),
          noise = gap * dfres,  # |RSS_a - RSS_b| / sigma^2 with sigma^2 = RSS / (n - p)
          fitted_rel = max(abs(fa - fb)) / max(abs(fa)),
          ms_rel = rel(ms$rss, stage_of(b$log, "multistart")[[1]]$rss),
          ms_best_same = ms$best == stage_of(b$log, "multistart")[[1]]$best,
          perturb_rel = rel(stage_rss(a$log, "perturbation"), stage_rss(b$log, "perturbation")),
          stage = cmp[["stage"]], trace = cmp[["trace"]],
          stringsAsFactors = FALSE)
        rows[[length(rows) + 1L]] <- cbind(row, da, db)
        if (nzchar(rds_path)) {
          keep[[length(keep) + 1L]] <- list(case = row, avx2 = list(log = a$log, starts = a$fit$starts, theta = a$fit$theta),
                                            port = list(log = b$log, starts = b$fit$starts, theta = b$fit$theta))
        }
      }
    }
  }
}
res <- do.call(rbind, rows)
elapsed <- as.numeric(difftime(Sys.time(), bench_start, units = "secs"))
load_end <- load_avg()
if (nzchar(rds_path)) saveRDS(keep, rds_path)

# ---- tables -------------------------------------------------------------------------------------
md_table <- function(df) {
  c(paste0("| ", paste(names(df), collapse = " | "), " |"),
    paste0("|", paste(rep("---", ncol(df)), collapse = "|"), "|"),
    apply(df, 1, function(r) paste0("| ", paste(trimws(r), collapse = " | "), " |")))
}
by_group <- do.call(rbind, lapply(split(res, list(res$expert, res$k), drop = TRUE), function(g) {
  data.frame(expert = g$expert[1], k = g$k[1], fits = nrow(g),
             `same to 1e-8` = sum(g$rel_rss <= tol_same), `same to 1e-6` = sum(g$rel_rss <= tol_loose),
             `same status` = sum(g$status_avx2 == g$status_port),
             `same iterations` = sum(g$iterations_avx2 == g$iterations_port),
             `same best start` = sum(g$best_start_avx2 == g$best_start_port),
             `same multistart best` = sum(g$ms_best_same),
             `portable lower` = sum(g$rel_rss > tol_same & g$signed < 0),
             `AVX2 lower` = sum(g$rel_rss > tol_same & g$signed > 0),
             `within 1 noise var.` = sum(g$rel_rss > tol_same & g$noise <= 1),
             check.names = FALSE, stringsAsFactors = FALSE)
}))
by_group <- by_group[order(by_group$expert, by_group$k), ]
tot <- data.frame(expert = "all", k = "", fits = nrow(res), `same to 1e-8` = sum(res$rel_rss <= tol_same),
                  `same to 1e-6` = sum(res$rel_rss <= tol_loose), `same status` = sum(res$status_avx2 == res$status_port),
                  `same iterations` = sum(res$iterations_avx2 == res$iterations_port),
                  `same best start` = sum(res$best_start_avx2 == res$best_start_port),
                  `same multistart best` = sum(res$ms_best_same),
                  `portable lower` = sum(res$rel_rss > tol_same & res$signed < 0),
                  `AVX2 lower` = sum(res$rel_rss > tol_same & res$signed > 0),
                  `within 1 noise var.` = sum(res$rel_rss > tol_same & res$noise <= 1),
                  check.names = FALSE, stringsAsFactors = FALSE)
by_group <- rbind(by_group, tot)
stages <- table(factor(res$stage, levels = c("none", "multistart", "perturbation", "re-anchoring", "polish")),
                factor(res$rel_rss > tol_same, levels = c(FALSE, TRUE), labels = c("RSS same to 1e-8", "RSS differs")))
traces <- table(factor(res$trace, levels = c("none", "multistart", "perturbation", "re-anchoring", "polish")))

g <- function(x, d = 3) formatC(x, format = "g", digits = d)
diff_rows <- res[res$rel_rss > tol_same, ]
diff_rows <- diff_rows[order(diff_rows$data, diff_rows$k, diff_rows$expert, diff_rows$seed), ]
dtab <- data.frame(
  case = sprintf("%s k=%d %s s=%d", diff_rows$data, diff_rows$k, diff_rows$expert, diff_rows$seed),
  `RSS AVX2` = g(diff_rows$rss_avx2, 10), `RSS portable` = g(diff_rows$rss_port, 10),
  `rel. diff` = g(diff_rows$signed, 2), `noise var.` = g(diff_rows$noise, 2), `fitted diff` = g(diff_rows$fitted_rel, 2),
  status = sprintf("%d / %d", diff_rows$status_avx2, diff_rows$status_port),
  iterations = sprintf("%d / %d", diff_rows$iterations_avx2, diff_rows$iterations_port),
  `best start` = sprintf("%d (r%d) / %d (r%d)", diff_rows$best_start_avx2, diff_rows$best_round_avx2,
                         diff_rows$best_start_port, diff_rows$best_round_port),
  `finish steps` = sprintf("%s / %s", ifelse(nzchar(diff_rows$finish_steps_avx2), diff_rows$finish_steps_avx2, "-"),
                           ifelse(nzchar(diff_rows$finish_steps_port), diff_rows$finish_steps_port, "-")),
  `on bound` = sprintf("%d / %d", diff_rows$on_bound_avx2, diff_rows$on_bound_port),
  `multistart diff` = g(diff_rows$ms_rel, 2), `after perturbation diff` = g(diff_rows$perturb_rel, 2),
  stage = diff_rows$stage, trace = diff_rows$trace,
  check.names = FALSE, stringsAsFactors = FALSE)

print(by_group, row.names = FALSE)
print(stages)
print(dtab, row.names = FALSE)
cat(sprintf("\nTotal time %.0f s; 1-minute load average %s at the start, %s at the end (%d cores)\n",
            elapsed, load_start, load_end, parallel::detectCores()))

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
suffix <- if (identical(seeds, 1:5)) "" else sprintf("-seeds%d-%d", min(seeds), max(seeds))
csv <- file.path(out_dir, sprintf("results-kernels%s.csv", suffix))
utils::write.csv(res, csv, row.names = FALSE)
md <- file.path(out_dir, sprintf("results-kernels%s.md", suffix))
writeLines(c(
  "# The real-data bench on both builds of the fused pass (bench/kernels.R)",
  "",
  sprintf("Generated by `%sRscript bench/kernels.R`. Each case of bench/realdata.R (data set, k, expert: `linear` is",
          if (nzchar(suffix)) sprintf("LSMOE_BENCH_SEEDS=%s ", seeds_env) else ""),
  "`expert_linear()`, `tanh(ow)` is `expert_tanh(output_weight = TRUE)`) with the default fit",
  sprintf("`moe_lse(formula, data, k, expert)`, set.seed(s) for s = %d..%d, once on the AVX2 build", min(seeds), max(seeds)),
  "(`options(lsmoe.simd = TRUE)`) and once on the portable one (`FALSE`); `fit$kernel` confirms which ran.",
  "`same to 1e-8`: |RSS_avx2 - RSS_portable| / min <= 1e-8; `same status`, `same iterations`, `same best start`:",
  "the fits' fields equal; `portable lower` / `AVX2 lower`: of the cases differing beyond 1e-8, which build",
  "found the smaller RSS; `within 1 noise var.`: of those, how many differ by at most one noise variance",
  "(|RSS_avx2 - RSS_portable| / sigma^2 with sigma^2 = RSS / (n - p), i.e. rel. diff * (n - p)).",
  "",
  md_table(by_group),
  "",
  "First stage whose result differs between the builds (the best RSS after the stage beyond a relative 1e-8;",
  "a finishing step run on one build only) against whether the final RSS differs; `none`: every stage's",
  "best RSS the same. `same multistart best`: the multistart's best start the same row on both builds.",
  "",
  md_table(data.frame(stage = rownames(stages), `RSS same to 1e-8` = stages[, 1], `RSS differs` = stages[, 2],
                      check.names = FALSE)),
  "",
  sprintf("First stage where anything differs (a start's status, iterations, or RSS beyond 1e-10): %s.",
          paste(sprintf("%s %d", names(traces), as.integer(traces)), collapse = ", ")),
  "",
  "## Every case whose two RSS differ by more than a relative 1e-8",
  "",
  "Pairs are AVX2 / portable. `rel. diff` is (RSS_portable - RSS_avx2) / min (negative: the portable build",
  "found less); `noise var.` the difference in noise variances; `fitted diff` max |fitted_avx2 - fitted_portable|",
  "/ max |fitted_avx2|; `best start` the row of `fit$starts` (r: its perturbation round, 0 the multistart);",
  "`multistart diff` and `after perturbation diff` the relative difference of the best RSS after those stages;",
  "`stage` and `trace` as above. Explanations: bench/NOTES.md, \"The two builds of the pass\".",
  "",
  if (nrow(dtab)) md_table(dtab) else "(none)",
  "",
  sprintf("R %s; lsmoe %s; %s; %d cores shared with other jobs; run %s, %.0f s; 1-minute load average %s at the start, %s at the end.",
          getRversion(), utils::packageVersion("lsmoe"), utils::sessionInfo()$running, parallel::detectCores(),
          format(Sys.time(), "%Y-%m-%d %H:%M"), elapsed, load_start, load_end)
), md)
cat(sprintf("Wrote %s and %s\n", normalizePath(csv), normalizePath(md)))
