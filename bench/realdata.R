# Real-data check of the default fit: does a default moe_lse() call reach the best RSS that many
# starts find, converge, and stay silent?
#
#   R_LIBS=/path/to/lib Rscript bench/realdata.R   (any library holding lsmoe)
#
# Environment variables: LSMOE_BENCH_OUT (directory for the results, default "bench" when it
# exists, else "."), LSMOE_BENCH_TONEDATA (path to an .RData/.rda file holding mixtools'
# `tonedata`, used when mixtools is not installed), LSMOE_BENCH_REF_STARTS (starts of the
# reference fit, default 300), LSMOE_BENCH_FULL_REF (0 skips the second reference below, default 1),
# LSMOE_BENCH_MS_REF (0 skips the third reference below, default 1), LSMOE_BENCH_SEEDS (seeds of
# the default fits as "from:to", default "1:5"; other seeds, e.g. "6:10", write
# results-realdata-seeds6-10.csv and .md).
# Writes results-realdata.csv (one row per fit) and
# results-realdata.md (one row per case) and prints the summary. Takes a few minutes.
# This is a script, not a test: it measures, it asserts nothing.
#
# Cases (formula interface, `moe_lse(formula, data = ...)`):
#   faithful    eruptions ~ waiting          (datasets, n = 272)
#   mcycle      accel ~ times                (MASS, n = 133)
#   tonedata    tuned ~ stretchratio         (mixtools, n = 150; skipped when unavailable)
#   cars        dist ~ speed                 (datasets, n = 50)
#   Boston      medv ~ lstat + rm            (MASS, n = 506)
#   airquality  Ozone ~ Temp + Wind          (datasets, after na.omit of all columns, n = 111)
#   airquality3 Ozone ~ Solar.R + Wind + Temp (the same rows, d = 3)
#   Boston4     medv ~ lstat + rm + ptratio + dis (MASS, n = 506, d = 4)
# each with k = 2 and 3 and experts expert_linear() and expert_tanh(output_weight = TRUE).
#
# For each case: a reference fit with lse_control(n_starts = 300) (every other setting, the
# bounds included, at its default; set.seed(1000)), whose RSS is the "best RSS"; then 5 default
# fits, set.seed(s) for s = 1..5 (LSMOE_BENCH_SEEDS). A default fit "reaches" the best RSS when its RSS is at most
# best * (1 + 1e-6). (The reference includes the default perturbation search, lse_control().) A
# second, longer search, lse_control(n_starts = 300, n_perturb = 20, perturb_patience = 5)
# (set.seed(1000)), and the 5 default fits themselves give the best RSS of all fits ("best of
# all"), against which the same count is made. A third reference, the 300 starts alone,
# lse_control(n_starts = 300, n_perturb = 0) (no perturbation search; set.seed(1000)), is the
# issue's literal "best RSS that 300 starts find": `reached ms` counts the default fits within
# the same 1e-6 of it (or below). Warnings are caught with withCallingHandlers (the fit goes on) and recorded by
# their first class; errors are recorded too.

suppressPackageStartupMessages(library(lsmoe))
out_dir <- Sys.getenv("LSMOE_BENCH_OUT", if (dir.exists("bench")) "bench" else ".")
ref_starts <- as.integer(Sys.getenv("LSMOE_BENCH_REF_STARTS", "300"))
full_ref <- Sys.getenv("LSMOE_BENCH_FULL_REF", "1") != "0"
ms_ref <- Sys.getenv("LSMOE_BENCH_MS_REF", "1") != "0"
seeds_env <- Sys.getenv("LSMOE_BENCH_SEEDS", "1:5")
if (!grepl("^[0-9]+:[0-9]+$", seeds_env)) stop("LSMOE_BENCH_SEEDS must look like \"1:5\", not \"", seeds_env, "\"")
seeds <- seq(as.integer(sub(":.*", "", seeds_env)), as.integer(sub(".*:", "", seeds_env)))
rel_tol <- 1e-6
options(width = 180)

