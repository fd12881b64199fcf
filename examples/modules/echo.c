/*
 * echo.wasm: answers with the request body (stdin), byte for byte (binary-safe).
 * Route: /echo
 */
#include <stdio.h>
#include <unistd.h>

static char buf[65536];

int main(void) {
    fputs("Content-Type: application/octet-stream\n\n", stdout);
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) {
            perror("read stdin");
            return 1;
        }
        if (n == 0) {
            break;
        }
        if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
            return 1;
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
