package dev.jwagi.engine.split;

import dev.jwagi.engine.split.Instr.BlockType;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Splits one function body until it is at most {@code target} instructions, by moving runs of whole
 * statements into new functions. A statement is a run of instructions at one nesting level that
 * starts and ends at the level's stack height and takes nothing below it, so a run of them touches
 * the enclosing function only through locals and branches:
 *
 * <ul>
 *   <li>the locals it uses become the new function's parameters, the ones it writes its results;
 *   <li>a branch out of the run (or a {@code return}) ends the new function with an exit code,
 *       which the call site dispatches on with a {@code br_table} to the original target. Only
 *       targets that take no values qualify.
 * </ul>
 *
 * Inner bodies are split first (post-order), so every run moved out is itself within the target.
 */
final class Outliner {
  /** A new function: its type index and body. */
  record Outlined(int type, Body body) {}

  /** A run must save at least this many instructions beyond its call site to be moved. */
  private static final int MIN_GAIN = 24;

  /** Parameters are passed as JVM arguments up to this many slots (Chicory's limit is 253). */
  private static final int MAX_PARAM_SLOTS = 200;

  private final Types types;
  private final int target;
  private final int firstNewFunction;
  private final List<Outlined> created = new ArrayList<>();

  /** The function being split and its dispatch local (holds a callee's exit code), or -1. */
  private Body body;

  private int dispatchLocal = -1;

  Outliner(Types types, int target, int firstNewFunction) {
    this.types = types;
    this.target = target;
    this.firstNewFunction = firstNewFunction;
  }

  /** The functions made so far, in the order of their indices from {@code firstNewFunction}. */
  List<Outlined> created() {
    return created;
  }

  /**
   * Splits {@code function} in place; returns whether it now fits the target. On false the body and
   * the created list may be partly changed: the caller discards both.
   */
  boolean split(Body function) {
    this.body = function;
    this.dispatchLocal = -1;
    List<Integer> labels = new ArrayList<>();
    reduce(function.code, labels, 0);
    return Instr.size(function.code) <= target;
  }

  // ---- choosing runs ----

  /** labels: arities of the enclosing labels, innermost last; base: the list's start height. */
  private void reduce(List<Instr> list, List<Integer> labels, int base) {
    for (Instr i : list) {
      if (i.isStructured()) {
        labels.add(i.type.labelArity(i.op));
        reduce(i.body, labels, i.type.params().length);
        if (i.elseBody != null) {
          reduce(i.elseBody, labels, i.type.params().length);
        }
        labels.remove(labels.size() - 1);
        i.size = 2 + Instr.size(i.body) + (i.elseBody == null ? 0 : Instr.size(i.elseBody));
      }
    }
    int size = Instr.size(list);
    if (size <= target) {
      return;
    }
    List<Run> runs = runs(list, labels, base);
    runs.sort(Comparator.comparingInt((Run r) -> r.gain).reversed());
    List<Run> chosen = new ArrayList<>();
    for (Run r : runs) {
      if (size <= target) {
        break;
      }
      chosen.add(r);
      size -= r.gain;
    }
    chosen.sort(Comparator.comparingInt((Run r) -> r.start).reversed());
    for (Run r : chosen) {
      outline(list, r, labels.size());
    }
  }

  /** A run of statements [start, end) of a list, and what moving it saves. */
  private record Run(int start, int end, int size, boolean endsUnreachable, int gain) {}

