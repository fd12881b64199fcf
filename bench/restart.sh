#!/usr/bin/env bash
# Warm-cache restart: time from starting the JVM to the first 200 on /hello, with the
# compiled-module cache already filled.
#
# Usage: bench/restart.sh
# Environment (defaults in brackets):
#   RUNS [5]       timed warm starts (median)
#   QUIET_WAIT [60]  before each start, wait up to this many seconds for other processes to calm down
#   POLL [0.002]   seconds between polls of /hello (from the shell, no process per poll)
#   JAVA_OPTS      JVM options, passed before -jar
#   CDS [1]        1: class data sharing as ./jwagi uses it (archive made by the cold start)
#   JWAGI_JAR      benchmark this jar instead of building the work tree
#   JWAGI_FROM=head  build the committed HEAD in a temporary folder instead of the work tree
# It runs java -jar on a copy of target/jwagi.jar directly (./jwagi's staleness check would add
# time), on a new free 127.0.0.1 port each start. Everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

RUNS="${RUNS:-5}"
POLL="${POLL:-0.002}"
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
CACHE="$BENCH_TMP/module-cache"
JAR="$JWAGI_JAR"
# shellcheck disable=SC2206
JAVA_ARGS=(${JAVA_OPTS:-})

# Starts jwagi on a free port with the cache, polls /hello until 200, stops the server; sets
# T_200 (ms from start to the first 200) and T_READY (ms to the "Ready" log line). $1 names the log.
T_200="" T_READY=""
start_and_time() {
  local name="$1" port log pid start now ready_ms="?"
  port="$(bench_free_port)"
  log="$BENCH_TMP/$name.log"
  start="$(date +%s%N)"
  (cd "$BENCH_ROOT" && exec java "${CDS_ARGS[@]}" "${JAVA_ARGS[@]}" -jar "$JAR" -c examples/modules.toml \
    -l "127.0.0.1:$port" --module-cache "$CACHE") >"$log" 2>&1 &
  pid=$!
  bench_track "$pid"
  bench_wait_200 "http://127.0.0.1:$port/hello" 120 "$pid" "$log"
  now="$(date +%s%N)"
  # When the "Ready" line was logged, relative to the start (the log's clock is HH:MM:SS.mmm).
  local ready_clock start_clock
  ready_clock="$(grep -m1 'Ready: serving on' "$log" | awk '{ print $1 }')"
  start_clock="$(date -d "@$((start / 1000000000)).$(printf '%09d' $((start % 1000000000)))" +%H:%M:%S.%N)"
  if [[ -n "$ready_clock" ]]; then
    ready_ms="$(awk -v a="$start_clock" -v b="$ready_clock" 'BEGIN {
      split(a, x, ":"); split(b, y, ":")
      d = (y[1] * 3600 + y[2] * 60 + y[3]) - (x[1] * 3600 + x[2] * 60 + x[3])
      if (d < 0) d += 86400
      printf "%d", d * 1000 }')"
  fi
  T_200="$(((now - start) / 1000000))"
  T_START_CLOCK="${start_clock:0:12}"
  T_READY="$ready_ms"
  bench_stop "$pid"
  BENCH_PIDS=()
}

echo "== Warm-cache restart: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores ==" >&2
# As ./jwagi does: the first start records a class-data-sharing archive when it exits (CDS=0
# turns this off), the warm starts map it.
JSA="$BENCH_TMP/jwagi.jsa"
CDS_ARGS=()
[[ "${CDS:-1}" == 1 ]] && CDS_ARGS=(-Xlog:cds=off -Xlog:cds+dynamic=off "-XX:ArchiveClassesAtExit=$JSA")
start_and_time fill
if [[ "${CDS:-1}" == 1 ]]; then
  [[ -s "$JSA" ]] || bench_die "the cold start wrote no class-data-sharing archive ($JSA)"
  bench_log "class-data-sharing archive: $(du -h "$JSA" | cut -f1)"
  CDS_ARGS=(-Xlog:cds=off -Xlog:cds+dynamic=off "-XX:SharedArchiveFile=$JSA")
fi
cold="$T_200" cold_ready="$T_READY"
grep -E "module .*(compiled|loaded from cache)" "$BENCH_TMP/fill.log" | sed 's/^/  fill: /' >&2 || true
grep -q "compiled in" "$BENCH_TMP/fill.log" || bench_log "warning: the first start compiled nothing (was the cache already full?)"

TIMES=()
READY=()
for ((i = 1; i <= RUNS; i++)); do
  bench_wait_quiet
  start_and_time "warm$i"
  t="$T_200" ready="$T_READY"
  TIMES+=("$t")
  READY+=("$ready")
  hits="$(grep -c "loaded from cache" "$BENCH_TMP/warm$i.log" || true)"
  compiled="$(grep -c "compiled in" "$BENCH_TMP/warm$i.log" || true)"
  bench_log "warm start $i: first 200 after $t ms (Ready line at ~$ready ms; modules from cache: $hits, compiled: $compiled)"
  ((compiled == 0)) || bench_log "warning: warm start $i compiled $compiled module(s): cache miss"
done

echo
echo "before the run: $LOAD_BEFORE"
echo "Commands:"
echo "  $BENCH_JAR_HOW"
echo "  java ${CDS_ARGS[*]} ${JAVA_OPTS:-} -jar $JAR -c examples/modules.toml -l 127.0.0.1:<free port> --module-cache $CACHE"
echo "  GET http://127.0.0.1:<port>/hello from the shell (bench_poll_200), every ${POLL}s until 200"
echo "  time = from just before the java process is started to the first 200 (date +%s%N)"
echo
echo "Cache-filling start (cold, compiles): first 200 after $cold ms (Ready line at ~$cold_ready ms)"
echo "Log of the last warm start (java started at $T_START_CLOCK; the timestamps show where the time goes):"
sed "s/^/  /" "$BENCH_TMP/warm$RUNS.log"
echo
printf '  %-6s %16s %18s\n' start "to first 200 ms" "to Ready line ms"
for ((i = 0; i < RUNS; i++)); do
  printf '  %-6s %16s %18s\n' "$((i + 1))" "${TIMES[$i]}" "${READY[$i]}"
done
printf '  %-6s %16s %18s\n' median "$(bench_median "${TIMES[@]}")" "$(bench_median "${READY[@]}")"
echo
echo "  warm restart median: $(bench_median "${TIMES[@]}") ms to first 200   (target <= 1000 ms)"
