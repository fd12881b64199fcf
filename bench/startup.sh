#!/usr/bin/env bash
# Cold start with a warm module cache: process start -> first 200 on /hello (a wasm route), median
# of RUNS, next to `java -version` of the same JVM, measured in the same run. Three ways to run:
#   jdk17-cds   the default java (JDK 17) with class data sharing as ./jwagi uses it
#   jdk25-aot   Temurin 25 with the JDK 25 AOT cache, trained as the image trains it
#               (deploy/aot/AotTraining: a real start, the examples' requests, SIGTERM)
#   container   the image of deploy/Dockerfile under podman: `podman run` -> first 200 through a
#               published port, next to `podman run ... java -version` in the same image
# Target (issue 7): first 200 <= 10 x java -version.
#
# Usage: bench/startup.sh
# Environment (defaults in brackets):
#   RUNS [5]          timed starts per way (median); java -version is timed RUNS times too
#   POLL [0.002]      seconds between polls of /hello (bench_poll_200: no process per poll)
#   WAYS [jdk17-cds jdk25-aot container]   which ways to measure
#   JDK25 [/usr/lib/jvm/temurin-25-jdk-amd64]
#   QUIET_WAIT [60]   before each round, wait up to this long for other processes to calm down
#   JWAGI_JAR, JWAGI_FROM=head   as for the other scripts (bench/README.md)
# The container way builds the image with deploy/test-image.sh (BUILD_ONLY=1; podman, stand-ins
# of the base images) and removes it on exit. Starts are interleaved: each round starts every way
# once, then times every java -version once.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH_IMAGE=""
cleanup() {
  if [[ -n "$BENCH_IMAGE" ]]; then
    podman rm -f -t 0 jwagi-startup-bench >/dev/null 2>&1 || true
    podman rmi -f "$BENCH_IMAGE" >/dev/null 2>&1 || true
  fi
  bench_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

RUNS="${RUNS:-5}"
POLL="${POLL:-0.002}"
WAYS="${WAYS:-jdk17-cds jdk25-aot container}"
JDK25="${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
JAR="$JWAGI_JAR"
CACHE="$BENCH_TMP/module-cache"
CONFIG="$BENCH_ROOT/examples/modules.toml"

# Fills the module cache the way the image does (--prepare-only), so every timed start is warm.
java -jar "$JAR" --prepare-only -c "$CONFIG" --module-cache "$CACHE" >"$BENCH_TMP/prepare.log" 2>&1 ||
  { cat "$BENCH_TMP/prepare.log" >&2; bench_die "--prepare-only failed"; }

# Runs the server command "$@" (with -l added), polls /hello until 200, stops it with SIGTERM;
# sets T (ms from just before the start to the first 200). $NAME names the log.
T=""
time_server() {
  local port log pid start
  port="$(bench_free_port)"
  log="$BENCH_TMP/$NAME.log"
  start="$(bench_now_ms)"
  "$@" -l "127.0.0.1:$port" >"$log" 2>&1 &
  pid=$!
  bench_track "$pid"
  bench_wait_200 "http://127.0.0.1:$port/hello" 120 "$pid" "$log"
  T="$(($(bench_now_ms) - start))"
  bench_stop "$pid"
  BENCH_PIDS=()
  if grep -q ": compiled in" "$log"; then bench_log "warning: $NAME compiled a module (cold cache)"; fi
}

time_version() { # JAVA...: sets T to the wall time of JAVA -version in ms
  local start
  start="$(bench_now_ms)"
  "$@" -version >/dev/null 2>&1
  T="$(($(bench_now_ms) - start))"
}

declare -A CMD VERSION_CMD STARTS VERSIONS
for way in $WAYS; do
  case "$way" in
  jdk17-cds)
    # As ./jwagi: the first run records the archive when it exits, later runs map it.
    JSA="$BENCH_TMP/jwagi.jsa"
    NAME=cds-record time_server java -Xlog:cds=off -Xlog:cds+dynamic=off -XX:ArchiveClassesAtExit="$JSA" \
      -jar "$JAR" -c "$CONFIG" --module-cache "$CACHE"
    [[ -s "$JSA" ]] || bench_die "no CDS archive written"
    CMD[$way]="java -Xlog:cds=off -Xlog:cds+dynamic=off -XX:SharedArchiveFile=$JSA -jar $JAR -c $CONFIG --module-cache $CACHE"
    VERSION_CMD[$way]="java"
    ;;
  jdk25-aot)
    [[ -x "$JDK25/bin/java" ]] || bench_die "no JDK 25 at $JDK25"
    AOT="$BENCH_TMP/jwagi.aot"
    "$JDK25/bin/javac" --release 17 -d "$BENCH_TMP/train" "$BENCH_ROOT/deploy/aot/AotTraining.java"
    tport="$(bench_free_port)"
    "$JDK25/bin/java" -cp "$BENCH_TMP/train" AotTraining "$tport" 20 "$AOT" /hello "/env/x/y?a=1&b=2" \
      POST:/echo /app/hello /app/goodbye/x /app/other "/argv?a=1" /healthz /readyz /metrics /no-such-route -- \
      "$JDK25/bin/java" @"$BENCH_ROOT/deploy/jvm.args" -XX:AOTCacheOutput="$AOT" -Xlog:aot*=error \
      -jar "$JAR" --module-cache "$CACHE" -c "$CONFIG" -l "127.0.0.1:$tport" >"$BENCH_TMP/train.log" 2>&1 ||
      { cat "$BENCH_TMP/train.log" >&2; bench_die "AOT training failed"; }
    CMD[$way]="$JDK25/bin/java @$BENCH_ROOT/deploy/jvm.args -XX:AOTCache=$AOT -jar $JAR -c $CONFIG --module-cache $CACHE"
    VERSION_CMD[$way]="$JDK25/bin/java"
    ;;
  container)
    BENCH_IMAGE="localhost/jwagi:startup-bench-$$"
    bench_log "building the image (deploy/test-image.sh BUILD_ONLY=1)"
    BUILD_ONLY=1 IMAGE="$BENCH_IMAGE" "$BENCH_ROOT/deploy/test-image.sh" >"$BENCH_TMP/image.log" 2>&1 ||
      { cat "$BENCH_TMP/image.log" >&2; bench_die "building the image failed"; }
    STATE="${STATE:-/var/tmp/jwagi-podman}"
    export CONTAINERS_CONF="$STATE/containers.conf" CONTAINERS_STORAGE_CONF="$STATE/storage.conf"
    ;;
  *) bench_die "unknown way: $way" ;;
  esac
