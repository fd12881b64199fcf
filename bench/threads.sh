#!/usr/bin/env bash
# How many guest workers (--max-concurrency) suit short CPU-bound guests and guests that wait.
# For each worker count W, a fresh jwagi on /hello (examples, CPU-bound, ~10 us) and /nap
# (src/test/wasm/nap.c: sleeps NAP_MS in WASI poll_oneoff, as a guest waiting on an outbound call
# or a slow client does) is warmed up, then measured twice:
#   cpu:    ab -k -n N -c C /hello alone
#   mixed:  the same (for at most MIXED_SECONDS) while NAPPERS clients keep a /nap request each
#           in flight (ab -k -c NAPPERS)
# and it prints /hello's req/s and p99 and the server CPU per /hello request for each W.
#
# Usage: bench/threads.sh
# Environment (defaults in brackets):
#   WORKERS ["2 4 8 16 32 64"]  worker counts to try      ROUNDS [2]  passes over WORKERS (medians)
#   N [20000]  /hello requests per measurement             C [100]    ab concurrency on /hello
#   NAPPERS [16]  clients keeping a /nap in flight          NAP_MS [50]
#   MIXED_SECONDS [10]  time limit of a mixed measurement (few workers make it slow)
#   WARMUP [60000]  /hello requests before measuring (per server start)
#   QUIET_WAIT [60]  wait up to this many seconds for other processes to calm down first
#   JWAGI_JAVA_OPTS, JWAGI_JAR, JWAGI_FROM=head  as for http.sh
# Only 127.0.0.1 is ever targeted. Everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

WORKERS="${WORKERS:-2 4 8 16 32 64}"
ROUNDS="${ROUNDS:-2}"
N="${N:-20000}"
C="${C:-100}"
NAPPERS="${NAPPERS:-16}"
NAP_MS="${NAP_MS:-50}"
MIXED_SECONDS="${MIXED_SECONDS:-10}"
WARMUP="${WARMUP:-60000}"
bench_need ab:apache2-utils curl:curl
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
NAP_WASM="$BENCH_ROOT/src/test/resources/wasm/nap.wasm"
[[ -f "$NAP_WASM" ]] || bench_die "missing $NAP_WASM"
cat >"$BENCH_TMP/modules.toml" <<EOF
[[module]]
route = "/hello"
module = "$BENCH_ROOT/examples/modules/hello.wasm"

[[module]]
route = "/nap"
module = "$NAP_WASM"
EOF
COMMANDS=("$BENCH_JAR_HOW")

# ab's req/s, 99th percentile (ms, from -e), failures and completed requests of one run.
ab_result() {
  local reqs p99 failed completed
  reqs="$(awk '/^Requests per second/ { print $4 }' "$1")"
  failed="$(awk '/^Failed requests/ { f = $3 } /^Non-2xx responses/ { f += $3 } END { print f + 0 }' "$1")"
  completed="$(awk '/^Complete requests/ { print $3 }' "$1")"
  p99="$(awk -F, '$1 == "99" { printf "%.1f", $2 }' "$2")"
  echo "${reqs:-0} ${p99:-NA} ${failed:-0} ${completed:-0}"
}

