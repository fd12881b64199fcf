#!/usr/bin/env bash
# CPU-bound benchmark: guests natively (cc -O2) vs the same C compiled to wasm
# (src/test/resources/wasm/NAME.wasm) served by jwagi and timed through curl:
#   fib     recursive fib(n) (src/test/wasm/fib.c): calls and integer arithmetic
#   sha256  SHA-256 of 1 MiB, `rounds` times (src/test/wasm/sha256.c): a realistic workload of
#           memory loads and stores and 32-bit arithmetic
#
# Usage: bench/cpu.sh
# Environment (defaults in brackets):
#   QUIET_WAIT [60]  wait up to this many seconds for other processes to calm down first
#   GUESTS ["fib sha256"]  the guests to measure
#   FIB_N      n for fib(n); default: the smallest n >= 35 whose native run takes >= 0.3 s
#   SHA_ROUNDS rounds of sha256; default: the smallest power of two >= 16 whose native run takes
#              >= 0.3 s
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
GUESTS="${GUESTS:-fib sha256}"
bench_need cc:gcc curl:curl
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
COMMANDS=()

# Per guest: its argument's first value, how it grows until a native run takes >= 0.3 s, and
# where it stops growing.
guest_given() { case "$1" in fib) echo "${FIB_N:-}" ;; sha256) echo "${SHA_ROUNDS:-}" ;; esac }
guest_start() { case "$1" in fib) echo 35 ;; sha256) echo 16 ;; esac }
guest_next() { case "$1" in fib) echo $(($2 + 1)) ;; sha256) echo $(($2 * 2)) ;; esac }
guest_last() { case "$1" in fib) (($2 >= 45)) ;; sha256) (($2 >= 4096)) ;; esac }
# The line both print as their result: "fib(n)=..." or "sha256(rounds=r)=...".
guest_result() { grep "^$1(" "$2" || true; }

for g in $GUESTS; do
  case "$g" in fib | sha256) ;; *) bench_die "unknown guest '$g' (known: fib sha256)" ;; esac
  [[ -f "$BENCH_ROOT/src/test/resources/wasm/$g.wasm" ]] ||
    bench_die "missing src/test/resources/wasm/$g.wasm"
  cc -O2 "$BENCH_ROOT/src/test/wasm/$g.c" -o "$BENCH_TMP/$g"
  COMMANDS+=("cc -O2 src/test/wasm/$g.c -o $BENCH_TMP/$g")
done

# Runs "$@" once, output to $BENCH_TMP/last; prints "wall user+sys" in seconds (bash's time).
time_once() {
  local TIMEFORMAT='%3R %3U %3S'
  { time "$@" >"$BENCH_TMP/last"; } 2>"$BENCH_TMP/time"
  awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$BENCH_TMP/time"
}
TCK="$(getconf CLK_TCK)"

declare -A ARG
for g in $GUESTS; do
  a="$(guest_given "$g")"
  if [[ -z "$a" ]]; then
    a="$(guest_start "$g")"
    while :; do
      t="$(time_once "$BENCH_TMP/$g" "$a" | awk '{ print $1 }')"
      if awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }' || guest_last "$g" "$a"; then break; fi
      a="$(guest_next "$g" "$a")"
    done
    bench_log "$g: argument $a (native run ${t}s >= 0.3s)"
  fi
  ARG[$g]="$a"
done

# --- jwagi: one server, a route per guest -----------------------------------------------------
PORT="$(bench_free_port)"
: >"$BENCH_TMP/modules.toml"
for g in $GUESTS; do
  printf '[[module]]\nroute = "/%s"\nmodule = "%s"\n' \
    "$g" "$BENCH_ROOT/src/test/resources/wasm/$g.wasm" >>"$BENCH_TMP/modules.toml"
done
# shellcheck disable=SC2086
(cd "$BENCH_ROOT" && exec java ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c "$BENCH_TMP/modules.toml" -l "127.0.0.1:$PORT" --timeout 300s --no-module-cache) \
  >"$BENCH_TMP/jwagi.log" 2>&1 &
