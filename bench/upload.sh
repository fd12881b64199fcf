#!/usr/bin/env bash
# Streaming upload, with the two kinds of client users have, while the server's resident memory
# is sampled:
# 1. curl (reads while it sends): a 1 GiB request body through the echo module
#    (examples/modules/echo.wasm, max_body = "2GiB"), answered byte for byte.
# 2. Python's http.client (sends the whole body before it reads the response, as requests,
#    HttpURLConnection and ab -p do), against the bundled examples (examples/modules.toml) with
#    --max-body 512MiB --max-output 512MiB: 9 MB, 64 MB and 300 MB to /echo, one at a time and
#    then 4 at once each, every one answered byte for byte (the body is spooled to disk while the
#    client does not read, issue 17).
# The claim checked: bodies stream through bounded buffers, so RSS grows by far less than the
# bodies after a warm-up (under 64 MiB).
#
# Usage: bench/upload.sh
# Environment (defaults in brackets):
#   CLIENTS [curl python]  which parts to run
#   SIZE [1073741824]   curl's body bytes (curl -T -, chunked)
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
CLIENTS="${CLIENTS:-curl python}"
# shellcheck disable=SC2206
JAVA_ARGS=(${JAVA_OPTS:--Xmx256m})
bench_need curl:curl sha256sum:coreutils python3:python3
BENCH_TMP="$(mktemp -d)"
bench_build_jwagi
FAILED=0

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }

# Samples the server's RSS while process $1 runs; the peak goes to MAX.
sample_rss_while() {
  while kill -0 "$1" 2>/dev/null; do
    now="$(rss_kib)"
    ((now > MAX)) && MAX="$now"
    sleep 0.2
  done
}

# A client that sends its whole body before it reads the response: Python's http.client, the
# body generated as it is sent and the response hashed as it is read (the client holds neither
# whole). Arguments: port, size, count at once. Prints one line per upload; exits 1 on a mismatch.
cat >"$BENCH_TMP/send_first.py" <<'EOF2'
import hashlib, http.client, sys, threading, time

port, size, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
block = bytes((i * 7 + (i >> 10)) & 0xFF for i in range(1 << 20))

def body(digest):
    left = size
    while left > 0:
        piece = block[: min(left, len(block))]
        digest.update(piece)
        left -= len(piece)
        yield piece

failures = []

def upload(n):
    sent, got = hashlib.sha256(), hashlib.sha256()
    start = time.time()
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        conn.request("POST", "/echo", body=body(sent), headers={"Content-Length": str(size)})
        response = conn.getresponse()
        received = 0
        while True:
            piece = response.read(1 << 20)
            if not piece:
                break
            received += len(piece)
            got.update(piece)
        ok = response.status == 200 and received == size and got.digest() == sent.digest()
        print(f"  upload {n}: {size} bytes, status {response.status}, {received} back, "
              f"{'byte for byte' if ok else 'WRONG'}, {time.time() - start:.1f} s")
        if not ok:
            failures.append(n)
    except Exception as e:
        print(f"  upload {n}: {size} bytes: {e!r}")
        failures.append(n)

threads = [threading.Thread(target=upload, args=(n,)) for n in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
sys.exit(1 if failures else 0)
EOF2

if [[ " $CLIENTS " == *" curl "* ]]; then
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

echo "== Streaming upload (curl, reads while it sends): $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $LOAD_BEFORE ==" >&2
MAX="$BASE"
START="$(date +%s%N)"
(set +o pipefail; body | curl -sS -T - "$URL") | sha256sum | cut -d' ' -f1 >"$BENCH_TMP/got" &
CURL=$!
sample_rss_while "$CURL"
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
[[ "$GOT" == "$EXPECTED" ]] || FAILED=1
((GROWTH_MIB < LIMIT_MIB)) || FAILED=1
bench_stop "$PID"
fi

if [[ " $CLIENTS " == *" python "* ]]; then
PORT="$(bench_free_port)"
(cd "$BENCH_ROOT" && exec java "${JAVA_ARGS[@]}" -jar "$JWAGI_JAR" -c examples/modules.toml \
  -l "127.0.0.1:$PORT" --max-body 512MiB --max-output 512MiB --log-dir "$BENCH_TMP/logs-py" \
  --module-cache "$BENCH_TMP/cache") >"$BENCH_TMP/jwagi-py.log" 2>&1 &
PID=$!
bench_track "$PID"
bench_wait_line "$BENCH_TMP/jwagi-py.log" "Ready: serving" 120 "$PID"
# Warm-up: the same kind of work, as for curl above.
for _ in 1 2; do
  python3 "$BENCH_TMP/send_first.py" "$PORT" 64000000 4 >/dev/null || FAILED=1
done
sleep 2
BASE="$(rss_kib)"
MAX="$BASE"
echo "== Uploads from a client that sends before it reads (Python http.client): $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, $(bench_load_note) ==" >&2
for size in 9000000 64000000 300000000; do
  for count in 1 4; do
    echo "$size bytes, $count at once:"
    python3 "$BENCH_TMP/send_first.py" "$PORT" "$size" "$count" &
    CLIENT=$!
    sample_rss_while "$CLIENT"
    wait "$CLIENT" || FAILED=1
  done
done
GROWTH_MIB=$(((MAX - BASE) / 1024))
echo "RSS: baseline $((BASE / 1024)) MiB after warm-up, peak during the uploads $((MAX / 1024)) MiB: growth $GROWTH_MIB MiB (limit $LIMIT_MIB MiB)"
echo "JVM: java ${JAVA_ARGS[*]} -jar jwagi.jar -c examples/modules.toml --max-body 512MiB --max-output 512MiB; load after: $(bench_load_note)"
((GROWTH_MIB < LIMIT_MIB)) || FAILED=1
fi
exit "$FAILED"
