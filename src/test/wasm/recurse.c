// Recurses without end (each frame keeps a local in memory, so the compiler cannot turn it into
// a loop): the guest exhausts its stack, which C keeps in linear memory, and traps on the access
// below address 0. Tests use it to check that this is a trap (500) and that the worker threads
// that ran it keep serving.
#include <stdio.h>

static volatile int sink;

static int down(int depth) {
  volatile int local = depth;
  sink = local;
  return down(depth + 1) + local;
}

int main(void) {
  printf("Content-Type: text/plain\n\n");
  return down(0);
}
