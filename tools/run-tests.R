# Runs the testthat suite against the installed package and ends with the plain line
# "N passed, N failed" (expectation counts; errors count as failures).
#
#   Rscript --vanilla tools/run-tests.R [--kernels=default|avx2|portable|both]
#
# The fused pass of a fit has two builds (?lsmoe-package, "Package options"), chosen by
# options(lsmoe.simd), whose default comes from the environment variable LSMOE_SIMD:
#   default   one run, with LSMOE_SIMD as the environment has it (unset: the AVX2 build where the
#             CPU has AVX2 and FMA, else the portable one);
#   avx2      one run with LSMOE_SIMD=true;
#   portable  one run with LSMOE_SIMD=false (what CRAN's machines without AVX2 run);
#   both      (`make test`) the avx2 run and the portable run, each in its own R process, one after
#             the other; the last line holds the totals of both. On a CPU without AVX2 and FMA the
#             avx2 run runs the portable build too, and the output says so.
# LSMOE_LIB: the library holding the installed package (default .lib).
lib <- Sys.getenv("LSMOE_LIB", ".lib")
.libPaths(c(normalizePath(lib), .libPaths()))
args <- commandArgs(trailingOnly = TRUE)
arg_value <- function(name, default) {
  hit <- grep(sprintf("^--%s=", name), args, value = TRUE)
  if (length(hit)) sub(sprintf("^--%s=", name), "", hit[length(hit)]) else default
}
kernels <- arg_value("kernels", "default")
counts_file <- arg_value("counts", "")  # set by the parent of a `both` run
unknown <- args[!grepl("^--(kernels|counts)=", args)]
if (length(unknown) || !kernels %in% c("default", "avx2", "portable", "both")) {
  message("usage: Rscript tools/run-tests.R [--kernels=default|avx2|portable|both]")
  quit(status = 2)
}
library(lsmoe)
# what the AVX2 run runs on this CPU: "avx2", or "portable" without AVX2 and FMA
cpu_kernel <- lsmoe:::cpp_simd_kernel()
no_avx2_note <- "this CPU has no AVX2 and FMA: the AVX2 run used the portable build too"

if (kernels == "both") {
  rscript <- file.path(R.home("bin"), "Rscript")
  runs <- list(list(kernels = "avx2", label = "AVX2 build (LSMOE_SIMD=true)"),
               list(kernels = "portable", label = "portable build (LSMOE_SIMD=false)"))
  totals <- matrix(0L, length(runs), 2, dimnames = list(NULL, c("passed", "failed")))
  for (i in seq_along(runs)) {
    r <- runs[[i]]
    cat(sprintf("\n== Run %d of %d: the %s ==\n", i, length(runs), r$label))
    if (r$kernels == "avx2" && cpu_kernel != "avx2") cat(sprintf("(%s)\n", no_avx2_note))
    out <- tempfile("lsmoe-test-counts-")
    status <- system2(rscript, c("--vanilla", "tools/run-tests.R", paste0("--kernels=", r$kernels),
                                 paste0("--counts=", out)))
    n <- if (file.exists(out)) scan(out, integer(), quiet = TRUE) else integer(0)
    if (length(n) != 2) {
      # the run died before counting (a crash of R, a failure to start): one failure
      cat(sprintf("The %s run ended with status %s before counting its tests: counted as 1 failure.\n",
                  r$kernels, status))
      n <- c(0L, 1L)
    }
    totals[i, ] <- n
  }
  cat("\n== Both builds of the fused pass ==\n")
  for (i in seq_along(runs)) {
    cat(sprintf("%-34s %d passed, %d failed\n", paste0(runs[[i]]$label, ":"), totals[i, 1], totals[i, 2]))
  }
  if (cpu_kernel != "avx2") cat(sprintf("(%s)\n", no_avx2_note))
  passed <- sum(totals[, "passed"])
  failed <- sum(totals[, "failed"])
  cat(sprintf("%d passed, %d failed\n", passed, failed))
  quit(status = if (failed > 0) 1 else 0)
}

if (kernels == "avx2") Sys.setenv(LSMOE_SIMD = "true")
if (kernels == "portable") Sys.setenv(LSMOE_SIMD = "false")
cat(sprintf("Tests with the %s build of the fused pass (LSMOE_SIMD=%s)\n",
            if (lsmoe:::use_simd()) cpu_kernel else "portable", Sys.getenv("LSMOE_SIMD", "<unset>")))
library(testthat)
# run the slower tests (e.g. two future workers) that skip_on_cran() leaves out on CRAN
Sys.setenv(NOT_CRAN = "true")
res <- testthat::test_dir("tests/testthat", package = "lsmoe", load_package = "installed",
                          reporter = testthat::ProgressReporter$new(show_praise = FALSE),
                          stop_on_failure = FALSE)
df <- as.data.frame(res)
passed <- sum(df$passed)
failed <- sum(df$failed) + sum(df$error)
skipped <- sum(df$skipped)
if (nzchar(counts_file)) {
  # a run of `both`: the parent prints the totals line
  writeLines(as.character(c(passed, failed)), counts_file)
  cat(sprintf("\n%s run: %d passed, %d failed\n", kernels, passed, failed))
} else {
  cat(sprintf("\n%d passed, %d failed\n", passed, failed))
}
quit(status = if (failed > 0) 1 else 0)
