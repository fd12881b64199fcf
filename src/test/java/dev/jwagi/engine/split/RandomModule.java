package dev.jwagi.engine.split;

import dev.jwagi.engine.split.Wasm.Writer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generates a module whose function {@code body} is a random structured program over locals of
 * every numeric type: nested blocks, loops (bounded by a fuel local), ifs, br / br_if / br_table to
 * any enclosing label (blocks with and without results), returns, calls. {@code run(seed)} runs it
 * and returns a hash of its final locals, so a changed program shows in the result.
 */
final class RandomModule {
  // Locals of body: 0 = seed (i32 param), 1..4 i32, 5..6 i64, 7 f32, 8 f64, 9 fuel (i32).
  private static final int I32S = 4;
  private static final int FUEL = 9;

  private final Random random;
  private final Writer code = new Writer();
  private int depth; // enclosing labels inside body
  private final List<Boolean> loops = new ArrayList<>(); // per enclosing label: a loop's?
  private final boolean voidBody;

  private RandomModule(long seed, boolean voidBody) {
    this.random = new Random(seed);
    this.voidBody = voidBody;
  }

  /** voidBody: body returns nothing (its returns may be moved); else it returns an i32. */
  static byte[] generate(long seed, int statements, boolean voidBody) {
    return new RandomModule(seed, voidBody).module(statements);
  }

  private byte[] module(int statements) {
    Writer types = new Writer();
    types.u32(3);
    types.u8(0x60).u32(1).u8(Wasm.I32).u32(voidBody ? 0 : 1); // 0: body (i32) -> () | (i32)
    if (!voidBody) {
      types.u8(Wasm.I32);
    }
    types.u8(0x60).u32(1).u8(Wasm.I32).u32(1).u8(Wasm.I64); // 1: run (i32) -> i64
    types.u8(0x60).u32(1).u8(Wasm.I32).u32(1).u8(Wasm.I32); // 2: helper (i32) -> i32

    Writer functions = new Writer().u32(3).u32(0).u32(1).u32(2);
    Writer globals = new Writer().u32(1).u8(Wasm.I64).u8(1).u8(0x42).u8(0).u8(Instr.END);
    Writer exports = new Writer().u32(1);
    exports.u32(3).bytes("run".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).u8(0).u32(1);

    // body
    code.u32(5).u32(I32S).u8(Wasm.I32).u32(2).u8(Wasm.I64).u32(1).u8(Wasm.F32);
    code.u32(1).u8(Wasm.F64).u32(1).u8(Wasm.I32);
    code.u8(0x41).sleb(200).u8(Instr.LOCAL_SET).u32(FUEL);
    for (int i = 1; i <= I32S; i++) {
      code.u8(Instr.LOCAL_GET).u32(0).u8(0x41).sleb(i * 7919).u8(0x6C).u8(Instr.LOCAL_SET).u32(i);
    }
    for (int i = 0; i < statements; i++) {
      statement(3);
    }
    hash();
    if (!voidBody) {
      code.u8(Instr.LOCAL_GET).u32(1);
    }
    code.u8(Instr.END);

    Writer run = new Writer();
    run.u32(0).u8(Instr.LOCAL_GET).u32(0).u8(Instr.CALL).u32(0);
    if (!voidBody) {
      run.u8(0xAD).u8(0x23).u32(0).u8(0x85).u8(0x24).u32(0); // i64.extend_i32_u, xor into g
    }
    run.u8(0x23).u32(0).u8(Instr.END);
    Writer helper = new Writer();
    helper.u32(0).u8(Instr.LOCAL_GET).u32(0).u8(0x41).sleb(0x9E3779B1).u8(0x6C);
    helper.u8(0x41).sleb(13).u8(0x77).u8(Instr.END); // (x * golden) rotl 13

    Writer codes = new Writer().u32(3).sized(code).sized(run).sized(helper);
    Writer out = new Writer();
    out.bytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    out.u8(1).sized(types).u8(3).sized(functions).u8(6).sized(globals).u8(7).sized(exports);
    out.u8(10).sized(codes);
    return out.toByteArray();
  }

  private int i32() {
    return 1 + random.nextInt(I32S);
  }

  /** Pushes an i32 condition from the locals. */
  private void condition() {
    code.u8(Instr.LOCAL_GET).u32(i32()).u8(0x41).sleb(random.nextInt(7) + 1).u8(0x70); // rem_u
    code.u8(0x41).sleb(random.nextInt(4)).u8(0x49); // lt_u
  }

  /**
   * A random label that takes no values, for a branch {@code inner} (non-loop) labels inside the
   * current depth: any enclosing block, and the function's own if it returns nothing, but no loop
   * (a branch back to a loop's start would skip its fuel check).
   */
  private int voidLabel(int inner) {
    List<Integer> allowed = new ArrayList<>();
    for (int d = 0; d < inner; d++) {
      allowed.add(d);
    }
    for (int j = 0; j < depth; j++) {
      if (!loops.get(loops.size() - 1 - j)) {
        allowed.add(inner + j);
      }
    }
    if (voidBody) {
      allowed.add(inner + depth);
    }
    return allowed.get(random.nextInt(allowed.size()));
  }

  private void open(boolean loop) {
    depth++;
    loops.add(loop);
  }

  private void close() {
    depth--;
    loops.remove(loops.size() - 1);
  }

