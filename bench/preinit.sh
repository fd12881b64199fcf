#!/usr/bin/env bash
# Pre-initialised modules (issue 16): per-request time of a module whose boot runs once at
# start-up (`init = "init"`: every request starts from the snapshot) against the same module
# booting on every request (no init key), in one server, same run:
#   js    a JavaScript interpreter: Duktape (Debian's duktape-dev, compiled here to wasm32-wasi
#         with bench/preinit/js.c), booting its heap and a small framework script
#   boot  src/test/wasm/boot.c: a C module whose boot allocates 4 MiB and sieves primes into it
# For each route: the first request after start-up, then WARMUP untimed and RUNS timed requests
# (curl's time_total, and guest_ms from the access log), medians; plus the start-up time and how
# long each init took (the server's log). Then the server is started again on the same module
# cache, twice: warm (compiled classes and snapshots kept: no init runs) and with the snapshots
# removed (classes kept, the inits run again); each start's time to Ready and its first request. Before those, the same modules under
# wasmtime 49 (bench_wasmtime), booting on every run, as the reference: first run and median.
#
# Usage: bench/preinit.sh
# Environment (defaults in brackets):
#   GUESTS ["js boot"]  RUNS [9]  WARMUP [20]  QUIET_WAIT [60]  WASMTIME [1]: 0 skips wasmtime
#   JWAGI_JAVA_OPTS, JWAGI_JAR, JWAGI_FROM=head   as in bench/cpu.sh
# Installs (apt) clang, lld, wasi-libc, duktape-dev and curl if missing. Compiling duktape.c
# takes about a minute. Only 127.0.0.1 is ever targeted; everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

RUNS="${RUNS:-9}"
WARMUP="${WARMUP:-20}"
GUESTS="${GUESTS:-js boot}"
bench_need curl:curl clang:clang wasm-ld:lld
# Installs Debian package PKG unless FILE exists (apt-get update only if a plain install fails).
need_file() {
  local file="$1" pkg="$2"
  [[ -e "$file" ]] && return 0
  bench_log "bench: installing $pkg (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$pkg" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 || true; apt-get install -y -q "$pkg" >/dev/null; } ||
    bench_die "cannot install $pkg"
}
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
COMMANDS=("$BENCH_JAR_HOW")

declare -A MODULE
for g in $GUESTS; do
  case "$g" in
    boot) MODULE[$g]="$BENCH_ROOT/src/test/resources/wasm/boot.wasm" ;;
    js)
      DUK=/usr/share/duktape
      need_file "$DUK/duktape.c" duktape-dev
      need_file /usr/include/wasm32-wasi/stdio.h wasi-libc
      need_file /usr/lib/llvm-14/lib/clang/14.0.6/lib/wasi/libclang_rt.builtins-wasm32.a libclang-rt-14-dev-wasm32
      CC_JS=(clang --target=wasm32-wasi -O2 -w -I"$BENCH_ROOT/bench/preinit" -I"$DUK"
        "$BENCH_ROOT/bench/preinit/js.c" "$DUK/duktape.c" -lm -Wl,--strip-all -o "$BENCH_TMP/js.wasm")
      bench_log "bench: compiling Duktape to wasm32-wasi (about a minute)"
      "${CC_JS[@]}" || bench_die "compiling js.wasm failed"
      COMMANDS+=("${CC_JS[*]}   # duktape-dev $(dpkg-query -W -f='${Version}' duktape-dev 2>/dev/null)")
      MODULE[$g]="$BENCH_TMP/js.wasm"
      ;;
    *) bench_die "unknown guest '$g' (known: js boot)" ;;
  esac
done

# One server: per guest, /G (init = "init" or "boot": booted once) and /G-every (boots per request).
: >"$BENCH_TMP/modules.toml"
for g in $GUESTS; do
  export_name=init
  [[ "$g" == boot ]] && export_name=boot
  printf '[[module]]\nroute = "/%s/..."\nmodule = "%s"\ninit = "%s"\n\n' "$g" "${MODULE[$g]}" "$export_name" >>"$BENCH_TMP/modules.toml"
  printf '[[module]]\nroute = "/%s-every/..."\nmodule = "%s"\n\n' "$g" "${MODULE[$g]}" >>"$BENCH_TMP/modules.toml"
