/*
 * initfail.wasm (test only): init exports that fail, for the start-up errors of the `init` key
 * (PreinitIT): trap_init traps, exit_init exits with code 3, loop_init never returns, exit0_init
 * exits with code 0 (an init must return). main answers "ok".
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((export_name("trap_init"))) void trap_init(void) {
    fputs("about to trap\n", stderr);
    __builtin_trap();
}

__attribute__((export_name("exit_init"))) void exit_init(void) {
    exit(3);
}

__attribute__((export_name("exit0_init"))) void exit0_init(void) {
    exit(0);
}

__attribute__((export_name("loop_init"))) void loop_init(void) {
    for (volatile unsigned i = 0;; i++) {
    }
}

int main(void) {
    printf("Content-Type: text/plain\n\nok\n");
    return 0;
}