load_avg <- function() {
  if (file.exists("/proc/loadavg")) strsplit(readLines("/proc/loadavg", n = 1), " ")[[1]][1] else "n/a"
}

# ---- data sets ----------------------------------------------------------------------------------
get_tonedata <- function() {
  if (requireNamespace("mixtools", quietly = TRUE)) {
    e <- new.env()
    utils::data("tonedata", package = "mixtools", envir = e)
    return(list(data = e$tonedata, source = sprintf("mixtools %s", utils::packageVersion("mixtools"))))
  }
  path <- Sys.getenv("LSMOE_BENCH_TONEDATA", "")
  if (nzchar(path) && file.exists(path)) {
    e <- new.env()
    load(path, envir = e)
    if (exists("tonedata", envir = e)) {
      return(list(data = e$tonedata, source = sprintf("the file %s named by LSMOE_BENCH_TONEDATA (mixtools not installed)", basename(path))))
    }
  }
  NULL
}
cases <- list(
  list(name = "faithful", formula = eruptions ~ waiting, data = datasets::faithful),
  list(name = "mcycle", formula = accel ~ times, data = MASS::mcycle),
  list(name = "tonedata", formula = tuned ~ stretchratio, data = NULL),
  list(name = "cars", formula = dist ~ speed, data = datasets::cars),
  list(name = "Boston", formula = medv ~ lstat + rm, data = MASS::Boston),
  list(name = "airquality", formula = Ozone ~ Temp + Wind, data = stats::na.omit(datasets::airquality)),
  list(name = "airquality3", formula = Ozone ~ Solar.R + Wind + Temp, data = stats::na.omit(datasets::airquality)),
  list(name = "Boston4", formula = medv ~ lstat + rm + ptratio + dis, data = MASS::Boston)
)
tone <- get_tonedata()
skipped <- character(0)
if (is.null(tone)) {
  message("tonedata is unavailable (mixtools not installed, LSMOE_BENCH_TONEDATA not set): skipping it")
  skipped <- "tonedata (mixtools not installed and LSMOE_BENCH_TONEDATA not set)"
  cases <- Filter(function(cs) cs$name != "tonedata", cases)
} else {
  cases[[which(vapply(cases, `[[`, "", "name") == "tonedata")]]$data <- tone$data
}
experts <- list(linear = expert_linear(), `tanh(ow)` = expert_tanh(output_weight = TRUE))
ks <- 2:3

# One fit with its warnings (first class of each), error (if any) and elapsed seconds.
run_fit <- function(cs, k, expert, control, seed) {
  warns <- character(0)
  set.seed(seed)
  t0 <- proc.time()[["elapsed"]]
  fit <- tryCatch(
    withCallingHandlers(moe_lse(cs$formula, data = cs$data, k = k, expert = expert, control = control),
                        warning = function(w) {
                          warns <<- c(warns, class(w)[1])
                          invokeRestart("muffleWarning")
                        }),
    error = function(e) e)
  secs <- proc.time()[["elapsed"]] - t0
  err <- if (inherits(fit, "error")) class(fit)[1] else ""
  ok <- !inherits(fit, "error")
  y <- stats::model.response(stats::model.frame(cs$formula, cs$data))
  data.frame(
    data = cs$name, n = nrow(cs$data), k = k, seed = seed, seconds = secs,
    rss = if (ok) fit$rss else NA_real_,
    r_squared = if (ok) 1 - fit$rss / sum((y - mean(y))^2) else NA_real_,
    converged = if (ok) fit$converged else NA,
    status = if (ok) fit$status else NA_integer_,
    iterations = if (ok) fit$iterations else NA_integer_,
    on_bound = if (ok) fit$on_bound else NA_integer_,
    warnings = paste(warns, collapse = ";"), error = err,
    stringsAsFactors = FALSE)
}

