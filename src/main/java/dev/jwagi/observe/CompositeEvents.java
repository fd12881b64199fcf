package dev.jwagi.observe;

import java.util.Collection;
import java.util.List;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/** Several listeners as one: each event goes to each of them, in order. */
public final class CompositeEvents implements ServerEvents {
  private final ServerEvents[] listeners;

  private CompositeEvents(List<ServerEvents> listeners) {
    this.listeners = listeners.toArray(ServerEvents[]::new);
  }

  /** The listeners as one: {@link ServerEvents#NONE} for none, the listener itself for one. */
  public static ServerEvents of(List<ServerEvents> listeners) {
    return switch (listeners.size()) {
      case 0 -> ServerEvents.NONE;
      case 1 -> listeners.get(0);
      default -> new CompositeEvents(listeners);
    };
  }

  @Override
  public void moduleLoaded(String module, boolean cacheHit, long nanos) {
    for (ServerEvents listener : listeners) {
      listener.moduleLoaded(module, cacheHit, nanos);
    }
  }

  @Override
  public void guestPool(IntSupplier running, IntSupplier queued) {
    for (ServerEvents listener : listeners) {
      listener.guestPool(running, queued);
    }
  }

  @Override
  public void budgets(LongSupplier memoryUsed, LongSupplier spoolUsed) {
    for (ServerEvents listener : listeners) {
      listener.budgets(memoryUsed, spoolUsed);
    }
  }

  @Override
  public void guestRun(String route, GuestOutcome outcome, long prepareNanos, long runNanos) {
    for (ServerEvents listener : listeners) {
      listener.guestRun(route, outcome, prepareNanos, runNanos);
    }
  }

  @Override
  public void growRefused(String route) {
    for (ServerEvents listener : listeners) {
      listener.growRefused(route);
    }
  }

  @Override
  public void backpressure(String route) {
    for (ServerEvents listener : listeners) {
      listener.backpressure(route);
    }
  }

  @Override
  public void writeTimeout(String route) {
    for (ServerEvents listener : listeners) {
      listener.writeTimeout(route);
    }
  }

  @Override
  public void requestDone(RequestRecord request) {
    for (ServerEvents listener : listeners) {
      listener.requestDone(request);
    }
  }

  @Override
  public void configServed(boolean reload, Collection<String> routes) {
    for (ServerEvents listener : listeners) {
      listener.configServed(reload, routes);
    }
  }

  @Override
  public void configReloadFailed() {
    for (ServerEvents listener : listeners) {
      listener.configReloadFailed();
    }
  }
}
