package dev.jwagi.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The Prometheus metrics of one server, fed by {@link ServerEvents}. Every per-request series is
 * labelled by route as written in modules.toml ({@value #NO_ROUTE} when none matched), never by the
 * raw path, so the number of series is bounded by the configuration.
 *
 * <p>Setting up the registry loads a few hundred classes: that happens on a thread of its own,
 * alongside the rest of start-up (module loading), and the JVM and process meters wait for the
 * first scrape, so that metrics add little to a cold start. Events wait for the registry only if
 * they come first.
 */
public final class Metrics implements ServerEvents, AutoCloseable {
  /** The route label of requests that matched no route (404s, malformed requests). */
  public static final String NO_ROUTE = "none";

  /** The Content-Type of {@link #scrape()}: Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** Request latency buckets: from a fast built-in answer to a guest at its default timeout. */
  private static final Duration[] REQUEST_BUCKETS =
      millis(1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000);

  /** Instance preparation takes microseconds; these show when it does not. */
  private static final Duration[] PREPARE_BUCKETS =
      millis(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 100);

  /** Bound at the first scrape; guarded by this. */
  private JvmGcMetrics gcMetrics;

  private final Map<String, RouteMeters> routes = new ConcurrentHashMap<>();
  private final CompletableFuture<PrometheusMeterRegistry> ready = new CompletableFuture<>();

  private volatile boolean jvmBound;

  /** When the configuration now serving was loaded (start-up or the last successful reload). */
  private final AtomicLong configServedMillis = new AtomicLong();

  /** What came before the registry was ready; guarded by this. */
  private final List<Consumer<PrometheusMeterRegistry>> early = new ArrayList<>();

  /** Starts setting up the registry on a thread of its own. */
  public Metrics() {
    Thread setUp =
        new Thread(
            () -> {
              try {
                PrometheusMeterRegistry registry = setUp();
                synchronized (this) {
                  early.forEach(action -> action.accept(registry));
                  early.clear();
                  ready.complete(registry);
                }
              } catch (Throwable e) {
                ready.completeExceptionally(e);
              }
            },
            "jwagi-metrics-setup");
    setUp.setDaemon(true);
    setUp.start();
  }

  private PrometheusMeterRegistry setUp() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // The 404s' meters: made here, they also load the meter classes before the first request.
    routes.put(NO_ROUTE, new RouteMeters(registry, NO_ROUTE));
    reloads(registry, "ok");
    reloads(registry, "failed");
    Gauge.builder(
            "jwagi.config.last.success.timestamp",
            configServedMillis,
            millis -> millis.get() / 1000.0)
        .description(
            "When the configuration now serving was loaded: start-up or the last successful"
                + " reload (Unix time)")
        .baseUnit("seconds")
        .strongReference(true)
        .register(registry);
    return registry;
  }

  /**
   * The JVM and process meters, bound at the first scrape: they cost a cold start about a tenth of
   * a second of CPU (java.lang.management), and all but the GC meters are read at scrape time
   * anyway; GC pauses and allocation are counted from the first scrape on.
   */
  private synchronized void bindJvmMeters(PrometheusMeterRegistry registry) {
    if (jvmBound) {
      return;
    }
    new JvmMemoryMetrics().bindTo(registry);
    gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    jvmBound = true;
  }

  private PrometheusMeterRegistry registry() {
    return ready.join();
  }

  /** Runs {@code action} now if the registry is ready, else as soon as it is (start-up goes on). */
  private void whenReady(Consumer<PrometheusMeterRegistry> action) {
    synchronized (this) {
      if (!ready.isDone()) {
        early.add(action);
        return;
      }
    }
    action.accept(registry());
  }

  /** Every metric now, in Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}). */
  public String scrape() {
    PrometheusMeterRegistry registry = registry();
    if (!jvmBound) {
      bindJvmMeters(registry);
    }
    return registry.scrape();
  }

  @Override
  public void moduleLoaded(String module, boolean cacheHit, long nanos) {
    whenReady(
        registry ->
            Timer.builder("jwagi.module.load")
                .description(
                    "Modules loaded at start-up and reloads: compiled (cache=miss) or from the"
                        + " module cache")
                .tag("cache", cacheHit ? "hit" : "miss")
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS));
  }

  @Override
  public void guestPool(IntSupplier running, IntSupplier queued) {
    whenReady(
        registry -> {
          Gauge.builder("jwagi.guests.running", running, IntSupplier::getAsInt)
              .description("Guests running now")
              .strongReference(true)
              .register(registry);
          Gauge.builder("jwagi.requests.queued", queued, IntSupplier::getAsInt)
              .description("Requests waiting for a guest worker now")
              .strongReference(true)
              .register(registry);
        });
  }

  @Override
  public void budgets(LongSupplier memoryUsed, LongSupplier spoolUsed) {
    whenReady(
        registry -> {
          Gauge.builder("jwagi.memory.budget.used", memoryUsed, LongSupplier::getAsLong)
              .description("Bytes of the memory budget (--max-buffered) reserved now")
              .baseUnit(BaseUnits.BYTES)
              .strongReference(true)
              .register(registry);
          Gauge.builder("jwagi.spool.used", spoolUsed, LongSupplier::getAsLong)
              .description(
                  "Bytes of the request-body spool's disk budget (--max-spool) reserved now")
              .baseUnit(BaseUnits.BYTES)
              .strongReference(true)
              .register(registry);
        });
  }

  @Override
  public void guestRun(String route, GuestOutcome outcome, long prepareNanos, long runNanos) {
    RouteMeters meters = route(route);
    meters.outcome(outcome).increment();
    meters.guestDuration().record(runNanos, TimeUnit.NANOSECONDS);
    if (prepareNanos > 0) {
      meters.prepare().record(prepareNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void backpressure(String route) {
    route(route).backpressure().increment();
  }

  @Override
  public void writeTimeout(String route) {
    route(route).writeTimeouts().increment();
  }

  @Override
  public void requestDone(RequestRecord request) {
    RouteMeters meters = route(request.route());
    meters.status(request.status()).increment();
    meters.requestDuration.record(request.totalNanos(), TimeUnit.NANOSECONDS);
    meters.bytesIn.increment(request.bytesIn());
    meters.bytesOut.increment(request.bytesOut());
  }

  @Override
  public void configServed(boolean reload, Collection<String> served) {
    configServedMillis.set(System.currentTimeMillis());
    if (!reload) {
      return;
    }
    whenReady(
        registry -> {
          reloads(registry, "ok").increment();
          // The series of routes the configuration no longer has go (a request still in flight on
          // the old table would make its route's again), so that reloads do not grow them. The
          // meters first, then the cache entry: a request that finds the entry meanwhile counts on
          // a meter that is gone (its count lost), but none is left cached with such meters.
          var kept = new HashSet<>(served);
          kept.add(NO_ROUTE);
          for (String route : List.copyOf(routes.keySet())) {
            if (!kept.contains(route)) {
              for (Meter meter : List.copyOf(registry.getMeters())) {
                if (route.equals(meter.getId().getTag("route"))) {
                  registry.remove(meter);
                }
              }
              routes.remove(route);
            }
          }
        });
  }

  @Override
  public void configReloadFailed() {
    whenReady(registry -> reloads(registry, "failed").increment());
  }

  private static Counter reloads(PrometheusMeterRegistry registry, String result) {
    return Counter.builder("jwagi.config.reloads")
        .description("Reloads of the configuration (SIGHUP, --watch) by result")
        .tag("result", result)
        .register(registry);
  }

  private RouteMeters route(String route) {
    String label = route == null ? NO_ROUTE : route;
    RouteMeters meters = routes.get(label);
    if (meters != null) {
      return meters;
    }
    PrometheusMeterRegistry registry = registry();
    return routes.computeIfAbsent(label, r -> new RouteMeters(registry, r));
  }

  @Override
  public void close() {
    registry().close();
    synchronized (this) {
      if (gcMetrics != null) {
        gcMetrics.close();
      }
    }
  }

  /**
   * A route's meters, made once: a request then only looks up the route and increments. Those that
   * not every route needs (guest runs: not for 404s and built-ins) are made on first use.
   */
  private static final class RouteMeters {
    final PrometheusMeterRegistry registry;
    final String route;
    final Timer requestDuration;
    final Counter bytesIn;
    final Counter bytesOut;

    /** By status - 100 (statuses are 100-599: the CGI parser and Netty refuse others). */
    final AtomicReferenceArray<Counter> byStatus = new AtomicReferenceArray<>(500);

    // Made on first use, then read per guest run: an array slot or a field, no map and no lock.
    final AtomicReferenceArray<Counter> byOutcome =
        new AtomicReferenceArray<>(GuestOutcome.values().length);
    volatile Timer guestDuration;
    volatile Timer prepare;
    final Map<String, Meter> onFirstUse = new ConcurrentHashMap<>();

    RouteMeters(PrometheusMeterRegistry registry, String route) {
      this.registry = registry;
      this.route = route;
      requestDuration =
          timer(
              "jwagi.request.duration",
              "Requests: from their first bytes to the response",
              REQUEST_BUCKETS);
      bytesIn =
          Counter.builder("jwagi.request.body")
              .description("Request body bytes read")
              .baseUnit(BaseUnits.BYTES)
              .tag("route", route)
              .register(registry);
      bytesOut =
          Counter.builder("jwagi.response.body")
              .description("Response body bytes written")
              .baseUnit(BaseUnits.BYTES)
              .tag("route", route)
              .register(registry);
    }

    private Timer timer(String name, String description, Duration[] buckets) {
      return Timer.builder(name)
          .description(description)
          .tag("route", route)
          .serviceLevelObjectives(buckets)
          .register(registry);
    }

    // Registering twice (two threads at once) gives the same meter: the registry keeps one per
    // name and tags.
    Timer guestDuration() {
      Timer timer = guestDuration;
      if (timer == null) {
        timer =
            timer(
                "jwagi.guest.duration",
                "Guest runs: instance preparation and the run",
                REQUEST_BUCKETS);
        guestDuration = timer;
      }
      return timer;
    }

    Timer prepare() {
      Timer timer = prepare;
      if (timer == null) {
        timer = timer("jwagi.guest.prepare", "Preparing a fresh guest instance", PREPARE_BUCKETS);
        prepare = timer;
      }
      return timer;
    }

    Counter backpressure() {
      return (Counter)
          onFirstUse.computeIfAbsent(
              "backpressure",
              k ->
                  Counter.builder("jwagi.backpressure")
                      .description("Requests answered 503 + Retry-After at a concurrency bound")
                      .tag("route", route)
                      .register(registry));
    }

    Counter writeTimeouts() {
      return (Counter)
          onFirstUse.computeIfAbsent(
              "writeTimeouts",
              k ->
                  Counter.builder("jwagi.write.timeouts")
                      .description(
                          "Connections closed because the client read nothing for the write"
                              + " timeout")
                      .tag("route", route)
                      .register(registry));
    }

    Counter status(int status) {
      int slot = status - 100;
      Counter counter = slot >= 0 && slot < byStatus.length() ? byStatus.get(slot) : null;
      if (counter == null) {
        counter =
            Counter.builder("jwagi.requests")
                .description("Requests answered, by route and status")
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .register(registry);
        if (slot >= 0 && slot < byStatus.length()) {
          byStatus.set(slot, counter);
        }
      }
      return counter;
    }

    Counter outcome(GuestOutcome outcome) {
      Counter counter = byOutcome.get(outcome.ordinal());
      if (counter == null) {
        counter =
            Counter.builder("jwagi.guest.runs")
                .description("Guest runs by how they ended (ok, trap, timeout, ...)")
                .tag("route", route)
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .register(registry);
        byOutcome.set(outcome.ordinal(), counter);
      }
      return counter;
    }
  }

  private static Duration[] millis(double... values) {
    Duration[] durations = new Duration[values.length];
    for (int i = 0; i < values.length; i++) {
      durations[i] = Duration.ofNanos(Math.round(values[i] * 1_000_000));
    }
    return durations;
  }
}