done
# Starts jwagi on modules.toml and the module cache, logging to $1; sets PORT, JPID, READY_MS.
start_jwagi() {
  PORT="$(bench_free_port)"
  bench_wait_quiet
  STARTED="$(bench_now_ms)"
  # shellcheck disable=SC2086
  (cd "$BENCH_TMP" && exec java ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c "$BENCH_TMP/modules.toml" -l "127.0.0.1:$PORT" --timeout 300s --module-cache "$BENCH_TMP/cache") \
    >"$1" 2>&1 &
  JPID=$!
  bench_track "$JPID"
  bench_wait_line "$1" "Ready: serving on" 600 "$JPID"
  READY_MS=$(($(bench_now_ms) - STARTED))
}
start_jwagi "$BENCH_TMP/jwagi.log"
COLD_MS="$READY_MS"
COMMANDS+=("java ${JWAGI_JAVA_OPTS:-} -jar $JWAGI_JAR -c $BENCH_TMP/modules.toml -l 127.0.0.1:$PORT --timeout 300s --module-cache $BENCH_TMP/cache   # modules.toml: /G with init, /G-every without, for G in: $GUESTS (a cold module cache: start-up includes compiling)")

# Seconds of one request (curl's time_total); the body goes to $BENCH_TMP/body.
request() {
  curl -s -o "$BENCH_TMP/body" -w '%{http_code} %{time_total}\n' "http://127.0.0.1:$PORT$1"
}
# guest_ms of the last N access-log lines of route R (waits up to 5 s for the batched log).
guest_ms() {
  local route="$1" n="$2" i
  for ((i = 0; i < 50; i++)); do
    (($(grep -c " route=$route in=" "$BENCH_TMP/jwagi.log" || true) >= n)) && break
    sleep 0.1
  done
  grep " route=$route in=" "$BENCH_TMP/jwagi.log" | tail -n "$n" | sed 's/.* guest_ms=\([0-9.]*\).*/\1/'
}
ms() { awk -v s="$1" 'BEGIN { printf "%.2f", s * 1000 }'; }

request /healthz >/dev/null # the HTTP path's own first request, paid by no guest route
REPORT=()
declare -A FIRST MED GUEST BODY
for g in $GUESTS; do
  for r in "/$g" "/$g-every"; do
    read -r code t < <(request "$r/w0/w9/x")
    [[ "$code" == 200 ]] || { cat "$BENCH_TMP/body" >&2; tail -20 "$BENCH_TMP/jwagi.log" >&2; bench_die "$r answered $code"; }
    FIRST[$r]="$(ms "$t")"
    BODY[$r]="$(head -c 200 "$BENCH_TMP/body")"
  done
done
for g in $GUESTS; do
  for r in "/$g" "/$g-every"; do
    for ((i = 0; i < WARMUP; i++)); do request "$r/w0/w9/x" >/dev/null; done
  done
  bench_wait_quiet
  # Timed requests alternate between the two routes, so that both see the same machine.
  declare -a T_INIT=() T_EVERY=()
  for ((i = 0; i < RUNS; i++)); do
    read -r _ t < <(request "/$g/w0/w9/x")
    T_INIT+=("$(ms "$t")")
    read -r _ t < <(request "/$g-every/w0/w9/x")
    T_EVERY+=("$(ms "$t")")
  done
  MED[/$g]="$(bench_median "${T_INIT[@]}")"
  MED[/$g-every]="$(bench_median "${T_EVERY[@]}")"
  mapfile -t G1 < <(guest_ms "/$g/..." "$RUNS")
  mapfile -t G2 < <(guest_ms "/$g-every/..." "$RUNS")
  GUEST[/$g]="$(bench_median "${G1[@]}")"
  GUEST[/$g-every]="$(bench_median "${G2[@]}")"
  COMMANDS+=("curl -s -w '%{time_total}' http://127.0.0.1:$PORT/$g/w0/w9/x and .../$g-every/w0/w9/x   # first request each, then $WARMUP untimed each, then $RUNS alternating pairs timed")
  REPORT+=("" "$g: /$g answers \"${BODY[/$g]//$'\n'/ }\"; /$g-every \"${BODY[/$g-every]//$'\n'/ }\"")
  REPORT+=("$(printf '  %-28s %14s %18s %18s   %s' "" "first request" "median request" "median guest_ms" "timed requests (ms)")")
  REPORT+=("$(printf '  %-28s %11s ms %15s ms %18s   %s' "/$g (init once, snapshot)" "${FIRST[/$g]}" "${MED[/$g]}" "${GUEST[/$g]}" "${T_INIT[*]}")")
  REPORT+=("$(printf '  %-28s %11s ms %15s ms %18s   %s' "/$g-every (boots each time)" "${FIRST[/$g-every]}" "${MED[/$g-every]}" "${GUEST[/$g-every]}" "${T_EVERY[*]}")")
  REPORT+=("  per-request time without / with the snapshot: $(awk -v a="${MED[/$g-every]}" -v b="${MED[/$g]}" 'BEGIN { printf "%.1f", a / b }')x (median request), first request $(awk -v a="${FIRST[/$g-every]}" -v b="${FIRST[/$g]}" 'BEGIN { printf "%.1f", a / b }')x")
