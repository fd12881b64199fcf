/*
 * stream.wasm (test only): output that arrives over time.
 *   /stream?MS         prints "first\n" (flushed), busy-waits MS milliseconds on the WASI
 *                      monotonic clock, then prints "second\n".
 *   /stream?0&BYTES    writes BYTES bytes of 'x' in 64 KiB pieces, then traps (unreachable).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char buf[65536];

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long long ms = argc > 1 ? atoll(argv[1]) : 0;
    long long trap_after = argc > 2 ? atoll(argv[2]) : -1;
    fputs("Content-Type: text/plain\n\n", stdout);
    if (trap_after >= 0) {
        memset(buf, 'x', sizeof buf);
        while (trap_after > 0) {
            size_t len = trap_after < (long long)sizeof buf ? (size_t)trap_after : sizeof buf;
            fwrite(buf, 1, len, stdout);
            trap_after -= (long long)len;
        }
        fflush(stdout);
        __builtin_trap();
    }
    fputs("first\n", stdout);
    fflush(stdout);
    long long end = now_ns() + ms * 1000000LL;
    while (now_ns() < end) {
    }
    fputs("second\n", stdout);
    return 0;
}
