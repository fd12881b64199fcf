#!/usr/bin/env bash
# The container test: builds deploy/Dockerfile with podman, unchanged, runs the image with a
# non-default PORT behind a published loopback port, expects 200 from /hello, /readyz and /metrics,
# stops it with SIGTERM (podman stop) and expects exit code 0. Then removes its container and image.
#
# Built for a CI host without a Docker engine or a reachable image registry, so:
# - podman runs as root with a private containers.conf (runc, cgroupfs, ulimits it may set) and a
#   private store under $STATE, never touching /etc/containers;
# - the base images of the FROM lines are local stand-ins with exactly those names: a jlink'd
#   Temurin 25 runtime for eclipse-temurin:25-jre, a debootstrapped Debian with the Temurin 25 JDK
#   and the machine's Maven for maven:3.9-eclipse-temurin-25. They stay in the store between runs
#   (rebuilt when their recipe changes); JWAGI_STANDINS=rebuild forces it.
#
# Usage: deploy/test-image.sh     (as root; installs podman, runc, slirp4netns with apt if missing)
# Environment: STATE [/var/tmp/jwagi-podman]  PORT_IN [8123]  KEEP=1 keeps container and image.
#   BUILD_ONLY=1 IMAGE=NAME: only build the image, as NAME, and keep it (bench/startup.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="${STATE:-/var/tmp/jwagi-podman}"
PORT_IN="${PORT_IN:-8123}"
JDK25="${JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
BUILD_BASE=docker.io/library/maven:3.9-eclipse-temurin-25
RUN_BASE=docker.io/library/eclipse-temurin:25-jre
STANDIN_RECIPE=1 # bump when the stand-ins below change
tag="$$-$(date +%s)"
IMAGE="${IMAGE:-localhost/jwagi:test-$tag}"
CTR="jwagi-test-$tag"
started=$SECONDS

say() { printf 'test-image: %s\n' "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}
loud_skip() {
  {
    echo "################################################################################"
    echo "# SKIPPED: the container test did not run: $*"
    echo "# The image (deploy/Dockerfile) was NOT built or tested."
    echo "################################################################################"
  } >&2
  exit 0
}

# apt-get install PACKAGE...; apt-get update only if that fails.
apt_install() {
  say "installing $* (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$@" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null; }
}

# --- podman ---------------------------------------------------------------------------------
[[ "$(id -u)" == 0 ]] || die "run as root: podman runs rootful here (no subuid setup for rootless podman)"
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v slirp4netns >/dev/null; then
  apt_install podman runc slirp4netns ||
    loud_skip "podman cannot be installed here (apt-get install podman runc slirp4netns failed)"
fi
command -v curl >/dev/null || apt_install curl || die "cannot install curl"

mkdir -p "$STATE"
cat >"$STATE/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
events_logger = "file"
cgroup_manager = "cgroupfs"
CONF
cat >"$STATE/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$STATE/storage"
runroot = "$STATE/run"
CONF
export CONTAINERS_CONF="$STATE/containers.conf" CONTAINERS_STORAGE_CONF="$STATE/storage.conf"

cleanup() {
  if [[ "${KEEP:-0}" == 1 ]]; then
    say "KEEP=1: kept container $CTR and image $IMAGE"
    return
  fi
  podman rm -f -t 0 "$CTR" >/dev/null 2>&1 || true
  podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
  # The stand-ins and the layer cache (untagged images of earlier builds) stay in $STATE for the
  # next run; build-cache layers older than an hour go.
  podman image prune -f --filter until=1h >/dev/null 2>&1 || true
}
trap cleanup EXIT

# --- stand-ins for the base images --------------------------------------------------------------
standin_current() { # NAME: exists and was made by this recipe
  [[ "${JWAGI_STANDINS:-}" != rebuild ]] &&
    [[ "$(podman image inspect "$1" --format '{{index .Config.Labels "jwagi.standin"}}' 2>/dev/null)" == "$STANDIN_RECIPE" ]]
}

