# install.packages() for tools/deps.sh: installs the packages named on the command line from R's
# configured repository (the site profile's; no repository is named here) and, for every one still
# missing afterwards, says why on stderr: install.packages()'s warnings about it (e.g. "package
# 'x' is not available for this version of R", "installation of package 'x' had non-zero exit
# status") and the error lines of its installation log (e.g. a missing system library such as
# GSL's headers). Exits with status 0 whatever happened: tools/deps.sh decides what is fatal.
#
#   Rscript --no-init-file tools/deps-install.R LOGDIR pkg1 pkg2 ...
args <- commandArgs(TRUE)
logdir <- args[1]
pkgs <- args[-1]
dir.create(logdir, showWarnings = FALSE, recursive = TRUE)
warns <- character(0)
res <- tryCatch(
  withCallingHandlers(
    utils::install.packages(pkgs, keep_outputs = logdir, quiet = TRUE),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    }),
  error = function(e) {
    warns <<- c(warns, paste("install.packages() stopped:", conditionMessage(e)))
    NULL
  })
ok <- vapply(pkgs, requireNamespace, logical(1), quietly = TRUE)
for (p in pkgs[!ok]) {
  mine <- grep(sprintf("['\u2018\u2019\"]%s['\u2018\u2019\"]", gsub(".", "\\.", p, fixed = TRUE)), warns, value = TRUE)
  other <- if (length(mine)) character(0) else warns  # e.g. no repository reachable: every warning
  why <- unique(sub("\n.*", "", c(mine, other)))  # first lines: R's advice that follows names no reason
  out <- file.path(logdir, paste0(p, ".out"))
  errs <- if (file.exists(out)) {
    l <- readLines(out, warn = FALSE)
    e <- grep("ERROR|[Ee]rror|cannot|not found|No such file", l, value = TRUE)
    utils::tail(if (length(e)) e else l, 6)
  }
  message(sprintf("deps: FAILED to install R package '%s'.", p))
  if (length(why)) message(paste0("deps:   install.packages() said: ", why, collapse = "\n"))
  if (length(errs)) message(paste0("deps:   from its installation log (", out, "):\n",
                                   paste0("deps:     ", errs, collapse = "\n")))
  if (!length(why) && !length(errs)) message("deps:   (no warning and no log: see the output above)")
}
invisible(res)
