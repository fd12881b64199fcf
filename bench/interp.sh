#!/usr/bin/env bash
# Interpreters that ship as WASI reactors (issue 16), served by jwagi and run by wasmtime 49, the
# same merged module for both:
# - Perl 5.42 (npm @6over3/zeroperl-ts, zeroperl.wasm, 25 MB) with bench/big/perl-cgi.wat;
# - Ruby 3.4 (npm @ruby/3.4-wasm-wasi, ruby+stdlib.wasm, 31 MB) with bench/big/ruby-cgi.wat and
#   bench/big/ruby-canonical-abi.wat.
# Each shim stubs the interpreter's JavaScript imports and exports _start = boot + serve, boot
# (the interpreter started and the script bench/big/LANG-cgi.{pl,rb} compiled) and serve (the
# request's environment given to the interpreter, the script run). binaryen's wasm-merge (npm
# binaryen, run with node) merges shim and interpreter; wasm-opt then coalesces the locals
# wasm-merge's re-encoding adds (hundreds per function otherwise: jwagi's splitter could not move
# any run of such functions, and two were left to Chicory's interpreter).
#
# Measured per language: jwagi's cold compile (--prepare-only, empty module cache: seconds, max
# RSS; it also runs the boot init and keeps its snapshot), its start from the cache (process
# start -> /healthz 200; the snapshot loaded from the cache, the init not run), per
# request (first, then the median of RUNS after WARMUP) on /LANG (_start: boots per request) and
# /LANG-pre (init = "boot", entrypoint = "serve": every request from the boot's snapshot), peak RSS
# after 4 concurrent x 5 requests on each; wasmtime 49 on the same module (bench_wasmtime: a fresh
# instance per run running _start; compile_s, per run).
#
#   bench/interp.sh          # RUNS=7 WARMUP=30 LANGS="perl ruby" QUERY=n=2000
#   STARTUP_ONLY=1 bench/interp.sh   # the compile and start figures only: RUNS=1 WARMUP=1, no
#                                    # concurrent requests or peak RSS
#   JWAGI_JAVA_OPTS="-XX:+UseSerialGC -XX:-DontCompileHugeMethods" bench/interp.sh
#   JWAGI_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bench/interp.sh   # the image's JVM
#   (default: java, the machine's JDK 17; as for ./jwagi)
#                                    # JVM options for jwagi's runs (here: ./jwagi's and the image's)
# Packages are fetched with `npm pack` at pinned versions and checked against pinned SHA-256s
# into BIG_CACHE (default ~/.cache/jwagi-bench-big); nothing large is committed.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STARTUP_ONLY="${STARTUP_ONLY:-0}"
if [[ "$STARTUP_ONLY" == 1 ]]; then
  RUNS="${RUNS:-1}"
  WARMUP="${WARMUP:-1}"
fi
RUNS="${RUNS:-7}"
WARMUP="${WARMUP:-30}"
LANGS="${LANGS:-perl ruby}"
QUERY="${QUERY:-n=2000}"
BIG_CACHE="${BIG_CACHE:-$HOME/.cache/jwagi-bench-big}"
BINARYEN=(binaryen@132.0.0 binaryen-132.0.0.tgz 6543555fb29bb92548f325c7dc18e9ab7dbb1215edda25993d1e3f71d85b8618)
PERL_PKG=(@6over3/zeroperl-ts@1.0.10 6over3-zeroperl-ts-1.0.10.tgz c46c5ffff4f2c2216137a6b34b4eb03f5554e17a2b88979463c5f61dffb36fed)
RUBY_PKG=(@ruby/3.4-wasm-wasi@2.10.1 ruby-3.4-wasm-wasi-2.10.1.tgz 2e709bd9eddefe1c5d63e9fc0391a35cce4754e936d8a2f24b8582f6d5c2ea88)
# What zeroperl and ruby.wasm use beyond the MVP (binaryen refuses the input otherwise).
FEATURES=(--enable-bulk-memory --enable-sign-ext --enable-mutable-globals
  --enable-nontrapping-float-to-int --enable-multivalue)

