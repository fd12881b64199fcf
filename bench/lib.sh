# Helpers shared by the bench/*.sh scripts (sourced, not run).
# Every server a script starts is recorded with bench_track PID and killed, by PID, on exit.

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH_PIDS=()

bench_log() { printf '%s\n' "$*" >&2; }
bench_die() {
  printf 'bench: %s\n' "$*" >&2
  exit 1
}

# Prints a command the way it is run (for the "commands used" section) and runs it.
bench_show() {
  printf '+ %s\n' "$*" >&2
  "$@"
}

bench_track() { BENCH_PIDS+=("$1"); }

# Stops one process started by this script: TERM, up to 10 s, then KILL.
bench_stop() {
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do
    bench_stop "$pid"
  done
  BENCH_PIDS=()
  if [[ -n "${BENCH_TMP:-}" && -d "$BENCH_TMP" && "${KEEP_TMP:-0}" != 1 ]]; then
    rm -rf "$BENCH_TMP"
  fi
}

# Installs the Debian packages providing the given commands ("cmd:package ..."), running
# apt-get update only if a plain install fails.
bench_need() {
  local missing=() spec
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || missing+=("${spec#*:}")
  done
  ((${#missing[@]} == 0)) && return 0
  bench_log "bench: installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -q >/dev/null 2>&1 || true
    apt-get install -y -q "${missing[@]}" >/dev/null || bench_die "cannot install ${missing[*]}"
  fi
  for spec in "$@"; do
    command -v "${spec%%:*}" >/dev/null 2>&1 || bench_die "${spec%%:*} still missing after installing ${spec#*:}"
  done
}

# A TCP port on 127.0.0.1 that nothing listens on (random, checked by connecting).
bench_free_port() {
  local port i
  for ((i = 0; i < 200; i++)); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  bench_die "no free port found"
}

# Waits until FILE contains a line matching PATTERN; fails after TIMEOUT seconds or if PID dies.
bench_wait_line() {
  local file="$1" pattern="$2" timeout="$3" pid="$4" deadline
  deadline=$((SECONDS + timeout))
  until grep -q -- "$pattern" "$file" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$file" >&2
      bench_die "process $pid exited before printing '$pattern'"
    fi
    ((SECONDS < deadline)) || {
      cat "$file" >&2
      bench_die "no '$pattern' after ${timeout}s"
    }
    sleep 0.05
  done
}

# Waits until URL (http://127.0.0.1:PORT/PATH) answers 200 (TIMEOUT seconds), polled with
# bench_poll_200 (no process per poll); fails early if PID (optional) exits. LOG (optional) is
# shown on failure.
bench_wait_200() {
  local url="$1" timeout="$2" pid="${3:-}" log="${4:-}" rest port path alive=true status
  [[ "$url" == http://127.0.0.1:* ]] || bench_die "bench_wait_200: $url is not http://127.0.0.1:PORT/..."
  rest="${url#http://127.0.0.1:}"
  port="${rest%%/*}"
  path="/${rest#*/}"
  [[ -n "$pid" ]] && alive="kill -0 $pid"
  status=0
  POLL="${POLL:-0.002}" bench_poll_200 "$port" "$path" "$timeout" "$alive" 2>/dev/null || status=$?
  ((status == 0)) && return 0
  [[ -n "$log" ]] && cat "$log" >&2
  ((status == 1)) && bench_die "$url: the server (pid $pid) exited"
  bench_die "$url: no 200 after ${timeout}s"
}

# Milliseconds since the epoch, without a fork (bash 5's EPOCHREALTIME).
bench_now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  echo "$((t / 1000))"
}

# Polls http://127.0.0.1:PORT/PATH until it answers 200, without forking a process per attempt:
# start-up benchmarks must not lend the measured process's CPU to the poller (a curl costs ~8 ms
# of CPU here; polled every 10 ms it took about a core of this 2-core machine while the server
# started). Connects with bash's /dev/tcp, reads the status line, and between attempts waits POLL
# (default 0.002) seconds on a fifo nobody writes. Fails after TIMEOUT seconds; ALIVE is a command
# that must keep succeeding (e.g. "kill -0 PID"), checked every 50 attempts.
bench_poll_200() {
  local port="$1" path="$2" timeout="$3" alive="${4:-true}" fifo fd line attempt=0 deadline
  fifo="$(mktemp -u)"
  mkfifo "$fifo"
  exec {fd}<>"$fifo"
  rm -f "$fifo"
  deadline=$((SECONDS + timeout))
  while :; do
    line=""
    if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3 2>/dev/null || true
      read -r -t 5 line <&3 || true
      exec 3<&-
    fi
    [[ "$line" == "HTTP/1."?" 200"* ]] && break
    if ((++attempt % 50 == 0)); then
      $alive || { exec {fd}<&-; return 1; }
      ((SECONDS < deadline)) || { exec {fd}<&-; return 2; }
    fi
    read -r -t "${POLL:-0.002}" -u "$fd" _ || true
  done
  exec {fd}<&-
}

# Median of numbers given as arguments (mean of the middle two for an even count).
bench_median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "nan"; exit }
    if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# CPU ticks (utime+stime, plus cutime+cstime of waited-for children) of PID.
bench_cpu_ticks() {
  # Fields after the ")" of the command name: utime is field 14 of the full line, i.e. 12 here.
  local rest
  rest="$(sed 's/^.*) //' "/proc/$1/stat")"
  awk '{ print $12 + $13 + $14 + $15 }' <<<"$rest"
}

# Makes sure target/jwagi.jar exists and is fresh (./jwagi --help builds it when stale), then
# copies it to $BENCH_TMP/jwagi.jar (JWAGI_JAR), so that a build running at the same time in the
# work tree cannot change or remove the jar under a benchmark. Retries if the jar vanishes.
# With JWAGI_JAR set in the environment, that jar is used as is (no build): to benchmark another
# build, e.g. one of an earlier commit. With JWAGI_FROM=head, the committed HEAD is built in a
# temporary folder (the work tree, which others may be editing, is neither built nor touched).
bench_build_jwagi() {
  local try
  if [[ "${JWAGI_FROM:-tree}" == head && -z "${JWAGI_JAR:-}" ]]; then
    local rev
    rev="$(git -C "$BENCH_ROOT" rev-parse --short HEAD)"
    mkdir -p "$BENCH_TMP/head"
    git -C "$BENCH_ROOT" archive HEAD pom.xml src | tar -x -C "$BENCH_TMP/head"
    bench_log "bench: building HEAD ($rev) in $BENCH_TMP/head"
    (cd "$BENCH_TMP/head" && mvn -B -q -Dstyle.color=never -DskipTests -Dspotless.check.skip=true package) \
      >"$BENCH_TMP/mvn.log" 2>&1 || {
      cat "$BENCH_TMP/mvn.log" >&2
      bench_die "building HEAD ($rev) failed"
    }
    cp "$BENCH_TMP/head/target/jwagi.jar" "$BENCH_TMP/jwagi.jar"
    rm -rf "$BENCH_TMP/head"
    JWAGI_JAR="$BENCH_TMP/jwagi.jar"
    BENCH_JAR_HOW="git archive HEAD pom.xml src | tar -x -C TMP && (cd TMP && mvn -B -q -DskipTests -Dspotless.check.skip=true package)   # JWAGI_FROM=head, HEAD = $rev"
    return 0
  fi
  if [[ -n "${JWAGI_JAR:-}" ]]; then
    [[ -f "$JWAGI_JAR" ]] || bench_die "JWAGI_JAR=$JWAGI_JAR: no such file"
    cp "$JWAGI_JAR" "$BENCH_TMP/jwagi.jar"
    BENCH_JAR_HOW="cp $JWAGI_JAR $BENCH_TMP/jwagi.jar   # JWAGI_JAR: a given build, not the work tree"
    bench_log "bench: using the jar $JWAGI_JAR (JWAGI_JAR), not building"
    JWAGI_JAR="$BENCH_TMP/jwagi.jar"
    return 0
  fi
  for try in 1 2 3; do
    (cd "$BENCH_ROOT" && ./jwagi --help) >"$BENCH_TMP/build.log" 2>&1 || {
      cat "$BENCH_TMP/build.log" >&2
      bench_die "building jwagi failed"
    }
    if cp "$BENCH_ROOT/target/jwagi.jar" "$BENCH_TMP/jwagi.jar" 2>/dev/null &&
      java -jar "$BENCH_TMP/jwagi.jar" --help >/dev/null 2>&1; then
      JWAGI_JAR="$BENCH_TMP/jwagi.jar"
      BENCH_JAR_HOW="./jwagi --help >/dev/null; cp target/jwagi.jar $JWAGI_JAR   # build if stale, then run a snapshot of the jar"
      return 0
    fi
    bench_log "bench: target/jwagi.jar missing or broken (a concurrent build?); retrying in 10 s"
    sleep 10
  done
  bench_die "no usable target/jwagi.jar"
}

# Prints the load average, with a warning when other processes keep the machine busy.
bench_load_note() {
  local load
  load="$(cut -d' ' -f1-3 /proc/loadavg)"
  if awk -v l="${load%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
    echo "load average: $load  WARNING: other processes are busy on this $(nproc)-core machine; expect noise"
  else
    echo "load average: $load"
  fi
}

# Waits (at most QUIET_WAIT seconds, default 60; 0: no wait) until the machine has been mostly idle
# (under 25% busy) for 2 one-second samples, so that a measurement does not start in the middle
# of someone else's build. Logs what it found; never fails.
bench_wait_quiet() {
  local max="${QUIET_WAIT:-60}" waited=0 calm=0 a b busy
  ((max > 0)) || return 0
  while ((waited < max)); do
    a="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)"
    sleep 1
    b="$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit }' /proc/stat)"
    waited=$((waited + 1))
    busy="$(awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
      d = (y[1] - x[1]) + (y[2] - x[2]); printf "%.0f", (d > 0 ? 100 * (y[1] - x[1]) / d : 0) }')"
    if ((busy < 25)); then
      calm=$((calm + 1))
      ((calm >= 2)) && {
        ((waited > 2)) && bench_log "bench: machine quiet after ${waited}s"
        return 0
      }
    else
      calm=0
    fi
  done
  bench_log "bench: machine still busy (${busy}% in the last second) after ${max}s; measuring anyway"
}

# The reference engine (issue 16): runs bench/wasmtime_cgi.py with wasmtime 49 from a virtualenv
# kept in WASMTIME_VENV (default ~/.cache/jwagi-bench-wasmtime), made on first use with
# `pip install wasmtime==49.0.0` (pip's configured index; on these machines a local mirror).
#   bench_wasmtime MODULE [wasmtime_cgi.py options]   # prints its JSON line
bench_wasmtime() {
  local venv="${WASMTIME_VENV:-$HOME/.cache/jwagi-bench-wasmtime}"
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import wasmtime' 2>/dev/null; then
    bench_log "bench: installing wasmtime 49.0.0 (pip) into $venv"
    python3 -m venv "$venv" || bench_die "cannot make a virtualenv in $venv"
    "$venv/bin/pip" install -q --retries 0 wasmtime==49.0.0 || bench_die "cannot pip install wasmtime==49.0.0"
  fi
  "$venv/bin/python" "$BENCH_ROOT/bench/wasmtime_cgi.py" "$@"
}

# Fetches an npm package tarball with `npm pack` into DIR (once) and checks it against its
# pinned SHA-256: bench_npm_pack DIR PKG@VERSION TARBALL SHA256
bench_npm_pack() {
  mkdir -p "$1"
  if [[ ! -f "$1/$3" ]]; then
    (cd "$1" && bench_show npm pack --silent "$2" >/dev/null)
  fi
  echo "$4  $1/$3" | sha256sum -c --quiet - || bench_die "$3: SHA-256 is not the pinned one"
}

# The bytes of FILE as a WAT string body: every byte \hh (for a data segment).
bench_wat_bytes() {
  od -An -v -tx1 "$1" | tr -d ' \n' | sed 's/../\\&/g'
}

# The argv and environment jwagi gives a module for `curl http://127.0.0.1:PORT/PATH` on ROUTE
# (curl's three headers), as the examples' env.wasm shows them under `jwagi run` with the same
# route keys (OPTIONS: --argv T, -e K=V, ...), for giving wasmtime the same inputs. Sets WT_ARGV
# (--argv0=/--arg= options of bench/wasmtime_cgi.py) and WT_ENV (--env= options).
#   bench_cgi_view JAR PORT ROUTE PATH [OPTIONS]
bench_cgi_view() {
  local jar="$1" port="$2" route="$3" path="$4" line ua out
  shift 4
  out="$(mktemp)"
  ua="curl/$(curl --version | awk 'NR == 1 { print $2 }')"
  java -jar "$jar" run "$BENCH_ROOT/examples/modules/env.wasm" --route "$route" --path "$path" \
    --header "Host: 127.0.0.1:$port" --header "User-Agent: $ua" --header 'Accept: */*' "$@" \
    >"$out" 2>&1 || { cat "$out" >&2; rm -f "$out"; bench_die "jwagi run env.wasm failed"; }
  WT_ARGV=()
  WT_ENV=()
  while IFS= read -r line; do
    case "$line" in
      "argv[0]="*) WT_ARGV+=("--argv0=${line#*=}") ;;
      "argv["*) WT_ARGV+=("--arg=${line#*=}") ;;
      "--- body ---") break ;;
      *=*) WT_ENV+=("--env=$line") ;;
    esac
  done < <(sed '1,/^\r\{0,1\}$/d' "$out")
  rm -f "$out"
}
