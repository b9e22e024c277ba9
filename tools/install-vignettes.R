# Builds the vignettes against a freshly installed lsmoe and installs them into it, so that
# vignette("getting-started", package = "lsmoe") works after `make install` (R CMD INSTALL of a
# source directory installs only vignettes already built into inst/doc, and this repository keeps
# none). Usage, from the package root: Rscript --vanilla tools/install-vignettes.R LIBRARY
# where LIBRARY holds the lsmoe just installed (the Makefile's staging library).
# The vignettes are built in a temporary copy (DESCRIPTION + vignettes/), one after the other as
# R CMD build does, so the work tree stays clean; the HTML, the tangled R code and the sources go
# to LIBRARY/lsmoe/doc, and the index (Meta/vignette.rds, doc/index.html) is written by the
# function R CMD INSTALL itself uses for that. Fails when a vignette fails.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1L || !dir.exists(file.path(args[[1L]], "lsmoe"))) {
  stop("usage: Rscript tools/install-vignettes.R LIBRARY (a library with lsmoe installed)", call. = FALSE)
}
t0 <- proc.time()[["elapsed"]]
lib <- normalizePath(args[[1L]])
inst <- file.path(lib, "lsmoe")
.libPaths(c(lib, .libPaths()))
stopifnot(file.exists("DESCRIPTION"), dir.exists("vignettes"))

tmp <- tempfile("lsmoe-vignettes-")
dir.create(file.path(tmp, "vignettes"), recursive = TRUE)
on.exit(unlink(tmp, recursive = TRUE), add = TRUE)
file.copy("DESCRIPTION", tmp)
file.copy(list.files("vignettes", full.names = TRUE, all.files = FALSE), file.path(tmp, "vignettes"),
          recursive = TRUE)

built <- tools::buildVignettes(dir = tmp, tangle = TRUE, quiet = TRUE)
# file names relative to the vignettes' directory
outputs <- file.path(tmp, "vignettes", basename(c(built$outputs, unlist(built$sources))))
doc <- file.path(inst, "doc")
dir.create(doc, showWarnings = FALSE)
if (!all(file.copy(outputs, doc, overwrite = TRUE))) stop("could not copy the built vignettes", call. = FALSE)
# Copies the sources next to the outputs and writes the index, as R CMD INSTALL does for a package
# whose inst/doc holds built vignettes.
tools:::.install_package_vignettes2(tmp, inst)

idx <- readRDS(file.path(inst, "Meta", "vignette.rds"))
cat(sprintf("install-vignettes: %d vignettes built and installed into %s (%s); %.0f s\n",
            nrow(idx), doc, paste(idx$PDF, collapse = ", "), proc.time()[["elapsed"]] - t0))
