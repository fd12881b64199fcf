#!/usr/bin/env bash
# Rebuilds every WebAssembly guest module of the repository from its C source:
#   examples/modules/*.c -> examples/modules/*.wasm
#   src/test/wasm/*.c    -> src/test/resources/wasm/*.wasm
# The .wasm files are committed, so building and testing jwagi needs no C compiler; run
# this only after changing a .c file, and commit the result.
#
# Needs (Debian/Ubuntu): apt-get install clang lld wasi-libc libclang-rt-dev-wasm32
# It installs nothing itself. Environment overrides: CC_WASM (default clang),
# WASI_SYSROOT (default: none, i.e. the compiler's own search paths; then
# /usr/share/wasi-sysroot and /opt/wasi-sdk/share/wasi-sysroot are tried).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CC_WASM="${CC_WASM:-clang}"
INSTALL_HINT="install the toolchain with: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32"

die() {
    echo "wasm/build.sh: $*" >&2
    exit 1
}

command -v "$CC_WASM" >/dev/null 2>&1 || die "'$CC_WASM' not found; $INSTALL_HINT"

CFLAGS=(--target=wasm32-wasi -O2 -Wall -Wextra)
LDFLAGS=(-Wl,--strip-all)

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
printf '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n' >"$WORK/probe.c"

# Compiles and links the probe with the given extra flags; the log is kept in $WORK/probe.log.
probe() {
    "$CC_WASM" "${CFLAGS[@]}" "$@" "$WORK/probe.c" -o "$WORK/probe.wasm" >"$WORK/probe.log" 2>&1
}

# 1. Find a wasi sysroot the compiler can use.
SYSROOT_FLAGS=()
if [[ -n "${WASI_SYSROOT:-}" ]]; then
    SYSROOT_FLAGS=(--sysroot="$WASI_SYSROOT")
    probe "${SYSROOT_FLAGS[@]}" || true
elif ! probe; then
    for candidate in /usr/share/wasi-sysroot /opt/wasi-sdk/share/wasi-sysroot; do
        if [[ -d "$candidate" ]] && probe --sysroot="$candidate"; then
            SYSROOT_FLAGS=(--sysroot="$candidate")
            break
        fi
    done
fi

# 2. If the probe still fails, say why.
if ! probe "${SYSROOT_FLAGS[@]}"; then
    if grep -q "stdio.h' file not found" "$WORK/probe.log"; then
        die "the wasi sysroot (wasi-libc headers) was not found; $INSTALL_HINT (or set WASI_SYSROOT)"
    elif grep -qi "unable to execute command\|wasm-ld.*not found\|invalid linker name\|executable named wasm-ld" "$WORK/probe.log"; then
        die "wasm-ld (lld) was not found; $INSTALL_HINT"
    elif grep -q "libclang_rt.builtins-wasm32.a" "$WORK/probe.log"; then
        # clang links compiler-rt's wasm32 builtins by default. None of our modules needs
        # them (no 128-bit or long double arithmetic), so link without them if missing.
        echo "wasm/build.sh: warning: libclang_rt.builtins-wasm32.a is missing" \
            "(package libclang-rt-dev-wasm32); linking with -nodefaultlibs -lc" >&2
        LDFLAGS+=(-nodefaultlibs -lc)
        probe "${SYSROOT_FLAGS[@]}" -nodefaultlibs -lc ||
            { cat "$WORK/probe.log" >&2; die "cannot build a wasm32-wasi program; $INSTALL_HINT"; }
    else
        cat "$WORK/probe.log" >&2
        die "cannot build a wasm32-wasi program; $INSTALL_HINT"
    fi
fi

build() { # build SOURCE OUTPUT
    local src="$1" out="$2"
    "$CC_WASM" "${CFLAGS[@]}" "${SYSROOT_FLAGS[@]}" "$src" -o "$out" "${LDFLAGS[@]}"
    chmod 644 "$out"
    printf '  %-45s %7d bytes\n' "${out#"$ROOT"/}" "$(wc -c <"$out")"
}

echo "compiler: $("$CC_WASM" --version | head -n 1)"

shopt -s nullglob
for src in "$ROOT"/examples/modules/*.c; do
    build "$src" "${src%.c}.wasm"
done

mkdir -p "$ROOT/src/test/resources/wasm"
for src in "$ROOT"/src/test/wasm/*.c; do
    name="$(basename "${src%.c}")"
    build "$src" "$ROOT/src/test/resources/wasm/$name.wasm"
done

# wizer.c in Wizer's own hands: PreinitIT compares jwagi's pre-initialisation of wizer.wasm with
# what Wizer makes of it (wizer.wizened.wasm, committed). Wizer is on npm as a prebuilt binary:
#   npm pack @bytecodealliance/wizer-linux-x64 && tar xzf bytecodealliance-wizer-linux-x64-*.tgz
# then WIZER=package/wizer wasm/build.sh (or put `wizer` on PATH). Without it the committed file stays.
WIZER="${WIZER:-$(command -v wizer || true)}"
if [[ -n "$WIZER" ]]; then
    out="$ROOT/src/test/resources/wasm/wizer.wizened.wasm"
    "$WIZER" --allow-wasi --inherit-stdio=false --init-func wizer.initialize \
        "$ROOT/src/test/resources/wasm/wizer.wasm" -o "$out"
    chmod 644 "$out"
    printf '  %-45s %7d bytes (Wizer)\n' "${out#"$ROOT"/}" "$(wc -c <"$out")"
else
    echo "wasm/build.sh: warning: Wizer not found (set WIZER): wizer.wizened.wasm not rebuilt" >&2
fi

# fib.c doubles as a native benchmark baseline: make sure it still compiles natively
# (the native binary is not kept).
if command -v cc >/dev/null 2>&1; then
    cc -O2 -Wall -Wextra "$ROOT/src/test/wasm/fib.c" -o "$WORK/fib-native"
    echo "  fib.c also compiles natively (cc -O2): $("$WORK/fib-native" 20 | tail -n 1)"
fi
