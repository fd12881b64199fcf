package dev.jwagi.engine.split;

import dev.jwagi.engine.split.Instr.BlockType;
import dev.jwagi.engine.split.Wasm.Reader;
import dev.jwagi.engine.split.Wasm.Unsupported;
import dev.jwagi.engine.split.Wasm.Writer;
import java.util.ArrayList;
import java.util.List;

/** A function body decoded into an instruction tree, and encoded back. */
final class Body {
  /** The function's own parameters and results. */
  final byte[] params;

  final byte[] results;

  /** Declared locals (after the parameters), one entry per local. */
  final List<Byte> locals;

  final List<Instr> code;

  Body(byte[] params, byte[] results, List<Byte> locals, List<Instr> code) {
    this.params = params;
    this.results = results;
    this.locals = locals;
    this.code = code;
  }

  byte localType(int index) {
    return index < params.length ? params[index] : locals.get(index - params.length);
  }

  int localCount() {
    return params.length + locals.size();
  }

  /** Adds a declared local and returns its index. */
  int addLocal(byte type) {
    locals.add(type);
    return localCount() - 1;
  }

  static Body decode(Types types, int typeIndex, byte[] bytes, int from, int to) {
    Reader in = new Reader(bytes, from, to);
    List<Byte> locals = new ArrayList<>();
    int groups = in.u32();
    for (int g = 0; g < groups; g++) {
      int count = in.u32();
      int type = in.u8();
      if (!Wasm.isValType(type)) {
        throw new Unsupported("local of type 0x" + Integer.toHexString(type));
      }
      if (locals.size() + (long) count > 50_000) {
        throw new Unsupported("too many locals");
      }
      for (int i = 0; i < count; i++) {
        locals.add((byte) type);
      }
    }
    List<Instr> code = Instr.list();
    int last = decodeList(types, in, code, false);
    if (last != Instr.END || in.more()) {
      throw new Unsupported("function body does not end where its size says");
    }
    return new Body(types.params(typeIndex), types.results(typeIndex), locals, code);
  }

  /** Decodes instructions up to an end (or else, if allowed); returns that opcode. */
  private static int decodeList(Types types, Reader in, List<Instr> out, boolean elseAllowed) {
    while (true) {
      int start = in.pos;
      int op = in.u8();
      switch (op) {
        case Instr.END -> {
          return op;
        }
        case Instr.ELSE -> {
          if (!elseAllowed) {
            throw new Unsupported("else outside if");
          }
          return op;
        }
        case Instr.BLOCK, Instr.LOOP, Instr.IF -> {
          BlockType type = blockType(types, in);
          List<Instr> body = Instr.list();
          List<Instr> elseBody = null;
          int last = decodeList(types, in, body, op == Instr.IF);
          if (last == Instr.ELSE) {
            elseBody = Instr.list();
            decodeList(types, in, elseBody, false);
          }
          out.add(Instr.structured(op, type, body, elseBody));
        }
        case Instr.BR, Instr.BR_IF -> out.add(Instr.indexed(op, in.u32()));
        case Instr.BR_TABLE -> {
          int n = in.u32();
          if (n > 1_000_000) {
            throw new Unsupported("br_table too long");
          }
          int[] labels = new int[n + 1];
          for (int i = 0; i <= n; i++) {
            labels[i] = in.u32();
          }
          out.add(Instr.brTable(labels));
        }
        case Instr.LOCAL_GET -> out.add(Instr.indexed(op, in.u32(), 0, 1));
        case Instr.LOCAL_SET -> out.add(Instr.indexed(op, in.u32(), 1, 0));
        case Instr.LOCAL_TEE -> out.add(Instr.indexed(op, in.u32(), 1, 1));
        case Instr.CALL -> {
          int f = in.u32();
          int t = types.functionType(f);
          out.add(Instr.indexed(op, f, types.params(t).length, types.results(t).length));
        }
        case Instr.CALL_INDIRECT -> {
          int t = in.u32();
          in.u32(); // table
          types.params(t); // checks the index
          out.add(
              Instr.raw(op, copy(in, start), types.params(t).length + 1, types.results(t).length));
        }
        default -> out.add(rawInstr(in, start, op));
      }
    }
  }

