/*
 * fsops.wasm (test only): one file operation, named by argv[1], on the guest path argv[2]
 * (under Spin's default argv "${SCRIPT_NAME} ${ARGS}" these are the query's pieces:
 * ?read&/a.txt). Answers 200 text/plain "OK" (read: "OK:<contents>") or "ERR:<strerror>".
 *   read  the whole file       write   fopen "w" and write "x"   append  fopen "a"
 *   create  open O_CREAT|O_EXCL   mkdir   unlink
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int answer(int ok, int err) {
    printf("Content-Type: text/plain\n\n");
    if (ok) {
        printf("OK");
    } else {
        printf("ERR:%s", strerror(err));
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *op = argc > 1 ? argv[1] : "";
    const char *path = argc > 2 ? argv[2] : "";
    errno = 0;
    if (strcmp(op, "read") == 0) {
        static char buf[65536];
        FILE *f = fopen(path, "rb");
        if (f == NULL) {
            return answer(0, errno);
        }
        size_t n = fread(buf, 1, sizeof buf, f);
        printf("Content-Type: text/plain\n\nOK:");
        fwrite(buf, 1, n, stdout);
        return 0;
    }
    if (strcmp(op, "write") == 0 || strcmp(op, "append") == 0) {
        FILE *f = fopen(path, op[0] == 'w' ? "w" : "a");
        if (f == NULL) {
            return answer(0, errno);
        }
        int ok = fputs("x", f) >= 0;
        ok = fclose(f) == 0 && ok;
        return answer(ok, errno);
    }
    if (strcmp(op, "create") == 0) {
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
        return answer(fd >= 0, errno);
    }
    if (strcmp(op, "mkdir") == 0) {
        return answer(mkdir(path, 0755) == 0, errno);
    }
    if (strcmp(op, "unlink") == 0) {
        return answer(unlink(path) == 0, errno);
    }
    return answer(0, EINVAL);
}
