package dev.jwagi.routing;

import dev.jwagi.cgi.CgiEnvironment;
import dev.jwagi.cgi.CgiOutputException;
import dev.jwagi.cgi.CgiOutputStream;
import dev.jwagi.cgi.CgiRequest;
import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.cgi.MatchedRoute;
import dev.jwagi.cgi.ResponseSink;
import dev.jwagi.config.Limits;
import dev.jwagi.engine.CompiledModule;
import dev.jwagi.engine.Deadlines;
import dev.jwagi.engine.Guest;
import dev.jwagi.engine.GuestFailure;
import dev.jwagi.engine.GuestResult;
import dev.jwagi.observe.GuestOutcome;
import dev.jwagi.observe.ServerEvents;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a route with its wasm module: request → CGI inputs → fresh guest → CGI output → response.
 * The guest's stdout streams into the response as it is written; this is the one place that decides
 * which guest outcome gives which status.
 */
final class ModuleHandler implements Handler {
  private static final Logger log = LoggerFactory.getLogger(ModuleHandler.class);

  private final String route;
  private final MatchedRoute cgiRoute;
  private final String entrypoint;
  private final Guest guest;

  /**
   * The compiled module the guest was prepared from: held so that it lives as long as a table uses
   * it (a reload reuses it by the SHA-256 of its bytes, holding it only weakly itself).
   */
  private final CompiledModule code;

  private final CgiEnvironment environment;
  private final StderrLog stderrLog;
  private final Deadlines deadlines;
  private final Limits limits;

  /** Guests of this route running now, in every table that has it (null: no own limit). */
  private final AtomicInteger running;

  private final int maxConcurrency;
  private final String description;
  private final ServerEvents events;

  ModuleHandler(
      String description,
      MatchedRoute cgiRoute,
      String entrypoint,
      CompiledModule code,
      Guest guest,
      CgiEnvironment environment,
      StderrLog stderrLog,
      Deadlines deadlines,
      Limits limits,
      Integer maxConcurrency,
      AtomicInteger running,
      ServerEvents events) {
    this.route = cgiRoute.route().text();
    this.cgiRoute = cgiRoute;
    this.entrypoint = entrypoint;
    this.code = code;
    this.guest = guest;
    this.environment = environment;
    this.stderrLog = stderrLog;
    this.deadlines = deadlines;
    this.limits = limits;
    this.running = maxConcurrency == null ? null : running;
    this.maxConcurrency = maxConcurrency == null ? 0 : maxConcurrency;
    this.description = description;
    this.events = events;
  }

  @Override
  public String toString() {
    return description;
  }

  /** Where the route's guest stderr goes. */
  java.nio.file.Path stderrFile() {
    return stderrLog.file();
  }

  @Override
  public long maxBodyBytes() {
    return limits.maxBodyBytes();
  }

  @Override
  public boolean runsGuest() {
    return true;
  }

  @Override
  public void handle(IncomingRequest request, ResponseSink sink) {
    if (running == null) {
      run(request, sink);
      return;
    }
    // This table's limit against the route's count: after a reload that changed the limit, the
    // requests still in flight on the old table count too.
    if (running.incrementAndGet() > maxConcurrency) {
      running.decrementAndGet();
      log.warn("route {}: at its max_concurrency; answered 503", route);
      events.backpressure(route);
      sink.respond(
          CgiResponse.retryLater(
              "Service Unavailable: this route is at its concurrency limit; retry shortly\n"));
      return;
    }
    try {
      run(request, sink);
    } finally {
      running.decrementAndGet();
    }
  }

