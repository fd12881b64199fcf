package dev.jwagi.engine.split;

import dev.jwagi.engine.split.Wasm.Reader;
import dev.jwagi.engine.split.Wasm.Unsupported;
import dev.jwagi.engine.split.Wasm.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * A wasm-to-wasm pass run before Chicory compiles a module: a function whose JVM method would be
 * too large for HotSpot to JIT-compile (it would run in the JVM's bytecode interpreter) is split
 * into several by moving runs of its statements into new functions (see {@link Outliner}). New
 * functions and types are appended after the existing ones, so no index changes (calls, exports,
 * tables, names stay valid); only the type, function and code sections are rewritten, the others
 * copied as they are. A module with no such function comes back as the same array.
 */
public final class Splitter {
  /** Changes whenever the pass's output for some input changes (it is part of cache keys). */
  public static final int VERSION = 7;

  /**
   * HotSpot's HugeMethodLimit: a hot wasm function whose JVM method is larger runs in the JVM's
   * bytecode interpreter for good (SQLite's sqlite3VdbeExec, wasi-libc's printf core).
   */
  static final int HUGE_METHOD_BYTES = JvmMethodSizes.HUGE_METHOD_BYTES;

  /**
   * Bytes of JVM bytecode Chicory 1.7.5 emits per wasm instruction, at most, for functions large
   * enough to matter: on SQLite's 1,357 functions compiled, those of more than 1,500 instructions
   * took 2.3 to 3.0 bytes per instruction (the median over all of 300 or more, 2.7).
   */
  static final int BYTES_PER_INSTRUCTION = 3;

  /**
   * Instructions a function may have so that its JVM method is estimated within {@link
   * #HUGE_METHOD_BYTES} and gets JIT-compiled (which keeps it far from the JVM's 64 KiB method
   * limit too, past which Chicory would interpret it): 8,000 / 3 less a tenth, for the exits a run
   * gains when it moves to a function of its own (one of SQLite's pieces gained 19%).
   */
  public static final int DEFAULT_LIMIT = HUGE_METHOD_BYTES / BYTES_PER_INSTRUCTION * 9 / 10;

  /** What splitting aims each function (and each new one) at, under the limit. */
  public static final int DEFAULT_TARGET = 1_600;

  /**
   * What the pass did. {@code wide}: functions split only into pieces of more than {@link
   * Outliner#MAX_PARAMS} parameters, which HotSpot's C2 does not compile (C1's code, slower).
   */
  public record Result(
      byte[] wasm, List<Integer> split, List<String> notSplit, List<String> wide, int created) {
    public boolean changed() {
      return !split.isEmpty();
    }
  }

  private Splitter() {}

  /** Whether the module has a function the default {@link #split(byte[])} would split. */
  public static boolean hasLargeFunctions(byte[] wasm) {
    try {
      Module module = new Module(wasm);
      for (int[] body : module.bodies) {
        if (body[1] - body[0] > DEFAULT_LIMIT) {
          return true;
        }
      }
      return false;
    } catch (Unsupported e) {
      return false;
    }
  }

  public static Result split(byte[] wasm) {
    return split(wasm, DEFAULT_LIMIT, DEFAULT_TARGET);
  }

  /**
   * Splits every function of more than {@code limit} instructions into pieces of at most {@code
   * target}. A function the pass cannot split is left as it is and named in {@link
   * Result#notSplit}; a module it cannot read at all comes back unchanged with the reason.
   */
  public static Result split(byte[] wasm, int limit, int target) {
    try {
      return new Module(wasm).split(limit, target);
    } catch (Unsupported | StackOverflowError e) {
      return new Result(
          wasm,
          List.of(),
          List.of("the module cannot be split (" + e.getMessage() + ")"),
          List.of(),
          0);
    }
  }

  /** The sections of a module, as byte ranges, and what the pass needs decoded. */
  static final class Module {
    final byte[] bytes;
    final List<int[]> sections = new ArrayList<>(); // id, start of contents, end
    int typeSection = -1;
    int functionSection = -1;
    int codeSection = -1;
    Types types;
    int importedFunctions;
    final List<Integer> definedTypes = new ArrayList<>();
    final List<int[]> bodies = new ArrayList<>(); // start, end of each body (after its size)

    Module(byte[] bytes) {
      this.bytes = bytes;
      if (bytes.length < 8
          || bytes[0] != 0
          || bytes[1] != 'a'
          || bytes[2] != 's'
          || bytes[3] != 'm'
          || bytes[4] != 1
          || bytes[5] != 0
          || bytes[6] != 0
          || bytes[7] != 0) {
        throw new Unsupported("not a wasm 1.0 binary module");
      }
      Reader in = new Reader(bytes, 8, bytes.length);
      while (in.more()) {
        int id = in.u8();
        int size = in.u32();
        int start = in.pos;
        in.skip(size);
        switch (id) {
          case 1 -> typeSection = sections.size();
          case 3 -> functionSection = sections.size();
          case 10 -> codeSection = sections.size();
          default -> {}
        }
        sections.add(new int[] {id, start, start + size});
      }
      List<byte[]> params = new ArrayList<>();
      List<byte[]> results = new ArrayList<>();
      if (typeSection >= 0) {
        Reader t = reader(typeSection);
        int n = t.u32();
        for (int i = 0; i < n; i++) {
          if (t.u8() != 0x60) {
            throw new Unsupported("a type other than a function type");
          }
          params.add(valTypes(t));
          results.add(valTypes(t));
        }
      }
      List<Integer> functionTypes = new ArrayList<>();
      for (int s = 0; s < sections.size(); s++) {
        if (sections.get(s)[0] == 2) {
          readImports(reader(s), functionTypes);
        }
      }
      importedFunctions = functionTypes.size();
      if (functionSection >= 0) {
        Reader f = reader(functionSection);
        int n = f.u32();
        for (int i = 0; i < n; i++) {
          int t = f.u32();
          definedTypes.add(t);
          functionTypes.add(t);
        }
      }
      if (codeSection >= 0) {
        Reader c = reader(codeSection);
        int n = c.u32();
        for (int i = 0; i < n; i++) {
          int size = c.u32();
          bodies.add(new int[] {c.pos, c.pos + size});
          c.skip(size);
        }
      }
      if (bodies.size() != definedTypes.size()) {
        throw new Unsupported("function and code sections disagree");
      }
      types = new Types(params, results, functionTypes);
    }

    private Reader reader(int section) {
      int[] s = sections.get(section);
      return new Reader(bytes, s[1], s[2]);
    }

    private static byte[] valTypes(Reader in) {
      int n = in.u32();
      byte[] t = new byte[n];
      for (int i = 0; i < n; i++) {
        int b = in.u8();
        if (!Wasm.isValType(b)) {
          throw new Unsupported("value type 0x" + Integer.toHexString(b));
        }
        t[i] = (byte) b;
      }
      return t;
    }

    private static void readImports(Reader in, List<Integer> functionTypes) {
      int n = in.u32();
      for (int i = 0; i < n; i++) {
        in.skip(in.u32()); // module
        in.skip(in.u32()); // name
        int kind = in.u8();
        switch (kind) {
          case 0 -> functionTypes.add(in.u32());
          case 1 -> {
            in.u8(); // reference type
            limits(in);
          }
          case 2 -> limits(in);
          case 3 -> {
            in.u8(); // value type
            in.u8(); // mutability
          }
          case 4 -> {
            in.u8();
            in.u32();
          }
          default -> throw new Unsupported("import kind " + kind);
        }
      }
    }

    private static void limits(Reader in) {
      int flags = in.u8();
      in.sleb(); // minimum (u64 for memory64: read as a LEB all the same)
      if ((flags & 1) != 0) {
        in.sleb();
      }
    }

    Result split(int limit, int target) {
      List<Integer> split = new ArrayList<>();
      List<String> notSplit = new ArrayList<>();
      List<String> wide = new ArrayList<>();
      List<byte[]> newBodies = new ArrayList<>(); // null: unchanged
      List<Outliner.Outlined> created = new ArrayList<>();
      int firstNew = importedFunctions + bodies.size();
      for (int i = 0; i < bodies.size(); i++) {
        int[] range = bodies.get(i);
        byte[] replacement = null;
        // A body's instruction count is at most its byte length: only long ones are decoded.
        if (range[1] - range[0] > limit) {
          int index = importedFunctions + i;
          try {
            Body body = Body.decode(types, definedTypes.get(i), bytes, range[0], range[1]);
            if (Instr.size(body.code) > limit) {
              Outliner outliner =
                  new Outliner(
                      types, target, limit, firstNew + created.size(), Outliner.MAX_PARAMS);
              if (!outliner.split(body)) {
                // A failed split leaves the body partly changed: start again from the bytes.
                body = Body.decode(types, definedTypes.get(i), bytes, range[0], range[1]);
                outliner =
                    new Outliner(
                        types, target, limit, firstNew + created.size(), Outliner.WIDE_SLOTS, true);
                if (outliner.split(body)) {
                  wide.add(
                      "wasm function "
                          + index
                          + " could only be split into pieces of more than "
                          + Outliner.MAX_PARAMS
                          + " parameters, which HotSpot's C2 does not compile");
                } else {
                  outliner = null;
                }
              }
              if (outliner != null) {
                replacement = body.encode();
                created.addAll(outliner.created());
                split.add(index);
              } else {
                notSplit.add(cannot(index, "no run of whole statements left to move"));
              }
            }
          } catch (Unsupported | StackOverflowError e) {
            notSplit.add(cannot(index, e.getMessage()));
          }
        }
        newBodies.add(replacement);
      }
      if (split.isEmpty()) {
        return new Result(bytes, split, notSplit, wide, 0);
      }
      return new Result(encode(newBodies, created), split, notSplit, wide, created.size());
    }

    private static String cannot(int function, String why) {
      return "wasm function " + function + " cannot be split (" + why + ")";
    }

    private byte[] encode(List<byte[]> newBodies, List<Outliner.Outlined> created) {
      Writer out = new Writer();
      out.bytes(bytes, 0, 8);
      for (int s = 0; s < sections.size(); s++) {
        int[] section = sections.get(s);
        Writer contents;
        if (s == typeSection) {
          contents = types.encode();
        } else if (s == functionSection) {
          contents = new Writer();
          contents.u32(definedTypes.size() + created.size());
          for (int t : definedTypes) {
            contents.u32(t);
          }
          for (var c : created) {
            contents.u32(c.type());
          }
        } else if (s == codeSection) {
          contents = new Writer();
          contents.u32(bodies.size() + created.size());
          for (int i = 0; i < bodies.size(); i++) {
            byte[] b = newBodies.get(i);
            if (b == null) {
              int[] r = bodies.get(i);
              contents.u32(r[1] - r[0]).bytes(bytes, r[0], r[1]);
            } else {
              contents.u32(b.length).bytes(b);
            }
          }
          for (var c : created) {
            byte[] b = c.body().encode();
            contents.u32(b.length).bytes(b);
          }
        } else {
          out.u8(section[0]).u32(section[2] - section[1]).bytes(bytes, section[1], section[2]);
          continue;
        }
        out.u8(section[0]).sized(contents);
      }
      return out.toByteArray();
    }
  }
}
