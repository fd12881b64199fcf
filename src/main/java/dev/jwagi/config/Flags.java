package dev.jwagi.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * jwagi's command-line flags (WAGI 0.8.1's names, plus jwagi's own), as given, before validation:
 * the one place where each flag and its default are written. {@link ConfigLoader} validates them.
 * Where a default depends on something else (the PORT variable, modules.toml), the field is null
 * and the constant below names the fallback.
 */
public final class Flags {
  /** Where to listen without -l and without PORT. */
  public static final String DEFAULT_LISTEN = "127.0.0.1:3000";

  /**
   * Guest workers per core without --max-concurrency. Each may hold up to --max-memory of linear
   * memory, so the default stays where that fits the default memory budget and start-up stays quiet
   * (16 per core, 32 x 128 MiB, exceeded half of a 6 GiB heap and warned on every start). A guest
   * holds its worker while it waits (a slow client, an outbound call, a sleep): where guests wait,
   * raise --max-concurrency. bench/threads.sh on 2 cores: /hello alone ran alike with 2 to 64
   * workers (21-33 k req/s); beside 16 waiting guests, ~1.4 k req/s with 8 workers and 24-29 k with
   * 32 or 64.
   */
  public static final int DEFAULT_WORKERS_PER_CORE = 4;

  /** SERVER_NAME/SERVER_PORT without a Host header, --hostname or default_host. */
  public static final String DEFAULT_HOST = "localhost:3000";

  @Option(
      names = {"-c", "--config"},
      paramLabel = "FILE",
      description = "The modules.toml that maps routes to modules (required to serve).")
  public Path configFile;

  @Option(
      names = {"-l", "--listen"},
      paramLabel = "HOST:PORT",
      description =
          "Address to listen on. Default: "
              + DEFAULT_LISTEN
              + ", or 0.0.0.0:$PORT when PORT is set (Knative).")
  public String listen;

  @Option(
      names = {"--hostname", "--default-host"},
      paramLabel = "HOST:PORT",
      description =
          "SERVER_NAME/SERVER_PORT for requests without a Host header. Default: default_host in"
              + " modules.toml, else "
              + DEFAULT_HOST
              + ".")
  public String defaultHost;

  @Option(
      names = {"-e", "--env"},
      paramLabel = "NAME=VALUE",
      description = "An environment variable for every module (repeatable; wins over --env-file).")
  public List<String> env = new ArrayList<>();

  @Option(
      names = "--env-file",
      paramLabel = "FILE",
      description = "A file of NAME=VALUE lines for every module (repeatable).")
  public List<Path> envFiles = new ArrayList<>();

  @Option(
      names = "--log-dir",
      paramLabel = "DIR",
      description = "Where each route's guest stderr is appended. Default: a new temporary folder.")
  public Path logDir;

  @Option(
      names = "--module-cache",
      paramLabel = "DIR",
      description =
          "Compiled-module cache, so restarts skip compilation. Default: ${DEFAULT-VALUE}.")
  public Path moduleCache = Path.of(System.getProperty("user.home"), ".cache", "jwagi", "modules");

  @Option(names = "--no-module-cache", description = "Compile every module at every start.")
  public boolean noModuleCache;

  @Option(
      names = "--prepare-only",
      description =
          "Do all start-up work (load the config, compile every module into the module cache, run"
              + " _routes), then exit 0 without listening: fills the cache for a container image.")
  public boolean prepareOnly;

  @Option(
      names = "--tls-cert",
      paramLabel = "FILE",
      description =
          "TLS certificate chain (PEM), server certificate first: serve HTTPS on the listen"
              + " address. Needs --tls-key.")
  public Path tlsCert;

  @Option(
      names = "--tls-key",
      paramLabel = "FILE",
      description =
          "TLS private key (PEM: PKCS#8 \"PRIVATE KEY\", or PKCS#1 \"RSA PRIVATE KEY\"), unencrypted."
              + " Needs --tls-cert.")
  public Path tlsKey;

