/*
 * membomb.wasm (test only): prints nothing; mallocs 1 MiB chunks forever, touching every
 * 4 KiB page of each. When malloc returns NULL (memory.grow refused by the host's cap, or
 * the 4 GiB wasm32 limit) it traps with `unreachable`.
 */
#include <stdlib.h>

#define CHUNK (1024 * 1024)

/* Keeps every chunk reachable so the compiler cannot drop the malloc calls. */
static void *volatile last;
static volatile unsigned long total;

int main(void) {
    for (;;) {
        char *p = malloc(CHUNK);
        if (p == NULL) {
            __builtin_trap();
        }
        for (size_t i = 0; i < CHUNK; i += 4096) {
            ((volatile char *)p)[i] = (char)i | 1;
        }
        last = p;
        total += CHUNK;
    }
}
