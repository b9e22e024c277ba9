# Peak memory of a default fit (issue 30, item 7): the formula interface moe_lse(y ~ x, data, k = 3)
# and the matrix interface moe_lse_fit(x, y, k = 3), d = 1, linear experts (the default), and the
# size of the fit object; lm(y ~ x, data) on the same data as a peer.
#
#   make bench                                               (package installed into .lib first)
#   R_LIBS=/path/to/lib Rscript bench/memory.R [label]       (label: "after" by default)
#   Rscript bench/memory.R --table                           (the table again from the csv)
#
# Environment: LSMOE_BENCH_MEMORY_N (default "5e6"), LSMOE_BENCH_OUT (directory of
# results-memory.md and .csv, default "bench" when it exists). Each case runs in its own R process
# (one at a time; nice it on a shared machine): it builds the data, collects the garbage, then
# measures the fit alone. Rows of other labels already in the csv are kept, so that a run on the
# code before a change (a label starting with "before", with the older package in R_LIBS) and one
# after it share one table. About 4 minutes at n = 5e6 on a shared 2-core machine.
#
# Columns:
# * data MB: object.size() of the data the call reads (formula: the data frame of x and y;
#   matrix: the n x 1 matrix x and the vector y), built before the measurement.
# * peak MB: the process's peak resident set size during the fit above its resident size just
#   before it (Linux: /proc/self/status VmHWM after resetting it through /proc/self/clear_refs;
#   it counts R's heap, the C++ allocations and freed memory not yet returned alike);
#   ratio: peak MB / data MB (the target: at most about 2 for the formula interface).
# * R heap MB: gc()'s "max used" (Ncells and Vcells) during the fit above "used" before it (R's
#   own allocations only).
# * object MB: object.size() of the fit; saved MB: the bytes of saveRDS(fit, compress = FALSE), that
#   is of serialize() (object.size() does not count the terms' environment).
# * s: seconds of the fit; peak total MB: the whole process's peak resident set (/usr/bin/time -v's
#   "Maximum resident set size"; "-" without /usr/bin/time).
# A script, not a test: nothing is asserted.

child <- function(args) {
  iface <- args[2]
  n <- as.numeric(args[3])
  suppressPackageStartupMessages(library(lsmoe))
  status <- function(key) {
    s <- readLines("/proc/self/status")
    as.numeric(gsub("[^0-9]", "", grep(paste0("^", key, ":"), s, value = TRUE))) / 1024
  }
  # the data and the call in the global environment, where a user's are (serialize() of a fit
  # would otherwise take the data along with the environment of its formula)
  env <- globalenv()
  set.seed(1)
  x <- stats::runif(n, -2, 2)
  e <- stats::rnorm(n, sd = 0.3)
  # three linear pieces: y = |x| - 1 for |x| > 1, else 0, plus noise (built in place of e)
  e <- e + pmax(abs(x) - 1, 0)
  if (iface == "matrix") {
    assign("X", matrix(x, ncol = 1, dimnames = list(NULL, "x")), env)
    assign("y", e, env)
    rm(x, e)
    data_mb <- (utils::object.size(env$X) + utils::object.size(env$y)) / 2^20
    call <- quote(moe_lse_fit(X, y, k = 3))
  } else {
    assign("dat", data.frame(x = x, y = e), env)
    rm(x, e)
    data_mb <- utils::object.size(env$dat) / 2^20
    call <- switch(iface,
      "formula" = quote(moe_lse(y ~ x, data = dat, k = 3)),
      "formula, model = FALSE" = quote(moe_lse(y ~ x, data = dat, k = 3, model = FALSE)),
      "lm (peer)" = quote(lm(y ~ x, data = dat)))
    if (iface == "formula, model = FALSE" && !"model" %in% names(formals(moe_lse))) {
      cat("RESULT NA\n")
      return(invisible())
    }
  }
  invisible(gc())
  g0 <- gc(reset = TRUE)
  used0 <- sum(g0[, 2])
  rss0 <- status("VmRSS")
  writeLines("5", "/proc/self/clear_refs")  # resets VmHWM to the current resident size
  t0 <- proc.time()[["elapsed"]]
  fit <- suppressWarnings(eval(call, env))
  secs <- proc.time()[["elapsed"]] - t0
  peak <- status("VmHWM") - rss0
  g1 <- gc()
  heap <- sum(g1[, ncol(g1) - (if (colnames(g1)[ncol(g1)] == "limit (Mb)") 1 else 0)]) - used0
  obj <- as.numeric(utils::object.size(fit)) / 2^20
  tf <- tempfile()
  saveRDS(fit, tf, compress = FALSE)  # serialize() without holding its bytes in memory
  ser <- file.size(tf) / 2^20
  unlink(tf)
  rss <- if (inherits(fit, "lm")) sum(fit$residuals^2) else fit$rss
  cat(sprintf("RESULT %.1f %.1f %.1f %.1f %.1f %.1f %.6g\n", data_mb, peak, heap, obj, ser, secs, rss))
}

