/*
 * fileops.wasm (test only): runs the file operations named by its arguments, one per query
 * piece, each "op:arg[:arg]", and answers 200 text/plain with one line per operation:
 * "<op> ok[ <result>]" or "<op> ERR:<strerror(errno)>". Operations:
 *   write:P:TEXT  append:P:TEXT  read:P  mkdir:P  rmdir:P  unlink:P  rename:A:B
 *   link:A:B  symlink:TARGET:P  readlink:P  stat:P  lstat:P  ls:P (sorted names)
 *   utime:P (sets the modification time to 1000000 s, answers what stat then says)
 *   truncate:P:N  rw:P (writes "abcdef" through one descriptor, seeks to 2, reads 2 bytes)
 * and two that race each other from concurrent requests on the same volume directory D:
 *   swap:D    until D/stop exists (at most 10^6 rounds): creates and removes the name D/d
 *             as a second name of the symlink D/cfg (hard link, else rename back and forth)
 *   probe:D:N opens D/d (following symlinks) N times, once D/racing exists, and reads it;
 *             answers "probe ok tries=N opened=O outside=X" (X: reads that began with
 *             "OUTSIDE"), then creates D/stop
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static void fail(const char *op) { printf("%s ERR:%s\n", op, strerror(errno)); }

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *type(mode_t m) {
    return S_ISDIR(m) ? "dir" : S_ISREG(m) ? "file" : S_ISLNK(m) ? "link" : "other";
}

static void touch(const char *path) {
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    if (fd >= 0) close(fd);
}

static void swap(const char *dir) {
    char cfg[512], d[512], stop[512], racing[512];
    snprintf(cfg, sizeof cfg, "%s/cfg", dir);
    snprintf(d, sizeof d, "%s/d", dir);
    snprintf(stop, sizeof stop, "%s/stop", dir);
    snprintf(racing, sizeof racing, "%s/racing", dir);
    touch(racing);
    long rounds = 0;
    for (; rounds < 1000000 && access(stop, F_OK) != 0; rounds++) {
        if (link(cfg, d) == 0) {
            unlink(d);
        } else if (rename(cfg, d) == 0) {
            rename(d, cfg);
        }
    }
    printf("swap ok rounds=%ld\n", rounds);
}

static void probe(const char *dir, long tries) {
    char d[512], stop[512], racing[512];
    snprintf(d, sizeof d, "%s/d", dir);
    snprintf(stop, sizeof stop, "%s/stop", dir);
    snprintf(racing, sizeof racing, "%s/racing", dir);
    for (long spins = 0; access(racing, F_OK) != 0 && spins < 100000000; spins++) {
    }
    long opened = 0, outside = 0;
    for (long i = 0; i < tries; i++) {
        int fd = open(d, O_RDONLY);
        if (fd < 0) continue;
        opened++;
        char buf[16] = {0};
        if (read(fd, buf, 7) == 7 && memcmp(buf, "OUTSIDE", 7) == 0) outside++;
        close(fd);
    }
    touch(stop);
    printf("probe ok tries=%ld opened=%ld outside=%ld\n", tries, opened, outside);
}

static void run(char *spec) {
    char *op = spec, *a = NULL, *b = NULL;
    char *colon = strchr(spec, ':');
    if (colon) {
        *colon = 0;
        a = colon + 1;
        colon = strchr(a, ':');
        if (colon) {
            *colon = 0;
            b = colon + 1;
        }
    }
    if (!a) a = "";
    if (!b) b = "";
    errno = 0;
    if (!strcmp(op, "write") || !strcmp(op, "append")) {
        int fd = open(a, O_WRONLY | O_CREAT | (op[0] == 'w' ? O_TRUNC : O_APPEND), 0644);
        if (fd < 0 || write(fd, b, strlen(b)) != (ssize_t)strlen(b)) return fail(op);
        close(fd);
        printf("%s ok\n", op);
    } else if (!strcmp(op, "read")) {
        int fd = open(a, O_RDONLY);
        if (fd < 0) return fail(op);
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n < 0) return fail(op);
        buf[n] = 0;
        close(fd);
        printf("read ok %s\n", buf);
    } else if (!strcmp(op, "mkdir")) {
        if (mkdir(a, 0755) != 0) return fail(op);
        printf("mkdir ok\n");
    } else if (!strcmp(op, "rmdir")) {
        if (rmdir(a) != 0) return fail(op);
        printf("rmdir ok\n");
    } else if (!strcmp(op, "unlink")) {
        if (unlink(a) != 0) return fail(op);
        printf("unlink ok\n");
    } else if (!strcmp(op, "rename")) {
        if (rename(a, b) != 0) return fail(op);
        printf("rename ok\n");
    } else if (!strcmp(op, "link")) {
        if (link(a, b) != 0) return fail(op);
        printf("link ok\n");
    } else if (!strcmp(op, "symlink")) {
        if (symlink(a, b) != 0) return fail(op);
        printf("symlink ok\n");
    } else if (!strcmp(op, "readlink")) {
        char buf[1024];
        ssize_t n = readlink(a, buf, sizeof buf - 1);
        if (n < 0) return fail(op);
        buf[n] = 0;
        printf("readlink ok %s\n", buf);
    } else if (!strcmp(op, "stat") || !strcmp(op, "lstat")) {
        struct stat st;
        if ((op[0] == 's' ? stat(a, &st) : lstat(a, &st)) != 0) return fail(op);
        printf("%s ok %s %lld\n", op, type(st.st_mode), (long long)st.st_size);
    } else if (!strcmp(op, "ls")) {
        DIR *dir = opendir(a);
        if (!dir) return fail(op);
        char *names[256];
        int count = 0;
        struct dirent *e;
        while ((e = readdir(dir)) != NULL && count < 256) {
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[count++] = strdup(e->d_name);
        }
        closedir(dir);
        qsort(names, count, sizeof names[0], cmp);
        printf("ls ok");
        for (int i = 0; i < count; i++) printf(" %s", names[i]);
        printf("\n");
    } else if (!strcmp(op, "utime")) {
        struct timeval times[2] = {{1000000, 0}, {1000000, 0}};
        struct stat st;
        if (utimes(a, times) != 0 || stat(a, &st) != 0) return fail(op);
        printf("utime ok %lld\n", (long long)st.st_mtime);
    } else if (!strcmp(op, "truncate")) {
        if (truncate(a, atol(b)) != 0) return fail(op);
        printf("truncate ok\n");
    } else if (!strcmp(op, "rw")) {
        int fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
        char buf[3] = {0};
        if (fd < 0 || write(fd, "abcdef", 6) != 6 || lseek(fd, 2, SEEK_SET) != 2 ||
            read(fd, buf, 2) != 2)
            return fail(op);
        close(fd);
        printf("rw ok %s\n", buf);
    } else if (!strcmp(op, "swap")) {
        swap(a);
    } else if (!strcmp(op, "probe")) {
        probe(a, atol(b));
    } else {
        printf("%s ERR:unknown operation\n", op);
    }
}

int main(int argc, char **argv) {
    fputs("Content-Type: text/plain\n\n", stdout);
    for (int i = 1; i < argc; i++) run(argv[i]);
    return 0;
}
