#!/usr/bin/env bash
# The website's tools only (`make site`, `make site-check`), after tools/deps.sh: pkgdown, MathJax 2.7
# (Debian's libjs-mathjax, which r-cran-pkgdown depends on), Chromium and Node.js, from Debian as
# root; otherwise pkgdown from R's repository, and MathJax, Chromium and Node.js must be installed by hand.
set -euo pipefail
missing() {
  Rscript --vanilla -e 'p <- commandArgs(TRUE); cat(p[!vapply(p, requireNamespace, logical(1), quietly = TRUE)])' "$@"
}
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
