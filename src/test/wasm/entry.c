/*
 * entry.wasm (test only): a command module with an extra exported function `alt`.
 *   _start (main) -> "main entry\n"
 *   alt           -> "alt entry\n"   (callable without _start; see examples/modules/routes.c)
 */
#include <stdio.h>

__attribute__((export_name("alt"))) void alt(void) {
    fputs("Content-Type: text/plain\n\nalt entry\n", stdout);
    fflush(stdout);
}

int main(void) {
    fputs("Content-Type: text/plain\n\nmain entry\n", stdout);
    return 0;
}