# A jlink'd Temurin 25 runtime under /opt/java/openjdk (where the real image has it), the host
# libraries it loads, /tmp 1777, minimal passwd/group. No shell: the Dockerfile's runtime stages
# must use exec-form RUN only, so they also work on the real image.
make_jre_standin() {
  local rootfs="$STATE/jre-rootfs" mods lib
  rm -rf "$rootfs"
  mkdir -p "$rootfs"/{opt/java,lib/x86_64-linux-gnu,lib64,etc,tmp}
  chmod 1777 "$rootfs/tmp"
  mods="$("$JDK25/bin/java" --list-modules | sed 's/@.*//' |
    grep -vxE 'jdk\.(jlink|jpackage|compiler|javadoc|jshell|jdeps|jartool|jdi|jstatd|jconsole|hotspot\.agent|editpad|internal\.ed|internal\.le|internal\.opt|graal\.compiler|graal\.compiler\.management|internal\.vm\.ci|jcmd|attach|jdwp\.agent|incubator\.vector)' |
    paste -sd, -)"
  "$JDK25/bin/jlink" --add-modules "$mods" --no-header-files --no-man-pages \
    --generate-cds-archive --output "$rootfs/opt/java/openjdk" >/dev/null
  # The Debian-packaged JDK links cacerts to /etc; copy the file itself.
  rm -f "$rootfs/opt/java/openjdk/lib/security/cacerts"
  cp -L "$JDK25/lib/security/cacerts" "$rootfs/opt/java/openjdk/lib/security/cacerts"
  for lib in libc.so.6 libm.so.6 libgcc_s.so.1 libstdc++.so.6 libz.so.1 libdl.so.2 libpthread.so.0 \
    librt.so.1 libnss_files.so.2 libresolv.so.2; do
    cp -L "/lib/x86_64-linux-gnu/$lib" "$rootfs/lib/x86_64-linux-gnu/"
  done
  cp -L /lib64/ld-linux-x86-64.so.2 "$rootfs/lib64/"
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  tar -C "$rootfs" -cf - . | podman import -q \
    --change 'ENV JAVA_HOME=/opt/java/openjdk' \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL jwagi.standin=$STANDIN_RECIPE" \
    --change 'CMD ["jshell"]' - "$RUN_BASE" >/dev/null
  rm -rf "$rootfs"
}

# A Debian bookworm (debootstrap minbase, cached as a tarball) with the Temurin 25 JDK under
# /opt/java/openjdk and the machine's Maven under /usr/share/maven (links resolved).
make_maven_standin() {
  local rootfs="$STATE/maven-rootfs" debian="$STATE/debian-bookworm-minbase.tar"
  if [[ ! -s "$debian" ]]; then
    command -v debootstrap >/dev/null || apt_install debootstrap || die "cannot install debootstrap"
    local tmp="$STATE/debootstrap"
    rm -rf "$tmp"
    say "debootstrap bookworm (once; cached in $debian)"
    debootstrap --variant=minbase bookworm "$tmp" http://deb.debian.org/debian >"$STATE/debootstrap.log" 2>&1 ||
      die "debootstrap failed: see $STATE/debootstrap.log"
    tar -C "$tmp" -cf "$debian" .
    rm -rf "$tmp"
  fi
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  tar -C "$rootfs" -xf "$debian"
  mkdir -p "$rootfs/opt/java/openjdk" "$rootfs/usr/share/maven"
  cp -aL "$JDK25/." "$rootfs/opt/java/openjdk/"
  command -v mvn >/dev/null || apt_install maven || die "cannot install maven"
  cp -aL /usr/share/maven/. "$rootfs/usr/share/maven/"
  ln -sf /usr/share/maven/bin/mvn "$rootfs/usr/bin/mvn"
  tar -C "$rootfs" -cf - . | podman import -q \
    --change 'ENV JAVA_HOME=/opt/java/openjdk' \
    --change 'ENV MAVEN_HOME=/usr/share/maven' \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL jwagi.standin=$STANDIN_RECIPE" \
    --change 'CMD ["mvn"]' - "$BUILD_BASE" >/dev/null
  rm -rf "$rootfs"
}

[[ -x "$JDK25/bin/jlink" ]] || die "no Temurin 25 JDK at $JDK25 (set JDK25)"
if standin_current "$RUN_BASE"; then
  say "stand-in $RUN_BASE: cached"
else
  say "making stand-in $RUN_BASE (jlink)"
  make_jre_standin
fi
if standin_current "$BUILD_BASE"; then
  say "stand-in $BUILD_BASE: cached"
else
  say "making stand-in $BUILD_BASE (Debian + Temurin 25 JDK + Maven)"
  make_maven_standin
fi
say "stand-ins ready after $((SECONDS - started)) s"
[[ "${STANDINS_ONLY:-0}" == 1 ]] && exit 0

# --- build ------------------------------------------------------------------------------------
t0=$SECONDS
say "podman build -f deploy/Dockerfile -t $IMAGE $root"
podman build --pull=never --isolation chroot -f "$root/deploy/Dockerfile" -t "$IMAGE" "$root" >"$STATE/build.log" 2>&1 ||
  { tail -n 60 "$STATE/build.log" >&2; die "podman build failed (whole log: $STATE/build.log)"; }
