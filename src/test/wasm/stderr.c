/* stderr.wasm (test only): writes "to stderr: <QUERY_STRING>\n" to stderr, answers "ok\n". */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    const char *q = getenv("QUERY_STRING");
    fprintf(stderr, "to stderr: %s\n", q != NULL ? q : "");
    fflush(stderr);
    fputs("Content-Type: text/plain\n\nok\n", stdout);
    return 0;
}