load_start <- load_avg()
bench_start <- Sys.time()
message(sprintf("load average at the start: %s", load_start))
fits <- list()
for (cs in cases) {
  for (k in ks) {
    for (en in names(experts)) {
      message(sprintf("%s, k = %d, %s", cs$name, k, en))
      ref <- run_fit(cs, k, experts[[en]], lse_control(n_starts = ref_starts), seed = 1000)
      ref$expert <- en
      ref$fit <- sprintf("%d starts", ref_starts)
      fits[[length(fits) + 1L]] <- ref
      if (full_ref) {
        ref2 <- run_fit(cs, k, experts[[en]], lse_control(n_starts = ref_starts, n_perturb = 20, perturb_patience = 5),
                        seed = 1000)
        ref2$expert <- en
        ref2$fit <- sprintf("%d starts, longer perturbation search", ref_starts)
        fits[[length(fits) + 1L]] <- ref2
      }
      if (ms_ref) {
        ref3 <- run_fit(cs, k, experts[[en]], lse_control(n_starts = ref_starts, n_perturb = 0), seed = 1000)
        ref3$expert <- en
        ref3$fit <- sprintf("%d starts, no perturbation search", ref_starts)
        fits[[length(fits) + 1L]] <- ref3
      }
      for (s in seeds) {
        f <- run_fit(cs, k, experts[[en]], lse_control(), seed = s)
        f$expert <- en
        f$fit <- "default"
        fits[[length(fits) + 1L]] <- f
      }
    }
  }
}
fits <- do.call(rbind, fits)
fits <- fits[, c("data", "n", "k", "expert", "fit", "seed", "seconds", "rss", "r_squared", "converged", "status",
                 "iterations", "on_bound", "warnings", "error")]
key <- paste(fits$data, fits$k, fits$expert)
fits$best_rss <- ave(ifelse(fits$fit == sprintf("%d starts", ref_starts), fits$rss, NA_real_), key,
                     FUN = function(v) max(v, na.rm = TRUE))
fits$rel_gap <- fits$rss / fits$best_rss - 1
fits$reached <- !is.na(fits$rel_gap) & fits$rel_gap <= rel_tol
fits$best_all_rss <- ave(fits$rss, key, FUN = function(v) min(v, na.rm = TRUE))
fits$rel_gap_all <- fits$rss / fits$best_all_rss - 1
fits$reached_all <- !is.na(fits$rel_gap_all) & fits$rel_gap_all <= rel_tol
fits$ms_rss <- ave(ifelse(fits$fit == sprintf("%d starts, no perturbation search", ref_starts), fits$rss, NA_real_), key,
                   FUN = function(v) if (all(is.na(v))) NA_real_ else max(v, na.rm = TRUE))
fits$reached_ms <- !is.na(fits$ms_rss) & !is.na(fits$rss) & fits$rss <= fits$ms_rss * (1 + rel_tol)

