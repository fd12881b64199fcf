/*
 * readfile.wasm (test only): argv[1] is a guest path (e.g. /data/hello.txt); answers 200
 * text/plain with body "OK:<file contents>" (byte for byte) if the whole file could be
 * opened and read, else "ERR:<strerror(errno)>" (e.g. a directory opens, then fails to
 * read: "ERR:Is a directory"). No trailing newline in either case.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(int err) {
    printf("Content-Type: text/plain\n\nERR:%s", strerror(err));
    return 0;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "";
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return fail(errno);
    }
    size_t cap = 65536, len = 0;
    char *data = malloc(cap);
    if (data == NULL) {
        return fail(errno);
    }
    for (;;) {
        if (len == cap) {
            char *bigger = realloc(data, cap * 2);
            if (bigger == NULL) {
                return fail(errno);
            }
            data = bigger;
            cap *= 2;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            break;
        }
    }
    if (ferror(f)) {
        return fail(errno);
    }
    fclose(f);
    fputs("Content-Type: text/plain\n\nOK:", stdout);
    fwrite(data, 1, len, stdout);
    return 0;
}
