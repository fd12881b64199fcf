package dev.jwagi.engine.split;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 *       which the call site dispatches on with a {@code br_table} to the original target; the
 *       values such a branch carries are extra results, pushed again before the branch.
 * </ul>
 *
 * Inner bodies are split first (post-order), so every run moved out is itself within the target.
 */
final class Outliner {
  /** A new function: its type index and body. */
  record Outlined(int type, Body body) {}

  /** A run must save at least this many instructions beyond its call site to be moved. */
  private final int minGain;

  /**
   * Parameters a new function may take. Chicory passes them as JVM arguments (then the Memory and
   * the Instance), and HotSpot's C2 on JDK 17 refuses a method with about 50 arguments on the stack
   * ("COMPILE SKIPPED: unsupported incoming calling sequence"): such a method runs C1's code for
   * good. SQLite's sqlite3VdbeExec split into pieces of 30 to 60 parameters, the larger ones left
   * to C1, ran 69x slower than under wasmtime. Measured here (x86-64, JDK 17.0.15): static methods
   * of 55 ints compile, of 56 do not, nor of 55 ints and 8 doubles; 50 arguments of any mix
   * compiled. Below Chicory's own limit (253 slots) too.
   */
  static final int MAX_PARAMS = 48;

  /**
   * JVM parameter slots (an i64 or f64 takes two) a new function may take when a function cannot be
   * split within {@link #MAX_PARAMS} parameters (SQLite's sqlite3VdbeExec, a Ruby function whose
   * statements each read over 100 i32 locals): C1's code is still far faster than an interpreter.
   * Past 253 slots Chicory passes the arguments in an array (see runs).
   */
  static final int WIDE_SLOTS = 200;

  /** Whether {@link #maxParams} counts JVM slots rather than parameters. */
  private final boolean countSlots;

  private final int maxParams;

  private final Types types;
  private final int target;
  private final int limit;
  private final int firstNewFunction;
  private final List<Outlined> created = new ArrayList<>();

  /** The function being split. */
  private Body body;

  /**
   * Its scratch locals: each is set and read within one call site (the callee's exit code, the
   * values a branch out carries), so a run that moves never takes them as parameters. By type, the
   * n-th carried value of that type uses the n-th local.
   */
  private int dispatchLocal;

  private Map<Byte, List<Integer>> carryLocals;
  private Set<Integer> scratch;

  /** The locals live at each enclosing label of the list being reduced, innermost last. */
  private final List<BitSet> labelLive = new ArrayList<>();

  Outliner(Types types, int target, int limit, int firstNewFunction, int maxParams) {
    this(types, target, limit, firstNewFunction, maxParams, false);
  }

  /** With {@code countSlots}, {@code maxParams} bounds JVM parameter slots, not parameters. */
  Outliner(
      Types types, int target, int limit, int firstNewFunction, int maxParams, boolean countSlots) {
    this.countSlots = countSlots;
    this.maxParams = maxParams;
    this.types = types;
    this.target = target;
    this.limit = limit;
    this.minGain = Math.max(4, Math.min(24, target / 4));
    this.firstNewFunction = firstNewFunction;
  }

  /** The functions made so far, in the order of their indices from {@code firstNewFunction}. */
  List<Outlined> created() {
    return created;
  }

  /**
   * Splits {@code function} in place, aiming at the target; returns whether it now fits {@code
   * limit}. On false the body and the created list may be partly changed: the caller discards both.
   */
  boolean split(Body function) {
    this.body = function;
    this.dispatchLocal = -1;
    this.carryLocals = new HashMap<>();
    this.scratch = new HashSet<>();
    Liveness.compute(function);
    reduce(function.code, new ArrayList<>(), 0);
    return Instr.size(function.code) <= limit;
  }

  // ---- choosing runs ----