  /** The runs of whole statements of a list that may move, each at most the target. */
  private List<Run> runs(List<Instr> list, List<Integer> labels, int base) {
    List<int[]> statements = new ArrayList<>(); // start, end, size, eligible, endsUnreachable
    int height = base;
    int start = 0;
    int stmtSize = 0;
    for (int k = 0; k < list.size(); k++) {
      Instr i = list.get(k);
      int pops;
      int pushes;
      boolean stops = false;
      if (i.isStructured()) {
        pops = i.type.params().length + (i.op == Instr.IF ? 1 : 0);
        pushes = i.type.results().length;
      } else if (i.op == Instr.BR
          || i.op == Instr.BR_TABLE
          || i.op == Instr.RETURN
          || i.op == Instr.UNREACHABLE) {
        pops = 0;
        pushes = 0;
        stops = true;
      } else if (i.op == Instr.BR_IF) {
        int arity = arity(labels, i.index);
        pops = 1 + arity;
        pushes = arity;
      } else {
        pops = i.pops;
        pushes = i.pushes;
      }
      if (pops < 0 || height - pops < base) {
        break; // an effect not tracked, or a block's parameters taken: no statements past here
      }
      height = height - pops + pushes;
      stmtSize += i.size;
      if (height == base || stops) {
        boolean eligible = escapesOk(list.subList(start, k + 1), labels);
        statements.add(new int[] {start, k + 1, stmtSize, eligible ? 1 : 0, stops ? 1 : 0});
        start = k + 1;
        stmtSize = 0;
        height = base;
        if (stops) {
          break; // what follows is unreachable
        }
      }
    }
    // Greedy: consecutive eligible statements, up to the target each.
    List<Run> runs = new ArrayList<>();
    int i = 0;
    while (i < statements.size()) {
      if (statements.get(i)[3] == 0) {
        i++;
        continue;
      }
      int from = i;
      int size = 0;
      while (i < statements.size()
          && statements.get(i)[3] == 1
          && size + statements.get(i)[2] <= target) {
        size += statements.get(i)[2];
        i++;
      }
      if (i == from) {
        i++; // a statement larger than the target: cannot move
        continue;
      }
      int s = statements.get(from)[0];
      int e = statements.get(i - 1)[1];
      boolean unreachable = statements.get(i - 1)[4] == 1;
      int gain = size - callSiteSize(list.subList(s, e), labels.size());
      if (gain >= MIN_GAIN) {
        runs.add(new Run(s, e, size, unreachable, gain));
      }
    }
    return runs;
  }

  /** The arity of label {@code depth} seen from a list with these enclosing labels. */
  private int arity(List<Integer> labels, int depth) {
    if (depth < labels.size()) {
      return labels.get(labels.size() - 1 - depth);
    }
    return body.results.length; // the function's own label
  }

  /** Whether every branch out of these instructions targets a label that takes no values. */
  private boolean escapesOk(List<Instr> run, List<Integer> labels) {
    Escapes e = new Escapes(labels.size());
    e.scan(run, 0);
    for (int t : e.targets.keySet()) {
      if (arity(labels, t) != 0) {
        return false;
      }
    }
    return e.paramSlots(body) <= MAX_PARAM_SLOTS;
  }

  private int callSiteSize(List<Instr> run, int enclosing) {
    Escapes e = new Escapes(enclosing);
    e.scan(run, 0);
    int exits = e.targets.isEmpty() ? 0 : 5;
    return e.read.size() + 1 + e.written.size() + exits + 1;
  }

  /**
   * What a run touches: its locals (not the dispatch local, which is set and read within one call
   * site) and the targets of its branches out, as depths seen from the run's level ({@code return}
   * as the function's label).
   */
  private final class Escapes {
    final TreeSet<Integer> read = new TreeSet<>(); // every local used: the parameters
    final TreeSet<Integer> written = new TreeSet<>();
    final Map<Integer, Integer> targets = new LinkedHashMap<>(); // target -> exit code
    private final int enclosing;

    Escapes(int enclosing) {
      this.enclosing = enclosing;
    }

    void scan(List<Instr> list, int nesting) {
      for (Instr i : list) {
        if (i.isStructured()) {
          scan(i.body, nesting + 1);
          if (i.elseBody != null) {
            scan(i.elseBody, nesting + 1);
          }
          continue;
        }
        switch (i.op) {
          case Instr.LOCAL_GET, Instr.LOCAL_SET, Instr.LOCAL_TEE -> {
            if (i.index != dispatchLocal) {
              read.add(i.index);
              if (i.op != Instr.LOCAL_GET) {
                written.add(i.index);
              }
            }
          }
          case Instr.BR, Instr.BR_IF -> escape(i.index, nesting);
          case Instr.BR_TABLE -> {
            for (int l : i.labels) {
              escape(l, nesting);
            }
          }
          case Instr.RETURN -> escape(enclosing + nesting, nesting);
          default -> {}
        }
      }
    }

