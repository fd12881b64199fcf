/*
 * bigout.wasm (test only): text/plain body of N bytes 'x', N = atoi(argv[1]) (default
 * 1048576), written in 64 KiB fwrite chunks. No trailing newline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 65536

static char buf[CHUNK];

int main(int argc, char **argv) {
    long long n = (argc > 1 && argv[1][0] != '\0') ? atoi(argv[1]) : 1048576;
    memset(buf, 'x', sizeof buf);
    fputs("Content-Type: text/plain\n\n", stdout);
    while (n > 0) {
        size_t len = n < CHUNK ? (size_t)n : CHUNK;
        if (fwrite(buf, 1, len, stdout) != len) {
            return 1;
        }
        n -= (long long)len;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
