/*
 * fib.wasm (test and benchmark): fib(n) computed recursively, n = atoi(argv[1])
 * (default 30); answers text/plain "fib(n)=<result>\n". Also builds natively
 * (cc -O2 fib.c) for comparison; the program is the same either way.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) static unsigned long long fib(int n) {
    return n < 2 ? (unsigned long long)(n < 0 ? 0 : n) : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    int n = (argc > 1 && argv[1][0] != '\0') ? atoi(argv[1]) : 30;
    printf("Content-Type: text/plain\n\nfib(%d)=%llu\n", n, fib(n));
    return 0;
}
