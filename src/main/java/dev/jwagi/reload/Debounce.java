package dev.jwagi.reload;

/**
 * Waits for a burst of file changes to end: an editor's save, a copy, a ConfigMap's symlink swap
 * are several events, and a reload should see their end. Due once {@code quietNanos} passed without
 * a change. Times are {@link System#nanoTime} values, given by the caller (tests give their own).
 * Not thread-safe: the watcher's thread alone uses it.
 */
final class Debounce {
  private final long quietNanos;
  private boolean pending;
  private long lastChange;

  Debounce(long quietNanos) {
    this.quietNanos = quietNanos;
  }

  /** Something changed at {@code now}. */
  void changed(long now) {
    pending = true;
    lastChange = now;
  }

  /** How long from {@code now} until due (0: due now), or -1 when nothing is pending. */
  long waitNanos(long now) {
    return pending ? Math.max(0, lastChange + quietNanos - now) : -1;
  }

  /** Whether the changes have been quiet long enough; true once per burst. */
  boolean due(long now) {
    if (pending && now - lastChange >= quietNanos) {
      pending = false;
      return true;
    }
    return false;
  }
}