  private static BlockType blockType(Types types, Reader in) {
    int start = in.pos;
    int first = in.bytes[in.pos] & 0xFF;
    if (first == 0x40) {
      in.pos++;
      return BlockType.VOID;
    }
    if (Wasm.isValType(first)) {
      in.pos++;
      return new BlockType(copy(in, start), new byte[0], new byte[] {(byte) first});
    }
    long index = in.sleb();
    if (index < 0 || index >= types.count()) {
      throw new Unsupported("block type " + index);
    }
    int t = (int) index;
    return new BlockType(copy(in, start), types.params(t), types.results(t));
  }

  private static byte[] copy(Reader in, int start) {
    byte[] b = new byte[in.pos - start];
    System.arraycopy(in.bytes, start, b, 0, b.length);
    return b;
  }

  /** An instruction kept as it is: skips its immediates and notes its stack effect. */
  private static Instr rawInstr(Reader in, int start, int op) {
    int pops;
    int pushes;
    if (op == Instr.UNREACHABLE || op == 0x01 || op == Instr.RETURN) {
      pops = 0;
      pushes = 0;
    } else if (op == 0x1A) { // drop
      pops = 1;
      pushes = 0;
    } else if (op == 0x1B) { // select
      pops = 3;
      pushes = 1;
    } else if (op == 0x1C) { // select t*
      int n = in.u32();
      in.skip(n);
      pops = 3;
      pushes = 1;
    } else if (op == 0x23) { // global.get
      in.u32();
      pops = 0;
      pushes = 1;
    } else if (op == 0x24) { // global.set
      in.u32();
      pops = 1;
      pushes = 0;
    } else if (op == 0x25) { // table.get
      in.u32();
      pops = 1;
      pushes = 1;
    } else if (op == 0x26) { // table.set
      in.u32();
      pops = 2;
      pushes = 0;
    } else if (op >= 0x28 && op <= 0x3E) {
      memarg(in);
      pops = op <= 0x35 ? 1 : 2;
      pushes = op <= 0x35 ? 1 : 0;
    } else if (op == 0x3F || op == 0x40) { // memory.size, memory.grow
      in.u32();
      pops = op == 0x3F ? 0 : 1;
      pushes = 1;
    } else if (op == 0x41) {
      in.sleb();
      pops = 0;
      pushes = 1;
    } else if (op == 0x42) {
      in.sleb();
      pops = 0;
      pushes = 1;
    } else if (op == 0x43) {
      in.skip(4);
      pops = 0;
      pushes = 1;
    } else if (op == 0x44) {
      in.skip(8);
      pops = 0;
      pushes = 1;
    } else if (op >= 0x45 && op <= 0xC4) {
      pops = numericPops(op);
      pushes = 1;
    } else if (op == 0xD0) { // ref.null
      in.u8();
      pops = 0;
      pushes = 1;
    } else if (op == 0xD1) { // ref.is_null
      pops = 1;
      pushes = 1;
    } else if (op == 0xD2) { // ref.func
      in.u32();
      pops = 0;
      pushes = 1;
    } else if (op == 0xFC) {
      int sub = in.u32();
      int[] effect = miscEffect(in, sub);
      pops = effect[0];
      pushes = effect[1];
      op = 0xFC0000 | sub;
    } else if (op == 0xFD) {
      int sub = in.u32();
      simdImmediates(in, sub);
      pops = -1; // not tracked: a SIMD instruction ends a statement the splitter may move
      pushes = -1;
      op = 0xFD0000 | sub;
    } else {
      throw new Unsupported("opcode 0x" + Integer.toHexString(op));
    }
    return Instr.raw(op, copy(in, start), pops, pushes);
  }

  private static void memarg(Reader in) {
    int align = in.u32();
    if ((align & 0x40) != 0) {
      in.u32(); // memory index (multi-memory)
    }
    in.sleb(); // offset: a u32 (u64 for memory64), only skipped
  }

