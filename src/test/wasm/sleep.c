/*
 * sleep.wasm (test only): busy-waits argv[1] milliseconds (default 100) on the WASI
 * monotonic clock (clock_gettime -> clock_time_get), then answers "slept\n".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static long long now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(1);
    }
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    long long ms = (argc > 1 && argv[1][0] != '\0') ? atoi(argv[1]) : 100;
    long long end = now_ns() + ms * 1000000LL;
    while (now_ns() < end) {
    }
    fputs("Content-Type: text/plain\n\nslept\n", stdout);
    return 0;
}