  private void run(IncomingRequest request, ResponseSink sink) {
    CgiRequest cgi = environment.build(request, cgiRoute);
    var stdout = new CgiOutputStream(sink);
    long started = System.nanoTime();
    GuestResult result;
    // The deadline closes first (it clears its interrupt), then stderr is appended.
    try (var stderr = stderrLog.open();
        var deadline = deadlines.start(limits.timeout())) {
      try {
        result = guest.run(entrypoint, cgi.argv(), cgi.env(), cgi.stdin(), stdout, stderr);
      } catch (GuestFailure failure) {
        stderr.close();
        failed(failure, deadline.fired(), sink, System.nanoTime() - started);
        return;
      } catch (RuntimeException | Error e) {
        serverFailed(e, sink, System.nanoTime() - started);
        return;
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e); // not thrown: the stderr stream appends safely
    }
    long runNanos = System.nanoTime() - started;
    if (result.exitCode() != 0) {
      log.warn(
          "route {}: module exited with code {} (stderr: {})",
          route,
          result.exitCode(),
          stderrLog.file());
      events.guestRun(route, GuestOutcome.EXIT_ERROR, result.prepareNanos(), runNanos);
      sink.fail(
          CgiResponse.text(500, "Internal Server Error: the module exited with an error\n"),
          "module exited with code " + result.exitCode());
      return;
    }
    try {
      stdout.finish();
    } catch (CgiOutputException e) {
      log.warn(
          "route {}: bad module output: {} (stderr: {})", route, e.getMessage(), stderrLog.file());
      events.guestRun(route, GuestOutcome.BAD_OUTPUT, result.prepareNanos(), runNanos);
      sink.fail(
          e.kind() == CgiOutputException.Kind.NO_RESPONSE_HEADER
              ? CgiResponse.text(
                  500,
                  "Internal Server Error: the module's response has no Content-Type, Location or"
                      + " Status\n")
              : CgiResponse.text(
                  502, "Bad Gateway: the module's output is not a valid CGI response\n"),
          "bad module output");
      return;
    }
    events.guestRun(route, GuestOutcome.OK, result.prepareNanos(), runNanos);
    sink.end();
  }

  /** Not the guest's fault (e.g. the JVM out of memory): the server failed this request. */
  private void serverFailed(Throwable e, ResponseSink sink, long runNanos) {
    log.error("route {}: server error while running the module: {}", route, e.toString(), e);
    events.guestRun(route, GuestOutcome.SERVER_ERROR, 0, runNanos);
    sink.fail(CgiResponse.serverFailed(), "server error: " + e);
  }

  private void failed(GuestFailure failure, boolean timedOut, ResponseSink sink, long runNanos) {
    switch (failure.kind()) {
      case INTERRUPTED:
        if (timedOut) {
          log.warn(
              "route {}: module still running after {} ms: stopped",
              route,
              limits.timeout().toMillis());
          events.guestRun(route, GuestOutcome.TIMEOUT, 0, runNanos);
          sink.fail(
              CgiResponse.text(504, "Gateway Timeout: the module ran too long\n"),
              "module ran past its timeout");
          return;
        }
        log.info("route {}: module stopped: the request was cancelled", route);
        events.guestRun(route, GuestOutcome.CANCELLED, 0, runNanos);
        sink.fail(
            CgiResponse.text(503, "Service Unavailable: request cancelled\n"), "request cancelled");
        return;
      case OVER_BUDGET:
        log.warn(
            "route {}: no room for the guest's memory in the memory budget: answered 503 ({})",
            route,
            failure.getMessage());
        events.backpressure(route);
        events.guestRun(route, GuestOutcome.SERVER_ERROR, 0, runNanos);
        sink.fail(CgiResponse.overBudget(), "memory budget full");
        return;
      case OUTPUT_LIMIT:
        log.warn(
            "route {}: module stopped: {} (stderr: {})",
            route,
            failure.getMessage(),
            stderrLog.file());
        events.guestRun(route, GuestOutcome.OUTPUT_LIMIT, 0, runNanos);
        sink.fail(
            CgiResponse.text(502, "Bad Gateway: the module's output is too large\n"),
            failure.getMessage());
        return;
      default:
        log.warn(
            "route {}: module trapped: {} (stderr: {})",
            route,
            failure.getMessage(),
            stderrLog.file());
        events.guestRun(route, GuestOutcome.TRAP, 0, runNanos);
        sink.fail(
            CgiResponse.text(500, "Internal Server Error: the module failed\n"),
            "module trapped: " + failure.getMessage());
    }
  }
}