  /** labels: the types of the enclosing labels, innermost last; base: the list's start height. */
  private void reduce(List<Instr> list, List<byte[]> labels, int base) {
    for (Instr i : list) {
      if (i.isStructured()) {
        labels.add(i.op == Instr.LOOP ? i.type.params() : i.type.results());
        labelLive.add(i.labelLive);
        reduce(i.body, labels, i.type.params().length);
        if (i.elseBody != null) {
          reduce(i.elseBody, labels, i.type.params().length);
        }
        labels.remove(labels.size() - 1);
        labelLive.remove(labelLive.size() - 1);
        i.size = 2 + Instr.size(i.body) + (i.elseBody == null ? 0 : Instr.size(i.elseBody));
      }
    }
    // An interpreter's dispatch (a br_table to many cases, in blocks nested one per case) is kept
    // whole as long as it can be: at each level of its nest, the case's code moves out even if
    // the level is within the target, and the statement holding the nest moves only when nothing
    // else is left to move. Moving the nest level by level, as any other statement, made a chain
    // of functions that every step of the loop went down and back up: 17 deep in SQLite's
    // sqlite3VdbeExec (3 now: a query of 2,000 rows 93 -> 44 ms, bench/big.sh BEFORE=6688eaa).
    boolean dispatch = holdsDispatch(list);
    if (dispatch) {
      List<Run> cases = runs(list, labels, base, true);
      cases.sort(Comparator.comparingInt((Run r) -> r.start).reversed());
      for (Run r : cases) {
        outline(list, r, labels);
      }
    }
    // Rounds: the call sites a round leaves are statements the next round may group and move.
    // Every move shrinks the list, so this ends.
    while (Instr.size(list) > target) {
      int size = Instr.size(list);
      List<Run> runs = runs(list, labels, base, dispatch);
      if (runs.isEmpty() && dispatch) {
        runs = runs(list, labels, base, false); // the same runs, unless one holds the dispatch
      }
      if (runs.isEmpty()) {
        return;
      }
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
        outline(list, r, labels);
      }
    }
  }

  /** A run of statements [start, end) of a list, and what moving it saves. */
  private record Run(int start, int end, boolean endsUnreachable, int gain) {}

  /**
   * The runs of whole statements of a list that may move, each at most the target; none holding a
   * dispatch if {@code keepDispatch} (only a list holding one needs the walk that tells).
   */
  private List<Run> runs(List<Instr> list, List<byte[]> labels, int base, boolean keepDispatch) {
    List<int[]> statements = new ArrayList<>(); // start, end, size, eligible, endsUnreachable
    List<Set<Integer>> locals = new ArrayList<>(); // each statement's: the parameters it needs
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
        int arity = labelTypes(labels, i.index).length;
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
      if ((height == base && !i.glued) || stops) {
        Set<Integer> used = localsUsed(list.subList(start, k + 1));
        boolean eligible =
            unionCost(Set.of(), used) <= maxParams
                && !(keepDispatch && holdsDispatch(list.subList(start, k + 1)));
        statements.add(new int[] {start, k + 1, stmtSize, eligible ? 1 : 0, stops ? 1 : 0});
        locals.add(used);
        start = k + 1;
        stmtSize = 0;
        height = base;
        if (stops) {
          break; // what follows is unreachable
        }
      }
    }
    // Greedy: consecutive eligible statements, up to the target and maxParams together (C2's
    // calling sequence; past 253 slots Chicory would pass the arguments in an array and leave some
    // of the function's locals uninitialised: a VerifyError, wat2wasm's split lost 409-parameter
    // runs so).
    List<Run> runs = new ArrayList<>();
    int i = 0;
    while (i < statements.size()) {
      if (statements.get(i)[3] == 0) {
        i++;
        continue;
      }
      int from = i;
      int size = 0;
      Set<Integer> params = new HashSet<>();
      while (i < statements.size()
          && statements.get(i)[3] == 1
          && size + statements.get(i)[2] <= target
          && unionCost(params, locals.get(i)) <= maxParams) {
        size += statements.get(i)[2];
        params.addAll(locals.get(i));
        i++;
      }
      if (i == from) {
        // A statement larger than the target (its inner runs moved already) moves alone, if the
        // function it makes stays within the limit.
        if (statements.get(i)[2] > limit) {
          i++;
          continue;
        }
        size = statements.get(i)[2];
        i++;
      }
      int s = statements.get(from)[0];
      int e = statements.get(i - 1)[1];
      boolean unreachable = statements.get(i - 1)[4] == 1;
      int gain = size - callSiteSize(list.subList(s, e), labels);
      if (gain >= minGain) {
        runs.add(new Run(s, e, unreachable, gain));
      }
    }
    return runs;
  }

  /**
   * A br_table of at least this many targets is a dispatch: a switch over an interpreter's opcodes,
   * or any switch large enough to be worth keeping whole.
   */
  static final int DISPATCH_TARGETS = 16;

  /** Whether some instruction of {@code run} is (or holds) a dispatch. */
  private static boolean holdsDispatch(List<Instr> run) {
    for (Instr i : run) {
      if (i.op == Instr.BR_TABLE && i.labels.length >= DISPATCH_TARGETS) {
        return true;
      }
      if (i.isStructured()
          && (holdsDispatch(i.body) || (i.elseBody != null && holdsDispatch(i.elseBody)))) {
        return true;
      }
    }
    return false;
  }

  /** The types label {@code depth} takes, seen from a list with these enclosing labels. */
  private byte[] labelTypes(List<byte[]> labels, int depth) {
    if (depth < labels.size()) {
      return labels.get(labels.size() - 1 - depth);
    }
    return body.results; // the function's own label
  }

  /** The locals a run uses: the parameters its function would take. */
  private Set<Integer> localsUsed(List<Instr> run) {
    Escapes e = new Escapes(0);
    e.scan(run, 0);
    return e.read;
  }

  /** What the locals of {@code a} and {@code b} together take of {@link #maxParams}. */
  private int unionCost(Set<Integer> a, Set<Integer> b) {
    int n = 0;
    for (int x : a) {
      n += cost(x);
    }
    for (int x : b) {
      if (!a.contains(x)) {
        n += cost(x);
      }
    }
    return n;
  }

  private int cost(int local) {
    if (!countSlots) {
      return 1;
    }
    byte type = body.localType(local);
    return type == Wasm.I64 || type == (byte) 0x7C ? 2 : type == (byte) 0x7B ? 4 : 1;
  }

  private int callSiteSize(List<Instr> run, List<byte[]> labels) {
    Escapes e = new Escapes(labels.size());
    e.scan(run, 0);
    int size = e.read.size() + 1 + results(run, e).size();
    for (int t : e.targets.keySet()) {
      size += 4 + 2 * labelTypes(labels, t).length;
    }
    return size;
  }

  /**
   * The locals a run writes that it must hand back: those live where control goes after it, past
   * its end or to the targets of its branches out ({@code e}: what the run touches).
   */
  private List<Integer> results(List<Instr> run, Escapes e) {
    BitSet needed = (BitSet) run.get(run.size() - 1).liveAfter.clone();
    for (int t : e.targets.keySet()) {
      if (t < labelLive.size()) {
        needed.or(labelLive.get(labelLive.size() - 1 - t));
      }
    }
    List<Integer> results = new ArrayList<>();
    for (int w : e.written) {
      if (needed.get(w)) {
        results.add(w);
      }
    }
    return results;
  }

  /**
   * What a run touches: its locals (not the scratch ones) and the targets of its branches out, as
   * depths seen from the run's level ({@code return} as the function's label), each with its exit
   * code.
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
            if (!scratch.contains(i.index)) {
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
  }

  // ---- moving a run ----

  private void outline(List<Instr> list, Run run, List<byte[]> labels) {
    List<Instr> region = new ArrayList<>(list.subList(run.start, run.end));
    Escapes e = new Escapes(labels.size());
    e.scan(region, 0);
    Map<Integer, Integer> exits = e.targets; // return is the function's label
    Map<Integer, byte[]> carried = new LinkedHashMap<>(); // target -> the values it takes
    for (int t : exits.keySet()) {
      carried.put(t, labelTypes(labels, t));
    }

    List<Integer> params = new ArrayList<>(e.read);
    List<Integer> results = results(region, e);
    byte[] paramTypes = new byte[params.size()];
    Map<Integer, Integer> localMap = new HashMap<>();
    for (int k = 0; k < params.size(); k++) {
      paramTypes[k] = body.localType(params.get(k));
      localMap.put(params.get(k), k);
    }
    Wasm.Writer resultTypes = new Wasm.Writer();
    for (int r : results) {
      resultTypes.u8(body.localType(r));
    }
    for (byte[] v : carried.values()) {
      resultTypes.bytes(v);
    }
    if (!exits.isEmpty()) {
      resultTypes.u8(Wasm.I32);
    }
    byte[] resultArray = resultTypes.toByteArray();

    Body g = new Body(paramTypes, resultArray, new ArrayList<>(), Instr.list());
    Rewriter rw = new Rewriter(g, localMap, labels.size(), exits, carried);
    List<Instr> moved = rw.list(region, 0);
    if (exits.isEmpty()) {
      g.code.addAll(moved);
    } else {
      g.code.add(Instr.structured(Instr.BLOCK, Instr.BlockType.VOID, moved, null));
    }
    for (int r : results) {
      g.code.add(Instr.indexed(Instr.LOCAL_GET, localMap.get(r), 0, 1));
    }
    for (int t : carried.keySet()) {
      for (int c : rw.carry(t)) {
        g.code.add(Instr.indexed(Instr.LOCAL_GET, c, 0, 1));
      }
    }
    if (!exits.isEmpty()) {
      g.code.add(Instr.indexed(Instr.LOCAL_GET, rw.exitLocal(), 0, 1));
    }
    int type = types.intern(paramTypes, resultArray);
    int index = firstNewFunction + created.size();
    created.add(new Outlined(type, g));

    List<Instr> site =
        callSite(index, params, results, exits, carried, resultArray.length, labels.size());
    for (int k = 0; k < site.size() - 1; k++) {
      site.get(k).glued = true;
    }
    BitSet after = list.get(run.end - 1).liveAfter;
    site.get(site.size() - 1).liveAfter = after;
    List<Instr> tail = list.subList(run.start, run.end);
    tail.clear();
    tail.addAll(site);
    if (run.endsUnreachable) {
      Instr unreachable = Instr.simple(Instr.UNREACHABLE, 0, 0);
      unreachable.liveAfter = after;
      tail.add(unreachable);
    }
  }

  /**
   * Calls the new function, sets the locals it wrote and, if it has exits, branches on its exit
   * code: straight to a target that takes no values, through a stub that pushes the carried values
   * to one that does.
   */
  private List<Instr> callSite(
      int function,
      List<Integer> params,
      List<Integer> results,
      Map<Integer, Integer> exits,
      Map<Integer, byte[]> carried,
      int resultCount,
      int enclosing) {
    List<Instr> site = Instr.list();
    for (int p : params) {
      site.add(Instr.indexed(Instr.LOCAL_GET, p, 0, 1));
    }
    site.add(Instr.indexed(Instr.CALL, function, params.size(), resultCount));
    if (exits.isEmpty()) {
      for (int k = results.size() - 1; k >= 0; k--) {
        site.add(Instr.indexed(Instr.LOCAL_SET, results.get(k), 1, 0));
      }
      return site;
    }
    if (dispatchLocal < 0) {
      dispatchLocal = body.addLocal(Wasm.I32);
      scratch.add(dispatchLocal);
    }
    site.add(Instr.indexed(Instr.LOCAL_SET, dispatchLocal, 1, 0));
    // The carried values, into scratch locals (the n-th of a type in the n-th of that type).
    Map<Integer, int[]> carryOf = new LinkedHashMap<>();
    Map<Byte, Integer> used = new HashMap<>();
    for (var c : carried.entrySet()) {
      int[] locals = new int[c.getValue().length];
      for (int v = 0; v < locals.length; v++) {
        byte type = c.getValue()[v];
        int n = used.merge(type, 1, Integer::sum) - 1;
        List<Integer> pool = carryLocals.computeIfAbsent(type, k -> new ArrayList<>());
        while (pool.size() <= n) {
          int l = body.addLocal(type);
          pool.add(l);
          scratch.add(l);
        }
        locals[v] = pool.get(n);
      }
      carryOf.put(c.getKey(), locals);
    }
    List<int[]> carryList = new ArrayList<>(carryOf.values());
    for (int c = carryList.size() - 1; c >= 0; c--) {
      int[] locals = carryList.get(c);
      for (int v = locals.length - 1; v >= 0; v--) {
        site.add(Instr.indexed(Instr.LOCAL_SET, locals[v], 1, 0));
      }
    }
    for (int k = results.size() - 1; k >= 0; k--) {
      site.add(Instr.indexed(Instr.LOCAL_SET, results.get(k), 1, 0));
    }
    // Stubs S_1..S_m for the targets that take values, inside one block D (code 0: falls out).
    // The function's own label is left by return (Chicory's compiler fails on a br_table to it).
    List<Integer> valued = new ArrayList<>();
    for (var c : carried.entrySet()) {
      if (c.getValue().length > 0 || c.getKey() == enclosing) {
        valued.add(c.getKey());
      }
    }
    int m = valued.size();
    int[] table = new int[exits.size() + 2]; // code 0, the exits, default
    table[0] = m;
    table[table.length - 1] = m;
    for (var x : exits.entrySet()) {
      int j = valued.indexOf(x.getKey());
      table[x.getValue()] = j >= 0 ? j : x.getKey() + m + 1;
    }
    List<Instr> inner = Instr.list();
    inner.add(Instr.indexed(Instr.LOCAL_GET, dispatchLocal, 0, 1));
    inner.add(Instr.brTable(table));
    for (int j = 1; j <= m; j++) {
      List<Instr> wrapper = Instr.list();
      wrapper.add(Instr.structured(Instr.BLOCK, Instr.BlockType.VOID, inner, null));
      int t = valued.get(j - 1);
      for (int l : carryOf.get(t)) {
        wrapper.add(Instr.indexed(Instr.LOCAL_GET, l, 0, 1));
      }
      if (t == enclosing) {
        wrapper.add(Instr.simple(Instr.RETURN, 0, 0));
      } else {
        wrapper.add(Instr.indexed(Instr.BR, t + (m - j + 1)));
      }
      inner = wrapper;
    }
    site.add(Instr.structured(Instr.BLOCK, Instr.BlockType.VOID, inner, null));
    return site;
  }

  /**
   * Rewrites a run for its new function: locals renumbered, branches out of the run replaced by
   * keeping the values they carry, setting the exit code and leaving the function's outer block.
   */
  private final class Rewriter {
    private final Body g;
    private final Map<Integer, Integer> localMap;
    private final Map<Integer, Integer> exits; // depth from the run's level -> code
    private final Map<Integer, byte[]> carried;
    private final Map<Integer, int[]> carry = new HashMap<>();
    private final Map<Integer, Integer> ownScratch = new HashMap<>();
    private final Map<Byte, List<Integer>> temps = new HashMap<>();
    private final int enclosing;
    private int exitLocal = -1;

    Rewriter(
        Body g,
        Map<Integer, Integer> localMap,
        int enclosing,
        Map<Integer, Integer> exits,
        Map<Integer, byte[]> carried) {
      this.g = g;
      this.localMap = localMap;
      this.enclosing = enclosing;
      this.exits = exits;
      this.carried = carried;
    }

    int exitLocal() {
      if (exitLocal < 0) {
        exitLocal = g.addLocal(Wasm.I32);
      }
      return exitLocal;
    }

    /** The locals that hold the values a branch to {@code target} carries. */
    int[] carry(int target) {
      return carry.computeIfAbsent(
          target,
          t -> {
            byte[] v = carried.get(t);
            int[] locals = new int[v.length];
            for (int k = 0; k < v.length; k++) {
              locals[k] = g.addLocal(v[k]);
            }
            return locals;
          });
    }

    /** Temporaries (the n-th of each type) for a br_table's index and values. */
    private int[] temps(byte[] v) {
      int[] locals = new int[v.length];
      Map<Byte, Integer> used = new HashMap<>();
      for (int k = 0; k < v.length; k++) {
        int n = used.merge(v[k], 1, Integer::sum) - 1;
        List<Integer> pool = temps.computeIfAbsent(v[k], x -> new ArrayList<>());
        while (pool.size() <= n) {
          pool.add(g.addLocal(v[k]));
        }
        locals[k] = pool.get(n);
      }
      return locals;
    }

    List<Instr> list(List<Instr> in, int nesting) {
      List<Instr> out = new ArrayList<>(in.size());
      for (Instr i : in) {
        instr(i, nesting, out);
      }
      return out;
    }

    /** Leaves for an escaping target, the values it carries on the stack. */
    private void exit(int target, int brDepth, List<Instr> out) {
      int[] c = carry(target);
      for (int k = c.length - 1; k >= 0; k--) {
        out.add(Instr.indexed(Instr.LOCAL_SET, c[k], 1, 0));
      }
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
          if (scratch.contains(i.index)) {
            byte type = body.localType(i.index);
            i.index = ownScratch.computeIfAbsent(i.index, k -> g.addLocal(type));
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
            brIf(i.index - nesting, nesting, out);
          }
        }
        case Instr.BR_TABLE -> brTable(i, nesting, out);
        default -> out.add(i);
      }
    }

    /** br_if out of the run: the values are kept (and left on the stack if it falls through). */
    private void brIf(int target, int nesting, List<Instr> out) {
      byte[] v = carried.get(target);
      int cond = temps(new byte[] {Wasm.I32})[0];
      out.add(Instr.indexed(Instr.LOCAL_SET, cond, 1, 0));
      int[] c = carry(target);
      for (int k = v.length - 1; k >= 0; k--) {
        out.add(Instr.indexed(Instr.LOCAL_SET, c[k], 1, 0));
      }
      for (int k = 0; k < v.length; k++) {
        out.add(Instr.indexed(Instr.LOCAL_GET, c[k], 0, 1));
      }
      out.add(Instr.indexed(Instr.LOCAL_GET, cond, 0, 1));
      List<Instr> then = Instr.list();
      then.add(Instr.i32Const(exits.get(target)));
      then.add(Instr.indexed(Instr.LOCAL_SET, exitLocal(), 1, 0));
      then.add(Instr.indexed(Instr.BR, nesting + 1));
      out.add(Instr.structured(Instr.IF, Instr.BlockType.VOID, then, null));
    }

    /**
     * A br_table with targets out of the run branches instead to one of k new blocks around it (of
     * the targets' result types, so the values pass), each followed by its exit.
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
      byte[] v = carried.get(outward.get(0)); // every target of a br_table takes the same types
      Instr.BlockType blockType = blockType(v);
      int k = outward.size();
      int[] mapped = new int[i.labels.length];
      for (int j = 0; j < mapped.length; j++) {
        int l = i.labels[j];
        mapped[j] = l < nesting ? l + k : outward.indexOf(l - nesting);
      }
      byte[] withIndex = new byte[v.length + 1];
      System.arraycopy(v, 0, withIndex, 0, v.length);
      withIndex[v.length] = Wasm.I32;
      int[] t = temps(withIndex);
      for (int j = t.length - 1; j >= 0; j--) {
        out.add(Instr.indexed(Instr.LOCAL_SET, t[j], 1, 0));
      }
      List<Instr> inner = Instr.list();
      for (int local : t) {
        inner.add(Instr.indexed(Instr.LOCAL_GET, local, 0, 1));
      }
      inner.add(Instr.brTable(mapped));
      Instr block = Instr.structured(Instr.BLOCK, blockType, inner, null);
      for (int j = 1; j <= k; j++) {
        List<Instr> wrapper = Instr.list();
        wrapper.add(block);
        exit(outward.get(j - 1), nesting + k - j, wrapper);
        if (j < k) {
          block = Instr.structured(Instr.BLOCK, blockType, wrapper, null);
        } else {
          out.addAll(wrapper);
        }
      }
    }

    private Instr.BlockType blockType(byte[] results) {
      if (results.length == 0) {
        return Instr.BlockType.VOID;
      }
      if (results.length == 1) {
        return new Instr.BlockType(results, new byte[0], results);
      }
      Wasm.Writer w = new Wasm.Writer();
      w.sleb(types.intern(new byte[0], results));
      return new Instr.BlockType(w.toByteArray(), new byte[0], results);
    }
  }
}
