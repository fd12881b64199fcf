/*
 * slurp.wasm (test only): reads stdin to its end first, then answers
 * "read N bytes; CONTENT_LENGTH=<value>" (or "read error after N bytes" and exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char buf[16384];

int main(void) {
    long long total = 0;
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0) {
            printf("Content-Type: text/plain\n\nread error after %lld bytes\n", total);
            return 1;
        }
        if (n == 0) {
            break;
        }
        total += n;
    }
    const char *length = getenv("CONTENT_LENGTH");
    printf("Content-Type: text/plain\n\nread %lld bytes; CONTENT_LENGTH=%s\n", total,
           length == NULL ? "(unset)" : length);
    return 0;
}
