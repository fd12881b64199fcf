package dev.jwagi;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ConfigLoader;
import dev.jwagi.config.Flags;
import dev.jwagi.observe.Logging;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/** The command line: WAGI 0.8.1's flags, plus jwagi's limits. */
@Command(
    name = "jwagi",
    mixinStandardHelpOptions = true,
    version = "jwagi 0.1.0",
    sortOptions = false,
    subcommands = RunCommand.class,
    description =
        "Serves WAGI modules: each request runs a fresh WebAssembly (WASI) instance, CGI-style.")
public final class Main implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Mixin Flags flags = new Flags();

  /** Where {@code jwagi run} reads a {@code --body -} and writes the response. */
  final InputStream in;

  final PrintStream out;

  public Main() {
    this(System.in, System.out);
  }

  /** A command line with its own standard input and output (for tests and embedding). */
  public Main(InputStream in, PrintStream out) {
    this.in = in;
    this.out = out;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  /** Parses a command line the way {@code jwagi} does (for tests and embedding). */
  public static Flags parse(String[] args, String port) {
    Main main = new Main();
    new CommandLine(main).parseArgs(args);
    main.flags.portVariable = port;
    return main.flags;
  }

  @Override
  public Integer call() throws InterruptedException {
    flags.portVariable = System.getenv("PORT");
    flags.processEnv = System.getenv();
    Jwagi jwagi;
    try {
      Logging.configure(ConfigLoader.observability(flags).logFormat()); // before any other line
      AppConfig config = new ConfigLoader(Path.of("")).load(flags);
      if (flags.prepareOnly) {
        Jwagi.prepare(config).close();
        log.info("prepared: every module is compiled into {}", config.moduleCache());
        return 0;
      }
      jwagi = Jwagi.start(config);
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
