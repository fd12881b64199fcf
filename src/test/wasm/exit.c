/*
 * exit.wasm (test only): prints a valid text/plain response "exiting\n", then calls
 * exit(code) (WASI proc_exit), code = atoi(argv[1]), default 3. exit(0) is called too
 * (proc_exit(0)), unlike a plain return from main, which never calls proc_exit for 0.
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    int code = (argc > 1 && argv[1][0] != '\0') ? atoi(argv[1]) : 3;
    fputs("Content-Type: text/plain\n\nexiting\n", stdout);
    fflush(stdout);
    exit(code);
}