declare -A RESULT
for ((round = 1; round <= ROUNDS; round++)); do
  for w in $WORKERS; do
    PORT="$(bench_free_port)"
    LOG="$BENCH_TMP/jwagi-$w-$round.log" # a new file: the last server's "Ready" must not count
    # shellcheck disable=SC2086
    (cd "$BENCH_ROOT" && exec java ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c "$BENCH_TMP/modules.toml" -l "127.0.0.1:$PORT" --no-module-cache --max-concurrency "$w" --queue 10000) \
      >"$LOG" 2>&1 &
    JPID=$!
    bench_track "$JPID"
    bench_wait_line "$LOG" "Ready: serving on" 120 "$JPID"
    HELLO="http://127.0.0.1:$PORT/hello"
    NAP="http://127.0.0.1:$PORT/nap?$NAP_MS"
    [[ "$(curl -s "$NAP")" == napped ]] || bench_die "/nap did not answer 'napped'"
    ab -k -n "$WARMUP" -c "$C" "$HELLO" >"$BENCH_TMP/warm.txt" 2>&1 || bench_die "warm-up failed"
    bench_wait_quiet

    before="$(bench_cpu_ticks "$JPID")"
    ab -k -n "$N" -c "$C" -e "$BENCH_TMP/cpu.csv" "$HELLO" >"$BENCH_TMP/cpu.txt" 2>&1 || bench_die "ab failed"
    after="$(bench_cpu_ticks "$JPID")"
    read -r reqs p99 failed completed < <(ab_result "$BENCH_TMP/cpu.txt" "$BENCH_TMP/cpu.csv")
    RESULT[cpu,$w,$round]="$reqs $p99 $failed $((after - before)) $completed"

    # Nappers run for longer than the /hello run needs; they are stopped when it ends.
    ab -k -t 300 -n 1000000 -c "$NAPPERS" "$NAP" >"$BENCH_TMP/nap.txt" 2>&1 &
    NPID=$!
    bench_track "$NPID"
    curl -s "$NAP" >/dev/null # the nappers are in flight by the time this one is answered
    before="$(bench_cpu_ticks "$JPID")"
    ab -k -t "$MIXED_SECONDS" -n "$N" -c "$C" -e "$BENCH_TMP/mixed.csv" "$HELLO" >"$BENCH_TMP/mixed.txt" 2>&1 || bench_die "ab failed"
    after="$(bench_cpu_ticks "$JPID")"
    bench_stop "$NPID"
    read -r reqs p99 failed completed < <(ab_result "$BENCH_TMP/mixed.txt" "$BENCH_TMP/mixed.csv")
    RESULT[mixed,$w,$round]="$reqs $p99 $failed $((after - before)) $completed"
    bench_stop "$JPID"
    bench_log "round $round, $w workers: cpu ${RESULT[cpu,$w,$round]}; mixed ${RESULT[mixed,$w,$round]}   (req/s p99-ms failed server-ticks requests)"
  done
done
COMMANDS+=("java ${JWAGI_JAVA_OPTS:-} -jar $JWAGI_JAR -c $BENCH_TMP/modules.toml -l 127.0.0.1:PORT --no-module-cache --max-concurrency W --queue 10000   # /hello: examples/modules/hello.wasm, /nap: src/test/resources/wasm/nap.wasm")
COMMANDS+=("ab -k -n $WARMUP -c $C /hello   # warm-up, each start")
COMMANDS+=("ab -k -n $N -c $C -e CSV /hello   # cpu")
COMMANDS+=("ab -k -t 300 -c $NAPPERS '/nap?$NAP_MS' &  ab -k -t $MIXED_SECONDS -n $N -c $C -e CSV /hello   # mixed")

TCK="$(getconf CLK_TCK)"
median_field() { # kind w field
  local vals=() r
  for ((r = 1; r <= ROUNDS; r++)); do vals+=("$(awk -v i="$3" '{ print $i }' <<<"${RESULT[$1,$2,$r]}")"); done
  bench_median "${vals[@]}"
}
echo
echo "== guest workers: /hello alone (cpu) and beside $NAPPERS waiting guests (mixed), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores =="
echo "before the run: $LOAD_BEFORE"
echo "Commands:"
printf '  %s\n' "${COMMANDS[@]}"
echo
printf '  %8s | %10s %9s %12s | %10s %9s %12s\n' workers "cpu req/s" "p99 ms" "CPU us/req" "mixed req/s" "p99 ms" "CPU us/req"
for w in $WORKERS; do
  row=()
  for kind in cpu mixed; do
    reqs="$(median_field "$kind" "$w" 1)"
    p99="$(median_field "$kind" "$w" 2)"
    us=()
    for ((r = 1; r <= ROUNDS; r++)); do
      us+=("$(awk -v k="$TCK" '{ printf "%.1f", $4 / k / ($5 > 0 ? $5 : 1) * 1e6 }' <<<"${RESULT[$kind,$w,$r]}")")
    done
    row+=("$reqs" "$p99" "$(bench_median "${us[@]}")")
  done
  printf '  %8s | %10s %9s %12s | %10s %9s %12s\n' "$w" "${row[@]}"
done
echo "  (medians of $ROUNDS rounds; errors: $(for k in "${!RESULT[@]}"; do awk '{ print $3 }' <<<"${RESULT[$k]}"; done | awk '{ s += $1 } END { print s + 0 }'); mixed CPU includes the nappers' requests)"
