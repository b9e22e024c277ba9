#!/usr/bin/env bash
# Installs whatever R packages (and pandoc) lsmoe needs that this machine lacks: Debian's prebuilt
# r-cran-* packages where possible (as root with apt-get), install.packages() from R's configured
# repository otherwise. Safe to run repeatedly.
set -euo pipefail
PKGS="Rcpp RcppEigen BH testthat withr roxygen2 pkgbuild pkgload knitr rmarkdown MASS flexmix minpack.lm ggplot2 future future.apply progressr generics"

# Optional peers for the benchmark (bench/fit.R): installed when possible, never required.
OPT_PKGS="gslnls"

missing() {
  Rscript --vanilla -e 'p <- commandArgs(TRUE); cat(p[!vapply(p, requireNamespace, logical(1), quietly = TRUE)])' "$@"
}

need=$(missing $PKGS)
# pandoc builds the vignettes; qpdf is used by R CMD check (make check)
need_pandoc=0
command -v pandoc >/dev/null 2>&1 || need_pandoc=1
command -v qpdf >/dev/null 2>&1 || need_pandoc=1
if { [ -n "$need" ] || [ "$need_pandoc" = 1 ]; } && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "deps: installing from Debian: ${need} $( [ "$need_pandoc" = 1 ] && echo pandoc qpdf)"
  apt-get update -qq >/dev/null 2>&1 || true
  debs=""
  for p in $need; do debs="$debs r-cran-$(echo "$p" | tr '[:upper:]' '[:lower:]')"; done
  [ "$need_pandoc" = 1 ] && debs="$debs pandoc qpdf"
  for d in $debs; do
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$d" >/dev/null 2>&1 \
      || echo "deps: $d not available from Debian"
  done
  need=$(missing $PKGS)
fi
if [ -n "$need" ]; then
  echo "deps: installing from CRAN: $need"
  # not --vanilla: R's site profile sets the configured repository
  Rscript --no-init-file -e 'install.packages(commandArgs(TRUE))' $need
  need=$(missing $PKGS)
fi
if [ -n "$need" ]; then
  echo "deps: still missing: $need" >&2
  exit 1
fi
opt=$(missing $OPT_PKGS)
if [ -n "$opt" ]; then
  # gslnls needs the GSL headers (Debian's libgsl-dev); failure here only skips bench rows
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && ! [ -e /usr/include/gsl/gsl_multifit_nlinear.h ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libgsl-dev >/dev/null 2>&1 || true
  fi
  echo "deps: optional packages, best effort: $opt"
  Rscript --no-init-file -e 'try(install.packages(commandArgs(TRUE)))' $opt >/tmp/lsmoe-deps-optional.log 2>&1 || true
  still=$(missing $OPT_PKGS)
  if [ -n "$still" ]; then
    echo "deps: WARNING: optional package(s) not installed: $still (the bench's columns for them are left out);" \
      "the last lines of the attempt (/tmp/lsmoe-deps-optional.log):" >&2
    tail -n 5 /tmp/lsmoe-deps-optional.log >&2 || true
  fi
fi
echo "deps: all R packages present"

# The website only (`make site`, `make site-check`: bash tools/deps.sh site): pkgdown, MathJax 2.7
# (Debian's libjs-mathjax, which r-cran-pkgdown depends on), Chromium and Node.js, from Debian as
# root; otherwise pkgdown from CRAN, and MathJax, Chromium and Node.js must be installed by hand.
if [ "${1:-}" = site ]; then
  site_debs=""
  [ -n "$(missing pkgdown)" ] && site_debs="$site_debs r-cran-pkgdown"
  [ -f /usr/share/javascript/mathjax/MathJax.js ] || site_debs="$site_debs libjs-mathjax"
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || site_debs="$site_debs chromium"
  command -v node >/dev/null 2>&1 || site_debs="$site_debs nodejs"
  if [ -n "$site_debs" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "deps: installing from Debian for the website:$site_debs"
    apt-get update -qq >/dev/null 2>&1 || true
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $site_debs >/dev/null 2>&1 \
      || echo "deps: could not install some of:$site_debs" >&2
  fi
  if [ -n "$(missing pkgdown)" ]; then
    Rscript --no-init-file -e 'install.packages("pkgdown")'
  fi
  [ -z "$(missing pkgdown)" ] || { echo "deps: pkgdown missing" >&2; exit 1; }
  [ -f "${LSMOE_MATHJAX:-/usr/share/javascript/mathjax}/MathJax.js" ] || { echo "deps: MathJax 2.7 missing (libjs-mathjax)" >&2; exit 1; }
  command -v node >/dev/null 2>&1 || { echo "deps: node missing (nodejs)" >&2; exit 1; }
  echo "deps: website tools present (pkgdown, MathJax, node$(command -v chromium >/dev/null 2>&1 && echo ', chromium'))"
fi
