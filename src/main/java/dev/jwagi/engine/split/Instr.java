package dev.jwagi.engine.split;

import java.util.ArrayList;
import java.util.List;

/**
 * One instruction of a function body as a tree: a structured one (block, loop, if) holds its
 * bodies. Only what the splitter rewrites is decoded (local indices, branch depths, calls, block
 * types); every other instruction keeps its encoding as it was read.
 */
final class Instr {
  static final int UNREACHABLE = 0x00;
  static final int BLOCK = 0x02;
  static final int LOOP = 0x03;
  static final int IF = 0x04;
  static final int ELSE = 0x05;
  static final int END = 0x0B;
  static final int BR = 0x0C;
  static final int BR_IF = 0x0D;
  static final int BR_TABLE = 0x0E;
  static final int RETURN = 0x0F;
  static final int CALL = 0x10;
  static final int CALL_INDIRECT = 0x11;
  static final int LOCAL_GET = 0x20;
  static final int LOCAL_SET = 0x21;
  static final int LOCAL_TEE = 0x22;
  static final int I32_CONST = 0x41;

  final int op;

  /** The encoding of an instruction that is copied as it is; null for the decoded ones. */
  final byte[] raw;

  /** Local index, label depth or function index. */
  int index;

  /** br_table: the targets, then the default. */
  int[] labels;

  /** Structured instructions: their type and bodies (else: null if there is none). */
  BlockType type;

  List<Instr> body;
  List<Instr> elseBody;

  /** Stack effect for the instructions the splitter moves between statements (raw ones). */
  final int pops;

  final int pushes;

  /** Instructions in this subtree (itself included): the size estimate the splitter works on. */
  int size = 1;

  /**
   * Part of a call site the splitter made, not its last instruction: no statement ends here (the
   * call site's scratch locals are set and read within it, so it moves whole or not at all).
   */
  boolean glued;

  /** The locals live after this instruction, and at its label (blocks): see {@link Liveness}. */
  java.util.BitSet liveAfter;

  java.util.BitSet labelLive;

  private Instr(int op, byte[] raw, int pops, int pushes) {
    this.op = op;
    this.raw = raw;
    this.pops = pops;
    this.pushes = pushes;
  }

  static Instr raw(int op, byte[] encoding, int pops, int pushes) {
    return new Instr(op, encoding, pops, pushes);
  }

  static Instr indexed(int op, int index) {
    return indexed(op, index, 0, 0);
  }

  static Instr indexed(int op, int index, int pops, int pushes) {
    Instr instr = new Instr(op, null, pops, pushes);
    instr.index = index;
    return instr;
  }

  static Instr brTable(int[] labels) {
    Instr instr = new Instr(BR_TABLE, null, 0, 0);
    instr.labels = labels;
    // A JVM tableswitch takes four bytes a target, Chicory's jumps to the targets more: a
    // dispatch of 374 targets counts as the instructions its bytecode is worth, not as one.
    instr.size = 1 + labels.length * 2 / 3;
    return instr;
  }

  static Instr structured(int op, BlockType type, List<Instr> body, List<Instr> elseBody) {
    Instr instr = new Instr(op, null, 0, 0);
    instr.type = type;
    instr.body = body;
    instr.elseBody = elseBody;
    instr.size = 2 + size(body) + (elseBody == null ? 0 : size(elseBody));
    return instr;
  }

  static Instr i32Const(int value) {
    Wasm.Writer w = new Wasm.Writer();
    w.u8(I32_CONST).sleb(value);
    return raw(I32_CONST, w.toByteArray(), 0, 1);
  }

  static Instr simple(int op, int pops, int pushes) {
    return raw(op, new byte[] {(byte) op}, pops, pushes);
  }

  boolean isStructured() {
    return body != null;
  }

  static int size(List<Instr> list) {
    int n = 0;
    for (Instr i : list) {
      n += i.size;
    }
    return n;
  }

  /** A block type: its raw encoding and its parameter and result types. */
  record BlockType(byte[] encoding, byte[] params, byte[] results) {
    static final BlockType VOID = new BlockType(new byte[] {0x40}, new byte[0], new byte[0]);

    /** The arity of a branch to this block's label. */
    int labelArity(int op) {
      return op == LOOP ? params.length : results.length;
    }
  }

  static List<Instr> list() {
    return new ArrayList<>();
  }
}