    private void escape(int depth, int nesting) {
      if (depth >= nesting) {
        targets.computeIfAbsent(depth - nesting, k -> targets.size() + 1);
      }
    }

    int paramSlots(Body f) {
      int slots = 0;
      for (int l : read) {
        slots += Wasm.slots(f.localType(l));
      }
      return slots;
    }
  }

  // ---- moving a run ----

  private void outline(List<Instr> list, Run run, int enclosing) {
    List<Instr> region = new ArrayList<>(list.subList(run.start, run.end));
    Escapes e = new Escapes(enclosing);
    e.scan(region, 0);
    Map<Integer, Integer> exits = e.targets; // return is the function's label, depth `enclosing`

    List<Integer> params = new ArrayList<>(e.read);
    List<Integer> results = new ArrayList<>(e.written);
    byte[] paramTypes = new byte[params.size()];
    Map<Integer, Integer> localMap = new LinkedHashMap<>();
    for (int k = 0; k < params.size(); k++) {
      paramTypes[k] = body.localType(params.get(k));
      localMap.put(params.get(k), k);
    }
    byte[] resultTypes = new byte[results.size() + (exits.isEmpty() ? 0 : 1)];
    for (int k = 0; k < results.size(); k++) {
      resultTypes[k] = body.localType(results.get(k));
    }
    if (!exits.isEmpty()) {
      resultTypes[results.size()] = Wasm.I32;
    }

    Body g = new Body(paramTypes, resultTypes, new ArrayList<>(), Instr.list());
    Rewriter rw = new Rewriter(g, localMap, enclosing, exits);
    List<Instr> moved = rw.list(region, 0);
    if (exits.isEmpty()) {
      g.code.addAll(moved);
    } else {
      g.code.add(Instr.structured(Instr.BLOCK, BlockType.VOID, moved, null));
    }
    for (int k = 0; k < results.size(); k++) {
      g.code.add(Instr.indexed(Instr.LOCAL_GET, localMap.get(results.get(k)), 0, 1));
    }
    if (!exits.isEmpty()) {
      g.code.add(Instr.indexed(Instr.LOCAL_GET, rw.exitLocal(), 0, 1));
    }
    int type = types.intern(paramTypes, resultTypes);
    int index = firstNewFunction + created.size();
    created.add(new Outlined(type, g));

    // The call site.
    List<Instr> site = Instr.list();
    for (int p : params) {
      site.add(Instr.indexed(Instr.LOCAL_GET, p, 0, 1));
    }
    site.add(Instr.indexed(Instr.CALL, index, params.size(), resultTypes.length));
    if (!exits.isEmpty()) {
      if (dispatchLocal < 0) {
        dispatchLocal = body.addLocal(Wasm.I32);
      }
      site.add(Instr.indexed(Instr.LOCAL_SET, dispatchLocal, 1, 0));
    }
    for (int k = results.size() - 1; k >= 0; k--) {
      site.add(Instr.indexed(Instr.LOCAL_SET, results.get(k), 1, 0));
    }
    if (!exits.isEmpty()) {
      int[] labels = new int[exits.size() + 2]; // code 0 (falls through), the exits, default
      for (var x : exits.entrySet()) {
        labels[x.getValue()] = x.getKey() + 1;
      }
      List<Instr> dispatch = Instr.list();
      dispatch.add(Instr.indexed(Instr.LOCAL_GET, dispatchLocal, 0, 1));
      dispatch.add(Instr.brTable(labels));
      site.add(Instr.structured(Instr.BLOCK, BlockType.VOID, dispatch, null));
    }
    if (run.endsUnreachable) {
      site.add(Instr.simple(Instr.UNREACHABLE, 0, 0));
    }
    List<Instr> tail = list.subList(run.start, run.end);
    tail.clear();
    tail.addAll(site);
  }

  /**
   * Rewrites a run for its new function: locals renumbered, branches out of the run replaced by
   * setting the exit code and leaving the function's outer block.
   */
  private final class Rewriter {
    private final Body g;
    private final Map<Integer, Integer> localMap;
    private final Map<Integer, Integer> exits; // depth from the run's level -> code
    private final int enclosing;
    private int exitLocal = -1;
    private int tableLocal = -1;
    private int ownDispatch = -1;

