/*
 * counter.wasm (test only): global state in linear memory, bumped once per run. A fresh
 * instance per request always answers "counter=1 buf=x"; a reused instance would not.
 * The state is touched only from noinline helpers (not from main), so the optimizer
 * cannot turn the globals into locals of main.
 *
 * With the argument "grow" (GET /counter?grow) it also allocates 4 MiB, past its initial
 * memory (so memory.grow), counts the bytes of it in the new pages that are not zero (a fresh
 * instance's new memory reads as zero) and scribbles over all of it, then answers
 * "counter=1 buf=x pages=P dirty=0", P being its memory size in pages when main started.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int counter = 0;
static char buf[4096];
static unsigned buf_len = 0;

__attribute__((noinline)) static void bump(void) {
    counter++;
    if (buf_len + 1 < sizeof buf) {
        buf[buf_len++] = 'x';
        buf[buf_len] = '\0';
    }
}

__attribute__((noinline)) static void report(void) {
    printf("Content-Type: text/plain\n\ncounter=%d buf=%s\n", counter, buf);
}

/* Volatile stores: the optimizer may not drop them although nothing reads them. */
__attribute__((noinline)) static void scribble(volatile unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)(0xA5 ^ i);
    }
}

int main(int argc, char **argv) {
    unsigned long pages_at_start = __builtin_wasm_memory_size(0);
    bump();
    if (argc > 1 && strcmp(argv[1], "grow") == 0) {
        size_t n = 4u << 20;
        unsigned char *p = malloc(n);
        if (p == NULL) {
            printf("Content-Type: text/plain\n\nmalloc failed\n");
            return 0;
        }
        /* Only the new pages: malloc may have written below them. */
        unsigned long fresh = pages_at_start * 65536;
        size_t dirty = 0;
        for (size_t i = 0; i < n; i++) {
            dirty += (unsigned long)(p + i) >= fresh && p[i] != 0;
        }
        scribble(p, n);
        printf("Content-Type: text/plain\n\ncounter=%d buf=%s pages=%lu dirty=%zu\n", counter,
               buf, pages_at_start, dirty);
        return 0;
    }
    report();
    return 0;
}
