#!/usr/bin/env bash
# Installs whatever R packages (and pandoc, qpdf) lsmoe needs that this machine lacks: Debian's
# prebuilt r-cran-* packages where possible (as root with apt-get), install.packages() from R's
# configured repository otherwise (tools/deps-install.R; no repository is named here). Safe to run
# repeatedly, and quick when everything is installed (it only looks).
#
#   bash tools/deps.sh          what make install, test, demo and docs need (fatal when missing),
#                               and every other package below (a loud warning when missing)
#   bash tools/deps.sh --check  the same, and every Suggests package is fatal too (make check)
#
# The packages, in three sets:
# * required: DESCRIPTION's Imports and LinkingTo, the test suite's and the tools' packages
#   (REQUIRED_EXTRA). Missing after both attempts: an error (exit 1).
# * suggests: every package of DESCRIPTION's Suggests (read from it, so that the list cannot fall
#   behind). R CMD check --as-cran needs them all here: with one missing it reads CRAN's web area
#   (web/packages/packages.rds) at "checking package dependencies", which a network serving only
#   the package repositories does not serve, and stops with an error. Missing: a warning on stderr
#   with install.packages()'s reason, and an error with --check.
# * bench: the benchmarks' optional peers (bench/*.R) that are not in Suggests (BENCH_PKGS).
#   Missing: a warning with the reason; the bench leaves their rows out.
# A package that needs a system library to build from source gets it first (SYSTEM_DEPS), as root
# with apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."

CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

REQUIRED_EXTRA="testthat withr roxygen2 pkgbuild pkgload knitr rmarkdown MASS flexmix minpack.lm ggplot2 future future.apply progressr generics"
BENCH_PKGS="mixtools"
# R package -> Debian package with what it needs to build from source
SYSTEM_DEPS="gslnls:libgsl-dev"
LOGDIR="${TMPDIR:-/tmp}/lsmoe-deps"

# Packages of DESCRIPTION's fields $@, without version requirements or R's base packages.
desc_pkgs() {
  Rscript --vanilla -e '
    d <- read.dcf("DESCRIPTION", fields = commandArgs(TRUE))
    v <- unlist(strsplit(d[!is.na(d)], ","))
    v <- trimws(sub("\\(.*", "", v))
    base <- c("base", "compiler", "datasets", "graphics", "grDevices", "grid", "methods", "parallel",
              "splines", "stats", "stats4", "tcltk", "tools", "utils")
    cat(setdiff(v[nzchar(v)], c("R", base)))' "$@"
}
missing() {
  [ $# -eq 0 ] && return 0
  Rscript --vanilla -e 'p <- commandArgs(TRUE); cat(p[!vapply(p, requireNamespace, logical(1), quietly = TRUE)])' "$@"
}
uniq_words() { tr ' ' '\n' | awk 'NF && !seen[$0]++' | tr '\n' ' '; }

REQUIRED=$(echo "$(desc_pkgs Imports LinkingTo) $REQUIRED_EXTRA" | uniq_words)
SUGGESTS=$(desc_pkgs Suggests | uniq_words)
ALL=$(echo "$REQUIRED $SUGGESTS $BENCH_PKGS" | uniq_words)

need=$(missing $ALL)
need_tools=""
command -v pandoc >/dev/null 2>&1 || need_tools="$need_tools pandoc"  # builds the vignettes
command -v qpdf >/dev/null 2>&1 || need_tools="$need_tools qpdf"      # used by R CMD check
if [ -z "$need" ] && [ -z "$need_tools" ]; then
  echo "deps: all R packages present"
  exit 0
fi

as_root_apt=0
command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && as_root_apt=1
apt_updated=0
apt_install() {  # Debian packages $@, one at a time; prints those that failed
  [ "$as_root_apt" = 1 ] || { echo "$@"; return 0; }
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  for d in "$@"; do
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$d" >/dev/null 2>&1 || echo "$d"
  done
}

if [ -n "$need_tools" ]; then
  if [ "$as_root_apt" = 1 ]; then
    echo "deps: installing from Debian:$need_tools"
    failed=$(apt_install $need_tools)
    [ -n "$failed" ] && echo "deps: WARNING: could not install $failed from Debian (needed by make check)" >&2
  else
    echo "deps: WARNING: not found:$need_tools (make check needs them; install them with the system's package manager)" >&2
  fi
fi

if [ -n "$need" ] && [ "$as_root_apt" = 1 ]; then
  echo "deps: installing from Debian where it has them: $need"
  debs=""
  for p in $need; do debs="$debs r-cran-$(echo "$p" | tr '[:upper:]' '[:lower:]')"; done
  apt_install $debs >/dev/null
  need=$(missing $need)
fi
if [ -n "$need" ]; then
  # system libraries of the packages left to build from source
  if [ "$as_root_apt" = 1 ]; then
    for pair in $SYSTEM_DEPS; do
      case " $need " in *" ${pair%%:*} "*) apt_install "${pair#*:}" >/dev/null ;; esac
    done
  fi
  echo "deps: installing from R's repository: $need (logs in $LOGDIR)"
  # not --vanilla: R's site profile sets the configured repository
  Rscript --no-init-file tools/deps-install.R "$LOGDIR" $need || true
  need=$(missing $need)
fi

status=0
bad_req="" bad_sug="" bad_bench=""
for p in $need; do
  case " $REQUIRED " in
    *" $p "*) bad_req="$bad_req $p" ;;
    *) case " $SUGGESTS " in *" $p "*) bad_sug="$bad_sug $p" ;; *) bad_bench="$bad_bench $p" ;; esac ;;
  esac
done
if [ -n "$bad_req" ]; then
  echo "deps: ERROR: required R package(s) still missing:$bad_req (make install, test and demo need them; the reasons are above)" >&2
  status=1
fi
if [ -n "$bad_sug" ]; then
  if [ "$CHECK" = 1 ]; then
    echo "deps: ERROR: Suggests package(s) still missing:$bad_sug. make check would stop at \"checking package dependencies\" (R CMD check --as-cran reads CRAN's web area for a missing Suggests package); the reasons are above." >&2
    status=1
  else
    echo "deps: WARNING: Suggests package(s) still missing:$bad_sug. make test and make demo do not need them, but make check will fail without them, and the bench leaves their columns out; the reasons are above." >&2
  fi
fi
if [ -n "$bad_bench" ]; then
  echo "deps: WARNING: optional bench package(s) still missing:$bad_bench (the bench leaves their rows out; the reasons are above)" >&2
fi
[ "$status" = 0 ] && echo "deps: required R packages present"
exit "$status"