  private void statement(int nesting) {
    int kind = random.nextInt(nesting > 0 ? 12 : 5);
    switch (kind) {
      case 0 -> { // i32 arithmetic
        code.u8(Instr.LOCAL_GET).u32(i32()).u8(Instr.LOCAL_GET).u32(i32());
        code.u8(new int[] {0x6A, 0x6B, 0x6C, 0x73, 0x71, 0x72}[random.nextInt(6)]);
        code.u8(Instr.LOCAL_TEE).u32(i32()).u8(Instr.LOCAL_SET).u32(i32());
      }
      case 1 -> { // i64 from i32, mixed
        code.u8(Instr.LOCAL_GET).u32(5 + random.nextInt(2)).u8(Instr.LOCAL_GET).u32(i32());
        code.u8(0xAC).u8(0x7C).u8(0x42).sleb(random.nextLong()).u8(0x85); // add, xor
        code.u8(Instr.LOCAL_SET).u32(5 + random.nextInt(2));
      }
      case 2 -> { // floats
        code.u8(Instr.LOCAL_GET).u32(7).u8(Instr.LOCAL_GET).u32(i32()).u8(0xB2).u8(0x92);
        code.u8(0x43).bytes(new byte[] {0, 0, (byte) 0xC0, 0x3F}).u8(0x94).u8(Instr.LOCAL_SET);
        code.u32(7); // f7 = (f7 + (f32)i) * 1.5
        code.u8(Instr.LOCAL_GET).u32(8).u8(Instr.LOCAL_GET).u32(7).u8(0xBB).u8(0xA0);
        code.u8(Instr.LOCAL_SET).u32(8); // f8 += (f64)f7
      }
      case 3 -> { // a call
        code.u8(Instr.LOCAL_GET).u32(i32()).u8(Instr.CALL).u32(2).u8(Instr.LOCAL_SET).u32(i32());
      }
      case 4 -> { // a block with a result, a br_if carrying it out
        code.u8(Instr.BLOCK).u8(Wasm.I32);
        open(false);
        code.u8(Instr.LOCAL_GET).u32(i32());
        condition();
        code.u8(Instr.BR_IF).u32(0);
        code.u8(0x1A).u8(0x41).sleb(random.nextInt(100));
        close();
        code.u8(Instr.END).u8(Instr.LOCAL_SET).u32(i32());
      }
      case 5, 6 -> { // if / else
        condition();
        code.u8(Instr.IF).u8(0x40);
        open(false);
        body(nesting - 1);
        if (random.nextBoolean()) {
          code.u8(Instr.ELSE);
          body(nesting - 1);
        }
        close();
        code.u8(Instr.END);
      }
      case 7 -> { // block with a br_if out of it or further
        code.u8(Instr.BLOCK).u8(0x40);
        open(false);
        body(nesting - 1);
        condition();
        code.u8(Instr.BR_IF).u32(voidLabel(0));
        body(nesting - 1);
        close();
        code.u8(Instr.END);
      }
      case 8 -> { // a loop, bounded by the fuel
        code.u8(Instr.BLOCK).u8(0x40).u8(Instr.LOOP).u8(0x40);
        open(false);
        open(true);
        body(nesting - 1);
        code.u8(Instr.LOCAL_GET).u32(FUEL).u8(0x41).sleb(1).u8(0x6B).u8(Instr.LOCAL_TEE);
        code.u32(FUEL).u8(0x41).sleb(0).u8(0x4C).u8(Instr.BR_IF).u32(1); // out of fuel: leave
        condition();
        code.u8(Instr.BR_IF).u32(0); // again
        close();
        close();
        code.u8(Instr.END).u8(Instr.END);
      }
      case 9 -> { // a switch: br_table to three cases or an outer label
        code.u8(Instr.BLOCK).u8(0x40).u8(Instr.BLOCK).u8(0x40).u8(Instr.BLOCK).u8(0x40);
        open(false);
        open(false);
        open(false);
        code.u8(Instr.LOCAL_GET).u32(i32()).u8(0x41).sleb(5).u8(0x70);
        code.u8(Instr.BR_TABLE).u32(4).u32(0).u32(1).u32(2).u32(voidLabel(0));
        code.u32(voidLabel(0));
        close();
        code.u8(Instr.END);
        body(nesting - 1);
        close();
        code.u8(Instr.END);
        body(nesting - 1);
        close();
        code.u8(Instr.END);
      }
      case 10 -> { // return, now and then
        condition();
        code.u8(Instr.IF).u8(0x40);
        open(false);
        condition();
        code.u8(Instr.IF).u8(0x40);
        hash();
        if (!voidBody) {
          code.u8(Instr.LOCAL_GET).u32(2);
        }
        code.u8(Instr.RETURN).u8(Instr.END);
        close();
        code.u8(Instr.END);
      }
      default -> { // an unconditional br out, ending a block
        code.u8(Instr.BLOCK).u8(0x40);
        open(false);
        body(nesting - 1);
        condition();
        code.u8(Instr.IF).u8(0x40).u8(Instr.BR).u32(voidLabel(1)).u8(Instr.END);
        body(nesting - 1);
        close();
        code.u8(Instr.END);
      }
    }
  }

  private void body(int nesting) {
    int n = 1 + random.nextInt(4);
    for (int i = 0; i < n; i++) {
      statement(nesting);
    }
  }

  /** g ^= a hash of every local. */
  private void hash() {
    code.u8(0x23).u32(0);
    for (int i = 0; i <= I32S; i++) {
      code.u8(Instr.LOCAL_GET).u32(i).u8(0xAD).u8(0x85).u8(0x42).sleb(0x100000001B3L).u8(0x7E);
    }
    for (int i = 5; i <= 6; i++) {
      code.u8(Instr.LOCAL_GET).u32(i).u8(0x85).u8(0x42).sleb(31).u8(0x7E);
    }
    code.u8(Instr.LOCAL_GET).u32(7).u8(0xBC).u8(0xAD).u8(0x85); // f32 bits
    code.u8(Instr.LOCAL_GET).u32(8).u8(0xBD).u8(0x85); // f64 bits
    code.u8(0x24).u32(0);
  }
}
