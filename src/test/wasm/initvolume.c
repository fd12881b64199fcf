/*
 * initvolume.wasm (test only): an init that reads its libraries from a volume, as an interpreter
 * boots (Perl opens /dev/null, Ruby and Python load their standard library). The init export
 * `boot` sees the route's volumes read-only: it reads /data/greeting.txt and tries to create
 * /data/written.txt (refused); the request reads the file again through the preopened
 * descriptors the init left in wasi-libc's table (PreinitIT).
 *
 *   _start (main) -> "init read <line>; init write <errno text>; request read <line>\n"
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static char at_init[100] = "(no init)";
static char write_at_init[100] = "(no init)";

static void read_line(char *to, size_t size) {
    FILE *f = fopen("/data/greeting.txt", "r");
    if (!f) {
        snprintf(to, size, "failed: %s", strerror(errno));
        return;
    }
    if (!fgets(to, (int)size, f)) {
        snprintf(to, size, "(empty)");
    }
    to[strcspn(to, "\n")] = 0;
    fclose(f);
}

__attribute__((export_name("boot"))) void boot(void) {
    read_line(at_init, sizeof at_init);
    FILE *w = fopen("/data/written.txt", "w");
    if (w) {
        snprintf(write_at_init, sizeof write_at_init, "succeeded");
        fclose(w);
    } else {
        snprintf(write_at_init, sizeof write_at_init, "failed: %s", strerror(errno));
    }
}

int main(void) {
    char now[100];
    read_line(now, sizeof now);
    printf("Content-Type: text/plain\n\ninit read %s; init write %s; request read %s\n", at_init,
           write_at_init, now);
    return 0;
}
