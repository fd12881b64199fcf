package dev.jwagi.config;

import dev.jwagi.config.CommandLine.Option;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * jwagi's command-line flags (WAGI 0.8.1's names, plus jwagi's own), as given, before validation:
 * the one place where each flag and its default are written. The fields hold the values (their
 * initial values are the defaults); {@link #OPTIONS} (and {@link Run#OPTIONS}) give each flag its
 * names, value label and help text for {@link CommandLine}; a limit's flag name is its {@link
 * LimitKey}'s. {@link ServerSettings} validates them. Where a default depends on something else
 * (the PORT variable, modules.toml), the field is null and the constant below names the fallback.
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

  public Path configFile;
  public String listen;
  public String defaultHost;
  public List<String> env = new ArrayList<>();
  public List<Path> envFiles = new ArrayList<>();
  public Path logDir;
  public Path moduleCache = Path.of(System.getProperty("user.home"), ".cache", "jwagi", "modules");
  public boolean noModuleCache;
  public Path registryAuth;
  public boolean prepareOnly;
  public boolean watch;
  public Path tlsCert;
  public Path tlsKey;

  /** Null without --trust-proxy; "" in it for --trust-proxy without addresses. */
  public List<String> trustProxy;

  public String timeout = "30s";
  public String maxMemory = "128MiB";
  public String maxBody = "10MiB";
  public String maxOutput = "64MiB";
  public String readTimeout = "30s";
  public String idleTimeout = "60s";
  public int maxConcurrency = DEFAULT_WORKERS_PER_CORE * Runtime.getRuntime().availableProcessors();
  public int queue = 100;
  public String maxBuffered;
  public String drainTimeout = "30s";
  public String writeTimeout = "30s";
  public Path spoolDir;
  public String maxSpool = "2GiB";
  public String maxStderrLog = "16MiB";
  public String maxTableElements = "1000000";
  public String metrics = "on";
  public String accessLog = "on";
  public String logFormat = "text";

  /**
   * WAGI 0.8.1's Bindle flags (a bindle as the configuration, or its server): accepted only so that
   * {@link ConfigLoader} can refuse them with the reason and the alternative.
   */
  public String bindle;

  /** --max-buffered without the flag: half the maximum heap (guest memories are most of it). */
  public static long defaultMaxBuffered() {
    return Runtime.getRuntime().maxMemory() / 2;
  }

  /**
   * Every flag of {@code jwagi} (and of {@code jwagi run}): names, value label, help text (where it
   * says ${DEFAULT}, the field's initial value) and the field it sets, in the help's order.
   */
  public static final List<Option<Flags>> OPTIONS =
      List.of(
          Option.<Flags>value(
                  "FILE", (f, v) -> f.configFile = Path.of(v), "-c", "--config", "-f", "--from")
              .help(
                  "The modules.toml that maps routes to modules, or a Spin app's spin.toml"
                      + " (known by its content; -f/--from as spin up spells it). Required to"
                      + " serve."),
          Option.<Flags>value("HOST:PORT", (f, v) -> f.listen = v, "-l", "--listen")
              .help(
                  "Address to listen on. Default: "
                      + DEFAULT_LISTEN
                      + ", or 0.0.0.0:$PORT when PORT is set (Knative)."),
          Option.<Flags>value(
                  "HOST:PORT", (f, v) -> f.defaultHost = v, "--hostname", "--default-host")
              .help(
                  "SERVER_NAME/SERVER_PORT for requests without a Host header. Default:"
                      + " default_host in modules.toml, else "
                      + DEFAULT_HOST
                      + "."),
          Option.<Flags>value("NAME=VALUE", (f, v) -> f.env.add(v), "-e", "--env")
              .repeatable()
              .help(
                  "An environment variable for every module (repeatable; wins over"
                      + " --env-file)."),
          Option.<Flags>value("FILE", (f, v) -> f.envFiles.add(Path.of(v)), "--env-file")
              .repeatable()
              .help("A file of NAME=VALUE lines for every module (repeatable)."),
          Option.<Flags>value("DIR", (f, v) -> f.logDir = Path.of(v), "--log-dir")
              .help(
                  "Where each route's guest stderr is appended. Default: a new temporary folder."),
          Option.<Flags>value("DIR", (f, v) -> f.moduleCache = Path.of(v), "--module-cache")
              .shows(f -> f.moduleCache)
              .help("Compiled-module cache, so restarts skip compilation. Default: ${DEFAULT}."),
          Option.<Flags>flag(f -> f.noModuleCache = true, "--no-module-cache")
              .help("Compile every module at every start."),
          Option.<Flags>value("FILE", (f, v) -> f.registryAuth = Path.of(v), "--registry-auth")
              .help(
                  "Registry logins: a Docker/Podman config.json (its \"auths\"), each sent only"
                      + " to its own registry. Default: $REGISTRY_AUTH_FILE, else"
                      + " ~/.docker/config.json if there is one."),
          Option.<Flags>flag(f -> f.prepareOnly = true, "--prepare-only")
              .help(
                  "Do all start-up work (load the config, compile every module into the module"
                      + " cache, run _routes), then exit 0 without listening: fills the cache for"
                      + " a container image."),
          Option.<Flags>flag(f -> f.watch = true, "--watch")
              .help(
                  "Reload when the modules.toml, a module file it names or an --env-file changes"
                      + " (as SIGHUP does): a new routing table is built in the background and"
                      + " swapped in; a configuration that fails keeps the old one serving."),
          Option.<Flags>value("FILE", (f, v) -> f.tlsCert = Path.of(v), "--tls-cert")
              .help(
                  "TLS certificate chain (PEM), server certificate first: serve HTTPS on the"
                      + " listen address. Needs --tls-key."),
          Option.<Flags>value("FILE", (f, v) -> f.tlsKey = Path.of(v), "--tls-key")
              .help(
                  "TLS private key (PEM: PKCS#8 \"PRIVATE KEY\", or PKCS#1 \"RSA PRIVATE KEY\"),"
                      + " unencrypted. Needs --tls-cert."),
          Option.<Flags>value("ADDR", Flags::trustProxy, "--trust-proxy")
              .optionalValue()
              .help(
                  "Believe Forwarded: proto= and X-Forwarded-Proto (https in X_FULL_URL and"
                      + " HTTPS=on) from loopback (Knative's queue-proxy) and these IP addresses"
                      + " or CIDR ranges (repeatable). Default: from nobody."),
          Option.<Flags>value("DURATION", (f, v) -> f.timeout = v, LimitKey.TIMEOUT.flag())
              .shows(f -> f.timeout)
              .help("A guest still running after this is stopped: 504. Default: ${DEFAULT}."),
          Option.<Flags>value("SIZE", (f, v) -> f.maxMemory = v, LimitKey.MAX_MEMORY.flag())
              .shows(f -> f.maxMemory)
              .help("Cap on a guest's linear memory. Default: ${DEFAULT}."),
          Option.<Flags>value("SIZE", (f, v) -> f.maxBody = v, LimitKey.MAX_BODY.flag())
              .shows(f -> f.maxBody)
              .help("Largest request body: 413 beyond. Default: ${DEFAULT}."),
          Option.<Flags>value("SIZE", (f, v) -> f.maxOutput = v, LimitKey.MAX_OUTPUT.flag())
              .shows(f -> f.maxOutput)
              .help("Largest module output: 502 beyond. Default: ${DEFAULT}."),
          Option.<Flags>value("DURATION", (f, v) -> f.readTimeout = v, LimitKey.READ_TIMEOUT.flag())
              .shows(f -> f.readTimeout)
              .help(
                  "A request's headers and body must arrive within this: 408. Default:"
                      + " ${DEFAULT}."),
          Option.<Flags>value("DURATION", (f, v) -> f.idleTimeout = v, LimitKey.IDLE_TIMEOUT.flag())
              .shows(f -> f.idleTimeout)
              .help("Idle keep-alive connections are closed after this. Default: ${DEFAULT}."),
          Option.<Flags>value(
                  "N", (f, v) -> f.maxConcurrency = CommandLine.integer(v), "--max-concurrency")
              .shows(f -> f.maxConcurrency)
              .help("Guests running at once, server-wide. Default: 4 x cores (${DEFAULT})."),
          Option.<Flags>value("N", (f, v) -> f.queue = CommandLine.integer(v), "--queue")
              .shows(f -> f.queue)
              .help(
                  "Requests waiting for a guest slot; beyond, 503 + Retry-After. Default:"
                      + " ${DEFAULT}."),
          Option.<Flags>value("SIZE", (f, v) -> f.maxBuffered = v, LimitKey.MAX_BUFFERED.flag())
              .help(
                  "Memory budget for requests in flight: body and output buffers and guest"
                      + " linear memories, server-wide. Beyond it a guest's memory.grow fails, a"
                      + " new guest waits briefly or gets 503. Default: half the maximum heap."),
          Option.<Flags>value(
                  "DURATION", (f, v) -> f.writeTimeout = v, LimitKey.WRITE_TIMEOUT.flag())
              .shows(f -> f.writeTimeout)
              .help(
                  "A client that reads nothing of a waiting response for this long is"
                      + " disconnected. Default: ${DEFAULT}."),
          Option.<Flags>value("DIR", (f, v) -> f.spoolDir = Path.of(v), "--spool-dir")
              .help(
                  "Where request bodies that the guest has not read yet are spooled beyond a small"
                      + " window in memory (unlinked at once). Default: the system temporary"
                      + " folder."),
          Option.<Flags>value("SIZE", (f, v) -> f.maxSpool = v, LimitKey.MAX_SPOOL.flag())
              .shows(f -> f.maxSpool)
              .help(
                  "Disk budget for spooled request bodies, server-wide; beyond it a request waits"
                      + " briefly, then gets 503. Default: ${DEFAULT}."),
          Option.<Flags>value("SIZE", (f, v) -> f.maxStderrLog = v, LimitKey.MAX_STDERR_LOG.flag())
              .shows(f -> f.maxStderrLog)
              .help(
                  "A route's stderr log is rotated at this size (the previous one kept as .1); one"
                      + " run appends at most a quarter of it. Default: ${DEFAULT}."),
          Option.<Flags>value(
                  "N", (f, v) -> f.maxTableElements = v, LimitKey.MAX_TABLE_ELEMENTS.flag())
              .shows(f -> f.maxTableElements)
              .help(
                  "Cap on the elements of a guest's tables together: table.grow beyond fails."
                      + " Default: ${DEFAULT}."),
          Option.<Flags>value(
                  "DURATION", (f, v) -> f.drainTimeout = v, LimitKey.DRAIN_TIMEOUT.flag())
              .shows(f -> f.drainTimeout)
              .help(
                  "On SIGTERM/SIGINT, requests in flight get this long to finish; guests still"
                      + " running then are stopped and the exit code is 1. Default: ${DEFAULT}."),
          Option.<Flags>value("on|off", (f, v) -> f.metrics = v, "--metrics")
              .shows(f -> f.metrics)
              .help("Serve Prometheus metrics at /metrics. Default: ${DEFAULT}."),
          Option.<Flags>value("on|off", (f, v) -> f.accessLog = v, "--access-log")
              .shows(f -> f.accessLog)
              .help("One line per request on stdout (logger jwagi.access). Default: ${DEFAULT}."),
          Option.<Flags>value("text|json", (f, v) -> f.logFormat = v, "--log-format")
              .shows(f -> f.logFormat)
              .help(
                  "Log lines as text, or each one (access and server) as one JSON object."
                      + " Default: ${DEFAULT}."),
          Option.<Flags>value(
                  "VALUE",
                  (f, v) -> f.bindle = v,
                  "-b",
                  "--bindle",
                  "--bindle-path",
                  "--bindle-url",
                  "--bindle-server")
              .hidden());

  /**
   * Flags of the server that mean nothing for one request without a listener: jwagi run refuses
   * them.
   */
  public static final Set<String> SERVER_ONLY =
      Set.of(
          "--config",
          "--from",
          "--listen",
          "--tls-cert",
          "--tls-key",
          "--trust-proxy",
          "--prepare-only",
          "--watch",
          "--max-concurrency",
          "--queue",
          LimitKey.READ_TIMEOUT.flag(),
          LimitKey.IDLE_TIMEOUT.flag(),
          LimitKey.DRAIN_TIMEOUT.flag(),
          LimitKey.WRITE_TIMEOUT.flag(),
          "--spool-dir",
          LimitKey.MAX_SPOOL.flag(),
          "--metrics",
          "--access-log",
          "--log-format");

  private static void trustProxy(Flags flags, String addresses) {
    if (flags.trustProxy == null) {
      flags.trustProxy = new ArrayList<>();
    }
    flags.trustProxy.addAll(List.of(addresses.split(",", -1)));
  }

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
    /** The positional argument MODULE: its help text. */
    public static final String MODULE_HELP =
        "A .wasm/.wat file, file:// or https:// URL (with --digest), or oci:REF; or a Spin app's"
            + " spin.toml (with --component).";

    public String module;
    public String method = "GET";
    public String path = "/";
    public List<String> headers = new ArrayList<>();
    public String body;
    public List<String> volumes = new ArrayList<>();
    public static final String DEFAULT_ROUTE = "/...";

    public String route = DEFAULT_ROUTE;
    public String entrypoint = ModuleConfig.DEFAULT_ENTRYPOINT;
    public String init;
    public String argv;
    public String digest;
    public String component;

    /** The options of jwagi run besides the server's, as {@link Flags#OPTIONS}. */
    public static final List<Option<Run>> OPTIONS =
        List.of(
            Option.<Run>value("M", (r, v) -> r.method = v, "--method")
                .shows(r -> r.method)
                .help("Request method. Default: ${DEFAULT}."),
            Option.<Run>value("/PATH?QUERY", (r, v) -> r.path = v, "--path")
                .shows(r -> r.path)
                .help("Request path and query, as sent (percent-encoded). Default: ${DEFAULT}."),
            Option.<Run>value("'NAME: VALUE'", (r, v) -> r.headers.add(v), "--header")
                .repeatable()
                .help("A request header (repeatable)."),
            Option.<Run>value("FILE|-", (r, v) -> r.body = v, "--body")
                .help("The request body: a file, or - for standard input. Default: none."),
            Option.<Run>value("GUEST=HOST", (r, v) -> r.volumes.add(v), "--volume")
                .repeatable()
                .help("A host directory the module sees at a guest path (repeatable)."),
            Option.<Run>value("ROUTE", (r, v) -> r.route = v, "--route")
                .shows(r -> r.route)
                .help(
                    "The route the module is mounted at, as in modules.toml (sets SCRIPT_NAME and"
                        + " PATH_INFO). Default: ${DEFAULT}"),
            Option.<Run>value("NAME", (r, v) -> r.entrypoint = v, "--entrypoint")
                .shows(r -> r.entrypoint)
                .help("Exported function to call. Default: ${DEFAULT}."),
            Option.<Run>value("NAME", (r, v) -> r.init = v, "--init")
                .help(
                    "Export that pre-initialises the module, as the init key in modules.toml."
                        + " Default: wizer.initialize if exported."),
            Option.<Run>value("TEMPLATE", (r, v) -> r.argv = v, "--argv")
                .help("argv template, as the argv key in modules.toml. Default: WAGI's argv."),
            Option.<Run>value("sha256:HEX", (r, v) -> r.digest = v, "--digest")
                .help("The digest an https:// MODULE must have."),
            Option.<Run>value("NAME", (r, v) -> r.component = v, "--component")
                .help(
                    "With a spin.toml MODULE: the component to run, at its routes, with its files,"
                        + " environment and allowed hosts from the manifest. Default: the only"
                        + " one."));
  }
}
