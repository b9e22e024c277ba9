# Runs the testthat suite against the installed package and ends with the plain line
# "N passed, N failed" (expectation counts; errors count as failures).
lib <- Sys.getenv("LSMOE_LIB", ".lib")
.libPaths(c(normalizePath(lib), .libPaths()))
library(testthat)
# run the slower tests (e.g. two future workers) that skip_on_cran() leaves out on CRAN
Sys.setenv(NOT_CRAN = "true")
library(lsmoe)
res <- testthat::test_dir("tests/testthat", package = "lsmoe", load_package = "installed",
                          reporter = testthat::ProgressReporter$new(show_praise = FALSE),
                          stop_on_failure = FALSE)
df <- as.data.frame(res)
passed <- sum(df$passed)
failed <- sum(df$failed) + sum(df$error)
skipped <- sum(df$skipped)
cat(sprintf("\n%d passed, %d failed\n", passed, failed))
quit(status = if (failed > 0) 1 else 0)
