package dev.jwagi.engine.split;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Which locals are live (may be read before they are written again) after each instruction of a
 * function body, and at each label, computed once on the body before it is split: a run moved out
 * hands back only the locals it writes that are live after it or where its branches out go. Chicory
 * returns several results as a new {@code long[]} per call, so each local handed back for nothing
 * was garbage and work at every call of a hot piece (SQLite's {@code sqlite3VdbeExec}: 530 MB per
 * request of 2,000 rows).
 *
 * <p>Computed on the body as decoded, it stays right as runs move: a run replaced by its call site
 * computes the same values for every local live after it, and a local dead at a point is written
 * before it is read on every path from there, whatever the call sites pass in the meantime (their
 * callees write it before they read it too). Backward, over the structured code; a loop's label is
 * iterated to a fixed point.
 */
final class Liveness {
  private static final BitSet NONE = new BitSet();

  private Liveness() {}

  /** Sets {@link Instr#liveAfter} of every instruction and {@link Instr#labelLive} of blocks. */
  static void compute(Body body) {
    list(body.code, NONE, new ArrayList<>());
  }

  /**
   * The locals live before {@code list}, given those live after it and at each enclosing label
   * (innermost last; beyond them is the function's own label, where nothing is live).
   */
  private static BitSet list(List<Instr> list, BitSet after, List<BitSet> labels) {
    BitSet live = after;
    for (int k = list.size() - 1; k >= 0; k--) {
      Instr i = list.get(k);
      i.liveAfter = live;
      live = before(i, live, labels);
    }
    return live;
  }

  private static BitSet before(Instr i, BitSet after, List<BitSet> labels) {
    if (i.isStructured()) {
      return structured(i, after, labels);
    }
    switch (i.op) {
      case Instr.LOCAL_GET:
        return with(after, i.index);
      case Instr.LOCAL_SET:
      case Instr.LOCAL_TEE:
        return without(after, i.index);
      case Instr.BR:
        return label(labels, i.index);
      case Instr.BR_IF:
        return union(after, label(labels, i.index));
      case Instr.BR_TABLE:
        {
          BitSet live = NONE;
          for (int l : i.labels) {
            live = union(live, label(labels, l));
          }
          return live;
        }
      case Instr.RETURN:
      case Instr.UNREACHABLE:
        return NONE;
      default:
        return after;
    }
  }

  private static BitSet structured(Instr i, BitSet after, List<BitSet> labels) {
    if (i.op == Instr.LOOP) {
      // A branch to a loop goes back to its start: what is live there, found by iteration.
      BitSet atStart = NONE;
      while (true) {
        i.labelLive = atStart;
        labels.add(atStart);
        BitSet in = list(i.body, after, labels);
        labels.remove(labels.size() - 1);
        if (in.equals(atStart)) {
          return in;
        }
        atStart = union(atStart, in);
      }
    }
    i.labelLive = after; // block and if: a branch to the label goes to after the instruction
    labels.add(after);
    BitSet in = list(i.body, after, labels);
    if (i.op == Instr.IF) {
      in = union(in, i.elseBody == null ? after : list(i.elseBody, after, labels));
    }
    labels.remove(labels.size() - 1);
    return in;
  }

  private static BitSet label(List<BitSet> labels, int depth) {
    return depth < labels.size() ? labels.get(labels.size() - 1 - depth) : NONE;
  }

  // The sets are shared between instructions: never changed once made, only copied.

  private static BitSet with(BitSet s, int local) {
    if (s.get(local)) {
      return s;
    }
    BitSet copy = (BitSet) s.clone();
    copy.set(local);
    return copy;
  }

  private static BitSet without(BitSet s, int local) {
    if (!s.get(local)) {
      return s;
    }
    BitSet copy = (BitSet) s.clone();
    copy.clear(local);
    return copy;
  }

  private static BitSet union(BitSet a, BitSet b) {
    if (b.isEmpty() || a == b) {
      return a;
    }
    if (a.isEmpty()) {
      return b;
    }
    BitSet copy = (BitSet) a.clone();
    copy.or(b);
    return copy.equals(a) ? a : copy;
  }
}
