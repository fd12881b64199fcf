#!/usr/bin/env bash
# What observability costs: jwagi with its defaults (--metrics on, --access-log on, access lines to
# a file as a container runtime collects stdout) vs the same jar with both off, in the same run.
#   1. start: process start to the first 200 on /hello (warm module cache), wall time and the
#      process's CPU time by then (less disturbed by other processes), median of RUNS each
#   2. throughput: ab -k on /hello, rounds alternating on/off, median req/s each, and the server's
#      CPU time per request (utime+stime from /proc: less disturbed by other processes than req/s)
# Prints the medians and the ratios on/off.
#
# Usage: bench/observe.sh
# Environment (defaults in brackets):
#   RUNS [5]      timed starts per setting          ROUNDS [5]  ab rounds per setting
#   N [20000]     requests per ab run               C [50]      ab concurrency
#   WARMUP [20000] requests per server before its first measured round
#   QUIET_WAIT [60] before each measurement, wait up to this long for the machine to calm down
#   JWAGI_JAR, JWAGI_FROM=head  as in the other scripts (lib.sh)
# Only 127.0.0.1 is ever targeted. Everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

RUNS="${RUNS:-5}"
ROUNDS="${ROUNDS:-5}"
N="${N:-20000}"
C="${C:-50}"
WARMUP="${WARMUP:-20000}"
bench_need ab:apache2-utils curl:curl
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
CACHE="$BENCH_TMP/module-cache"
OFF_FLAGS=(--metrics off --access-log off)

# Starts jwagi (extra flags as arguments) on a free port, stdout to a file; sets PID and PORT.
PID="" PORT=""
start_jwagi() {
  PORT="$(bench_free_port)"
  (cd "$BENCH_ROOT" && exec java -jar "$JWAGI_JAR" -c examples/modules.toml -l "127.0.0.1:$PORT" \
    --module-cache "$CACHE" "$@") >"$BENCH_TMP/server-$PORT.log" 2>&1 &
  PID=$!
  bench_track "$PID"
}

# "wall-ms cpu-ms": from process start to the first 200 on /hello.
time_start() {
  local start now code ticks
  start="$(date +%s%N)"
  start_jwagi "$@"
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/hello" || true)"
    [[ "$code" == 200 ]] && break
    kill -0 "$PID" 2>/dev/null || bench_die "jwagi exited: $(cat "$BENCH_TMP/server-$PORT.log")"
    sleep 0.01
  done
  now="$(date +%s%N)"
  ticks="$(bench_cpu_ticks "$PID")"
  bench_stop "$PID"
  BENCH_PIDS=()
  echo "$(((now - start) / 1000000)) $((ticks * 1000 / $(getconf CLK_TCK)))"
}

echo "== Observability cost: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores; $LOAD_BEFORE ==" >&2
time_start >/dev/null # fills the module cache
START_ON=() START_OFF=() SCPU_ON=() SCPU_OFF=()
for ((i = 1; i <= RUNS; i++)); do
  bench_wait_quiet
  r="$(time_start)"
  START_ON+=("${r% *}") SCPU_ON+=("${r#* }")
  r="$(time_start "${OFF_FLAGS[@]}")"
  START_OFF+=("${r% *}") SCPU_OFF+=("${r#* }")
  bench_log "start run $i: on ${START_ON[-1]} ms (CPU ${SCPU_ON[-1]} ms), off ${START_OFF[-1]} ms (CPU ${SCPU_OFF[-1]} ms)"
done

# Both servers run side by side; rounds alternate which is measured first.
start_jwagi
ON_PID="$PID" ON_PORT="$PORT"
start_jwagi "${OFF_FLAGS[@]}"
OFF_PID="$PID" OFF_PORT="$PORT"
bench_wait_200 "http://127.0.0.1:$ON_PORT/hello" 120 "$ON_PID"
bench_wait_200 "http://127.0.0.1:$OFF_PORT/hello" 120 "$OFF_PID"
for port in "$ON_PORT" "$OFF_PORT"; do
  ab -k -q -n "$WARMUP" -c "$C" "http://127.0.0.1:$port/hello" >/dev/null 2>&1
done
TCK="$(getconf CLK_TCK)"
# One ab run on port $1 (server pid $2): prints "req/s cpu-µs-per-request".
rps() {
  local out before after
  before="$(bench_cpu_ticks "$2")"
  out="$(ab -k -q -n "$N" -c "$C" "http://127.0.0.1:$1/hello" 2>&1)"
  after="$(bench_cpu_ticks "$2")"
  grep -q '^Non-2xx responses' <<<"$out" && bench_die "non-2xx responses from port $1"
  awk -v b="$before" -v a="$after" -v t="$TCK" -v n="$N" \
    '/^Requests per second/ { printf "%s %.1f\n", $4, (a - b) / t * 1e6 / n }' <<<"$out"
}
RPS_ON=() RPS_OFF=() CPU_ON=() CPU_OFF=()
measure() { # $1: on|off
  local r
  if [[ "$1" == on ]]; then
    r="$(rps "$ON_PORT" "$ON_PID")"
    RPS_ON+=("${r% *}") CPU_ON+=("${r#* }")
  else
    r="$(rps "$OFF_PORT" "$OFF_PID")"
    RPS_OFF+=("${r% *}") CPU_OFF+=("${r#* }")
  fi
}
for ((i = 1; i <= ROUNDS; i++)); do
  bench_wait_quiet
  if ((i % 2)); then
    measure on
    measure off
  else
    measure off
    measure on
  fi
  bench_log "ab round $i: on ${RPS_ON[-1]} req/s ${CPU_ON[-1]} CPU µs/req, off ${RPS_OFF[-1]} req/s ${CPU_OFF[-1]} CPU µs/req"
done
ACCESS_LINES="$(grep -c '" 200 ' "$BENCH_TMP/server-$ON_PORT.log" || true)"

s_on="$(bench_median "${START_ON[@]}")" s_off="$(bench_median "${START_OFF[@]}")"
sc_on="$(bench_median "${SCPU_ON[@]}")" sc_off="$(bench_median "${SCPU_OFF[@]}")"
r_on="$(bench_median "${RPS_ON[@]}")" r_off="$(bench_median "${RPS_OFF[@]}")"
c_on="$(bench_median "${CPU_ON[@]}")" c_off="$(bench_median "${CPU_OFF[@]}")"
echo
echo "start to first 200 (median of $RUNS): on ${s_on} ms, off ${s_off} ms, on/off $(awk -v a="$s_on" -v b="$s_off" 'BEGIN { printf "%.2f", a / b }')"
echo "process CPU by the first 200 (median of $RUNS): on ${sc_on} ms, off ${sc_off} ms, on/off $(awk -v a="$sc_on" -v b="$sc_off" 'BEGIN { printf "%.2f", a / b }')"
echo "ab -k -n $N -c $C /hello (median of $ROUNDS): on ${r_on} req/s, off ${r_off} req/s, on/off $(awk -v a="$r_on" -v b="$r_off" 'BEGIN { printf "%.2f", a / b }')"
echo "server CPU per request (median of $ROUNDS): on ${c_on} µs, off ${c_off} µs, on/off $(awk -v a="$c_on" -v b="$c_off" 'BEGIN { printf "%.2f", a / b }')"
echo "(on: defaults, $ACCESS_LINES access lines written to a file; off: ${OFF_FLAGS[*]}; $(bench_load_note))"
echo "jar: $BENCH_JAR_HOW"