JPID=$!
bench_track "$JPID"
bench_wait_line "$BENCH_TMP/jwagi.log" "Ready: serving on" 120 "$JPID"
COMMANDS+=("$BENCH_JAR_HOW")
COMMANDS+=("java ${JWAGI_JAVA_OPTS:-} -jar $JWAGI_JAR -c $BENCH_TMP/modules.toml -l 127.0.0.1:$PORT --timeout 300s --no-module-cache   # modules.toml: route \"/NAME\", module src/test/resources/wasm/NAME.wasm for NAME in: $GUESTS")

runs() {
  local -n w=$1 c=$2
  local i out=()
  for i in "${!w[@]}"; do out+=("${w[$i]}(${c[$i]})"); done
  echo "${out[*]}"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

REPORT=()
for g in $GUESTS; do
  a="${ARG[$g]}"
  bench_wait_quiet
  # --- native --------------------------------------------------------------------------------
  NATIVE=() NATIVE_CPU=()
  for ((i = 1; i <= RUNS; i++)); do
    read -r wall cpu < <(time_once "$BENCH_TMP/$g" "$a")
    NATIVE+=("$wall")
    NATIVE_CPU+=("$cpu")
  done
  EXPECTED="$(guest_result "$g" "$BENCH_TMP/last")"
  [[ -n "$EXPECTED" ]] || bench_die "native $g printed no result"
  COMMANDS+=("$BENCH_TMP/$g $a   # x$RUNS, timed by bash time (wall, user+sys)")

  # --- jwagi ---------------------------------------------------------------------------------
  URL="http://127.0.0.1:$PORT/$g?$a"
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
  GOT="$(guest_result "$g" "$BENCH_TMP/last")"
  [[ "$GOT" == "$EXPECTED" ]] || bench_die "jwagi answered '$GOT', native '$EXPECTED'"

  NATIVE_MED="$(bench_median "${NATIVE[@]}")"
  JWAGI_MED="$(bench_median "${JWAGI[@]}")"
  NATIVE_CPU_MED="$(bench_median "${NATIVE_CPU[@]}")"
  JWAGI_CPU_MED="$(bench_median "${JWAGI_CPU[@]}")"
  REPORT+=("" "$g $a. Result (both): $EXPECTED")
  REPORT+=("$(printf '  %-22s %12s %12s   %s' "" "median wall" "median CPU" "runs: wall s (CPU s)")")
  REPORT+=("$(printf '  %-22s %12s %12s   %s' "native (cc -O2)" "$NATIVE_MED" "$NATIVE_CPU_MED" "$(runs NATIVE NATIVE_CPU)")")
  REPORT+=("$(printf '  %-22s %12s %12s   %s' "jwagi (curl, wasm)" "$JWAGI_MED" "$JWAGI_CPU_MED" "$(runs JWAGI JWAGI_CPU)")")
  REPORT+=("  ratio jwagi/native, wall: $(ratio "$JWAGI_MED" "$NATIVE_MED")   (target <= 3)")
  REPORT+=("  ratio jwagi/native, CPU:  $(ratio "$JWAGI_CPU_MED" "$NATIVE_CPU_MED")   (jwagi CPU is the whole JVM: guest, JIT, GC; 1 tick = $(awk -v t="$TCK" 'BEGIN { print 1 / t }') s)")
done

echo
echo "== CPU-bound guests ($GUESTS), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores =="
echo "before the run: $LOAD_BEFORE"
echo "cc: $(cc --version | head -1)   java: $(java -version 2>&1 | head -1)"
echo "Commands:"
printf '  %s\n' "${COMMANDS[@]}"
printf '%s\n' "${REPORT[@]}"
echo
echo "  (the jwagi time includes the HTTP request and per-request instance preparation; the wasm"
echo "   was built by clang -O2 for wasm32-wasi, the native binary by $(cc --version | head -1 | awk '{print $1}') -O2)"
