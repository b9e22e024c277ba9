#!/usr/bin/env bash
# Compiles each src/*.cpp once, one at a time, with the command line R CMD INSTALL uses (R's CXX,
# CXXFLAGS and CPPFLAGS, src/Makevars' flags, the LinkingTo include paths) and prints a table: CPU
# seconds (user + sys), the object's size, and its size without debug information.
# Usage: bash tools/build-profile.sh [file.cpp ...]   (default: every src/*.cpp)
# Extra compiler flags through PROFILE_FLAGS, e.g. PROFILE_FLAGS=-ftime-report.
set -euo pipefail
cd "$(dirname "$0")/../src"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cxx=$(R CMD config CXX)
inc=$(Rscript --vanilla -e 'for (p in c("Rcpp", "RcppEigen", "BH")) cat(" -I", file.path(find.package(p), "include"), sep = "")')
rinc="-I$(Rscript --vanilla -e 'cat(R.home("include"))')"
# src/Makevars' PKG_CPPFLAGS and PKG_CXXFLAGS, with SHLIB_OPENMP_CXXFLAGS as R's Makeconf defines it
omp=$(sed -n 's/^SHLIB_OPENMP_CXXFLAGS *= *//p' "$(Rscript --vanilla -e 'cat(R.home("etc"))')/Makeconf")
pkg_cpp=$(sed -n 's/^PKG_CPPFLAGS *= *//p' Makevars)
pkg_cxx=$(sed -n 's/^PKG_CXXFLAGS *= *//p' Makevars | sed "s/\$(SHLIB_OPENMP_CXXFLAGS)/$omp/")
flags="$rinc -DNDEBUG $pkg_cpp $inc $(R CMD config CXXPICFLAGS) $pkg_cxx $(R CMD config CXXFLAGS) ${PROFILE_FLAGS:-}"

files=("$@")
[ ${#files[@]} -eq 0 ] && files=(*.cpp)
printf '%-22s %8s %10s %12s\n' "unit" "cpu_s" "object_MB" "no_debug_MB"
tot_cpu=0
for f in "${files[@]}"; do
  f=$(basename "$f")
  o="$out/${f%.cpp}.o"
  # shellcheck disable=SC2086
  if ! /usr/bin/time -f '%U %S' -o "$out/time" $cxx $flags -c "$f" -o "$o" 2>"$out/err"; then
    cat "$out/err" >&2
    exit 1
  fi
  cpu=$(awk '{printf "%.1f", $1 + $2}' "$out/time")
  strip --strip-debug "$o" -o "$o.nodebug"
  printf '%-22s %8s %10.1f %12.1f\n' "$f" "$cpu" "$(stat -c %s "$o" | awk '{print $1 / 1e6}')" \
    "$(stat -c %s "$o.nodebug" | awk '{print $1 / 1e6}')"
  [ -n "${PROFILE_FLAGS:-}" ] && cat "$out/err"
  tot_cpu=$(awk -v a="$tot_cpu" -v b="$cpu" 'BEGIN {printf "%.1f", a + b}')
done
printf '%-22s %8s\n' "total" "$tot_cpu"
