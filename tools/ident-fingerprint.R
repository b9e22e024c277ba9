# Records every call of the identifiability core (cpp_identifiability, cpp_ident_columns) made by
# tests/testthat/test-identifiability*.R, with its arguments and its result, and compares a build
# against a recording: to show that a change of the C++ build leaves every spectrum, ratio,
# relation and verdict bit for bit the same.
#   Rscript --vanilla tools/ident-fingerprint.R save  FILE.rds
#   Rscript --vanilla tools/ident-fingerprint.R check FILE.rds   (prints "N call(s), M difference(s)")
# The package is loaded from R_LIBS (e.g. R_LIBS=.lib).
args <- commandArgs(TRUE)
if (length(args) != 2 || !args[1] %in% c("save", "check")) stop("usage: ident-fingerprint.R save|check FILE.rds")
suppressPackageStartupMessages({
  library(testthat)
  library(lsmoe)
})
ns <- asNamespace("lsmoe")
core <- c("cpp_identifiability", "cpp_ident_columns")
calls <- list()
for (fn in core) {
  local({
    orig <- get(fn, envir = ns)
    name <- fn
    wrapped <- function(...) {
      a <- list(...)
      res <- tryCatch(orig(...), error = function(e) structure(conditionMessage(e), class = "core_error"))
      calls[[length(calls) + 1]] <<- list(fn = name, args = a, result = res)
      if (inherits(res, "core_error")) stop(unclass(res), call. = FALSE)
      res
    }
    unlockBinding(name, ns)
    assign(name, wrapped, envir = ns)
    lockBinding(name, ns)
  })
}
if (args[1] == "save") {
  Sys.setenv(NOT_CRAN = "true")
  for (f in Sys.glob("tests/testthat/test-identifiability*.R")) {
    testthat::test_file(f, package = "lsmoe", load_package = "installed", reporter = "silent")
  }
  saveRDS(calls, args[2])
  cat(length(calls), "call(s) saved\n")
} else {
  ref <- readRDS(args[2])
  diffs <- 0L
  for (i in seq_along(ref)) {
    r <- ref[[i]]
    res <- tryCatch(do.call(get(r$fn, envir = ns), r$args), error = function(e) structure(conditionMessage(e), class = "core_error"))
    if (!identical(res, r$result)) {
      diffs <- diffs + 1L
      cat("difference in call", i, "(", r$fn, ")\n")
    }
  }
  cat(length(ref), "call(s),", diffs, "difference(s)\n")
}
