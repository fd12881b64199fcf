/*
 * js.wasm (bench/preinit.sh): a JavaScript interpreter (Duktape, from Debian's duktape-dev) as a
 * WAGI module. Its boot creates the interpreter's heap and runs a small "framework" script (a word
 * list and its index); each request then calls the script's render(PATH_INFO). The boot is the
 * export `init`: with `init = "init"` the route boots once at start-up and every request starts
 * from that snapshot; without, main boots on every request.
 */
#include <stdio.h>
#include <stdlib.h>

#include "duktape.h"

static duk_context *ctx;
static const char *booted_by = "main";

static const char FRAMEWORK[] =
    "var words = [];"
    "for (var i = 0; i < 2000; i++) { words.push('w' + (i * 7919 % 100003).toString(36)); }"
    "var index = {};"
    "words.forEach(function (w, i) { index[w] = i; });"
    "function render(path) {"
    "  var parts = path.split('/').filter(function (p) { return p.length > 0; });"
    "  var out = '<ul>';"
    "  parts.forEach(function (p) {"
    "    out += '<li>' + p + ': ' + (p in index ? index[p] : 'none') + '</li>';"
    "  });"
    "  return out + '</ul> ' + words.length + ' words';"
    "}";

static void boot(void) {
    ctx = duk_create_heap_default();
    if (duk_peval_string(ctx, FRAMEWORK) != 0) {
        fprintf(stderr, "boot: %s\n", duk_safe_to_string(ctx, -1));
        exit(1);
    }
    duk_pop(ctx);
}

__attribute__((export_name("init"))) void init(void) {
    boot();
    booted_by = "init";
}

int main(void) {
    if (ctx == NULL) {
        boot();
    }
    const char *path = getenv("PATH_INFO");
    duk_get_global_string(ctx, "render");
    duk_push_string(ctx, path ? path : "");
    if (duk_pcall(ctx, 1) != 0) {
        fprintf(stderr, "render: %s\n", duk_safe_to_string(ctx, -1));
        return 1;
    }
    printf("Content-Type: text/html\n\n%s (booted by %s)\n", duk_get_string(ctx, -1), booted_by);
    return 0;
}
