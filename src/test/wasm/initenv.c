/*
 * initenv.wasm (test only): an init that reads the environment, which the README says not to do.
 * wasi-libc reads the environment once, on the first getenv, and keeps it: read during
 * wizer.initialize, it is the init's (empty) environment, and every request from the snapshot
 * sees that instead of its CGI variables (PreinitIT; Wizer's output does the same).
 *
 *   _start (main) -> "init saw (none); request sees (none)\n"
 */
#include <stdio.h>
#include <stdlib.h>

static const char *seen;

__attribute__((export_name("wizer.initialize"))) void initialize(void) {
    seen = getenv("PATH_INFO");
}

int main(void) {
    const char *path = getenv("PATH_INFO");
    printf("Content-Type: text/plain\n\ninit saw %s; request sees %s\n", seen ? seen : "(none)",
           path ? path : "(none)");
    return 0;
}
