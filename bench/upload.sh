#!/usr/bin/env bash
# Streaming upload: a 1 GiB request body through the echo module (examples/modules/echo.wasm,
# max_body = "2GiB"), answered byte for byte, while the server's resident memory is sampled.
# The claim checked: the body streams through bounded buffers, so RSS grows by far less than
# the body (issue 8: under 64 MiB).
#
# Usage: bench/upload.sh
# Environment (defaults in brackets):
#   SIZE [1073741824]   body bytes (curl -T -, chunked)
#   JAVA_OPTS [-Xmx256m]  JVM options for jwagi
#   LIMIT_MIB [64]      the RSS growth allowed; the script exits 1 above it
#   JWAGI_JAR / JWAGI_FROM=head  as in the other benchmarks (see lib.sh)
# Only 127.0.0.1 is ever targeted. Everything started here is killed on exit.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap bench_cleanup EXIT
trap 'exit 130' INT TERM
LOAD_BEFORE="$(bench_load_note)"

SIZE="${SIZE:-1073741824}"
LIMIT_MIB="${LIMIT_MIB:-64}"
# shellcheck disable=SC2206
JAVA_ARGS=(${JAVA_OPTS:--Xmx256m})
bench_need curl:curl sha256sum:coreutils
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi

cat >"$BENCH_TMP/modules.toml" <<EOF2
[[module]]
route = "/echo"
module = "$BENCH_ROOT/examples/modules/echo.wasm"
max_body = "2GiB"
max_output = "2GiB"
timeout = "10m"
EOF2
PORT="$(bench_free_port)"
java "${JAVA_ARGS[@]}" -jar "$JWAGI_JAR" -c "$BENCH_TMP/modules.toml" -l "127.0.0.1:$PORT" \
  --log-dir "$BENCH_TMP/logs" --module-cache "$BENCH_TMP/cache" >"$BENCH_TMP/jwagi.log" 2>&1 &
PID=$!
bench_track "$PID"
bench_wait_line "$BENCH_TMP/jwagi.log" "Ready: serving" 120 "$PID"
URL="http://127.0.0.1:$PORT/echo"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }
# The bytes sent: a repeated line, the same each time it is generated.
body() { (set +o pipefail; yes 'jwagi streaming upload 0123456789abcdef' | head -c "$SIZE"); }

# Warm up with the same kind of work (classes loaded, JIT, and the heap grown to the size this
# load keeps it at: the bytes passing through are garbage the collector sizes the young generation
# for), then settle before the baseline. The figure is then what a 1 GiB body adds to a server
# that has been doing this work, not the heap's first growth.
for _ in 1 2 3; do
  (set +o pipefail; head -c 268435456 /dev/zero | curl -sS -T - "$URL" -o /dev/null)
done
sleep 2
BASE="$(rss_kib)"
EXPECTED="$(body | sha256sum | cut -d' ' -f1)"

echo "== Streaming upload: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $LOAD_BEFORE ==" >&2
MAX="$BASE"
START="$(date +%s%N)"
(set +o pipefail; body | curl -sS -T - "$URL") | sha256sum | cut -d' ' -f1 >"$BENCH_TMP/got" &
CURL=$!
while kill -0 "$CURL" 2>/dev/null; do
  now="$(rss_kib)"
  ((now > MAX)) && MAX="$now"
  sleep 0.2
done
wait "$CURL"
END="$(date +%s%N)"
GOT="$(cat "$BENCH_TMP/got")"
GROWTH_MIB=$(((MAX - BASE) / 1024))
SECONDS_TAKEN="$(awk -v ns=$((END - START)) 'BEGIN { printf "%.1f", ns / 1e9 }')"
MIB_S="$(awk -v b="$SIZE" -v ns=$((END - START)) 'BEGIN { printf "%.0f", b / 1048576 / (ns / 1e9) }')"

echo "body: $SIZE bytes, echoed $( [[ "$GOT" == "$EXPECTED" ]] && echo "byte for byte" || echo "WRONG (sha256 $GOT, want $EXPECTED)")"
echo "time: $SECONDS_TAKEN s ($MIB_S MiB/s each way)"
echo "RSS: baseline $((BASE / 1024)) MiB, peak during the upload $((MAX / 1024)) MiB: growth $GROWTH_MIB MiB (limit $LIMIT_MIB MiB)"
echo "JVM: java ${JAVA_ARGS[*]} -jar jwagi.jar; load after: $(bench_load_note)"
[[ "$GOT" == "$EXPECTED" ]] || exit 1
((GROWTH_MIB < LIMIT_MIB)) || exit 1
