package dev.jwagi;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.CommandLine;
import dev.jwagi.config.CommandLine.UsageException;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ConfigLoader;
import dev.jwagi.config.Flags;
import dev.jwagi.config.ServerSettings;
import dev.jwagi.observe.Logging;
import dev.jwagi.observe.QueuedConsoleAppender;
import dev.jwagi.reload.Reloader;
import dev.jwagi.routing.ServerResources;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The command line: WAGI 0.8.1's flags, plus jwagi's limits, and {@code jwagi run}. It parses
 * before it touches logging or the configuration, so that --help and a wrong flag answer at once.
 */
public final class Main {
  static final String VERSION = "jwagi 0.1.0";

  static final String DESCRIPTION =
      "Serves WAGI modules: each request runs a fresh WebAssembly (WASI) instance, CGI-style.";

  static final String RUN_DESCRIPTION =
      "Runs one request through MODULE, as the server would, and prints the HTTP response.";

  /** Exit code of a command line that cannot be parsed (as of a configuration error). */
  static final int USAGE = 2;

  /** Where {@code jwagi run} reads a {@code --body -} and writes the response. */
  final InputStream in;

  final PrintStream out;

  /** Where usage errors go (log lines go where logging sends them). */
  final PrintStream err;

  private final Flags flags = new Flags();

  public Main() {
    this(System.in, System.out, System.err);
  }

  /** A command line with its own standard input and output (for tests and embedding). */
  public Main(InputStream in, PrintStream out) {
    this(in, out, System.err);
  }

