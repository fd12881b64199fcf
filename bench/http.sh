#!/usr/bin/env bash
# HTTP benchmark: jwagi /hello (a wasm module per request) vs jwagi /healthz (no wasm) vs
# lighttpd + mod_cgi running the same hello program compiled natively (process per request).
#
# Usage: bench/http.sh
# Environment (defaults in brackets):
#   ROUNDS [3]       clean rounds wanted; each measures the three targets once, order rotated
#   N [10000]        requests per ab run          C [100]   ab concurrency
#   WARMUP [50000]   at least this many warm-up requests per jwagi URL, in batches of
#   WARMUP_BATCH [10000] alternating /hello and /healthz, until /hello's server CPU per batch is
#   WARMUP_TOLERANCE [1.15] steady (max/min of the last 3 batches) and the JIT has settled:
#   WARMUP_JIT_MS [100] at most this much JIT compile time (jstat -compiler) in the last 2 batches;
#   WARMUP_MAX [1000000] requests per URL at most (the JIT compiled jwagi's /hello path for
#                    ~400000 requests here; at 200000 /hello ran at half its settled speed)
#   WARMUP_CGI [2000] requests on the CGI URL before measuring
#   WRK [1]          1: also a wrk pass per round (HTTP/1.1 keep-alive, finer latencies)
#   WRK_DURATION [5s]  WRK_THREADS [1]
#   NOISY [10]       a round in which other processes used more than this % of the machine during
#                    an ab run is disturbed: left out of the medians and repeated, at most
#   EXTRA_ROUNDS [3] times in all
#   QUIET_WAIT [60]  before each round, wait up to this many seconds for other processes to calm
#                    down (the machine under 25% busy for 2 s); 0: do not wait
#   OUT_DIR          keep the raw ab/wrk outputs there (default: a temporary folder, removed)
#   JWAGI_JAVA_OPTS  JVM options for jwagi (as for ./jwagi)
#   JWAGI_JAR        benchmark this jar instead of building the work tree
#   JWAGI_FROM=head  build the committed HEAD in a temporary folder instead of the work tree
# Only 127.0.0.1 is ever targeted. Everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

ROUNDS="${ROUNDS:-3}"
N="${N:-10000}"
C="${C:-100}"
WARMUP="${WARMUP:-50000}"
WARMUP_BATCH="${WARMUP_BATCH:-10000}"
WARMUP_TOLERANCE="${WARMUP_TOLERANCE:-1.15}"
WARMUP_MAX="${WARMUP_MAX:-1000000}"
WARMUP_JIT_MS="${WARMUP_JIT_MS:-100}"
WARMUP_CGI="${WARMUP_CGI:-2000}"
NOISY="${NOISY:-10}"
EXTRA_ROUNDS="${EXTRA_ROUNDS:-3}"
WRK="${WRK:-1}"
WRK_DURATION="${WRK_DURATION:-5s}"
WRK_THREADS="${WRK_THREADS:-1}"

needs=(ab:apache2-utils lighttpd:lighttpd cc:gcc curl:curl jstat:openjdk-17-jdk-headless)
[[ "$WRK" == 1 ]] && needs+=(wrk:wrk)
bench_need "${needs[@]}"
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
OUT="${OUT_DIR:-$BENCH_TMP/out}"
mkdir -p "$OUT" "$BENCH_TMP/www"
TCK="$(getconf CLK_TCK)"
COMMANDS=()

# --- lighttpd + mod_cgi, serving hello.c compiled natively ---------------------------------
cc -O2 "$BENCH_ROOT/examples/modules/hello.c" -o "$BENCH_TMP/www/hello.cgi"
COMMANDS+=("cc -O2 examples/modules/hello.c -o $BENCH_TMP/www/hello.cgi")
LPORT="$(bench_free_port)"
cat >"$BENCH_TMP/lighttpd.conf" <<EOF
server.modules = ("mod_cgi")
server.document-root = "$BENCH_TMP/www"
server.bind = "127.0.0.1"
server.port = $LPORT
server.errorlog = "$BENCH_TMP/lighttpd-error.log"
server.max-keep-alive-requests = 100000
server.max-keep-alive-idle = 30
cgi.assign = (".cgi" => "")
EOF
lighttpd -D -f "$BENCH_TMP/lighttpd.conf" >"$BENCH_TMP/lighttpd.out" 2>&1 &
LPID=$!
bench_track "$LPID"
COMMANDS+=("lighttpd -D -f $BENCH_TMP/lighttpd.conf   # $(tr '\n' ';' <"$BENCH_TMP/lighttpd.conf")")

