#!/usr/bin/env bash
# JMH benchmark of the per-request engine path (bench/jmh, class GuestRunBenchmark):
# jwagi (Guest.run on hello.wasm), naive (a plain Chicory embedding, per request) and
# jwagiEmpty (Guest.run on a module whose _start does nothing: preparation alone).
#
# BENCHMARK=ObserveBenchmark bench/jmh.sh: instead, what metrics and one access line (text, json)
# add to a request, in ns (class ObserveBenchmark).
#
# Usage: bench/jmh.sh [JMH options...]      e.g. bench/jmh.sh -wi 1 -i 3 -prof gc
#   Without options it runs the annotations' defaults: 1 fork, 3 x 2 s warm-up (10 x 2 s for
#   naive, which warms up slowly), 5 x 2 s measured, average time in µs per call. JMH's own table is printed at the end.
# Environment:
#   INSTALL_FROM [root]  root: mvn install in the repository root (the work tree as it is);
#                        head: from the committed HEAD, unpacked in a temporary folder, leaving the
#                        work tree and its target/ alone (for when others edit and build in the
#                        same work tree at the same time)
#   QUIET_WAIT [60]      wait up to this many seconds for other processes to calm down first
#   JMH_JAVA [java]      the java binary for the benchmark
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

bench_need mvn:maven java:openjdk-17-jdk-headless
BENCH_TMP="$(mktemp -d)"
INSTALL_FROM="${INSTALL_FROM:-root}"
MVN=(mvn -B -q -Dstyle.color=never -DskipTests -Dspotless.check.skip=true)

echo "Commands:"
case "$INSTALL_FROM" in
  root)
    echo "  (cd $BENCH_ROOT && ${MVN[*]} install)"
    (cd "$BENCH_ROOT" && "${MVN[@]}" install) >"$BENCH_TMP/mvn.log" 2>&1 || {
      cat "$BENCH_TMP/mvn.log" >&2
      bench_die "installing jwagi failed"
    }
    ;;
  head)
    mkdir -p "$BENCH_TMP/jwagi"
    git -C "$BENCH_ROOT" archive HEAD pom.xml src | tar -x -C "$BENCH_TMP/jwagi"
    echo "  git archive HEAD pom.xml src | tar -x -C $BENCH_TMP/jwagi   # HEAD = $(git -C "$BENCH_ROOT" rev-parse --short HEAD)"
    echo "  (cd $BENCH_TMP/jwagi && ${MVN[*]} install)"
    (cd "$BENCH_TMP/jwagi" && "${MVN[@]}" install) >"$BENCH_TMP/mvn.log" 2>&1 || {
      cat "$BENCH_TMP/mvn.log" >&2
      bench_die "installing jwagi failed"
    }
    ;;
  *) bench_die "INSTALL_FROM must be root or head" ;;
esac

echo "  (cd bench/jmh && mvn -B -q -Dstyle.color=never package)"
(cd "$BENCH_ROOT/bench/jmh" && mvn -B -q -Dstyle.color=never package) >"$BENCH_TMP/mvn.log" 2>&1 || {
  cat "$BENCH_TMP/mvn.log" >&2
  bench_die "building bench/jmh failed"
}
JAR="$BENCH_ROOT/bench/jmh/target/benchmarks.jar"
[[ -f "$JAR" ]] || bench_die "no $JAR"

BENCHMARK="${BENCHMARK:-GuestRunBenchmark}"
bench_wait_quiet
echo "  (cd $BENCH_ROOT && ${JMH_JAVA:-java} -jar bench/jmh/target/benchmarks.jar $BENCHMARK -rf text -rff $BENCH_TMP/jmh.txt $*)"
echo
(cd "$BENCH_ROOT" && "${JMH_JAVA:-java}" -jar "$JAR" "$BENCHMARK" -rf text -rff "$BENCH_TMP/jmh.txt" "$@") \
  | tee "$BENCH_TMP/jmh.log" || bench_die "JMH failed"
echo
echo "== JMH result ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $("${JMH_JAVA:-java}" -version 2>&1 | head -1)) =="
echo "before the run: $LOAD_BEFORE"
cat "$BENCH_TMP/jmh.txt"
echo
[[ "$BENCHMARK" == GuestRunBenchmark ]] || exit 0
echo "jwagiEmpty = per-request preparation alone (fresh instance, WASI state, entry lookup; target <= 10 us)."
echo "jwagi - jwagiEmpty ~ the cost of hello's _start itself; naive/jwagi = speed-up over a plain embedding."
