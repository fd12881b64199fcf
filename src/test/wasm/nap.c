/*
 * nap.wasm (benchmark): a guest that waits without using the CPU, as one waiting on an outbound
 * request or a slow client does: sleeps argv[1] milliseconds (default 50) with nanosleep (WASI
 * poll_oneoff on a clock), then answers "napped\n".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    long ms = (argc > 1 && argv[1][0] != '\0') ? atol(argv[1]) : 50;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    if (nanosleep(&ts, NULL) != 0) {
        perror("nanosleep");
        return 1;
    }
    printf("Content-Type: text/plain\n\nnapped\n");
    return 0;
}
