/*
 * env.wasm: shows what the module sees of the request (CGI view).
 * Prints argv, every environment variable, then the request body (stdin), byte for byte.
 * Route: /env/...
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

static char buf[65536];

int main(int argc, char **argv) {
    fputs("Content-Type: text/plain\n\n", stdout);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]=%s\n", i, argv[i]);
    }
    if (environ != NULL) {
        for (char **e = environ; *e != NULL; e++) {
            printf("%s\n", *e);
        }
    }
    fputs("--- body ---\n", stdout);
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
