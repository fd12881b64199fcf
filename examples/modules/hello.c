/* hello.wasm: the smallest WAGI module. Route: /hello */
#include <stdio.h>

int main(void) {
    fputs("Content-Type: text/plain\n\nhello world\n", stdout);
    return 0;
}