# --- jwagi on the examples -----------------------------------------------------------------
JPORT="$(bench_free_port)"
while [[ "$JPORT" == "$LPORT" ]]; do JPORT="$(bench_free_port)"; done
# shellcheck disable=SC2086
(cd "$BENCH_ROOT" && exec java ${JWAGI_JAVA_OPTS:-} -jar "$JWAGI_JAR" -c examples/modules.toml -l "127.0.0.1:$JPORT" --no-module-cache) \
  >"$BENCH_TMP/jwagi.log" 2>&1 &
JPID=$!
bench_track "$JPID"
COMMANDS+=("$BENCH_JAR_HOW")
COMMANDS+=("java ${JWAGI_JAVA_OPTS:-} -jar $JWAGI_JAR -c examples/modules.toml -l 127.0.0.1:$JPORT --no-module-cache   # in the repo root")
bench_wait_line "$BENCH_TMP/jwagi.log" "Ready: serving on" 120 "$JPID"
bench_wait_200 "http://127.0.0.1:$LPORT/hello.cgi" 30 "$LPID" "$BENCH_TMP/lighttpd.out"
[[ "$(cat "/proc/$JPID/comm")" == java ]] || bench_die "pid $JPID is not the JVM ($(cat "/proc/$JPID/comm"))"

TARGETS=(hello healthz cgi)
declare -A URL=(
  [hello]="http://127.0.0.1:$JPORT/hello"
  [healthz]="http://127.0.0.1:$JPORT/healthz"
  [cgi]="http://127.0.0.1:$LPORT/hello.cgi"
)
declare -A PID=([hello]="$JPID" [healthz]="$JPID" [cgi]="$LPID")
declare -A LABEL=([hello]="jwagi /hello (wasm)" [healthz]="jwagi /healthz (no wasm)" [cgi]="lighttpd+CGI hello.cgi")

for t in "${TARGETS[@]}"; do
  code="$(curl -s -o "$BENCH_TMP/check-$t" -w '%{http_code}' "${URL[$t]}")"
  [[ "$code" == 200 ]] || bench_die "${URL[$t]} answered $code"
done
grep -q "hello world" "$BENCH_TMP/check-hello" || bench_die "/hello did not answer hello world"
grep -q "hello world" "$BENCH_TMP/check-cgi" || bench_die "hello.cgi did not answer hello world"

# ab -k speaks HTTP/1.0 with "Connection: Keep-Alive" and reuses a connection only if the
# response says "Connection: keep-alive"; otherwise it waits for the server to close. Check that
# first, briefly, rather than hang in the warm-up until ab's 30 s timeout.
for t in "${TARGETS[@]}"; do
  if ! ab -k -s 5 -n 20 -c 2 "${URL[$t]}" >"$OUT/preflight-$t.txt" 2>&1; then
    tail -3 "$OUT/preflight-$t.txt" >&2
    curl -s -o /dev/null -D - --http1.0 -H 'Connection: Keep-Alive' "${URL[$t]}" | sed 's/^/  /' >&2
    bench_die "ab -k stalls on ${URL[$t]}: the server keeps an HTTP/1.0 keep-alive connection open without answering 'Connection: keep-alive' (headers above), so ab waits for a close that does not come"
  fi
done

