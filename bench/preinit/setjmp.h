/*
 * wasm32-wasi's libc (Debian's wasi-libc) has no setjmp: Duktape catches its errors with
 * setjmp/longjmp, so here an error that would be caught traps instead. bench/preinit.sh's script
 * throws none.
 */
typedef int jmp_buf[1];
#define setjmp(b) 0
#define _setjmp(b) 0
#define longjmp(b, v) __builtin_trap()
#define _longjmp(b, v) __builtin_trap()
