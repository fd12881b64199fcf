/*
 * routes.wasm: a module that declares its own sub-routes (WAGI's `_routes` protocol).
 *
 * Mounted at /app/..., the host calls the exported `_routes` once at start-up; each line
 * "<subpath> <entrypoint>" it prints adds a route (parent route + subpath) served by that
 * exported function:
 *   /app/hello       -> hello_entry
 *   /app/goodbye/... -> goodbye_entry
 * Anything else under /app/ runs the default entrypoint `_start` (main).
 *
 * The host may call these exports without `_start` having run. That is fine in this
 * command module: wasm-ld (checked with clang/wasm-ld 14) wraps every exported function
 * in `<name>.command_export`, which calls __wasm_call_ctors first (only if the program has
 * constructors; this one has none: wasi-libc reads the environment lazily in getenv) and
 * __wasm_call_dtors after (which flushes stdio). We still fflush(stdout) explicitly, as
 * there is no exit.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((export_name("_routes"))) void routes(void) {
    fputs("/hello hello_entry\n", stdout);
    fputs("/goodbye/... goodbye_entry\n", stdout);
    fflush(stdout);
}

__attribute__((export_name("hello_entry"))) void hello_entry(void) {
    fputs("Content-Type: text/plain\n\nhello from entrypoint\n", stdout);
    fflush(stdout);
}

__attribute__((export_name("goodbye_entry"))) void goodbye_entry(void) {
    const char *path_info = getenv("PATH_INFO");
    printf("Content-Type: text/plain\n\ngoodbye from entrypoint, PATH_INFO=%s\n",
           path_info != NULL ? path_info : "");
    fflush(stdout);
}

int main(void) {
    fputs("Content-Type: text/plain\n\nroutes module default entry\n", stdout);
    return 0;
}