# --- warm-up ---------------------------------------------------------------------------------
# HotSpot keeps compiling (and recompiling) jwagi's request path for several hundred thousand
# requests on 2 busy cores (the guest's compiled code gets inlined into large compile units), so a
# fixed short warm-up measures the JIT. Instead: batches of WARMUP_BATCH requests alternating /hello
# and /healthz (both paths get compiled alike), until at least WARMUP requests per URL are done, the
# server CPU per /hello batch of the last 3 batches agree within WARMUP_TOLERANCE (max/min), and
# the JIT spent at most WARMUP_JIT_MS compiling during the last 2 batches (jstat -compiler), or
# WARMUP_MAX requests per URL (a bound). Each batch is logged.
jit_ms() { jstat -compiler "$1" | awk 'NR == 2 { printf "%d", $4 * 1000 }'; }
warm() {
  local t="$1" n="$2" k="$3" f="$OUT/warmup-$1-$3.txt" before after
  before="$(bench_cpu_ticks "${PID[$t]}")"
  ab -k -n "$n" -c "$C" "${URL[$t]}" >"$f" 2>&1 || {
    tail -20 "$f" >&2
    tail -20 "$BENCH_TMP/jwagi.log" >&2
    bench_die "warm-up ab failed on ${URL[$t]}"
  }
  after="$(bench_cpu_ticks "${PID[$t]}")"
  WARM_LOG[$t]+="$(awk '/^Requests per second:/ { printf "%.0f", $4 }' "$f") "
  WARM_CPU[$t]+="$((after - before)) "
}
declare -A WARM_LOG=() WARM_CPU=()
WARMED=0 WARM_STEADY=no JIT_LOG=""
for ((k = 1; WARMED < WARMUP_MAX; k++)); do
  warm hello "$WARMUP_BATCH" "$k"
  warm healthz "$WARMUP_BATCH" "$k"
  WARMED=$((WARMED + WARMUP_BATCH))
  JIT_LOG+="$(jit_ms "$JPID") "
  bench_log "warm-up batch $k ($WARMED requests per URL): /hello $(awk '{ print $NF }' <<<"${WARM_LOG[hello]}") req/s, CPU $(awk '{ print $NF }' <<<"${WARM_CPU[hello]}") ticks; /healthz $(awk '{ print $NF }' <<<"${WARM_LOG[healthz]}") req/s; JIT $(awk '{ print $NF }' <<<"$JIT_LOG") ms so far"
  if ((WARMED >= WARMUP)) && awk -v tol="$WARMUP_TOLERANCE" '{
      if (NF < 3) exit 1
      lo = hi = $NF; for (i = NF - 2; i <= NF; i++) { if ($i < lo) lo = $i; if ($i > hi) hi = $i }
      exit !(lo > 0 && hi / lo <= tol) }' <<<"${WARM_CPU[hello]}" &&
    awk -v max="$WARMUP_JIT_MS" '{ exit !(NF >= 3 && $NF - $(NF - 2) <= max) }' <<<"$JIT_LOG"; then
    WARM_STEADY=yes
    break
  fi
done
[[ "$WARM_STEADY" == yes ]] || bench_log "warning: /hello's CPU per batch or the JIT still moving after $WARMED requests per URL (WARMUP_MAX)"
warm cgi "$WARMUP_CGI" 1
COMMANDS+=("ab -k -n $WARMUP_BATCH -c $C URL   # warm-up: /hello and /healthz alternately until steady and the JIT settled, $WARMED requests each (steady: $WARM_STEADY; JIT compile ms after each batch: $JIT_LOG); $WARMUP_CGI on the CGI URL")
COMMANDS+=("ab -k -n $N -c $C -e OUT.csv URL   # measured; URL in: ${URL[hello]} ${URL[healthz]} ${URL[cgi]}")

# --- measurement -----------------------------------------------------------------------------
declare -A RPS P50 P90 P99 CPU FAILED KEEPALIVE ABCPU OTHER WRPS WP50 WP90 WP99 WOTHER
percentile() { awk -F, -v p="$2" '$1 == p { print $2 }' "$1"; }

# wrk prints latencies with a unit (us, ms, s): in ms.
wrk_ms() {
  awk -v p="$2" '$1 == p {
    v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
    print v }' "$1"
}

# Busy CPU ticks of the whole machine (user nice system irq softirq steal), from /proc/stat.
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat; }
# Sets CHILD_S to the CPU seconds of this shell's finished children (bash's times, second line:
# user sys). Not to be called in $(...): a subshell has its own, empty, children times.
children_seconds() {
  times >"$BENCH_TMP/times"
  CHILD_S="$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] }; print s }' "$BENCH_TMP/times")"
}

