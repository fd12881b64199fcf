/*
 * counter.wasm (test only): global state in linear memory, bumped once per run. A fresh
 * instance per request always answers "counter=1 buf=x"; a reused instance would not.
 * The state is touched only from noinline helpers (not from main), so the optimizer
 * cannot turn the globals into locals of main.
 */
#include <stdio.h>

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

int main(void) {
    bump();
    report();
    return 0;
}