  @Option(
      names = "--trust-proxy",
      paramLabel = "ADDR",
      arity = "0..1",
      split = ",",
      fallbackValue = "",
      description =
          "Believe Forwarded: proto= and X-Forwarded-Proto (https in X_FULL_URL and HTTPS=on) from"
              + " loopback (Knative's queue-proxy) and these IP addresses or CIDR ranges"
              + " (repeatable). Default: from nobody.")
  public List<String> trustProxy;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      description = "A guest still running after this is stopped: 504. Default: ${DEFAULT-VALUE}.")
  public String timeout = "30s";

  @Option(
      names = "--max-memory",
      paramLabel = "SIZE",
      description = "Cap on a guest's linear memory. Default: ${DEFAULT-VALUE}.")
  public String maxMemory = "128MiB";

  @Option(
      names = "--max-body",
      paramLabel = "SIZE",
      description = "Largest request body: 413 beyond. Default: ${DEFAULT-VALUE}.")
  public String maxBody = "10MiB";

  @Option(
      names = "--max-output",
      paramLabel = "SIZE",
      description = "Largest module output: 502 beyond. Default: ${DEFAULT-VALUE}.")
  public String maxOutput = "64MiB";

  @Option(
      names = "--read-timeout",
      paramLabel = "DURATION",
      description =
          "A request's headers and body must arrive within this: 408. Default: ${DEFAULT-VALUE}.")
  public String readTimeout = "30s";

  @Option(
      names = "--idle-timeout",
      paramLabel = "DURATION",
      description = "Idle keep-alive connections are closed after this. Default: ${DEFAULT-VALUE}.")
  public String idleTimeout = "60s";

  @Option(
      names = "--max-concurrency",
      paramLabel = "N",
      description = "Guests running at once, server-wide. Default: 4 x cores (${DEFAULT-VALUE}).")
  public int maxConcurrency = DEFAULT_WORKERS_PER_CORE * Runtime.getRuntime().availableProcessors();

  @Option(
      names = "--queue",
      paramLabel = "N",
      description =
          "Requests waiting for a guest slot; beyond, 503 + Retry-After. Default: ${DEFAULT-VALUE}.")
  public int queue = 100;

  @Option(
      names = "--max-buffered",
      paramLabel = "SIZE",
      description =
          "Memory budget for requests in flight: body and output buffers and guest linear"
              + " memories, server-wide. Beyond it a guest's memory.grow fails, a new guest waits"
              + " briefly or gets 503. Default: half the maximum heap.")
  public String maxBuffered;

  @Option(
      names = "--drain-timeout",
      paramLabel = "DURATION",
      description =
          "On SIGTERM/SIGINT, requests in flight get this long to finish; guests still running"
              + " then are stopped and the exit code is 1. Default: ${DEFAULT-VALUE}.")
  public String drainTimeout = "30s";

  /** --max-buffered without the flag: half the maximum heap (guest memories are most of it). */
  public static long defaultMaxBuffered() {
    return Runtime.getRuntime().maxMemory() / 2;
  }

  @Option(
      names = "--metrics",
      paramLabel = "on|off",
      description = "Serve Prometheus metrics at /metrics. Default: ${DEFAULT-VALUE}.")
  public String metrics = "on";

  @Option(
      names = "--access-log",
      paramLabel = "on|off",
      description =
          "One line per request on stdout (logger jwagi.access). Default: ${DEFAULT-VALUE}.")
  public String accessLog = "on";

  @Option(
      names = "--log-format",
      paramLabel = "text|json",
      description =
          "Log lines as text, or each one (access and server) as one JSON object. Default:"
              + " ${DEFAULT-VALUE}.")
  public String logFormat = "text";

  /**
   * WAGI 0.8.1's Bindle flags (a bindle as the configuration, or its server): accepted only so that
   * {@link ConfigLoader} can refuse them with the reason and the alternative.
   */
  @Option(
      names = {"-b", "--bindle", "--bindle-path", "--bindle-url", "--bindle-server"},
      paramLabel = "VALUE",
      hidden = true)
  public String bindle;

  /** The process's PORT environment variable (Knative sets it), or null; not a flag. */
  public String portVariable;

  /**
   * The process's environment, for the variables jwagi itself reads (registry credentials); not
   * flags, and never passed to modules.
   */
  public Map<String, String> processEnv = Map.of();

  /**
   * The options of {@code jwagi run MODULE}: one request through a module, without a server. The
   * server's flags above (env, limits, module cache) apply as well.
   */
  public static final class Run {
    @Parameters(
        index = "0",
        paramLabel = "MODULE",
        description = "A .wasm/.wat file, file:// or https:// URL (with --digest), or oci:REF.")
    public String module;

    @Option(
        names = "--method",
        paramLabel = "M",
        description = "Request method. Default: ${DEFAULT-VALUE}.")
    public String method = "GET";

    @Option(
        names = "--path",
        paramLabel = "/PATH?QUERY",
        description =
            "Request path and query, as sent (percent-encoded). Default: ${DEFAULT-VALUE}.")
    public String path = "/";

    @Option(
        names = "--header",
        paramLabel = "'NAME: VALUE'",
        description = "A request header (repeatable).")
    public List<String> headers = new ArrayList<>();

    @Option(
        names = "--body",
        paramLabel = "FILE|-",
        description = "The request body: a file, or - for standard input. Default: none.")
    public String body;

    @Option(
        names = "--volume",
        paramLabel = "GUEST=HOST",
        description = "A host directory the module sees at a guest path (repeatable).")
    public List<String> volumes = new ArrayList<>();

    @Option(
        names = "--route",
        paramLabel = "ROUTE",
        description =
            "The route the module is mounted at, as in modules.toml (sets SCRIPT_NAME and"
                + " PATH_INFO). Default: ${DEFAULT-VALUE}.")
    public String route = "/...";

    @Option(
        names = "--entrypoint",
        paramLabel = "NAME",
        description = "Exported function to call. Default: ${DEFAULT-VALUE}.")
    public String entrypoint = "_start";

    @Option(
        names = "--argv",
        paramLabel = "TEMPLATE",
        description = "argv template, as the argv key in modules.toml. Default: WAGI's argv.")
    public String argv;

    @Option(
        names = "--digest",
        paramLabel = "sha256:HEX",
        description = "The digest an https:// MODULE must have.")
    public String digest;
  }
}
