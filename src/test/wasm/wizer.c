/*
 * wizer.wasm (test only): a module in Wizer's convention. Its export `wizer.initialize` builds
 * state that every request then reads: a 64 KiB table, a malloc'd string, a counter. jwagi runs
 * it once at start-up and serves each request from the memory it left (PreinitIT); wasm/build.sh
 * also has Wizer itself pre-initialise it into wizer.wizened.wasm, when Wizer is there, for the
 * differential test.
 *
 *   _start (main) -> "inits=1 hits=0 square=152399025 greeting=made at init path=<PATH_INFO>\n"
 *
 * main then writes over all of it (hits, the table, the string): a request that starts from the
 * snapshot never sees what an earlier request wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQUARES 16384

static int squares[SQUARES];
static char *greeting;
static int inits; /* times wizer.initialize ran in this memory's history */
static int hits;  /* requests this memory has seen: 0 if each starts from the snapshot */

__attribute__((export_name("wizer.initialize"))) void initialize(void) {
    for (int i = 0; i < SQUARES; i++) {
        squares[i] = i * i;
    }
    greeting = malloc(64);
    strcpy(greeting, "made at init");
    inits++;
    fputs("wizer.initialize ran\n", stderr);
}

int main(void) {
    const char *path = getenv("PATH_INFO");
    printf("Content-Type: text/plain\n\n");
    printf("inits=%d hits=%d square=%d greeting=%s path=%s\n", inits, hits, squares[12345],
           greeting ? greeting : "(none)", path ? path : "(none)");
    hits++;
    memset(squares, 0xff, sizeof squares);
    if (greeting) {
        strcpy(greeting, "overwritten");
    }
    return 0;
}