BENCH_TMP="$(mktemp -d)"
trap bench_cleanup EXIT
bench_need npm:npm node:nodejs curl:curl /usr/bin/time:time
COMMANDS=()

unpack() { # PKG TGZ SHA NAME: the package unpacked into $BIG_CACHE/src/NAME
  bench_npm_pack "$BIG_CACHE" "$1" "$2" "$3"
  if [[ ! -d "$BIG_CACHE/src/$4/package" ]]; then
    mkdir -p "$BIG_CACHE/src/$4"
    tar -xzf "$BIG_CACHE/$2" -C "$BIG_CACHE/src/$4"
  fi
}

unpack "${BINARYEN[@]}" binaryen
BIN="$BIG_CACHE/src/binaryen/package/bin"

# TEXT with every TOKEN replaced by VALUE (no pattern characters: the script's bytes are \hh).
replace_all() {
  local text="$1" token="$2" value="$3" out=""
  while [[ "$text" == *"$token"* ]]; do
    out+="${text%%"$token"*}$value"
    text="${text#*"$token"}"
  done
  printf '%s' "$out$text"
}

# Builds $BIG_CACHE/LANG-cgi.wasm from the interpreter WASM, the shim and the script (again when
# one of them is newer). The shim's @SCRIPT@ becomes the script's bytes, @SCRIPT_LEN@ their count
# with the NUL.
build() { # LANG INTERPRETER INTERP_NAME SHIM_NAME SCRIPT [EXTRA_WAT EXTRA_NAME]
  local lang="$1" interp="$2" iname="$3" sname="$4" script="$5" out="$BIG_CACHE/$1-cgi.wasm"
  local shim="$BENCH_ROOT/bench/big/$lang-cgi.wat" extra=() text
  [[ $# -ge 7 ]] && extra=("$6" "$7")
  if [[ -f "$out" && "$out" -nt "$shim" && "$out" -nt "$script" && "$out" -nt "$interp" &&
    (${#extra[@]} -eq 0 || "$out" -nt "${extra[0]}") ]]; then
    return 0
  fi
  bench_log "bench: building $out (wasm-merge, wasm-opt: ~1 min)"
  text="$(replace_all "$(<"$shim")" @SCRIPT@ "$(bench_wat_bytes "$script")")"
  replace_all "$text" @SCRIPT_LEN@ "$(($(stat -c %s "$script") + 1))" >"$BIG_CACHE/$lang-shim.wat"
  bench_show node "$BIN/wasm-merge" "${FEATURES[@]}" "$interp" "$iname" "$BIG_CACHE/$lang-shim.wat" \
    "$sname" "${extra[@]}" -o "$BIG_CACHE/$lang-merged.wasm"
  bench_show node "$BIN/wasm-opt" "${FEATURES[@]}" --simplify-locals-nostructure --coalesce-locals \
    --reorder-locals --vacuum --optimize-level 2 --generate-stack-ir --optimize-stack-ir \
    "$BIG_CACHE/$lang-merged.wasm" -o "$out"
  rm -f "$BIG_CACHE/$lang-merged.wasm"
}

# Perl's perl_parse of "-e" opens /dev/null, which WASI hosts do not provide: a volume at /dev
# holds an empty file of that name (read-only for the init, see the README).
DEV="$BENCH_TMP/dev"
mkdir -p "$DEV"
: >"$DEV/null"
for lang in $LANGS; do
  case "$lang" in
    perl)
      unpack "${PERL_PKG[@]}" perl
      # Compiled as the body of sub cgi_main at boot (bench/big/perl-cgi.wat).
      { printf 'sub cgi_main {\n'; cat "$BENCH_ROOT/bench/big/perl-cgi.pl"; printf '}\n1;\n'; } >"$BENCH_TMP/perl.pl"
      touch -r "$BENCH_ROOT/bench/big/perl-cgi.pl" "$BENCH_TMP/perl.pl"
      build perl "$BIG_CACHE/src/perl/package/dist/esm/zeroperl.wasm" zeroperl env "$BENCH_TMP/perl.pl"
      ;;
    ruby)
      unpack "${RUBY_PKG[@]}" ruby
      build ruby "$BIG_CACHE/src/ruby/package/dist/ruby+stdlib.wasm" ruby rb-js-abi-host \
        "$BENCH_ROOT/bench/big/ruby-cgi.rb" "$BENCH_ROOT/bench/big/ruby-canonical-abi.wat" canonical_abi
      ;;
    *) bench_die "LANGS: unknown language $lang (perl, ruby)" ;;
  esac
done

bench_build_jwagi

peak_rss_mb() { # PID: VmHWM (the peak resident set) in MiB
  awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

# A response body (curl's output) or a CGI output (wasmtime's: headers, empty line, body) without
# its first line of body, which names the path (the two hosts set it differently).
body() { awk 'NR == 1 && /^Content-Type:/ { h = 1 } h && !b { if ($0 == "") b = 1; next } { if (n++) print }' "$1"; }

# Prints per-request figures for one URL: first, then median of RUNS after WARMUP.
per_request() { # NAME URL
  local first i ms times=()
  first="$(curl -sf -o "$BENCH_TMP/$1.out" -w '%{time_total}' "$2")" || bench_die "$1: $2 failed"
  for ((i = 1; i < WARMUP; i++)); do
    curl -sf -o /dev/null "$2" || bench_die "$1: $2 failed"
  done
  for ((i = 0; i < RUNS; i++)); do
    ms="$(curl -sf -o /dev/null -w '%{time_total}' "$2")"
    times+=("$(awk -v t="$ms" 'BEGIN { printf "%.1f", t * 1000 }')")
  done
  MEDIAN="$(bench_median "${times[@]}")"
  echo "$1 jwagi per request: first $(awk -v t="$first" 'BEGIN { printf "%.0f", t * 1000 }') ms;" \
    "median of $RUNS after $WARMUP: $MEDIAN ms  (${times[*]})"
}

run_lang() { # LANG
  local lang="$1" wasm="$BIG_CACHE/$1-cgi.wasm" cache="$BENCH_TMP/cache-$1" port log pid t0 i
  local volumes="" dirs=() wt plain pre
  if [[ "$lang" == perl ]]; then
    volumes="volumes = { \"/dev\" = \"$DEV\" }"
    dirs=(--dir "$DEV::/dev")
  fi
  cat >"$BENCH_TMP/$lang.toml" <<EOF
[[module]]
route = "/$lang"
module = "$wasm"
$volumes

[[module]]
route = "/$lang-pre"
module = "$wasm"
init = "boot"
entrypoint = "serve"
$volumes
EOF
  echo "$lang module: $(stat -c %s "$wasm") bytes"
  bench_wait_quiet
  /usr/bin/time -o "$BENCH_TMP/time" -f "%e %M" "${JWAGI_JAVA:-java}" ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c "$BENCH_TMP/$lang.toml" \
    --module-cache "$cache" --prepare-only >"$BENCH_TMP/$lang.prepare.log" 2>&1 || {
    cat "$BENCH_TMP/$lang.prepare.log" >&2
    bench_die "$lang: --prepare-only failed"
  }
  read -r secs kib <"$BENCH_TMP/time"
  echo "$lang jwagi cold compile (--prepare-only, empty cache; the boot init run and its snapshot kept): ${secs} s, max RSS $((kib / 1024)) MiB"
  echo "$lang functions left to Chicory's interpreter: $(grep -c "runs in Chicory's interpreter" "$BENCH_TMP/$lang.prepare.log" || true);" \
    "not split: $(grep -o 'wasm function [0-9]* cannot be split' "$BENCH_TMP/$lang.prepare.log" | tr '\n' ';' || true)"
  port="$(bench_free_port)"
  log="$BENCH_TMP/$lang.log"
  bench_wait_quiet
  t0="$(bench_now_ms)"
  "${JWAGI_JAVA:-java}" ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c "$BENCH_TMP/$lang.toml" --module-cache "$cache" -l "127.0.0.1:$port" \
    --log-dir "$BENCH_TMP/logs-$lang" >"$log" 2>&1 &
  pid=$!
  bench_track "$pid"
  bench_wait_200 "http://127.0.0.1:$port/healthz" 600 "$pid" "$log"
  echo "$lang jwagi start from cache (start -> /healthz 200): $(($(bench_now_ms) - t0)) ms;" \
    "boot's snapshot: $(grep -o 'from its snapshot after boot ([a-z ]* in [0-9]* ms)' "$log" | sed 's/.*after boot (//; s/)$//')"
  per_request "$lang" "http://127.0.0.1:$port/$lang?$QUERY"
  plain="$MEDIAN"
  per_request "$lang-pre" "http://127.0.0.1:$port/$lang-pre?$QUERY"
  pre="$MEDIAN"
  body "$BENCH_TMP/$lang.out" | cmp -s - <(body "$BENCH_TMP/$lang-pre.out") ||
    bench_die "$lang: /$lang and /$lang-pre answer differently"
  if [[ "$STARTUP_ONLY" != 1 ]]; then
    for route in "$lang" "$lang-pre"; do
      for i in 1 2 3 4; do
        (for _ in 1 2 3 4 5; do curl -sf -o /dev/null "http://127.0.0.1:$port/$route?$QUERY"; done) &
      done
      wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
    done
    echo "$lang jwagi peak RSS (after 4 concurrent x 5 requests on each route): $(peak_rss_mb "$pid") MiB"
  fi
  bench_stop "$pid"
  bench_wait_quiet
  wt="$(bench_wasmtime "$wasm" --runs "$RUNS" --warmup "$WARMUP" --env "QUERY_STRING=$QUERY" \
    --env "SCRIPT_NAME=/$lang" "${dirs[@]}")" || bench_die "$lang: wasmtime failed"
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])["stdout_head"], end="")' "$wt" >"$BENCH_TMP/$lang.wasmtime.out"
  body "$BENCH_TMP/$lang.out" | cmp -s - <(body "$BENCH_TMP/$lang.wasmtime.out") ||
    echo "$lang: WARNING: wasmtime's answer differs from jwagi's (or was cut at 200 bytes)"
  python3 - "$wt" "$lang" "$plain" "$pre" "$secs" <<'PY'
import json, sys
w = json.loads(sys.argv[1]); lang, plain, pre = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
print(f"{lang} ratio jwagi cold compile (with its boot init) / wasmtime compile: "
      f"{float(sys.argv[5]) / float(w['compile_s']):.1f}x")
print(f"{lang} wasmtime 49: compile {w['compile_s']} s, deserialize {w['deserialize_s']} s, "
      f"first run {w['first_ms']} ms, median {w['median_ms']} ms  {w['runs_ms']}")
print(f"{lang} ratio jwagi / wasmtime per request: _start {plain / w['median_ms']:.1f}x, "
      f"from the snapshot {pre / w['median_ms']:.1f}x")
PY
  COMMANDS+=("${JWAGI_JAVA:-java} ${JWAGI_JAVA_OPTS:-} -jar JAR -c $lang.toml --module-cache EMPTY --prepare-only   # under /usr/bin/time -f '%e %M'")
  COMMANDS+=("${JWAGI_JAVA:-java} ${JWAGI_JAVA_OPTS:-} -jar JAR -c $lang.toml --module-cache CACHE -l 127.0.0.1:PORT; curl /$lang?$QUERY and /$lang-pre?$QUERY x (1 + $((WARMUP - 1)) + $RUNS)$([[ "$STARTUP_ONLY" == 1 ]] || echo "; 4 x 5 concurrent on each")")
  COMMANDS+=("bench_wasmtime $lang-cgi.wasm --runs $RUNS --warmup $WARMUP --env QUERY_STRING=$QUERY --env SCRIPT_NAME=/$lang ${dirs[*]}")
}

bench_load_note
for lang in $LANGS; do
  run_lang "$lang"
  echo "$lang answer:"
  sed 's/^/  /' "$BENCH_TMP/$lang.out"
done
bench_load_note
echo
echo "commands used:"
echo "  jwagi: ${BENCH_JAR_HOW:-}"
printf '  %s\n' "${COMMANDS[@]}"
