#!/usr/bin/env bash
# Profiles jwagi serving a URL under load, with async-profiler (CPU or allocations) or JFR, and
# prints where the time (or the allocation) goes. The profiles are written to OUT_DIR, not kept
# in the repository.
#
# Usage: bench/profile.sh [PATH]          e.g. bench/profile.sh /hello   (default /hello)
# Environment (defaults in brackets):
#   PROFILER [async]   async: async-profiler 4.1 (tools.profiler:async-profiler from Maven
#                      Central; the jar carries linux-x64/libasyncProfiler.so), loaded into the
#                      running server after the warm-up with jcmd JVMTI.agent_load;
#                      jfr: a JFR recording (settings=profile) started and dumped with jcmd
#   EVENT [cpu]        async-profiler event: cpu, alloc, wall, lock, ...
#   INTERVAL [1ms]     async-profiler sampling interval (ns, or with a unit: 1ms, 100us)
#   WARMUP [500000]    requests before profiling (ab -k -c C), so the JIT has settled (the /hello
#                      path was still being compiled after 150000: C2 was 44% of the samples)
#   N [200000]         requests while profiling         C [100]   ab concurrency
#   TOP [30]           how many frames the summary prints
#   OUT_DIR            where the profile goes (default: a new temporary folder, kept)
#   JWAGI_JAVA_OPTS    JVM options for jwagi
#   JWAGI_JAR          profile this jar instead of building the work tree
#   JWAGI_FROM=head    build the committed HEAD in a temporary folder instead of the work tree
# Output: OUT_DIR/profile.collapsed (async: one line per stack, "frame;frame;... count", for
# flame graphs) and OUT_DIR/profile.html (async, flame graph), or OUT_DIR/profile.jfr (jfr: open
# with `jfr print` / `jfr summary` or JDK Mission Control).
# Only 127.0.0.1 is ever targeted. Everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

TARGET="${1:-/hello}"
PROFILER="${PROFILER:-async}"
EVENT="${EVENT:-cpu}"
WARMUP="${WARMUP:-500000}"
N="${N:-200000}"
C="${C:-100}"
TOP="${TOP:-30}"
OUT_DIR="${OUT_DIR:-$(mktemp -d)}"
mkdir -p "$OUT_DIR"
BENCH_TMP="$(mktemp -d)"
COMMANDS=()

bench_need ab:apache2-utils java:openjdk-17-jdk-headless jcmd:openjdk-17-jdk-headless mvn:maven unzip:unzip
bench_build_jwagi

case "$PROFILER" in
  async)
    AP_VERSION=4.1
    AP_JAR="$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar"
    if [[ ! -f "$AP_JAR" ]]; then
      mvn -B -q dependency:get -Dartifact="tools.profiler:async-profiler:$AP_VERSION" >&2 ||
        bench_die "could not fetch tools.profiler:async-profiler:$AP_VERSION from Maven Central"
    fi
    (cd "$BENCH_TMP" && unzip -q -o "$AP_JAR" 'linux-x64/libasyncProfiler.so')
    AP_LIB="$BENCH_TMP/linux-x64/libasyncProfiler.so"
    COMMANDS+=("mvn dependency:get -Dartifact=tools.profiler:async-profiler:$AP_VERSION; unzip linux-x64/libasyncProfiler.so from it")
    ;;
  jfr) ;;
  *) bench_die "PROFILER must be async or jfr" ;;
esac

PORT="$(bench_free_port)"
# shellcheck disable=SC2086
(cd "$BENCH_ROOT" && exec java ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c examples/modules.toml -l "127.0.0.1:$PORT" --no-module-cache) \
  >"$BENCH_TMP/jwagi.log" 2>&1 &
JPID=$!
bench_track "$JPID"
bench_wait_line "$BENCH_TMP/jwagi.log" "Ready: serving on" 120 "$JPID"
COMMANDS+=("$BENCH_JAR_HOW")
COMMANDS+=("java ${JWAGI_JAVA_OPTS:-} -jar $JWAGI_JAR -c examples/modules.toml -l 127.0.0.1:$PORT --no-module-cache   # in the repo root")
URL="http://127.0.0.1:$PORT$TARGET"

bench_log "warm-up: $WARMUP requests on $URL"
ab -k -n "$WARMUP" -c "$C" "$URL" >"$BENCH_TMP/warmup.txt" 2>&1 || {
  cat "$BENCH_TMP/warmup.txt" >&2
  bench_die "warm-up failed"
}
COMMANDS+=("ab -k -n $WARMUP -c $C $URL   # warm-up, not profiled")

