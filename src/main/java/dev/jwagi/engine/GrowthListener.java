package dev.jwagi.engine;

/**
 * Told before a guest's linear memory grows; the one point where a memory gets bigger, so a
 * server-wide memory budget can be charged there. Called on the guest's own thread.
 */
@FunctionalInterface
public interface GrowthListener {
  /** Allows every growth up to the memory's maximum (the route's {@code max_memory}). */
  GrowthListener UNLIMITED = (addedBytes, newTotalBytes) -> true;

  /**
   * The memory is about to grow by {@code addedBytes} to {@code newTotalBytes}, within its own
   * maximum. Returning false refuses it: {@code memory.grow} then returns -1 in the guest, as it
   * does past the maximum.
   */
  boolean growing(long addedBytes, long newTotalBytes);
}
