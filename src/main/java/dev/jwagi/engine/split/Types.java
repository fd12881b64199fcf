package dev.jwagi.engine.split;

import dev.jwagi.engine.split.Wasm.Unsupported;
import dev.jwagi.engine.split.Wasm.Writer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The module's function types (new ones appended) and each function's type index. */
final class Types {
  private final List<byte[]> params = new ArrayList<>();
  private final List<byte[]> results = new ArrayList<>();
  private final int originalCount;
  private final List<Integer> functionTypes;

  Types(List<byte[]> params, List<byte[]> results, List<Integer> functionTypes) {
    this.params.addAll(params);
    this.results.addAll(results);
    this.originalCount = params.size();
    this.functionTypes = functionTypes;
  }

  int count() {
    return params.size();
  }

  byte[] params(int type) {
    check(type);
    return params.get(type);
  }

  byte[] results(int type) {
    check(type);
    return results.get(type);
  }

  private void check(int type) {
    if (type < 0 || type >= params.size()) {
      throw new Unsupported("type index " + type);
    }
  }

  int functionType(int function) {
    if (function < 0 || function >= functionTypes.size()) {
      throw new Unsupported("function index " + function);
    }
    return functionTypes.get(function);
  }

  /** The index of a type with these parameters and results, appended if the module has none. */
  int intern(byte[] p, byte[] r) {
    for (int i = 0; i < params.size(); i++) {
      if (Arrays.equals(params.get(i), p) && Arrays.equals(results.get(i), r)) {
        return i;
      }
    }
    params.add(p);
    results.add(r);
    return params.size() - 1;
  }

  boolean grew() {
    return params.size() > originalCount;
  }

  /** The type section's contents. */
  Writer encode() {
    Writer out = new Writer();
    out.u32(params.size());
    for (int i = 0; i < params.size(); i++) {
      out.u8(0x60).u32(params.get(i).length).bytes(params.get(i));
      out.u32(results.get(i).length).bytes(results.get(i));
    }
    return out;
  }
}