case "$PROFILER" in
  async)
    START="start,event=$EVENT,interval=${INTERVAL:-1ms}"
    # The option goes quoted: jcmd would otherwise split it at '='.
    jcmd "$JPID" JVMTI.agent_load "$AP_LIB" "\"$START\"" >"$BENCH_TMP/jcmd.txt" 2>&1
    COMMANDS+=("jcmd $JPID JVMTI.agent_load $AP_LIB '\"$START\"'")
    ;;
  jfr)
    jcmd "$JPID" JFR.start name=bench settings=profile >"$BENCH_TMP/jcmd.txt" 2>&1
    COMMANDS+=("jcmd $JPID JFR.start name=bench settings=profile")
    ;;
esac

bench_wait_quiet
before="$(bench_cpu_ticks "$JPID")"
ab -k -n "$N" -c "$C" "$URL" >"$BENCH_TMP/ab.txt" 2>&1 || {
  cat "$BENCH_TMP/ab.txt" >&2
  bench_die "ab failed"
}
after="$(bench_cpu_ticks "$JPID")"
COMMANDS+=("ab -k -n $N -c $C $URL   # profiled")

case "$PROFILER" in
  async)
    jcmd "$JPID" JVMTI.agent_load "$AP_LIB" "\"dump,file=$OUT_DIR/profile.collapsed,collapsed\"" \
      >>"$BENCH_TMP/jcmd.txt" 2>&1
    jcmd "$JPID" JVMTI.agent_load "$AP_LIB" "\"stop,file=$OUT_DIR/profile.html\"" \
      >>"$BENCH_TMP/jcmd.txt" 2>&1 || true
    COMMANDS+=("jcmd $JPID JVMTI.agent_load $AP_LIB '\"dump,file=$OUT_DIR/profile.collapsed,collapsed\"'")
    COMMANDS+=("jcmd $JPID JVMTI.agent_load $AP_LIB '\"stop,file=$OUT_DIR/profile.html\"'")
    [[ -s "$OUT_DIR/profile.collapsed" ]] || {
      cat "$BENCH_TMP/jcmd.txt" >&2
      bench_die "async-profiler wrote no profile"
    }
    ;;
  jfr)
    jcmd "$JPID" JFR.dump name=bench filename="$OUT_DIR/profile.jfr" >>"$BENCH_TMP/jcmd.txt" 2>&1
    COMMANDS+=("jcmd $JPID JFR.dump name=bench filename=$OUT_DIR/profile.jfr")
    ;;
esac

echo
echo "== profile of $TARGET ($PROFILER${PROFILER/jfr/}$([[ $PROFILER == async ]] && echo ", event $EVENT"); $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores) =="
echo "before the run: $LOAD_BEFORE"
echo "Commands:"
printf '  %s\n' "${COMMANDS[@]}"
grep -E '^Requests per second|^Failed requests|^Non-2xx' "$BENCH_TMP/ab.txt" | sed 's/^/  /'
awk -v d=$((after - before)) -v t="$(getconf CLK_TCK)" -v n="$N" \
  'BEGIN { printf "  server CPU while profiled: %.1f us per request (profiler overhead included)\n", d / t / n * 1e6 }'
echo "  profile: $OUT_DIR"

if [[ "$PROFILER" == async ]]; then
  # Shares of the samples: by the frame at the top of the stack (self), and by every frame on
  # the stack (total), for jwagi's, Chicory's and Netty's frames and the JDK's/JVM's top ones.
  awk -v top="$TOP" '
    {
      n = $NF; line = $0; sub(/ [0-9]+$/, "", line)
      k = split(line, f, ";"); total += n; self[f[k]] += n
      delete seen
      for (i = 1; i <= k; i++) if (!(f[i] in seen)) { seen[f[i]] = 1; incl[f[i]] += n }
    }
    END {
      printf "\n  top %d frames by self samples (of %d):\n", top, total
      cmd = "sort -rn | head -" top
      for (s in self) printf "  %6.2f%%  %s\n", 100 * self[s] / total, s | cmd
      close(cmd)
      printf "\n  top %d jwagi/Chicory/Netty frames by total samples:\n", top
      for (s in incl) if (s ~ /dev\/jwagi|chicory|netty/) printf "  %6.2f%%  %s\n", 100 * incl[s] / total, s | cmd
      close(cmd)
    }' "$OUT_DIR/profile.collapsed"
else
  echo
  jfr print --events jdk.ExecutionSample "$OUT_DIR/profile.jfr" |
    awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); top[$0]++; total++ }
         END { for (t in top) printf "  %6.2f%%  %s\n", 100 * top[t] / total, t }' |
    sort -rn | head -"$TOP"
fi