# Accounting around one load run on server PID: acct_begin PID; <run>; acct_end PID. acct_end
# sets SERVER_TICKS (the server's CPU, with reaped children), LOADGEN_S (CPU seconds of the load
# generator, a child of this shell) and OTHER_PCT: CPU used by neither, as a % of all cores over
# the run (other processes on the machine: a measure of how disturbed the run was).
acct_begin() {
  A_M0="$(machine_ticks)"
  children_seconds
  A_C0="$CHILD_S"
  A_S0="$(bench_cpu_ticks "$1")"
  A_T0="$(date +%s%N)"
}
acct_end() {
  sleep 0.3 # lets lighttpd reap its last CGI children, so their CPU is counted
  local s1 m1 t1
  s1="$(bench_cpu_ticks "$1")"
  children_seconds
  m1="$(machine_ticks)"
  t1="$(date +%s%N)"
  SERVER_TICKS=$((s1 - A_S0))
  LOADGEN_S="$(awk -v a="$CHILD_S" -v b="$A_C0" 'BEGIN { print a - b }')"
  OTHER_PCT="$(awk -v m=$((m1 - A_M0)) -v s="$SERVER_TICKS" -v l="$LOADGEN_S" -v tck="$TCK" \
    -v w=$((t1 - A_T0)) -v c="$(nproc)" \
    'BEGIN { o = (m - s) / tck - l; if (o < 0) o = 0; printf "%.0f", 100 * o / (w / 1e9 * c) }')"
}

measure_ab() {
  local t="$1" r="$2" raw="$OUT/ab-$t-r$2"
  acct_begin "${PID[$t]}"
  ab -k -n "$N" -c "$C" -e "$raw.csv" "${URL[$t]}" >"$raw.txt" 2>&1 || {
    tail -20 "$raw.txt" >&2
    tail -20 "$BENCH_TMP/jwagi.log" >&2
    bench_die "ab failed on ${URL[$t]}"
  }
  acct_end "${PID[$t]}"
  RPS[$t]+="$(awk '/^Requests per second:/ { print $4 }' "$raw.txt") "
  P50[$t]+="$(percentile "$raw.csv" 50) "
  P90[$t]+="$(percentile "$raw.csv" 90) "
  P99[$t]+="$(percentile "$raw.csv" 99) "
  CPU[$t]+="$(awk -v d="$SERVER_TICKS" -v tck="$TCK" -v n="$N" 'BEGIN { printf "%.4f", d / tck / n * 1000 }') "
  ABCPU[$t]+="$(awk -v s="$LOADGEN_S" -v n="$N" 'BEGIN { printf "%.4f", s / n * 1000 }') "
  OTHER[$t]+="$OTHER_PCT "
  local failed non2xx
  failed="$(awk '/^Failed requests:/ { print $3 }' "$raw.txt")"
  non2xx="$(awk '/^Non-2xx responses:/ { print $3 }' "$raw.txt")"
  FAILED[$t]=$((${FAILED[$t]:-0} + ${failed:-0} + ${non2xx:-0}))
  KEEPALIVE[$t]+="$(awk '/^Keep-Alive requests:/ { print $3 }' "$raw.txt") "
  bench_log "round $r ab $t: $(awk '/^Requests per second:/ { print $4 }' "$raw.txt") req/s, p99 $(percentile "$raw.csv" 99) ms, server CPU $SERVER_TICKS ticks, other processes $OTHER_PCT%"
}

measure_wrk() {
  local t="$1" r="$2" raw="$OUT/wrk-$t-r$2.txt"
  acct_begin "${PID[$t]}"
  wrk -t"$WRK_THREADS" -c"$C" -d"$WRK_DURATION" --latency "${URL[$t]}" >"$raw" 2>&1 || {
    cat "$raw" >&2
    bench_die "wrk failed on ${URL[$t]}"
  }
  acct_end "${PID[$t]}"
  WRPS[$t]+="$(awk '/^Requests\/sec:/ { print $2 }' "$raw") "
  WP50[$t]+="$(wrk_ms "$raw" 50%) "
  WP90[$t]+="$(wrk_ms "$raw" 90%) "
  WP99[$t]+="$(wrk_ms "$raw" 99%) "
  WOTHER[$t]+="$OTHER_PCT "
  if grep -q "Non-2xx\|Socket errors" "$raw"; then
    bench_log "wrk $t round $r: $(grep "Non-2xx\|Socket errors" "$raw" | tr '\n' ' ')"
  fi
}

