#!/usr/bin/env bash
# Same-run throughput comparison of two builds on one URL: both servers run side by side and
# ab -k runs alternate between them (order swapped each round), so machine load hits both alike.
#
# Usage: bench/compare.sh [OLD_REV]   (default: the merge base with main)
# Environment (defaults in brackets):
#   ROUNDS [5]   N [10000]   C [50]   URL_PATH [/hello]   WARMUP [100000] per server (the JIT
#   needs it: with 20000, the first rounds still measure warm-up, longer for the bigger build)
#   JAVA_OPTS    JVM options for both servers
#   NEW_JAVA_OPTS  JVM options for the new build's server instead (e.g. a launcher's new default)
# The new build is the work tree (as the other benchmarks build it); the old one is OLD_REV,
# built from git archive in a temporary folder. Only 127.0.0.1 is ever targeted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

ROUNDS="${ROUNDS:-5}"
N="${N:-10000}"
C="${C:-50}"
URL_PATH="${URL_PATH:-/hello}"
WARMUP="${WARMUP:-100000}"
# shellcheck disable=SC2206
JAVA_ARGS=(${JAVA_OPTS:-})
# shellcheck disable=SC2206
NEW_JAVA_ARGS=(${NEW_JAVA_OPTS:-${JAVA_OPTS:-}})
bench_need ab:apache2-utils curl:curl
BENCH_TMP="$(mktemp -d)"
OLD_REV="${1:-$(git -C "$BENCH_ROOT" merge-base HEAD main)}"

bench_build_jwagi
NEW_JAR="$JWAGI_JAR"
mkdir -p "$BENCH_TMP/old"
git -C "$BENCH_ROOT" archive "$OLD_REV" pom.xml src | tar -x -C "$BENCH_TMP/old"
bench_log "bench: building $OLD_REV in $BENCH_TMP/old"
(cd "$BENCH_TMP/old" && mvn -B -q -DskipTests -Dspotless.check.skip=true package) \
  >"$BENCH_TMP/mvn.log" 2>&1 || { cat "$BENCH_TMP/mvn.log" >&2; bench_die "building $OLD_REV failed"; }
OLD_JAR="$BENCH_TMP/old/target/jwagi.jar"

start() { # name jar java-options... -> sets PORT_<name>
  local name="$1" jar="$2" port pid
  shift 2
  port="$(bench_free_port)"
  (cd "$BENCH_ROOT" && exec java "$@" -jar "$jar" -c examples/modules.toml \
    -l "127.0.0.1:$port" --module-cache "$BENCH_TMP/cache-$name" --log-dir "$BENCH_TMP/logs-$name") \
    >"$BENCH_TMP/$name.log" 2>&1 &
  pid=$!
  bench_track "$pid"
  bench_wait_line "$BENCH_TMP/$name.log" "Ready: serving" 120 "$pid"
  printf -v "PORT_$name" '%s' "$port"
  printf -v "PID_$name" '%s' "$pid"
}
start old "$OLD_JAR" "${JAVA_ARGS[@]}"
start new "$NEW_JAR" "${NEW_JAVA_ARGS[@]}"

TCK="$(getconf CLK_TCK)"
# One ab run against server NAME: prints "requests/s server-CPU-microseconds-per-request". The CPU
# per request is the steadier figure when other processes load the machine.
run() {
  local port_var="PORT_$1" pid_var="PID_$1" before after rps
  before="$(bench_cpu_ticks "${!pid_var}")"
  rps="$(ab -k -q -n "$N" -c "$C" "http://127.0.0.1:${!port_var}$URL_PATH" 2>/dev/null |
    awk '/^Requests per second/ { print $4 } /^Non-2xx responses/ { bad = 1 } END { if (bad) print "non-2xx" > "/dev/stderr" }')"
  after="$(bench_cpu_ticks "${!pid_var}")"
  echo "$rps $(awk -v t=$((after - before)) -v hz="$TCK" -v n="$N" 'BEGIN { printf "%.1f", t / hz * 1e6 / n }')"
}
for name in old new; do
  port_var="PORT_$name"
  ab -k -q -n "$WARMUP" -c "$C" "http://127.0.0.1:${!port_var}$URL_PATH" >/dev/null 2>&1
done

echo "== $URL_PATH, ab -k -n $N -c $C, $ROUNDS rounds: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $LOAD_BEFORE ==" >&2
OLD=() NEW=() OLD_CPU=() NEW_CPU=()
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then
    read -r o oc <<<"$(run old)"; read -r n nc <<<"$(run new)"
  else
    read -r n nc <<<"$(run new)"; read -r o oc <<<"$(run old)"
  fi
  OLD+=("$o") NEW+=("$n") OLD_CPU+=("$oc") NEW_CPU+=("$nc")
  echo "round $r: old $o req/s ($oc µs CPU/request), new $n req/s ($nc µs CPU/request)"
done
MO="$(bench_median "${OLD[@]}")" MN="$(bench_median "${NEW[@]}")"
MOC="$(bench_median "${OLD_CPU[@]}")" MNC="$(bench_median "${NEW_CPU[@]}")"
echo "median: old ($OLD_REV) $MO req/s, $MOC µs CPU/request; new (work tree) $MN req/s, $MNC µs CPU/request"
echo "new/old: throughput $(awk -v a="$MN" -v b="$MO" 'BEGIN { printf "%.2f", a / b }'), server CPU per request $(awk -v a="$MNC" -v b="$MOC" 'BEGIN { printf "%.2f", a / b }')"
echo "load after: $(bench_load_note)"