done

# The container way: podman run (detached) -> first 200 through the published port, then podman stop.
time_container() {
  local port start
  port="$(bench_free_port)"
  start="$(bench_now_ms)"
  podman run -d --name jwagi-startup-bench --network slirp4netns -e PORT=8080 \
    -p "127.0.0.1:$port:8080" "$BENCH_IMAGE" >/dev/null
  bench_poll_200 "$port" /hello 120 container_running ||
    { podman logs jwagi-startup-bench >&2; bench_die "container: exited, or no 200 within 120 s"; }
  T="$(($(bench_now_ms) - start))"
  podman logs jwagi-startup-bench >"$BENCH_TMP/container.log" 2>&1
  podman stop -t 10 jwagi-startup-bench >/dev/null
  podman rm -f jwagi-startup-bench >/dev/null
}
container_running() { [[ "$(podman inspect jwagi-startup-bench --format '{{.State.Running}}')" == true ]]; }
time_container_version() {
  local start
  start="$(bench_now_ms)"
  podman run --rm --network slirp4netns --entrypoint java "$BENCH_IMAGE" -version >/dev/null 2>&1
  T="$(($(bench_now_ms) - start))"
}

echo "== Cold start, warm module cache: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores ==" >&2
for ((round = 1; round <= RUNS; round++)); do
  bench_wait_quiet
  for way in $WAYS; do
    if [[ "$way" == container ]]; then time_container; else
      # shellcheck disable=SC2086
      NAME="$way-$round" time_server ${CMD[$way]}
    fi
    STARTS[$way]="${STARTS[$way]:-} $T"
    bench_log "round $round: $way first 200 after $T ms"
  done
  for way in $WAYS; do
    if [[ "$way" == container ]]; then time_container_version; else time_version "${VERSION_CMD[$way]}"; fi
    VERSIONS[$way]="${VERSIONS[$way]:-} $T"
  done
done

echo
echo "before the run: $LOAD_BEFORE"
echo "after the run:  $(bench_load_note)"
echo "Commands (time = from just before the start to the first 200, polled every ${POLL}s from the shell without a fork):"
echo "  $BENCH_JAR_HOW"
echo "  java -jar $JAR --prepare-only -c $CONFIG --module-cache $CACHE   # warm cache, once"
for way in $WAYS; do
  if [[ "$way" == container ]]; then
    echo "  container: podman run -d --network slirp4netns -e PORT=8080 -p 127.0.0.1:<port>:8080 $BENCH_IMAGE"
    echo "             vs podman run --rm --network slirp4netns --entrypoint java $BENCH_IMAGE -version"
  else
    echo "  $way: ${CMD[$way]} -l 127.0.0.1:<port>"
    echo "  $(printf '%*s' ${#way} '')  vs ${VERSION_CMD[$way]} -version"
  fi
done
echo
printf '  %-10s %-28s %-28s %s\n' way "first 200 ms (runs)" "java -version ms (runs)" "median: start / version = ratio (target <= 10)"
for way in $WAYS; do
  # shellcheck disable=SC2086
  s="$(bench_median ${STARTS[$way]})" v="$(bench_median ${VERSIONS[$way]})"
  printf '  %-10s %-28s %-28s %s / %s = %s\n' "$way" "${STARTS[$way]# }" "${VERSIONS[$way]# }" "$s" "$v" \
    "$(awk -v s="$s" -v v="$v" 'BEGIN { printf "%.1fx", s / v }')"
done
if [[ -f "$BENCH_TMP/container.log" ]]; then
  echo
  echo "Log of the last container start:"
  sed 's/^/  /' "$BENCH_TMP/container.log"
fi