    Rewriter(Body g, Map<Integer, Integer> localMap, int enclosing, Map<Integer, Integer> exits) {
      this.g = g;
      this.localMap = localMap;
      this.enclosing = enclosing;
      this.exits = exits;
    }

    int exitLocal() {
      if (exitLocal < 0) {
        exitLocal = g.addLocal(Wasm.I32);
      }
      return exitLocal;
    }

    private int tableLocal() {
      if (tableLocal < 0) {
        tableLocal = g.addLocal(Wasm.I32);
      }
      return tableLocal;
    }

    List<Instr> list(List<Instr> in, int nesting) {
      List<Instr> out = new ArrayList<>(in.size());
      for (Instr i : in) {
        instr(i, nesting, out);
      }
      return out;
    }

    /** The exit for an escaping depth, as seen from {@code nesting} levels inside the run. */
    private void exit(int target, int brDepth, List<Instr> out) {
      out.add(Instr.i32Const(exits.get(target)));
      out.add(Instr.indexed(Instr.LOCAL_SET, exitLocal(), 1, 0));
      out.add(Instr.indexed(Instr.BR, brDepth));
    }

    private void instr(Instr i, int nesting, List<Instr> out) {
      if (i.isStructured()) {
        i.body = list(i.body, nesting + 1);
        if (i.elseBody != null) {
          i.elseBody = list(i.elseBody, nesting + 1);
        }
        out.add(i);
        return;
      }
      switch (i.op) {
        case Instr.LOCAL_GET, Instr.LOCAL_SET, Instr.LOCAL_TEE -> {
          if (i.index == dispatchLocal) {
            if (ownDispatch < 0) {
              ownDispatch = g.addLocal(Wasm.I32);
            }
            i.index = ownDispatch;
          } else {
            i.index = localMap.get(i.index);
          }
          out.add(i);
        }
        case Instr.RETURN -> exit(enclosing, nesting, out);
        case Instr.BR -> {
          if (i.index < nesting) {
            out.add(i);
          } else {
            exit(i.index - nesting, nesting, out);
          }
        }
        case Instr.BR_IF -> {
          if (i.index < nesting) {
            out.add(i);
          } else {
            List<Instr> then = Instr.list();
            exit(i.index - nesting, nesting + 1, then);
            out.add(Instr.structured(Instr.IF, BlockType.VOID, then, null));
          }
        }
        case Instr.BR_TABLE -> brTable(i, nesting, out);
        default -> out.add(i);
      }
    }

    /**
     * A br_table with targets out of the run: it branches instead to one of k new blocks around it,
     * each followed by its exit.
     */
    private void brTable(Instr i, int nesting, List<Instr> out) {
      List<Integer> outward = new ArrayList<>();
      for (int l : i.labels) {
        if (l >= nesting && !outward.contains(l - nesting)) {
          outward.add(l - nesting);
        }
      }
      if (outward.isEmpty()) {
        out.add(i);
        return;
      }
      int k = outward.size();
      int[] mapped = new int[i.labels.length];
      for (int j = 0; j < mapped.length; j++) {
        int l = i.labels[j];
        mapped[j] = l < nesting ? l + k : outward.indexOf(l - nesting);
      }
      out.add(Instr.indexed(Instr.LOCAL_SET, tableLocal(), 1, 0));
      List<Instr> inner = Instr.list();
      inner.add(Instr.indexed(Instr.LOCAL_GET, tableLocal(), 0, 1));
      inner.add(Instr.brTable(mapped));
      Instr block = Instr.structured(Instr.BLOCK, BlockType.VOID, inner, null);
      for (int j = 1; j <= k; j++) {
        List<Instr> wrapper = Instr.list();
        wrapper.add(block);
        exit(outward.get(j - 1), nesting + k - j, wrapper);
        if (j < k) {
          block = Instr.structured(Instr.BLOCK, BlockType.VOID, wrapper, null);
        } else {
          out.addAll(wrapper);
        }
      }
    }
  }
}
