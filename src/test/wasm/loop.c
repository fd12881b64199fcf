/*
 * loop.wasm (test only): spins forever without writing anything, so the response is still
 * held back when its timeout stops it (504). The volatile counter keeps the compiler from
 * removing the loop.
 */
static volatile unsigned long long spins;

int main(void) {
    for (;;) {
        spins++;
    }
}
