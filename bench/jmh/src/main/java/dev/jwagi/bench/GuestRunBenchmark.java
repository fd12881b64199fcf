package dev.jwagi.bench;

import com.dylibso.chicory.compiler.MachineFactoryCompiler;
import com.dylibso.chicory.runtime.ExecutionCompletedException;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Machine;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import dev.jwagi.cgi.CgiEnvironment;
import dev.jwagi.cgi.CgiOutputParser;
import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.Header;
import dev.jwagi.cgi.IncomingRequest;
import dev.jwagi.cgi.MatchedRoute;
import dev.jwagi.config.RoutePattern;
import dev.jwagi.engine.CompiledModule;
import dev.jwagi.engine.Guest;
import dev.jwagi.engine.GuestResult;
import dev.jwagi.engine.OutboundHttp;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.time.Duration;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-request engine path, one request per invocation:
 *
 * <ul>
 *   <li>{@code jwagi}: jwagi's {@link Guest#run} on hello.wasm (fresh instance, WASI, _start);
 *   <li>{@code jwagiRequest}: a whole GET /hello through the engine as the server does it: CGI
 *       inputs from the request ({@link CgiEnvironment#build}), {@link Guest#run}, the output
 *       parsed into a response ({@link CgiOutputParser#parse});
 *   <li>{@code naive}: what a straightforward Chicory embedding does per request on the same
 *       module, with only the compiled machine factory shared: new WASI options, WASI host
 *       functions, import values and instance (whose initialisation runs _start);
 *   <li>{@code jwagiEmpty}: jwagi's {@link Guest#run} on a hand-written module whose {@code _start}
 *       does nothing: the per-request preparation alone (everything before {@code _start} works).
 * </ul>
 *
 * <p>The module is the {@code wasm} parameter ({@code -p wasm=PATH}); a relative path resolves against the system property
 * {@code jwagi.root} (default: the working directory, then {@code ../..} for bench/jmh).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class GuestRunBenchmark {

  /**
   * A minimal valid module: one function type () -> (), one function exported as {@code _start}
   * whose body is empty, and a memory of 1 page (no maximum) exported as {@code memory}.
   */
  static final byte[] EMPTY_WASM = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version 1
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: 1 type, func () -> ()
    0x03, 0x02, 0x01, 0x00, // function section: 1 function of type 0
    0x05, 0x03, 0x01, 0x00, 0x01, // memory section: 1 memory, min 1 page, no max
    0x07, 0x13, 0x02, // export section (19 bytes), 2 exports
    0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00, // "_start": function 0
    0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00, // "memory": memory 0
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // code section: 1 body, no locals, end
  };

  static final List<String> ARGV = List.of("/hello");
  static final byte[] NO_BODY = new byte[0];
  static final Map<String, String> ENV = cgiEnvironment();

  /** GET /hello as ab sends it, and the server's CGI mapping for it. */
  static final IncomingRequest REQUEST =
      new IncomingRequest(
          "GET",
          "/hello",
          null,
          "HTTP/1.0",
          List.of(
              new Header("Host", "127.0.0.1:3000"),
              new Header("User-Agent", "ApacheBench/2.3"),
              new Header("Accept", "*/*")),
          0,
          InputStream.nullInputStream(),
          "127.0.0.1",
          0,
          false);

  static final MatchedRoute ROUTE = new MatchedRoute(RoutePattern.parse("/hello"), null);
  static final CgiEnvironment CGI = new CgiEnvironment(Map.of(), "localhost:3000");

  /** The module under test (hello.wasm by default), prepared both ways once per trial. */
  @State(Scope.Benchmark)
  public static class Module {
    @Param({"examples/modules/hello.wasm"})
    public String wasm;

    Guest guest;
    WasmModule module;
    Function<Instance, Machine> factory;

    @Setup(Level.Trial)
    public void setup() throws Exception {
      byte[] bytes = Files.readAllBytes(resolve(wasm));
      CompiledModule code = CompiledModule.compile(bytes, null);
      guest = code.prepare(Map.of(), 128L << 20, 64L << 20, NO_OUTBOUND);
      module = Parser.parse(bytes);
      factory = MachineFactoryCompiler.compile(module);

      // Both paths must do the same work: same output.
      Run ours = runJwagi(guest);
      byte[] theirs = runNaive(module, factory);
      String a = new String(ours.stdout(), StandardCharsets.UTF_8);
      String b = new String(theirs, StandardCharsets.UTF_8);
      if (ours.exitCode() != 0 || a.isEmpty() || !a.equals(b)) {
        throw new IllegalStateException(
            wasm + ": jwagi exit " + ours.exitCode() + " \"" + a + "\", naive \"" + b + "\"");
      }
    }
  }

  /** The hand-written module whose _start does nothing. */
  @State(Scope.Benchmark)
  public static class Empty {
    Guest guest;

    @Setup(Level.Trial)
    public void setup() throws Exception {
      guest =
          CompiledModule.compile(EMPTY_WASM, null)
              .prepare(Map.of(), 128L << 20, 64L << 20, NO_OUTBOUND);
      Run nothing = runJwagi(guest);
      if (nothing.exitCode() != 0 || nothing.stdout().length != 0) {
        throw new IllegalStateException("empty module: exit " + nothing.exitCode());
      }
    }
  }

  @Benchmark
  public Run jwagi(Module m) throws Exception {
    return runJwagi(m.guest);
  }

  /** A whole request through the engine: CGI inputs, guest run, response parsed. */
  @Benchmark
  public CgiResponse jwagiRequest(Module m) throws Exception {
    var cgi = CGI.build(REQUEST, ROUTE);
    var stdout = new ByteArrayOutputStream();
    m.guest.run("_start", cgi.argv(), cgi.env(), cgi.stdin(), stdout, null);
    return CgiOutputParser.parse(stdout.toByteArray());
  }

  @Benchmark
  public Run jwagiEmpty(Empty e) throws Exception {
    return runJwagi(e.guest);
  }

  /**
   * Longer warm-up than the class default: a naive call does about ten times the work, and its
   * per-call time was still falling 5-fold through the default 3 x 2 s warm-up and the first
   * measured iterations (1480, 530, 390, 230, 230, 150, 97, 57 us on 2 busy cores).
   */
  @Benchmark
  @Warmup(iterations = 10, time = 2)
  public byte[] naive(Module m) throws Exception {
    return runNaive(m.module, m.factory);
  }

  /** No outbound HTTP (the modules here make none). */
  static final OutboundHttp.Policy NO_OUTBOUND =
      new OutboundHttp.Policy(host -> false, 0, Duration.ofSeconds(30));

  /** A run's exit code and stdout (collected here: the server streams it to the client). */
  public record Run(int exitCode, byte[] stdout) {}

  /** jwagi's per-request path: a fresh instance of the prepared guest, _start, its output. */
  static Run runJwagi(Guest guest) throws Exception {
    var stdout = new ByteArrayOutputStream();
    GuestResult result = guest.run("_start", ARGV, ENV, InputStream.nullInputStream(), stdout);
    return new Run(result.exitCode(), stdout.toByteArray());
  }

  /** A plain embedding's per-request path; only the compiled machine factory is shared. */
  static byte[] runNaive(WasmModule module, Function<Instance, Machine> factory) {
    var stdout = new ByteArrayOutputStream();
    var stderr = new ByteArrayOutputStream();
    var options =
        WasiOptions.builder()
            .withStdin(new ByteArrayInputStream(NO_BODY))
            .withStdout(stdout)
            .withStderr(stderr)
            .withArguments(ARGV);
    ENV.forEach(options::withEnvironment);
    try (var wasi = WasiPreview1.builder().withOptions(options.build()).build()) {
      var imports = ImportValues.builder().addFunction(wasi.toHostFunctions()).build();
      // Initialisation runs _start.
      Instance.builder(module).withMachineFactory(factory).withImportValues(imports).build();
    } catch (WasiExitException | ExecutionCompletedException exit) {
      // the guest exited: a normal end of a CGI program
    }
    return stdout.toByteArray();
  }

  /** About 20 CGI variables, as jwagi passes them for GET /hello. */
  static Map<String, String> cgiEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AUTH_TYPE", "");
    env.put("CONTENT_LENGTH", "0");
    env.put("CONTENT_TYPE", "");
    env.put("GATEWAY_INTERFACE", "CGI/1.1");
    env.put("PATH_INFO", "");
    env.put("PATH_TRANSLATED", "");
    env.put("QUERY_STRING", "");
    env.put("REMOTE_ADDR", "127.0.0.1");
    env.put("REMOTE_HOST", "127.0.0.1");
    env.put("REMOTE_USER", "");
    env.put("REQUEST_METHOD", "GET");
    env.put("SCRIPT_NAME", "/hello");
    env.put("SERVER_NAME", "localhost");
    env.put("SERVER_PORT", "3000");
    env.put("SERVER_PROTOCOL", "HTTP/1.1");
    env.put("SERVER_SOFTWARE", "WAGI/1");
    env.put("X_MATCHED_ROUTE", "/hello");
    env.put("X_FULL_URL", "http://localhost:3000/hello");
    env.put("X_RAW_PATH_INFO", "");
    env.put("HTTP_HOST", "localhost:3000");
    env.put("HTTP_USER_AGENT", "ApacheBench/2.3");
    env.put("HTTP_ACCEPT", "*/*");
    return Map.copyOf(env);
  }

  static Path resolve(String file) {
    Path path = Path.of(file);
    if (path.isAbsolute()) {
      return path;
    }
    String root = System.getProperty("jwagi.root");
    if (root != null) {
      return Path.of(root).resolve(path);
    }
    return Files.exists(path) ? path : Path.of("../..").resolve(path);
  }
}
