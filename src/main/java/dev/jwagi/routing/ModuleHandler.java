package dev.jwagi.routing;

import dev.jwagi.cgi.CgiEnvironment;
import dev.jwagi.cgi.CgiOutputException;
import dev.jwagi.cgi.CgiOutputParser;
import dev.jwagi.cgi.CgiRequest;
import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.cgi.MatchedRoute;
import dev.jwagi.config.Limits;
import dev.jwagi.engine.Guest;
import dev.jwagi.engine.GuestFailure;
import dev.jwagi.engine.GuestResult;
import dev.jwagi.observe.GuestOutcome;
import dev.jwagi.observe.ServerEvents;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a route with its wasm module: request → CGI inputs → fresh guest → CGI output → response.
 * The one place that decides which guest outcome gives which status.
 */
final class ModuleHandler implements Handler {
  private static final Logger log = LoggerFactory.getLogger(ModuleHandler.class);

  private final String route;
  private final MatchedRoute cgiRoute;
  private final String entrypoint;
  private final Guest guest;
  private final CgiEnvironment environment;
  private final StderrLog stderrLog;
  private final Deadlines deadlines;
  private final Limits limits;
  private final Semaphore slots;
  private final String description;
  private final ServerEvents events;

  ModuleHandler(
      String description,
      MatchedRoute cgiRoute,
      String entrypoint,
      Guest guest,
      CgiEnvironment environment,
      StderrLog stderrLog,
      Deadlines deadlines,
      Limits limits,
      Integer maxConcurrency,
      ServerEvents events) {
    this.route = cgiRoute.route();
    this.cgiRoute = cgiRoute;
    this.entrypoint = entrypoint;
    this.guest = guest;
    this.environment = environment;
    this.stderrLog = stderrLog;
    this.deadlines = deadlines;
    this.limits = limits;
    this.slots = maxConcurrency == null ? null : new Semaphore(maxConcurrency);
    this.description = description;
    this.events = events;
  }

  @Override
  public String toString() {
    return description;
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
  public CgiResponse handle(IncomingRequest request) {
    if (slots == null) {
      return run(request);
    }
    if (!slots.tryAcquire()) {
      log.warn("route {}: at its max_concurrency; answered 503", route);
      events.backpressure(route);
      return CgiResponse.retryLater(
          "Service Unavailable: this route is at its concurrency limit; retry shortly\n");
    }
    try {
      return run(request);
    } finally {
      slots.release();
    }
  }

  private CgiResponse run(IncomingRequest request) {
    CgiRequest cgi = environment.build(request, cgiRoute);
    GuestResult result;
    long started = System.nanoTime();
    try (var deadline = deadlines.start(limits.timeout())) {
      try {
        result = guest.run(entrypoint, cgi.argv(), cgi.env(), cgi.stdin());
      } catch (GuestFailure failure) {
        long ran = System.nanoTime() - started;
        stderrLog.append(failure.stderr());
        boolean timedOut = deadline.fired();
        events.guestRun(route, outcomeOf(failure, timedOut), 0, ran);
        return failed(failure, timedOut);
      }
    }
    long ran = System.nanoTime() - started;
    stderrLog.append(result.stderr());
    if (result.exitCode() != 0) {
      events.guestRun(route, GuestOutcome.EXIT_ERROR, result.prepareNanos(), ran);
      log.warn(
          "route {}: module exited with code {} (stderr: {})",
          route,
          result.exitCode(),
          stderrLog.file());
      return CgiResponse.text(500, "Internal Server Error: the module exited with an error\n");
    }
    try {
      CgiResponse response = CgiOutputParser.parse(result.stdout());
      events.guestRun(route, GuestOutcome.OK, result.prepareNanos(), ran);
      return response;
    } catch (CgiOutputException e) {
      events.guestRun(route, GuestOutcome.BAD_OUTPUT, result.prepareNanos(), ran);
      log.warn(
          "route {}: bad module output: {} (stderr: {})", route, e.getMessage(), stderrLog.file());
      return e.kind() == CgiOutputException.Kind.NO_RESPONSE_HEADER
          ? CgiResponse.text(
              500,
              "Internal Server Error: the module's response has no Content-Type, Location or Status\n")
          : CgiResponse.text(502, "Bad Gateway: the module's output is not a valid CGI response\n");
    }
  }

  private static GuestOutcome outcomeOf(GuestFailure failure, boolean timedOut) {
    return switch (failure.kind()) {
      case INTERRUPTED -> timedOut ? GuestOutcome.TIMEOUT : GuestOutcome.CANCELLED;
      case OUTPUT_LIMIT -> GuestOutcome.OUTPUT_LIMIT;
      case TRAP -> GuestOutcome.TRAP;
    };
  }

  private CgiResponse failed(GuestFailure failure, boolean timedOut) {
    switch (failure.kind()) {
      case INTERRUPTED:
        if (timedOut) {
          log.warn(
              "route {}: module still running after {} ms: stopped",
              route,
              limits.timeout().toMillis());
          return CgiResponse.text(504, "Gateway Timeout: the module ran too long\n");
        }
        log.info("route {}: module stopped: the request was cancelled", route);
        return CgiResponse.text(503, "Service Unavailable: request cancelled\n");
      case OUTPUT_LIMIT:
        log.warn(
            "route {}: module stopped: {} (stderr: {})",
            route,
            failure.getMessage(),
            stderrLog.file());
        return CgiResponse.text(502, "Bad Gateway: the module's output is too large\n");
      default:
        log.warn(
            "route {}: module trapped: {} (stderr: {})",
            route,
            failure.getMessage(),
            stderrLog.file());
        return CgiResponse.text(500, "Internal Server Error: the module failed\n");
    }
  }
}
