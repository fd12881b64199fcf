package dev.jwagi;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.Header;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.config.AppConfig;
import dev.jwagi.config.CommandLine;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ConfigLoader;
import dev.jwagi.config.Flags;
import dev.jwagi.observe.Logging;
import dev.jwagi.observe.QueuedConsoleAppender;
import dev.jwagi.routing.Route;
import dev.jwagi.routing.RoutingTable;
import dev.jwagi.routing.ServerResources;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code jwagi run MODULE}: one request through a module, for module authors, without a server. It
 * goes through the same start-up (fetching, compiling, {@code _routes}) and the same handler as a
 * served request: one CGI mapping, one engine. Prints the response (status line, headers, empty
 * line, body) on stdout, the module's stderr and jwagi's warnings on stderr; exits 0 for a 2xx or
 * 3xx, 1 for any other status, 2 when the module cannot be loaded.
 */
final class RunCommand {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  private final InputStream in;
  private final PrintStream out;
  private final Flags flags;
  private final Flags.Run run;

  /** What the command line held, to refuse the server's flags. */
  private final CommandLine.Parsed parsed;

  RunCommand(
      InputStream in, PrintStream out, Flags flags, Flags.Run run, CommandLine.Parsed parsed) {
    this.in = in;
    this.out = out;
    this.flags = flags;
    this.run = run;
    this.parsed = parsed;
  }

  int call() throws IOException {
    flags.processEnv = System.getenv();
    Runnable restoreLogging = logToStderr();
    Path tempLogDir = null;
    try {
      if (flags.logDir == null) {
        tempLogDir = Files.createTempDirectory("jwagi-run-");
        flags.logDir = tempLogDir;
      }
      AppConfig config;
      IncomingRequest request;
      try {
        for (CommandLine.Option<Flags> option : Flags.OPTIONS) {
          String name = option.name();
          if (Flags.SERVER_ONLY.contains(name) && parsed.given(name)) {
            throw new ConfigException(name + " is a server flag: jwagi run does not use it");
          }
        }
        config = new ConfigLoader(Path.of("")).loadRun(flags, run);
        request = request();
      } catch (ConfigException e) {
        log.error("{}", e.getMessage());
        return 2;
      }
      CgiResponse response;
      try (ServerResources resources = ServerResources.of(config.connections())) {
        RoutingTable routes = Jwagi.prepare(config, resources);
        Route route = routes.match(request.rawPath());
        if (route == null || !route.handler().runsGuest()) {
          log.error(
              "--path {} is not under {} {}: the module would not answer it",
              request.rawPath(),
              config.modules().size() == 1 ? "its route" : "any of its routes",
              config.modules().stream().map(m -> m.route().text()).toList());
          return 2;
        }
        var collected = new dev.jwagi.cgi.CollectedResponse();
        route.handler().handle(request, collected);
        response = collected.response();
      } catch (ConfigException e) {
        log.error("{}", e.getMessage());
        return 2;
      }
      copyGuestStderr(config.logDir());
      print(response, out);
      return response.status() < 400 ? 0 : 1;
    } finally {
      if (tempLogDir != null) {
        deleteTree(tempLogDir);
      }
      restoreLogging.run();
    }
  }

  private IncomingRequest request() throws ConfigException {
    String target = run.path;
    if (!target.startsWith("/")) {
      throw new ConfigException("--path \"" + target + "\": must start with \"/\"");
    }
    int question = target.indexOf('?');
    String path = question < 0 ? target : target.substring(0, question);
    String query = question < 0 ? null : target.substring(question + 1);
    List<Header> headers = new ArrayList<>();
    for (String header : run.headers) {
      int colon = header.indexOf(':');
      if (colon <= 0) {
        throw new ConfigException("--header \"" + header + "\": expected 'NAME: VALUE'");
      }
      headers.add(
          new Header(header.substring(0, colon).strip(), header.substring(colon + 1).strip()));
    }
    byte[] body = new byte[0];
    if (run.body != null) {
      try {
        body = run.body.equals("-") ? in.readAllBytes() : Files.readAllBytes(Path.of(run.body));
      } catch (IOException e) {
        throw new ConfigException("--body " + run.body + ": cannot read: " + e, e);
      }
    }
    return new IncomingRequest(
        run.method.toUpperCase(java.util.Locale.ROOT),
        path,
        query,
        "HTTP/1.1",
        headers,
        body.length,
        new java.io.ByteArrayInputStream(body),
        "127.0.0.1",
        0,
        false);
  }

  /** The response as HTTP/1.1 puts it on the wire, with '\n' line ends. */
  static void print(CgiResponse response, PrintStream out) {
    String reason =
        response.reason() != null
            ? response.reason()
            : HttpResponseStatus.valueOf(response.status()).reasonPhrase();
    StringBuilder head = new StringBuilder();
    head.append("HTTP/1.1 ").append(response.status()).append(' ').append(reason).append('\n');
    for (Header header : response.headers()) {
      head.append(header.name()).append(": ").append(header.value()).append('\n');
    }
    head.append("Content-Length: ").append(response.body().length).append("\n\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1), 0, head.length());
    out.write(response.body(), 0, response.body().length);
    out.flush();
  }

  private static void copyGuestStderr(Path logDir) throws IOException {
    try (Stream<Path> files = Files.list(logDir)) {
      for (Path file : files.sorted().toList()) {
        System.err.write(Files.readAllBytes(file));
      }
    }
    System.err.flush();
  }

  /**
   * Sends jwagi's log to stderr (stdout is the response) and keeps only warnings and errors; the
   * returned action undoes it.
   */
  private static Runnable logToStderr() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return () -> {};
    }
    ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ch.qos.logback.classic.Logger ours = context.getLogger("dev.jwagi");
    Level before = ours.getLevel();
    ours.setLevel(Level.WARN);
    if (!(root.getAppender(Logging.SERVER) instanceof QueuedConsoleAppender console)) {
      return () -> ours.setLevel(before);
    }
    boolean toStderr = console.isStderr();
    console.setStderr(true);
    return () -> {
      QueuedConsoleAppender.flush();
      console.setStderr(toStderr);
      ours.setLevel(before);
    };
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", dir, e.toString());
    }
  }
}
