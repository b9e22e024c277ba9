# Builds the pkgdown site into site/ (`make site`), offline: every reference page (with its
# examples run), every vignette as an article, the README as the home page, NEWS.md as the
# changelog. Run from the package root with the installed lsmoe first on the library path
# (`make site` does: R_LIBS=.lib). Written for Debian's pkgdown 2.0.7, whose head template loads
# JavaScript, icons and MathJax from CDNs: pkgdown/templates/head.html (which pkgdown uses in place
# of its own) loads local files instead: pkgdown/assets/site.js and site.css, which pkgdown copies,
# and two libraries this script copies from this machine into site/vendor/: Font Awesome from R's
# fontawesome package and MathJax 2.7 from Debian's libjs-mathjax (a dependency of
# r-cran-pkgdown). Fails when pkgdown warns (a missing image, say) or a page is missing; a topic
# missing from _pkgdown.yml's reference index is an error of pkgdown::check_pkgdown().
t0 <- proc.time()[["elapsed"]]
dst <- "site"
mathjax <- Sys.getenv("LSMOE_MATHJAX", "/usr/share/javascript/mathjax")

stopifnot(file.exists("_pkgdown.yml"), file.exists("DESCRIPTION"))
if (!requireNamespace("pkgdown", quietly = TRUE)) {
  stop("pkgdown is missing: `make deps` (Debian: apt-get install r-cran-pkgdown)", call. = FALSE)
}
if (packageVersion("pkgdown") >= "2.1.0") {
  message("site: pkgdown ", packageVersion("pkgdown"), " bundles its assets itself; ",
          "pkgdown/templates/head.html was written for 2.0.x and may need an update")
}
if (!file.exists(file.path(mathjax, "MathJax.js"))) {
  stop("MathJax 2.7 not found in ", mathjax, " (Debian: apt-get install libjs-mathjax; ",
       "or set LSMOE_MATHJAX to a MathJax 2.7 directory)", call. = FALSE)
}
fontawesome <- system.file("fontawesome", package = "fontawesome")
if (!nzchar(fontawesome)) stop("R package fontawesome is missing", call. = FALSE)
lsmoe_lib <- find.package("lsmoe", quiet = TRUE)
if (!length(lsmoe_lib)) stop("lsmoe is not installed on the library path (make install)", call. = FALSE)
message("site: examples and vignettes run with lsmoe from ", dirname(lsmoe_lib))

warnings_seen <- character()
keep_warning <- function(w) {
  warnings_seen <<- c(warnings_seen, conditionMessage(w))
}

# pkgdown knits each vignette with a temporary file next to it in vignettes/, which leaves the
# directory's time newer than `make install`'s stamp: the next `make install` would rebuild the
# package. Put back the times of source directories whose contents the build did not change.
src_dirs <- list.dirs(intersect(c("R", "inst", "man", "vignettes", "data"),
                                list.dirs(".", full.names = FALSE, recursive = FALSE)))
src_state <- lapply(src_dirs, function(d) {
  list(mtime = file.mtime(d), files = list.files(d, all.files = TRUE, no.. = TRUE))
})
restore_dir_times <- function() {
  for (i in seq_along(src_dirs)) {
    d <- src_dirs[[i]]
    if (dir.exists(d) && !identical(file.mtime(d), src_state[[i]]$mtime) &&
        identical(list.files(d, all.files = TRUE, no.. = TRUE), src_state[[i]]$files)) {
      Sys.setFileTime(d, src_state[[i]]$mtime)
    }
  }
}

# Offline: no look-up of the package on CRAN or Bioconductor for the home page's links.
options(pkgdown.internet = FALSE)
# A clean build: pages of topics or vignettes that no longer exist do not survive.
unlink(dst, recursive = TRUE)
withCallingHandlers({
  pkgdown::check_pkgdown(".")
  tryCatch(
    pkgdown::build_site(".", install = FALSE, new_process = FALSE, devel = FALSE, preview = FALSE),
    finally = restore_dir_times()
  )
}, warning = keep_warning)

# The local copies head.html links to.
copy_tree <- function(from, to) {
  files <- list.files(from, recursive = TRUE, all.files = FALSE)
  dirs <- unique(file.path(to, dirname(files)))
  for (d in dirs) dir.create(d, recursive = TRUE, showWarnings = FALSE)
  ok <- file.copy(file.path(from, files), file.path(to, files), overwrite = TRUE)
  if (!all(ok)) stop("could not copy ", sum(!ok), " file(s) from ", from, call. = FALSE)
  length(files)
}
vendor <- file.path(dst, "vendor")
n_fa <- copy_tree(file.path(fontawesome, "css"), file.path(vendor, "fontawesome", "css")) +
  copy_tree(file.path(fontawesome, "webfonts"), file.path(vendor, "fontawesome", "webfonts"))
# MathJax: the combined configuration TeX-AMS_CHTML (TeX input, CommonHTML output), its
# extensions, and the TeX web fonts CommonHTML uses (about 3 MB of Debian's 54).
mj_parts <- c("MathJax.js", "config/TeX-AMS_CHTML.js", "extensions", "jax/input/TeX",
              "jax/element", "jax/output/CommonHTML", "fonts/HTML-CSS/TeX/woff")
n_mj <- 0L
for (part in mj_parts) {
  from <- file.path(mathjax, part)
  to <- file.path(vendor, "mathjax", part)
  if (dir.exists(from)) {
    n_mj <- n_mj + copy_tree(from, to)
  } else {
    dir.create(dirname(to), recursive = TRUE, showWarnings = FALSE)
    if (!file.copy(from, to, overwrite = TRUE)) stop("could not copy ", from, call. = FALSE)
    n_mj <- n_mj + 1L
  }
}

# pkgdown 2.0.7 writes the package logo as <img src="" class="logo"> on every page but the home
# page when the package has no logo (man/figures/logo.png): a broken image. Drop it.
for (f in list.files(dst, pattern = "\\.html$", recursive = TRUE, full.names = TRUE)) {
  if (startsWith(f, file.path(dst, "vendor"))) next
  lines <- readLines(f, warn = FALSE, encoding = "UTF-8")
  fixed <- gsub('<img src="" class="logo" alt="">', "", lines, fixed = TRUE)
  if (!identical(fixed, lines)) writeLines(fixed, f, useBytes = TRUE)
}

# Every topic and vignette has its page.
topics <- sub("\\.Rd$", "", list.files("man", pattern = "\\.Rd$"))
vignettes <- sub("\\.Rmd$", "", list.files("vignettes", pattern = "\\.Rmd$"))
want <- c("index.html", "reference/index.html", "articles/index.html", "news/index.html",
          file.path("reference", paste0(topics, ".html")),
          file.path("articles", paste0(vignettes, ".html")))
missing_pages <- want[!file.exists(file.path(dst, want))]

html <- list.files(dst, pattern = "\\.html$", recursive = TRUE)
html <- html[!startsWith(html, "vendor/")]
cat(sprintf(paste("site: %d HTML pages in %s/ (%d reference topics, %d articles);",
                  "vendor/: %d Font Awesome and %d MathJax files; %.0f s\n"),
            length(html), dst, length(topics), length(vignettes), n_fa, n_mj,
            proc.time()[["elapsed"]] - t0))
if (length(warnings_seen)) {
  cat("site: pkgdown warned:\n", paste0("  ", unique(warnings_seen), "\n"), sep = "")
}
if (length(missing_pages)) cat("site: missing pages:", missing_pages, "\n")
if (length(warnings_seen) || length(missing_pages)) quit(status = 1)