  /** A command line with its own standard input, output and error (for tests and embedding). */
  public Main(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    int code;
    try {
      code = new Main().execute(args);
    } catch (Exception e) { // a bug, or an I/O failure jwagi run could not report otherwise
      e.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  /** Parses a command line the way {@code jwagi} does (for tests and embedding). */
  public static Flags parse(String[] args, String port) {
    Flags flags = new Flags();
    serverCommand(flags).parse(args);
    flags.portVariable = port;
    return flags;
  }

  /** The server's command line, setting {@code flags}. */
  static CommandLine serverCommand(Flags flags) {
    return new CommandLine("jwagi", DESCRIPTION, true)
        .usage("jwagi -c modules.toml [OPTIONS]")
        .usage("jwagi run MODULE [OPTIONS]")
        .options(null, Flags.OPTIONS, flags)
        .subcommand("run", RUN_DESCRIPTION);
  }

  /**
   * {@code jwagi run}'s command line: its own options, and the server's (those that only a
   * listening server uses are parsed, so that jwagi run can refuse them by name, but not shown).
   */
  static CommandLine runCommand(Flags flags, Flags.Run run) {
    return new CommandLine("jwagi run", RUN_DESCRIPTION, false)
        .usage("jwagi run MODULE [OPTIONS]")
        .positional("MODULE", Flags.Run.MODULE_HELP, module -> run.module = module)
        .options("Options:", Flags.Run.OPTIONS, run)
        .options(
            "Server flags that apply (the others are refused):",
            Flags.OPTIONS.stream().filter(o -> !Flags.SERVER_ONLY.contains(o.name())).toList(),
            flags)
        .hiddenOptions(
            Flags.OPTIONS.stream().filter(o -> Flags.SERVER_ONLY.contains(o.name())).toList(),
            flags);
  }

  /**
   * Runs a whole command line ({@code jwagi ...} without "jwagi") and returns the exit code: help
   * and the version on {@link #out}, a usage error on {@link #err} with exit code 2.
   */
  public int execute(String... args) throws Exception {
    boolean run = args.length > 0 && args[0].equals("run");
    String name = run ? "jwagi run" : "jwagi";
    Flags.Run runOptions = new Flags.Run();
    CommandLine command = run ? runCommand(flags, runOptions) : serverCommand(flags);
    CommandLine.Parsed parsed;
    try {
      parsed = command.parse(run ? Arrays.copyOfRange(args, 1, args.length) : args);
    } catch (UsageException e) {
      err.println(name + ": " + e.getMessage());
      err.println("Try '" + name + " --help'");
      err.flush();
      return USAGE;
    }
    if (parsed.help()) {
      out.print(command.help());
      out.flush();
      return 0;
    }
    if (parsed.version()) {
      out.println(VERSION);
      out.flush();
      return 0;
    }
    return run ? new RunCommand(in, out, flags, runOptions, parsed).call() : serve();
  }

  /**
   * Runs a class initialiser that serving needs later beside the main thread, which meanwhile goes
   * on (a class still being initialised when it gets there is waited for). For those that cost the
   * main thread most at start-up (bench/profile-startup.sh): BigDecimal's tables (~14 ms on JDK 25,
   * reached through Jackson's TOML parser), the time zone, the default SecureRandom and Netty's
   * platform probing (~20 ms, reached through the deadline timer and the listener).
   */
  private static void initialiseAside(Runnable touch) {
    Thread thread = new Thread(touch, "jwagi-init");
    thread.setDaemon(true);
    thread.start();
  }

  /** Serves until SIGTERM or SIGINT; reloads on SIGHUP (and with --watch). */
  private int serve() throws InterruptedException {
    initialiseAside( // the JDK's alone: they log nothing
        () -> {
          java.time.ZoneId.systemDefault(); // the log lines' clock (~7 ms: the zone database)
          java.math.BigDecimal.ONE.signum();
          new java.security.SecureRandom(); // the default log directory's name (~8 ms: providers)
        });
    // SIGHUP reloads (see Reloader); handled from the start, as the JVM's own handling would exit.
    // One that comes during start-up is replayed once serving: the files may have changed after
    // they were read.
    AtomicReference<Reloader> reloads = new AtomicReference<>();
    AtomicBoolean hupEarly = new AtomicBoolean();
    Signal.handle(
        new Signal("HUP"),
        signal -> {
          Reloader reloader = reloads.get();
          if (reloader != null) {
            reloader.reloadInBackground("SIGHUP");
            return;
          }
          hupEarly.set(true);
          reloader = reloads.get(); // set meanwhile? then one of us replays it
          if (reloader != null && hupEarly.getAndSet(false)) {
            reloader.reloadInBackground("SIGHUP during start-up");
          }
        });
    flags.portVariable = System.getenv("PORT");
    flags.processEnv = System.getenv();
    Jwagi jwagi;
    Logger log;
    try {
      Logging.configure(ServerSettings.observability(flags).logFormat()); // before any other line
      log = LoggerFactory.getLogger(Main.class);
      // Netty logs through SLF4J: only once logging is set up (else SLF4J replays early lines).
      Jwagi.turnOffNettyJfrEvents(); // before Netty reads it
      initialiseAside(io.netty.util.internal.PlatformDependent::isAndroid);
      ConfigLoader loader = new ConfigLoader(Path.of(""));
      AppConfig config = loader.load(flags);
      if (flags.prepareOnly) {
        try (ServerResources resources = ServerResources.of(config.connections())) {
          Jwagi.prepare(config, resources);
        }
        log.info(
            "prepared: every module is compiled (and pre-initialised) into {}",
            config.moduleCache());
        return 0;
      }
      // A reload loads with the same flags; without --log-dir the first load made a folder, and
      // the stderr logs stay there.
      flags.logDir = config.logDir();
      jwagi = Jwagi.start(config, () -> loader.load(flags));
    } catch (ConfigException e) {
      LoggerFactory.getLogger(Main.class).error("{}", e.getMessage());
      return USAGE;
    }
    if (flags.watch) {
      Set<Path> envFiles = new LinkedHashSet<>();
      for (Path envFile : flags.envFiles) {
        envFiles.add(envFile.toAbsolutePath());
      }
      try {
        jwagi.watch(envFiles);
      } catch (IOException e) {
        log.error("--watch: cannot watch the files: {}", e.toString());
        jwagi.close();
        return USAGE;
      }
    }
    reloads.set(jwagi.reloader());
    if (hupEarly.getAndSet(false)) {
      jwagi.reloader().reloadInBackground("SIGHUP during start-up");
    }
    // SIGTERM (Knative, docker stop) and Ctrl-C: drain (see HttpServer.drain), exit 0 when every
    // request finished, 1 when the drain timeout cut some; a second signal exits at once. Handling
    // the signals ourselves (rather than in a shutdown hook) gives the exit code.
    CountDownLatch stopRequested = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(
          new Signal(name),
          signal -> {
            if (stopRequested.getCount() == 0) {
              log.warn("second SIG{}: exiting at once", signal.getName());
              // halt skips the shutdown hooks, so the line is written out here (at most 1 s).
              QueuedConsoleAppender.flush();
              Runtime.getRuntime().halt(1);
            }
            stopRequested.countDown();
          });
    }
    stopRequested.await();
    log.info("stopping: finishing requests in flight (draining)");
    boolean clean = jwagi.drain();
    log.info(clean ? "stopped" : "stopped: the drain timeout cut requests short");
    return clean ? 0 : 1;
  }
}