done

# wasmtime 49 on the same modules, booting on every run (it has no snapshot: that is the point),
# with the argv and environment jwagi gives /G-every/w0/w9/x.
if [[ "${WASMTIME:-1}" == 1 ]]; then
  for g in $GUESTS; do
    bench_cgi_view "$JWAGI_JAR" "$PORT" "/$g-every/..." "/$g-every/w0/w9/x"
    bench_wait_quiet
    json="$(bench_wasmtime "${MODULE[$g]}" --runs "$RUNS" --warmup 1 "${WT_ARGV[@]}" "${WT_ENV[@]}")" ||
      bench_die "$g: wasmtime failed"
    wt_first="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["first_ms"])' "$json")"
    wt_med="$(python3 -c 'import json, sys; print(json.loads(sys.argv[1])["median_ms"])' "$json")"
    wt_runs="$(python3 -c 'import json, sys; print(" ".join(map(str, json.loads(sys.argv[1])["runs_ms"])))' "$json")"
    COMMANDS+=("python bench/wasmtime_cgi.py ${MODULE[$g]} --runs $RUNS --warmup 1 ${WT_ARGV[*]} --env=...   # bench_wasmtime: $g, the environment of /$g-every/w0/w9/x")
    REPORT+=("" "$g under wasmtime 49 (no snapshot: boots every run; instantiate + _start, no HTTP):")
    REPORT+=("$(printf '  %-28s %11s ms %15s ms %18s   %s' "wasmtime, boots each time" "$wt_first" "$wt_med" "" "$wt_runs")")
    REPORT+=("  jwagi / wasmtime, median: /$g-every $(awk -v a="${MED[/$g-every]}" -v b="$wt_med" 'BEGIN { printf "%.1f", a / b }')x (guest_ms $(awk -v a="${GUEST[/$g-every]}" -v b="$wt_med" 'BEGIN { printf "%.1f", a / b }')x), /$g with its snapshot $(awk -v a="${MED[/$g]}" -v b="$wt_med" 'BEGIN { printf "%.2f", a / b }')x (guest_ms $(awk -v a="${GUEST[/$g]}" -v b="$wt_med" 'BEGIN { printf "%.2f", a / b }')x); first request: /$g-every $(awk -v a="${FIRST[/$g-every]}" -v b="$wt_first" 'BEGIN { printf "%.1f", a / b }')x, /$g $(awk -v a="${FIRST[/$g]}" -v b="$wt_first" 'BEGIN { printf "%.2f", a / b }')x wasmtime's first run")
  done
fi

# Restarts on the same cache: warm (snapshots kept), then with the snapshots removed.
bench_stop "$JPID"
RESTARTS=("  snapshot entries: $(find "$BENCH_TMP/cache" -name '*.snapshot' -printf '%s bytes ' | sed 's/ $//')")
for how in warm no-snapshots; do
  [[ "$how" == no-snapshots ]] && find "$BENCH_TMP/cache" -name '*.snapshot' -delete
  start_jwagi "$BENCH_TMP/jwagi-$how.log"
  line="$(printf '  %-44s %8s ms to Ready;' "restart, $how" "$READY_MS")"
  for g in $GUESTS; do
    read -r code t < <(request "/$g/w0/w9/x")
    [[ "$code" == 200 ]] || bench_die "/$g answered $code after the $how restart"
    line+=" first /$g $(ms "$t") ms;"
  done
  RESTARTS+=("$line")
  RESTARTS+=("$(grep -o 'route .*: runs module .* from its snapshot after .*' "$BENCH_TMP/jwagi-$how.log" | sed 's/^/      /')")
  bench_stop "$JPID"
done
COMMANDS+=("the same java command twice more on the same --module-cache: warm, then after find \$BENCH_TMP/cache -name '*.snapshot' -delete")

echo
echo "== pre-initialised modules ($GUESTS), $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores =="
echo "before the run: $LOAD_BEFORE"
echo "java: $(java -version 2>&1 | head -1)"
echo "Commands:"
printf '  %s\n' "${COMMANDS[@]}"
echo "start-up (process start -> Ready, compiling the modules included): $COLD_MS ms; the inits:"
grep -o 'route .*: runs module .* from its snapshot after .*' "$BENCH_TMP/jwagi.log" | sed 's/^/  /'
printf '%s\n' "${REPORT[@]}"
echo "restarts on the same module cache (compiled classes kept):"
printf '%s\n' "${RESTARTS[@]}"