count_warn <- function(w) {
  w <- unlist(strsplit(w[nzchar(w)], ";"))
  if (length(w) == 0) return("none")
  tb <- table(w)
  paste(sprintf("%s x%d", sub("^lsmoe_warning_", "", names(tb)), as.integer(tb)), collapse = ", ")
}
summ <- do.call(rbind, lapply(split(fits, factor(key, levels = unique(key))), function(g) {
  r <- g[g$fit == sprintf("%d starts", ref_starts), ]
  r2 <- g[g$fit == sprintf("%d starts, longer perturbation search", ref_starts), ]
  r3 <- g[g$fit == sprintf("%d starts, no perturbation search", ref_starts), ]
  d <- g[g$fit == "default", ]
  data.frame(
    data = r$data, n = r$n, k = r$k, expert = r$expert,
    best_rss = r$rss, r_squared = r$r_squared, ref_converged = r$converged, ref_warnings = count_warn(r$warnings),
    ref_seconds = r$seconds,
    reached = sum(d$reached), defaults = nrow(d),
    worst_rel_gap = max(d$rel_gap, na.rm = TRUE), best_rel_gap = min(d$rel_gap, na.rm = TRUE),
    converged = sum(d$converged %in% TRUE), warnings = count_warn(d$warnings),
    errors = sum(nzchar(d$error)), on_bound = paste(unique(range(d$on_bound, na.rm = TRUE)), collapse = "-"),
    seconds = stats::median(d$seconds),
    best_all_rss = r$best_all_rss, ref_gap_all = r$rel_gap_all, reached_all = sum(d$reached_all),
    full_gap_all = if (nrow(r2)) r2$rel_gap_all else NA_real_,
    full_seconds = if (nrow(r2)) r2$seconds else NA_real_,
    full_warnings = if (nrow(r2)) count_warn(r2$warnings) else "",
    ms_gap_all = if (nrow(r3)) r3$rel_gap_all else NA_real_,
    ms_converged = if (nrow(r3)) r3$converged else NA,
    reached_ms = if (nrow(r3)) sum(d$reached_ms) else NA_integer_,
    stringsAsFactors = FALSE)
}))
rownames(summ) <- NULL
load_end <- load_avg()
elapsed <- as.numeric(difftime(Sys.time(), bench_start, units = "secs"))

tab <- data.frame(
  data = summ$data, n = summ$n, k = summ$k, expert = summ$expert,
  `best RSS` = formatC(summ$best_rss, format = "g", digits = 7),
  R2 = formatC(summ$r_squared, format = "f", digits = 3),
  `ref conv` = ifelse(summ$ref_converged, "yes", "NO"),
  `ref warnings` = summ$ref_warnings,
  `ref s` = formatC(summ$ref_seconds, format = "f", digits = 2),
  reached = sprintf("%d/%d", summ$reached, summ$defaults),
  `worst gap` = formatC(summ$worst_rel_gap, format = "g", digits = 2),
  `best gap` = formatC(summ$best_rel_gap, format = "g", digits = 2),
  converged = sprintf("%d/%d", summ$converged, summ$defaults),
  warnings = summ$warnings, errors = summ$errors, `on bound` = summ$on_bound,
  `s/fit` = formatC(summ$seconds, format = "f", digits = 3),
  `best of all` = formatC(summ$best_all_rss, format = "g", digits = 7),
  `ref gap` = formatC(summ$ref_gap_all, format = "g", digits = 2),
  `long gap` = formatC(summ$full_gap_all, format = "g", digits = 2),
  `long s` = formatC(summ$full_seconds, format = "f", digits = 2),
  `reached all` = sprintf("%d/%d", summ$reached_all, summ$defaults),
  `ms gap` = formatC(summ$ms_gap_all, format = "g", digits = 2),
  `reached ms` = sprintf("%d/%d", summ$reached_ms, summ$defaults),
  check.names = FALSE, stringsAsFactors = FALSE)
md_table <- function(df) {
  c(paste0("| ", paste(names(df), collapse = " | "), " |"),
    paste0("|", paste(rep("---", ncol(df)), collapse = "|"), "|"),
    apply(df, 1, function(r) paste0("| ", paste(trimws(r), collapse = " | "), " |")))
}
print(tab, row.names = FALSE, right = TRUE)
need <- ceiling(0.8 * length(seeds))  # the issue's "at least 4 of 5 seeds"
counts <- sprintf(paste0("Cases whose default fits reach the reference in >= %d of %d seeds: %d of %d against the ",
                         "300-start reference with the perturbation search, %d against the best of all%s; ",
                         "default fits converged: %d of %d, with warnings: %d."),
                  need, length(seeds), sum(summ$reached >= need), nrow(summ), sum(summ$reached_all >= need),
                  if (ms_ref) sprintf(", %d against the 300 starts alone", sum(summ$reached_ms >= need, na.rm = TRUE)) else "",
                  sum(summ$converged), sum(summ$defaults), sum(nzchar(fits$warnings[fits$fit == "default"])))
