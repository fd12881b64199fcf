/*
 * loop.wasm (test only): prints headers (buffered, never flushed), then spins forever.
 * The volatile counter keeps the compiler from removing the loop.
 */
#include <stdio.h>

static volatile unsigned long long spins;

int main(void) {
    fputs("Content-Type: text/plain\n\n", stdout);
    for (;;) {
        spins++;
    }
}
