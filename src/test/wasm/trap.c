/* trap.wasm (test only): prints nothing and traps (wasm `unreachable`). */
int main(void) {
    __builtin_trap();
}