args <- commandArgs(TRUE)
if (length(args) && args[1] == "--child") {
  child(args)
  quit(save = "no")
}

label <- if (length(args)) args[1] else "after"
table_only <- label == "--table"  # rewrite the table from the csv without measuring
ns <- as.numeric(strsplit(Sys.getenv("LSMOE_BENCH_MEMORY_N", "5e6"), ",")[[1]])
out_dir <- Sys.getenv("LSMOE_BENCH_OUT", if (dir.exists("bench")) "bench" else ".")
ifaces <- c("formula", "formula, model = FALSE", "matrix", "lm (peer)")
load1 <- function() strsplit(readLines("/proc/loadavg"), " ")[[1]][1]
script <- local({
  f <- grep("^--file=", commandArgs(FALSE), value = TRUE)
  normalizePath(sub("^--file=", "", f[1]))
})
rscript <- file.path(R.home("bin"), "Rscript")
has_time <- file.exists("/usr/bin/time")
rows <- list()
for (n in if (table_only) numeric(0) else ns) for (iface in ifaces) {
  tf <- tempfile()
  cmd <- c(if (has_time) c("-v", "-o", tf, rscript) else character(0), "--vanilla", script, "--child", shQuote(iface), format(n, scientific = FALSE))
  out <- system2(if (has_time) "/usr/bin/time" else rscript, cmd, stdout = TRUE, stderr = FALSE)
  res <- grep("^RESULT", out, value = TRUE)
  if (!length(res)) {
    cat(sprintf("n = %g, %s: failed\n%s\n", n, iface, paste(out, collapse = "\n")))
    next
  }
  if (grepl("NA", res)) next  # model = FALSE not available in this build
  v <- as.numeric(strsplit(res, " ")[[1]][-1])
  total <- if (has_time && file.exists(tf)) {
    tl <- grep("Maximum resident set size", readLines(tf), value = TRUE)
    as.numeric(gsub("[^0-9]", "", tl)) / 1024
  } else NA_real_
  rows[[length(rows) + 1]] <- data.frame(label = label, n = n, interface = iface, data_mb = v[1], peak_mb = v[2],
                                         ratio = v[2] / v[1], heap_mb = v[3], object_mb = v[4], saved_mb = v[5],
                                         seconds = v[6], total_mb = total, rss = v[7], date = format(Sys.Date()),
                                         load = load1(), stringsAsFactors = FALSE)
  print(rows[[length(rows)]], row.names = FALSE)
}
csv <- file.path(out_dir, "results-memory.csv")
old <- if (file.exists(csv)) utils::read.csv(csv, stringsAsFactors = FALSE, check.names = FALSE) else NULL
if (!table_only) {
  if (!is.null(old)) old <- old[old$label != label, , drop = FALSE]
  all <- rbind(old, do.call(rbind, rows))
} else {
  all <- old
}
all <- all[order(-grepl("^before", all$label), all$label, all$n, match(all$interface, ifaces)), ]
utils::write.csv(all, csv, row.names = FALSE)
f1 <- function(v) ifelse(is.na(v), "-", formatC(v, format = "f", digits = 1))
runs <- unique(all[c("label", "date", "load")])
md <- c("# Peak memory of a default fit (bench/memory.R)", "",
        "d = 1, k = 3 linear experts (the default), every other argument by default; each case in its own R process.",
        "peak MB: the peak resident set during the fit above the resident set just before it (the data built);",
        "ratio: peak / data MB; R heap MB: gc()'s max used during the fit above used before it; object MB:",
        "object.size(fit) (it counts the data a fit shares with the session, such as the model frame's columns);",
        "saved MB: the bytes saveRDS(fit, compress = FALSE) writes; s: seconds of the fit (the machine is shared:",
        "compare within a run); peak total MB: the process's peak resident set (/usr/bin/time -v), R itself and",
        "the data included; RSS: the fit's residual sum of squares.", "",
        paste0("Runs: ", paste(sprintf("%s on %s (1-minute load %s)", runs$label, runs$date, runs$load), collapse = "; "), "."),
        "", "| code | n | interface | data MB | peak MB | ratio | R heap MB | object MB | saved MB | s | peak total MB | RSS |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        sprintf("| %s | %g | %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %.6g |", all$label, all$n, all$interface,
                f1(all$data_mb), f1(all$peak_mb), all$ratio, f1(all$heap_mb), f1(all$object_mb), f1(all$saved_mb),
                f1(all$seconds), f1(all$total_mb), all$rss))
writeLines(md, file.path(out_dir, "results-memory.md"))
cat(md, sep = "\n")
