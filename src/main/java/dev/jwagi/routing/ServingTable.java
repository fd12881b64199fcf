package dev.jwagi.routing;

/**
 * The routing table the server answers new requests with. A reload builds a complete new table and
 * {@link #replace}s this one whole: the http layer reads {@link #current} once per request, so a
 * request in flight finishes on the table (its route and handler) it started with, and nothing else
 * holds an old table: it is garbage once its last request ends.
 */
public final class ServingTable {
  private volatile RoutingTable current;

  public ServingTable(RoutingTable first) {
    this.current = first;
  }

  public RoutingTable current() {
    return current;
  }

  /** New requests get {@code next} from now on; returns the table they got until now. */
  public synchronized RoutingTable replace(RoutingTable next) {
    RoutingTable previous = current;
    current = next;
    return previous;
  }
}
