#!/usr/bin/env bash
# CPU-bound benchmark: recursive fib(n) (src/test/wasm/fib.c) natively (cc -O2) vs the same C
# compiled to wasm (src/test/resources/wasm/fib.wasm) served by jwagi and timed through curl.
#
# Usage: bench/cpu.sh
# Environment (defaults in brackets):
#   QUIET_WAIT [60]  wait up to this many seconds for other processes to calm down first
#   FIB_N      n for fib(n); default: the smallest n >= 35 whose native run takes >= 0.3 s
#   RUNS [5]   timed runs of each (median)      WARMUP [3]  untimed jwagi requests first
#   JWAGI_JAVA_OPTS  JVM options for jwagi
#   JWAGI_JAR        benchmark this jar instead of building the work tree
#   JWAGI_FROM=head  build the committed HEAD in a temporary folder instead of the work tree
# Only 127.0.0.1 is ever targeted. Everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-3}"
bench_need cc:gcc curl:curl
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
FIB_C="$BENCH_ROOT/src/test/wasm/fib.c"
FIB_WASM="$BENCH_ROOT/src/test/resources/wasm/fib.wasm"
[[ -f "$FIB_WASM" ]] || bench_die "missing $FIB_WASM"
COMMANDS=()

cc -O2 "$FIB_C" -o "$BENCH_TMP/fib"
COMMANDS+=("cc -O2 src/test/wasm/fib.c -o $BENCH_TMP/fib")

# Runs "$@" once, output to $BENCH_TMP/last; prints "wall user+sys" in seconds (bash's time).
time_once() {
  local TIMEFORMAT='%3R %3U %3S'
  { time "$@" >"$BENCH_TMP/last"; } 2>"$BENCH_TMP/time"
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$BENCH_TMP/time"
}
TCK="$(getconf CLK_TCK)"

if [[ -z "${FIB_N:-}" ]]; then
  FIB_N=35
  while :; do
    t="$(time_once "$BENCH_TMP/fib" "$FIB_N" | awk '{ print $1 }')"
    if awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }' || ((FIB_N >= 45)); then break; fi
    FIB_N=$((FIB_N + 1))
  done
  bench_log "fib: n=$FIB_N (native run ${t}s >= 0.3s)"
fi

bench_wait_quiet
# --- native ----------------------------------------------------------------------------------
NATIVE=() NATIVE_CPU=()
for ((i = 1; i <= RUNS; i++)); do
  read -r wall cpu < <(time_once "$BENCH_TMP/fib" "$FIB_N")
  NATIVE+=("$wall")
  NATIVE_CPU+=("$cpu")
done
EXPECTED="$(grep 'fib(' "$BENCH_TMP/last")"
COMMANDS+=("$BENCH_TMP/fib $FIB_N   # x$RUNS, timed by bash time (wall, user+sys)")

# --- jwagi -----------------------------------------------------------------------------------
PORT="$(bench_free_port)"
cat >"$BENCH_TMP/modules.toml" <<EOF
[[module]]
route = "/fib"
module = "$FIB_WASM"
EOF
# shellcheck disable=SC2086
(cd "$BENCH_ROOT" && exec java ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c "$BENCH_TMP/modules.toml" -l "127.0.0.1:$PORT" --timeout 300s --no-module-cache) \
  >"$BENCH_TMP/jwagi.log" 2>&1 &
JPID=$!
bench_track "$JPID"
bench_wait_line "$BENCH_TMP/jwagi.log" "Ready: serving on" 120 "$JPID"
COMMANDS+=("$BENCH_JAR_HOW")
COMMANDS+=("java ${JWAGI_JAVA_OPTS:-} -jar $JWAGI_JAR -c $BENCH_TMP/modules.toml -l 127.0.0.1:$PORT --timeout 300s --no-module-cache   # modules.toml: route = \"/fib\", module = \"$FIB_WASM\"")

URL="http://127.0.0.1:$PORT/fib?$FIB_N"
for ((i = 1; i <= WARMUP; i++)); do
  code="$(curl -s -o "$BENCH_TMP/warm.out" -w '%{http_code}' "$URL" || true)"
  if [[ "$code" != 200 ]]; then
    head -c 2000 "$BENCH_TMP/warm.out" >&2
    tail -20 "$BENCH_TMP/jwagi.log" >&2
    bench_die "warm-up request: $URL answered ${code:-nothing}"
  fi
done
COMMANDS+=("curl -s '$URL'   # $WARMUP untimed, then x$RUNS timed by bash time (wall; CPU = jwagi utime+stime from /proc)")
bench_wait_quiet
JWAGI=() JWAGI_CPU=()
for ((i = 1; i <= RUNS; i++)); do
  before="$(bench_cpu_ticks "$JPID")"
  read -r wall _ < <(time_once curl -sf "$URL")
  after="$(bench_cpu_ticks "$JPID")"
  JWAGI+=("$wall")
  JWAGI_CPU+=("$(awk -v d=$((after - before)) -v t="$TCK" 'BEGIN { printf "%.3f", d / t }')")
done
GOT="$(grep 'fib(' "$BENCH_TMP/last" || true)"
[[ "$GOT" == "$EXPECTED" ]] || bench_die "jwagi answered '$GOT', native '$EXPECTED'"

NATIVE_MED="$(bench_median "${NATIVE[@]}")"
JWAGI_MED="$(bench_median "${JWAGI[@]}")"
NATIVE_CPU_MED="$(bench_median "${NATIVE_CPU[@]}")"
JWAGI_CPU_MED="$(bench_median "${JWAGI_CPU[@]}")"
echo
echo "== CPU-bound: fib($FIB_N), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores =="
echo "before the run: $LOAD_BEFORE"
echo "cc: $(cc --version | head -1)   java: $(java -version 2>&1 | head -1)"
echo "Commands:"
printf '  %s\n' "${COMMANDS[@]}"
echo "Result (both): $EXPECTED"
echo
printf '  %-22s %12s %12s   %s\n' "" "median wall" "median CPU" "runs: wall s (CPU s)"
runs() {
  local -n w=$1 c=$2
  local i out=()
  for i in "${!w[@]}"; do out+=("${w[$i]}(${c[$i]})"); done
  echo "${out[*]}"
}
printf '  %-22s %12s %12s   %s\n' "native (cc -O2)" "$NATIVE_MED" "$NATIVE_CPU_MED" "$(runs NATIVE NATIVE_CPU)"
printf '  %-22s %12s %12s   %s\n' "jwagi (curl, wasm)" "$JWAGI_MED" "$JWAGI_CPU_MED" "$(runs JWAGI JWAGI_CPU)"
echo
printf '  ratio jwagi/native, wall: %s   (target <= 3)\n' \
  "$(awk -v a="$JWAGI_MED" -v b="$NATIVE_MED" 'BEGIN { printf "%.2f", a / b }')"
printf '  ratio jwagi/native, CPU:  %s   (jwagi CPU is the whole JVM: guest, JIT, GC; 1 tick = %s s)\n' \
  "$(awk -v a="$JWAGI_CPU_MED" -v b="$NATIVE_CPU_MED" 'BEGIN { printf "%.2f", a / b }')" \
  "$(awk -v t="$TCK" 'BEGIN { print 1 / t }')"
echo "  (the jwagi time includes the HTTP request and per-request instance preparation; the wasm"
echo "   was built by clang -O2 for wasm32-wasi, the native binary by $(cc --version | head -1 | awk '{print $1}') -O2)"
