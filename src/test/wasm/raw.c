/*
 * raw.wasm (test only): copies stdin to stdout verbatim, adding nothing. A test POSTs the
 * exact CGI output (headers, blank line, body) it wants the module to print.
 */
#include <stdio.h>
#include <unistd.h>

static char buf[65536];

int main(void) {
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
