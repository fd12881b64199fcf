package dev.jwagi;

import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ConfigLoader;
import dev.jwagi.config.Flags;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** The command line: WAGI 0.8.1's flags, plus jwagi's limits. */
@Command(
    name = "jwagi",
    mixinStandardHelpOptions = true,
    version = "jwagi 0.1.0",
    sortOptions = false,
    description =
        "Serves WAGI modules: each request runs a fresh WebAssembly (WASI) instance, CGI-style.")
public final class Main implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      required = true,
      description = "The modules.toml that maps routes to modules.")
  Path config;

  @Option(
      names = {"-l", "--listen"},
      paramLabel = "HOST:PORT",
      description =
          "Address to listen on. Default: 127.0.0.1:3000, or 0.0.0.0:$PORT when PORT is set"
              + " (Knative).")
  String listen;

  @Option(
      names = {"--hostname", "--default-host"},
      paramLabel = "HOST:PORT",
      description =
          "SERVER_NAME/SERVER_PORT for requests without a Host header. Default: default_host in"
              + " modules.toml, else localhost:3000.")
  String defaultHost;

  @Option(
      names = {"-e", "--env"},
      paramLabel = "NAME=VALUE",
      description = "An environment variable for every module (repeatable; wins over --env-file).")
  List<String> env = new ArrayList<>();

  @Option(
      names = "--env-file",
      paramLabel = "FILE",
      description = "A file of NAME=VALUE lines for every module (repeatable).")
  List<Path> envFiles = new ArrayList<>();

  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      description = "Where each route's guest stderr is appended. Default: a new temporary folder.")
  Path logDir;

  @Option(
      names = "--module-cache",
      paramLabel = "DIR",
      description =
          "Compiled-module cache, so restarts skip compilation. Default: ~/.cache/jwagi/modules.")
  Path moduleCache;

  @Option(names = "--no-module-cache", description = "Compile every module at every start.")
  boolean noModuleCache;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description = "TLS certificate (PEM): not supported yet.")
  Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description = "TLS private key (PEM): not supported yet.")
  Path tlsKey;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "A guest still running after this is stopped: 504. Default: 30s.")
  String timeout;

  @Option(
      names = "--max-memory",
      paramLabel = "SIZE",
      description = "Cap on a guest's linear memory. Default: 128MiB.")
  String maxMemory;

  @Option(
      names = "--max-body",
      paramLabel = "SIZE",
      description = "Largest request body: 413 beyond. Default: 10MiB.")
  String maxBody;

  @Option(
      names = "--max-output",
      paramLabel = "SIZE",
      description = "Largest module output: 502 beyond. Default: 64MiB.")
  String maxOutput;

  @Option(
      names = "--read-timeout",
      paramLabel = "DURATION",
      description = "A request's headers and body must arrive within this: 408. Default: 30s.")
  String readTimeout;

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      description = "Idle keep-alive connections are closed after this. Default: 60s.")
  String idleTimeout;

  @Option(
      names = "--max-concurrency",
      paramLabel = "N",
      description = "Guests running at once, server-wide. Default: 4 x cores.")
  Integer maxConcurrency;

  @Option(
      names = "--queue",
      paramLabel = "N",
      description = "Requests waiting for a guest slot; beyond, 503 + Retry-After. Default: 100.")
  Integer queue;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  /** The flags as parsed; PORT is the process's PORT variable (Knative), or null. */
  Flags flags(String port) {
    return new Flags(
        config,
        listen,
        defaultHost,
        env,
        envFiles,
        logDir,
        moduleCache,
        noModuleCache,
        tlsCert,
        tlsKey,
        timeout,
        maxMemory,
        maxBody,
        maxOutput,
        readTimeout,
        idleTimeout,
        maxConcurrency,
        queue,
        port);
  }

  /** Parses a command line the way {@code jwagi} does (for tests and embedding). */
  public static Flags parse(String[] args, String port) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    return main.flags(port);
  }

  @Override
  public Integer call() throws InterruptedException {
    Flags flags = flags(System.getenv("PORT"));
    Jwagi jwagi;
    try {
      jwagi = Jwagi.start(new ConfigLoader(Path.of("")).load(flags));
    } catch (ConfigException e) {
      log.error("{}", e.getMessage());
      return 2;
    }
    // SIGTERM (Knative, docker stop) and Ctrl-C: stop accepting, finish requests in flight, exit
    // 0. Handling the signals ourselves (rather than in a shutdown hook) gives the exit code 0.
    CountDownLatch stopRequested = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> stopRequested.countDown());
    }
    stopRequested.await();
    log.info("stopping: finishing requests in flight");
    jwagi.close();
    log.info("stopped");
    return 0;
  }
}