cat("\n", counts, "\n", sep = "")
cat(sprintf("\nTotal time %.0f s; 1-minute load average %s at the start, %s at the end (%d cores)\n",
            elapsed, load_start, load_end, parallel::detectCores()))

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
# other seeds than 1:5 write results-realdata-seedsA-B.csv / .md beside the main table
suffix <- if (identical(seeds, 1:5)) "" else sprintf("-seeds%d-%d", min(seeds), max(seeds))
csv <- file.path(out_dir, sprintf("results-realdata%s.csv", suffix))
utils::write.csv(fits, csv, row.names = FALSE)
md <- file.path(out_dir, sprintf("results-realdata%s.md", suffix))
writeLines(c(
  sprintf("# Real data%s: default fits against a many-start reference (bench/realdata.R)",
          if (nzchar(suffix)) sprintf(", seeds %d-%d", min(seeds), max(seeds)) else ""),
  "",
  sprintf("Generated by `%sRscript bench/realdata.R`. For each data set, k and expert (`linear` is",
          if (nzchar(suffix)) sprintf("LSMOE_BENCH_SEEDS=%d:%d ", min(seeds), max(seeds)) else ""),
  "`expert_linear()`, `tanh(ow)` is `expert_tanh(output_weight = TRUE)`): a reference fit with",
  sprintf("`lse_control(n_starts = %d)` (all else default: the same bounds and perturbation search; set.seed(1000)) gives `best RSS`", ref_starts),
  "(`R2` = 1 - RSS/TSS, `ref conv`, `ref warnings`, `ref s` its convergence, warnings and seconds);",
  sprintf("then %d default fits (`moe_lse(formula, data = , k = , expert = )`, set.seed(%d) to set.seed(%d)):", length(seeds), min(seeds), max(seeds)),
  sprintf("`reached` counts those with RSS <= best RSS * (1 + %g); `worst gap` and `best gap` are the largest", rel_tol),
  "and smallest RSS / best RSS - 1 among them (a negative gap: a default fit beat the reference);",
  "`converged` counts converged default fits; `warnings` lists the classes of the warnings they raised",
  "(prefix `lsmoe_warning_` dropped) with counts; `on bound` the range of estimates on a bound;",
  "`s/fit` the median elapsed seconds of a default fit. `best of all` is the smallest RSS of all fits",
  sprintf("of the case: the reference, a second reference `lse_control(n_starts = %d, n_perturb = 20, perturb_patience = 5)`", ref_starts),
  "(a longer perturbation search; set.seed(1000)) and the 5 default fits; `ref gap` and `long gap` are the two",
  "references' RSS / best of all - 1, `long s` the second reference's seconds, and `reached all` counts the",
  "default fits within the same relative 1e-6 of the best of all. A third reference, the 300 starts alone",
  sprintf("(`lse_control(n_starts = %d, n_perturb = 0)`, no perturbation search; set.seed(1000); the issue's literal", ref_starts),
  "\"best RSS that 300 starts find\"), is also in `best of all`: `ms gap` is its RSS / best of all - 1, and `reached ms`",
  "counts the default fits within 1e-6 of it (or below). The CSV has one row per fit.",
  if (!is.null(tone)) sprintf("tonedata from %s.", tone$source),
  if (length(skipped)) sprintf("Skipped: %s.", paste(skipped, collapse = "; ")),
  "",
  md_table(tab),
  "",
  counts,
  "",
  sprintf("R %s; lsmoe %s; %s; %d cores shared with other jobs; run %s, %.0f s; 1-minute load average %s at the start, %s at the end.",
          getRversion(), utils::packageVersion("lsmoe"), utils::sessionInfo()$running, parallel::detectCores(),
          format(Sys.time(), "%Y-%m-%d %H:%M"), elapsed, load_start, load_end)
), md)
cat(sprintf("Wrote %s and %s\n", normalizePath(csv), normalizePath(md)))
