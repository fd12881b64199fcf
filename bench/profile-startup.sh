#!/usr/bin/env bash
# Profiles one warm-cache start of jwagi, from JVM start to the first 200 on /hello, with
# async-profiler, and prints where the time went: samples per thread, then the heaviest frames of
# the main thread (inclusive). Samples are 1 ms.
#
# Usage: bench/profile-startup.sh            (Temurin 25 with the AOT cache, as the image runs)
# Environment: EVENT [cpu] (or wall)  MODE [aot] (or cds: the default java with ./jwagi's CDS)
#   JDK25 [/usr/lib/jvm/temurin-25-jdk-amd64]  TOP [30]  KEEP_TMP=1 keeps the collapsed stacks
# async-profiler comes from Maven Central (tools.profiler:async-profiler:4.1, via mvn).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
EVENT="${EVENT:-cpu}" MODE="${MODE:-aot}" TOP="${TOP:-30}"
JDK25="${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
bench_need curl:curl
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
JAR="$JWAGI_JAR" CACHE="$BENCH_TMP/module-cache" CONFIG="$BENCH_ROOT/examples/modules.toml"

AP_JAR="$HOME/.m2/repository/tools/profiler/async-profiler/4.1/async-profiler-4.1.jar"
[[ -f "$AP_JAR" ]] || mvn -B -q dependency:get -Dartifact=tools.profiler:async-profiler:4.1 >/dev/null
(cd "$BENCH_TMP" && unzip -q -o "$AP_JAR" 'linux-x64/libasyncProfiler.so')
AGENT="$BENCH_TMP/linux-x64/libasyncProfiler.so"

java -jar "$JAR" --prepare-only -c "$CONFIG" --module-cache "$CACHE" >/dev/null 2>&1
start_server() { # LOG JAVA_ARGS...: starts jwagi, waits for the first 200, stops it
  local log="$1" port pid
  shift
  port="$(bench_free_port)"
  "$@" -jar "$JAR" -c "$CONFIG" --module-cache "$CACHE" -l "127.0.0.1:$port" >"$log" 2>&1 &
  pid=$!
  bench_track "$pid"
  bench_wait_200 "http://127.0.0.1:$port/hello" 120 "$pid" "$log"
  bench_stop "$pid"
  BENCH_PIDS=()
}
case "$MODE" in
aot)
  "$JDK25/bin/javac" --release 17 -d "$BENCH_TMP/train" "$BENCH_ROOT/deploy/aot/AotTraining.java"
  tport="$(bench_free_port)"
  "$JDK25/bin/java" -cp "$BENCH_TMP/train" AotTraining "$tport" 20 "$BENCH_TMP/jwagi.aot" /hello \
    "/env/x/y?a=1&b=2" POST:/echo /app/hello /app/goodbye/x /app/other "/argv?a=1" /healthz -- \
    "$JDK25/bin/java" @"$BENCH_ROOT/deploy/jvm.args" -XX:AOTCacheOutput="$BENCH_TMP/jwagi.aot" \
    -Xlog:aot*=error -jar "$JAR" --module-cache "$CACHE" -c "$CONFIG" -l "127.0.0.1:$tport" >"$BENCH_TMP/train.log" 2>&1 ||
    { cat "$BENCH_TMP/train.log" >&2; bench_die "AOT training failed"; }
  JAVA=("$JDK25/bin/java" @"$BENCH_ROOT/deploy/jvm.args" -XX:AOTCache="$BENCH_TMP/jwagi.aot")
  ;;
cds)
  start_server "$BENCH_TMP/record.log" java -Xlog:cds=off -Xlog:cds+dynamic=off -XX:ArchiveClassesAtExit="$BENCH_TMP/jwagi.jsa"
  JAVA=(java -Xlog:cds=off -Xlog:cds+dynamic=off -XX:SharedArchiveFile="$BENCH_TMP/jwagi.jsa")
  ;;
*) bench_die "MODE must be aot or cds" ;;
esac
OUT="$BENCH_TMP/$EVENT.collapsed"
start_server "$BENCH_TMP/profiled.log" "${JAVA[@]}" \
  "-agentpath:$AGENT=start,event=$EVENT,interval=1ms,threads,file=$OUT"
echo "Command: ${JAVA[*]} -agentpath:$AGENT=start,event=$EVENT,interval=1ms,threads,file=$OUT -jar $JAR -c $CONFIG --module-cache $CACHE"
echo
echo "Samples (ms of $EVENT) per thread, start to first 200 and stop:"
awk '{ n = $NF; t = $0; sub(/;.*/, "", t); gsub(/ tid=[0-9]+/, "", t); s[t] += n }
  END { for (t in s) printf "  %6d  %s\n", s[t], t }' "$OUT" | sort -rn | head -15
echo
echo "Main thread, inclusive, heaviest frames (jwagi, logging, config, Netty, Chicory, class init):"
awk '/^\[main/ { n = $NF; line = $0; sub(/ [0-9]+$/, "", line); k = split(line, f, ";"); delete seen
    for (i = 2; i <= k; i++) if (!(f[i] in seen)) { seen[f[i]] = 1; s[f[i]] += n } }
  END { for (x in s) printf "  %6d  %s\n", s[x], x }' "$OUT" |
  grep -E 'dev/jwagi|LoggerFactory|logback|jackson|netty|chicory|clinit' | sort -rn | head -"$TOP"