  private static int numericPops(int op) {
    if (op == 0x45 || op == 0x50) { // eqz
      return 1;
    }
    if (op <= 0x66) { // comparisons
      return 2;
    }
    if ((op >= 0x67 && op <= 0x69) || (op >= 0x79 && op <= 0x7B)) { // clz ctz popcnt
      return 1;
    }
    if ((op >= 0x6A && op <= 0x78) || (op >= 0x7C && op <= 0x8A)) { // integer binary
      return 2;
    }
    if ((op >= 0x8B && op <= 0x91) || (op >= 0x99 && op <= 0x9F)) { // float unary
      return 1;
    }
    if ((op >= 0x92 && op <= 0x98) || (op >= 0xA0 && op <= 0xA6)) { // float binary
      return 2;
    }
    return 1; // conversions, sign extension
  }

  private static int[] miscEffect(Reader in, int sub) {
    switch (sub) {
      case 0, 1, 2, 3, 4, 5, 6, 7: // trunc_sat
        return new int[] {1, 1};
      case 8: // memory.init
        in.u32();
        in.u32();
        return new int[] {3, 0};
      case 9: // data.drop
        in.u32();
        return new int[] {0, 0};
      case 10: // memory.copy
        in.u32();
        in.u32();
        return new int[] {3, 0};
      case 11: // memory.fill
        in.u32();
        return new int[] {3, 0};
      case 12: // table.init
        in.u32();
        in.u32();
        return new int[] {3, 0};
      case 13: // elem.drop
        in.u32();
        return new int[] {0, 0};
      case 14: // table.copy
        in.u32();
        in.u32();
        return new int[] {3, 0};
      case 15: // table.grow
        in.u32();
        return new int[] {2, 1};
      case 16: // table.size
        in.u32();
        return new int[] {0, 1};
      case 17: // table.fill
        in.u32();
        return new int[] {3, 0};
      default:
        throw new Unsupported("opcode 0xFC " + sub);
    }
  }

  private static void simdImmediates(Reader in, int sub) {
    if (sub <= 0x0B || sub == 0x5C || sub == 0x5D) {
      memarg(in);
    } else if (sub == 0x0C || sub == 0x0D) {
      in.skip(16);
    } else if (sub >= 0x15 && sub <= 0x22) {
      in.skip(1);
    } else if (sub >= 0x54 && sub <= 0x5B) {
      memarg(in);
      in.skip(1);
    } else if (sub > 0x113) {
      throw new Unsupported("opcode 0xFD " + sub);
    }
  }

  /** The function body's encoding (without its size prefix). */
  byte[] encode() {
    Writer out = new Writer();
    // Locals, run-length encoded.
    List<int[]> runs = new ArrayList<>();
    for (byte t : locals) {
      if (!runs.isEmpty() && runs.get(runs.size() - 1)[1] == t) {
        runs.get(runs.size() - 1)[0]++;
      } else {
        runs.add(new int[] {1, t});
      }
    }
    out.u32(runs.size());
    for (int[] run : runs) {
      out.u32(run[0]).u8(run[1] & 0xFF);
    }
    encodeList(code, out);
    out.u8(Instr.END);
    return out.toByteArray();
  }

  static void encodeList(List<Instr> list, Writer out) {
    for (Instr i : list) {
      encode(i, out);
    }
  }

  private static void encode(Instr i, Writer out) {
    if (i.raw != null) {
      out.bytes(i.raw);
    } else if (i.isStructured()) {
      out.u8(i.op).bytes(i.type.encoding());
      encodeList(i.body, out);
      if (i.elseBody != null) {
        out.u8(Instr.ELSE);
        encodeList(i.elseBody, out);
      }
      out.u8(Instr.END);
    } else if (i.op == Instr.BR_TABLE) {
      out.u8(i.op).u32(i.labels.length - 1);
      for (int l : i.labels) {
        out.u32(l);
      }
    } else {
      out.u8(i.op).u32(i.index);
    }
  }
}
