/*
 * boot.wasm (test and bench/preinit.sh): a module with a deliberately expensive boot, the way an
 * interpreter starts: it allocates 4 MiB and sieves the primes below 4,194,304 into it, then
 * answers from that. Exported as `boot` (not Wizer's name), so a route chooses with `init =
 * "boot"` whether it runs once at start-up; without, main boots on every request.
 *
 *   _start (main) -> "booted by init|main: 295947 primes below 4194304, the 1000th is 7919\n"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT (1 << 22)

static unsigned char *composite;
static int count;
static int thousandth;
static const char *booted_by = "main";

static void sieve(void) {
    composite = malloc(LIMIT);
    memset(composite, 0, LIMIT);
    composite[0] = composite[1] = 1;
    for (long i = 2; i * i < LIMIT; i++) {
        if (!composite[i]) {
            for (long j = i * i; j < LIMIT; j += i) {
                composite[j] = 1;
            }
        }
    }
    for (int i = 0; i < LIMIT; i++) {
        if (!composite[i] && ++count == 1000) {
            thousandth = i;
        }
    }
}

__attribute__((export_name("boot"))) void boot(void) {
    sieve();
    booted_by = "init";
}

int main(void) {
    if (composite == NULL) {
        sieve();
    }
    printf("Content-Type: text/plain\n\n");
    printf("booted by %s: %d primes below %d, the 1000th is %d\n", booted_by, count, LIMIT,
           thousandth);
    return 0;
}