say "built in $((SECONDS - t0)) s: $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{ printf "%.0f MB", $1 / 1e6 }')"
if [[ "${BUILD_ONLY:-0}" == 1 ]]; then
  KEEP=1
  exit 0
fi

# --- run --------------------------------------------------------------------------------------
host_port() { # a free loopback port
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  die "no free port"
}
HOST_PORT="$(host_port)"
# slirp4netns publishes the port without netavark's iptables chains (which outlive the test).
t0=$SECONDS
podman run -d --name "$CTR" --network slirp4netns -e PORT="$PORT_IN" \
  -p "127.0.0.1:$HOST_PORT:$PORT_IN" "$IMAGE" >/dev/null || die "podman run failed"
base="http://127.0.0.1:$HOST_PORT"
code=""
for _ in $(seq 600); do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/hello" || true)"
  [[ "$code" == 200 ]] && break
  [[ "$(podman inspect "$CTR" --format '{{.State.Running}}')" == true ]] ||
    { podman logs "$CTR" >&2; die "the container exited before answering (code $(podman inspect "$CTR" --format '{{.State.ExitCode}}'))"; }
  sleep 0.1
done
[[ "$code" == 200 ]] || { podman logs "$CTR" >&2; die "no 200 from /hello within 60 s (last: $code)"; }
say "first 200 from /hello $((SECONDS - t0)) s after podman run (PORT=$PORT_IN published on 127.0.0.1:$HOST_PORT)"

failures=()
check() { # what, condition result
  if [[ "$2" == ok ]]; then say "ok: $1"; else say "NOT OK: $1 ($2)"; failures+=("$1"); fi
}
for path in /hello /readyz /metrics; do
  code="$(curl -s -o "$STATE/body" -w '%{http_code}' --max-time 10 "$base$path" || true)"
  check "GET $path -> 200" "$([[ "$code" == 200 ]] && echo ok || echo "got $code")"
done
body="$(curl -s --max-time 10 "$base/hello" || true)"
check "/hello body is the example's" "$([[ "$body" == *"ello"* ]] && echo ok || echo "got: $body")"
logs="$(podman logs "$CTR" 2>&1)"
check "listening on 0.0.0.0:$PORT_IN (PORT, no -l)" \
  "$(grep -q "serving on http://0.0.0.0:$PORT_IN" <<<"$logs" && echo ok || echo "no such Ready line")"
check "every module loaded from the image's cache, none compiled" \
  "$(grep -q 'loaded from cache' <<<"$logs" && ! grep -q ': compiled in' <<<"$logs" && echo ok || echo 'a module was compiled at start')"
check "the JVM used the AOT cache without complaint" \
  "$(! grep -qiE '\[(aot|cds)[],+]|AOT cache|shared archive' <<<"$logs" && echo ok || echo "$(grep -iE 'aot|cds|shared archive' <<<"$logs" | head -3)")"
# The same JVM flags with AOTMode=on: the JVM refuses to start unless it can map the AOT cache.
aot="$(podman run --rm --network none --entrypoint java "$IMAGE" @/app/jvm.args -XX:AOTCache=/app/jwagi.aot \
  -XX:AOTMode=on -jar /app/jwagi.jar --version 2>&1)"
check "the image's AOT cache maps (-XX:AOTMode=on)" "$([[ "$aot" == "jwagi "* ]] && echo ok || echo "$aot")"
user="$(podman inspect "$CTR" --format '{{.Config.User}}')"
check "runs as a non-root user" "$([[ -n "$user" && "${user%%:*}" != 0 && "${user%%:*}" != root ]] && echo ok || echo "user '$user'")"
pid1="$(podman top "$CTR" pid args 2>/dev/null | awk '$1 == 1 { print $2 }')"
check "the JVM is PID 1" "$([[ "$pid1" == java || "$pid1" == */java ]] && echo ok || echo "PID 1 is '$pid1'")"

# --- stop: SIGTERM, drain, exit 0 ----------------------------------------------------------------
t0=$SECONDS
podman stop -t 20 "$CTR" >/dev/null
exit_code="$(podman inspect "$CTR" --format '{{.State.ExitCode}}')"
check "podman stop (SIGTERM) -> exit code 0" "$([[ "$exit_code" == 0 ]] && echo ok || echo "exit code $exit_code")"
say "stopped in $((SECONDS - t0)) s"
if ((${#failures[@]})); then
  say "container log:"
  podman logs "$CTR" 2>&1 | sed 's/^/  | /' >&2
  die "${#failures[@]} check(s) failed: ${failures[*]}"
fi
say "PASSED in $((SECONDS - started)) s"
