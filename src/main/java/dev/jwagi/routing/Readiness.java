package dev.jwagi.routing;

/**
 * Whether the server takes traffic: ready once started, not ready from the moment a drain begins
 * (the built-in /readyz says which). Knative takes a pod out of rotation when it is not ready.
 */
public final class Readiness {
  private volatile boolean draining;

  public boolean draining() {
    return draining;
  }

  /** From now on /readyz answers 503 and connections close after their next response. */
  public void drainStarted() {
    draining = true;
  }
}
