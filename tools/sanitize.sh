#!/usr/bin/env bash
# `make sanitize`: build lsmoe with AddressSanitizer and UndefinedBehaviorSanitizer into a private
# library and run the whole test suite under them. Fails (exit 1) on any sanitizer report or test
# failure. Needs gcc or clang with the sanitizer runtimes (Debian: libasan, libubsan come with g++).
#
# The flags reach the compiler through a private Makevars file passed with R_MAKEVARS_USER, so
# neither src/Makevars nor ~/.R/Makevars is touched. R itself is not instrumented: libasan is
# preloaded (LD_PRELOAD) so that its allocator is in place before R starts; leak detection is off
# (R does not free everything at exit). AddressSanitizer reports are written per process to
# $OUT/asan.<pid> (log_path; this also catches forked children and future workers);
# UndefinedBehaviorSanitizer ignores log_path when combined with ASan in gcc, so its
# "runtime error:" lines are read from the test log (stderr of the run and of forked children).
#
# Environment: SANITIZE_DIR (default ./sanitize), CXX (default: R's compiler).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${SANITIZE_DIR:-$ROOT/sanitize}
case "$OUT" in /*) ;; *) OUT=$ROOT/$OUT ;; esac
rm -rf "$OUT"
mkdir -p "$OUT/lib"

CXX_R=$(R CMD config CXX)
CXX_BIN=${CXX_R%% *}
LIBASAN=$($CXX_BIN -print-file-name=libasan.so)
if [ ! -e "$LIBASAN" ]; then
  echo "sanitize: cannot find libasan.so for $CXX_BIN (install the compiler's sanitizer runtime)" >&2
  exit 2
fi

SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
FLAGS="-g -O1 $SAN"
cat > "$OUT/Makevars" <<EOF
CXXFLAGS = $FLAGS
CXX11FLAGS = $FLAGS
CXX14FLAGS = $FLAGS
CXX17FLAGS = $FLAGS
CFLAGS = $FLAGS
LDFLAGS = $SAN
EOF

echo "sanitize: building with $SAN into $OUT/lib"
# --no-test-load: loading the instrumented library needs libasan preloaded, done below
if ! R_MAKEVARS_USER="$OUT/Makevars" R CMD INSTALL --preclean --no-multiarch --no-test-load \
     --library="$OUT/lib" . > "$OUT/install.log" 2>&1; then
  tail -30 "$OUT/install.log"
  echo "sanitize: build FAILED (log: $OUT/install.log)" >&2
  exit 1
fi
# leave no instrumented objects in src/ for the next ordinary build
rm -f src/*.o src/*.so
grep -q -- "-fsanitize=address" "$OUT/install.log" || { echo "sanitize: flags did not reach the compiler" >&2; exit 1; }

echo "sanitize: running the test suite under ASan + UBSan (log: $OUT/tests.log)"
export ASAN_OPTIONS="detect_leaks=0:log_path=$OUT/asan:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1"
LD_PRELOAD="$LIBASAN" LSMOE_LIB="$OUT/lib" Rscript --vanilla tools/run-tests.R > "$OUT/tests.log" 2>&1
test_status=$?
unset ASAN_OPTIONS UBSAN_OPTIONS

reports=$(ls "$OUT"/asan.* 2>/dev/null)
inline=$(grep -c -E "runtime error:|ERROR: AddressSanitizer" "$OUT/tests.log")
tail -1 "$OUT/tests.log"
if [ -n "$reports" ] || [ "$inline" != 0 ]; then
  for f in $reports; do echo "== $f"; head -40 "$f"; done
  grep -E -A20 "runtime error:|ERROR: AddressSanitizer" "$OUT/tests.log" | head -60
  echo "sanitize: FAILED: sanitizer reports above" >&2
  exit 1
fi
if [ "$test_status" != 0 ]; then
  tail -40 "$OUT/tests.log"
  echo "sanitize: FAILED: the test suite failed under the sanitizers (status $test_status)" >&2
  exit 1
fi
echo "sanitize: OK: no AddressSanitizer or UndefinedBehaviorSanitizer report"
