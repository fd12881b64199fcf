/*
 * badroutes.wasm: a module whose `_routes` output has a good line, then a route with "..."
 * in the middle, which start-up must refuse (naming the module and the line) exactly as it
 * refuses such a route in a [[module]] table.
 */
#include <stdio.h>

__attribute__((export_name("_routes"))) void routes(void) {
    fputs("/ok ok_entry\n/bad/.../x ok_entry\n", stdout);
    fflush(stdout);
}

__attribute__((export_name("ok_entry"))) void ok_entry(void) {
    fputs("Content-Type: text/plain\n\nok\n", stdout);
    fflush(stdout);
}

int main(void) {
    fputs("Content-Type: text/plain\n\nmain\n", stdout);
    return 0;
}