nth() { awk -v i="$2" '{ print $i }' <<<"$1"; }

# Rounds: each measures the three targets (order rotated). A round in which other processes took
# more than NOISY% of the machine during any of its ab runs is marked disturbed and, while fewer
# than ROUNDS clean rounds exist, repeated (at most EXTRA_ROUNDS more). Medians use the clean
# rounds only (all rounds if none is clean).
CLEAN=() DISTURBED=()
ROUNDS_RUN=0
for ((r = 1; ${#CLEAN[@]} < ROUNDS && r <= ROUNDS + EXTRA_ROUNDS; r++)); do
  bench_wait_quiet
  order=()
  for ((i = 0; i < ${#TARGETS[@]}; i++)); do
    order+=("${TARGETS[$(((i + r - 1) % ${#TARGETS[@]}))]}")
  done
  for t in "${order[@]}"; do measure_ab "$t" "$r"; done
  if [[ "$WRK" == 1 ]]; then
    for t in "${order[@]}"; do measure_wrk "$t" "$r"; done
  fi
  ROUNDS_RUN=$r
  worst=0
  for t in "${TARGETS[@]}"; do
    o="$(nth "${OTHER[$t]}" "$r")"
    ((o > worst)) && worst=$o
  done
  if ((worst > NOISY)); then
    DISTURBED+=("$r")
    bench_log "round $r disturbed: other processes took up to $worst% of the machine"
  else
    CLEAN+=("$r")
  fi
done
USED=("${CLEAN[@]}")
((${#USED[@]} > 0)) || USED=($(seq 1 "$ROUNDS_RUN"))
[[ "$WRK" == 1 ]] && COMMANDS+=("wrk -t$WRK_THREADS -c$C -d$WRK_DURATION --latency URL   # once per URL per round, after the ab runs")

# --- report ----------------------------------------------------------------------------------
# The values of a per-round list for the rounds in USED.
used() {
  local r out=()
  for r in "${USED[@]}"; do out+=("$(nth "$1" "$r")"); done
  echo "${out[*]}"
}
med() { bench_median $(used "$1"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "" || b == "") print "nan"; else printf "%.2f", a / b }'; }

echo
echo "== jwagi HTTP benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, ab -k -n $N -c $C =="
echo "before the run: $LOAD_BEFORE"
echo "java: $(java -version 2>&1 | head -1)   ab: $(ab -V | head -1)   lighttpd: $(lighttpd -v | head -1)"
echo
echo "Commands:"
printf '  %s\n' "${COMMANDS[@]}"
echo
echo "Per round (ab; order rotated each round; * = disturbed round, left out of the medians):"
printf '  %-26s %5s %10s %8s %8s %8s %10s %10s %7s\n' target round "req/s" "p50 ms" "p90 ms" "p99 ms" "CPU s/1k" "ab s/1k" "other%"
for t in "${TARGETS[@]}"; do
  for ((r = 1; r <= ROUNDS_RUN; r++)); do
    mark=""
    [[ " ${DISTURBED[*]} " == *" $r "* ]] && mark="*"
    printf '  %-26s %5s %10s %8s %8s %8s %10s %10s %7s\n' "${LABEL[$t]}" "$r$mark" "$(nth "${RPS[$t]}" "$r")" \
      "$(nth "${P50[$t]}" "$r")" "$(nth "${P90[$t]}" "$r")" "$(nth "${P99[$t]}" "$r")" "$(nth "${CPU[$t]}" "$r")" \
      "$(nth "${ABCPU[$t]}" "$r")" "$(nth "${OTHER[$t]}" "$r")"
  done
done
echo "  (CPU s/1k: the server's CPU per 1000 requests; ab s/1k: the load generator's; other%: CPU"
echo "   used by other processes during the run, as a share of all $(nproc) cores; a round with more"
echo "   than $NOISY% in any run counts as disturbed)"
echo "  warm-up ($WARMED requests per jwagi URL in batches of $WARMUP_BATCH; steady: $WARM_STEADY):"
echo "    /hello   req/s per batch: ${WARM_LOG[hello]}"
echo "    /hello   server CPU ticks per batch: ${WARM_CPU[hello]}"
echo "    /healthz req/s per batch: ${WARM_LOG[healthz]}"
echo "    CGI      req/s: ${WARM_LOG[cgi]}"
echo
echo "Medians over rounds ${USED[*]} (ab -k -n $N -c $C; percentiles from ab -e, in ms; CPU = server"
echo "process utime+stime, with reaped children, per 1000 requests):"
printf '  %-26s %10s %8s %8s %8s %10s %8s %10s\n' target "req/s" "p50 ms" "p90 ms" "p99 ms" "CPU s/1k" "errors" "keepalive"
for t in "${TARGETS[@]}"; do
  printf '  %-26s %10.1f %8.3f %8.3f %8.3f %10.4f %8s %10s\n' "${LABEL[$t]}" "$(med "${RPS[$t]}")" \
    "$(med "${P50[$t]}")" "$(med "${P90[$t]}")" "$(med "${P99[$t]}")" "$(med "${CPU[$t]}")" \
    "${FAILED[$t]}" "$(med "${KEEPALIVE[$t]}")"
done
echo
echo "Ratios (medians of the same run):"
printf '  wasm/healthz throughput: %s   (target >= 0.9)\n' "$(ratio "$(med "${RPS[hello]}")" "$(med "${RPS[healthz]}")")"
printf '  wasm/healthz p99:        %s   (target <= 1.2)\n' "$(ratio "$(med "${P99[hello]}")" "$(med "${P99[healthz]}")")"
printf '  wasm/CGI throughput:     %s   (target >= 2)\n' "$(ratio "$(med "${RPS[hello]}")" "$(med "${RPS[cgi]}")")"
printf '  wasm/healthz server CPU per request: %s\n' "$(ratio "$(med "${CPU[hello]}")" "$(med "${CPU[healthz]}")")"
per_round=()
for ((r = 1; r <= ROUNDS_RUN; r++)); do
  mark=""
  [[ " ${DISTURBED[*]} " == *" $r "* ]] && mark="*"
  per_round+=("$r$mark:$(ratio "$(nth "${RPS[hello]}" "$r")" "$(nth "${RPS[healthz]}" "$r")")/$(ratio "$(nth "${P99[hello]}" "$r")" "$(nth "${P99[healthz]}" "$r")")/$(ratio "$(nth "${RPS[hello]}" "$r")" "$(nth "${RPS[cgi]}" "$r")")")
done
echo "  per round (wasm/healthz req/s / wasm/healthz p99 / wasm/CGI req/s): ${per_round[*]}"

if [[ "$WRK" == 1 ]]; then
  echo
  echo "wrk -t$WRK_THREADS -c$C -d$WRK_DURATION --latency (HTTP/1.1), medians over rounds ${USED[*]} (ms):"
  printf '  %-26s %10s %8s %8s %8s   %s\n' target "req/s" "p50 ms" "p90 ms" "p99 ms" "other% per round"
  for t in "${TARGETS[@]}"; do
    printf '  %-26s %10.1f %8.3f %8.3f %8.3f   %s\n' "${LABEL[$t]}" "$(med "${WRPS[$t]}")" \
      "$(med "${WP50[$t]}")" "$(med "${WP90[$t]}")" "$(med "${WP99[$t]}")" "${WOTHER[$t]}"
  done
  printf '  ratios: wasm/healthz throughput %s, p99 %s; wasm/CGI throughput %s\n' \
    "$(ratio "$(med "${WRPS[hello]}")" "$(med "${WRPS[healthz]}")")" \
    "$(ratio "$(med "${WP99[hello]}")" "$(med "${WP99[healthz]}")")" \
    "$(ratio "$(med "${WRPS[hello]}")" "$(med "${WRPS[cgi]}")")"
fi
echo
if [[ -n "${OUT_DIR:-}" ]]; then echo "Raw outputs: $OUT"; fi
if ((${#CLEAN[@]} < ROUNDS)); then
  echo "WARNING: only ${#CLEAN[@]} of $ROUNDS rounds were undisturbed (other processes above $NOISY% of the machine)."
fi
echo "Note: $(nproc) cores; the load generator runs on the same machine and competes with the server for CPU."
