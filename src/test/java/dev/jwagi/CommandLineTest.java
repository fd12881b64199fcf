package dev.jwagi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.config.CommandLine.Parsed;
import dev.jwagi.config.CommandLine.UsageException;
import dev.jwagi.config.Flags;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * jwagi's command lines (config.CommandLine over Flags' tables): every form an option takes, every
 * error (message and exit code 2), help and version.
 */
class CommandLineTest {
  private record Result(int code, String out, String err) {}

  /** A whole command line through Main, with its own stdout and stderr. */
  private static Result execute(String... args) throws Exception {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    int code =
        new Main(
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8))
            .execute(args);
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Flags parse(String... args) {
    return Main.parse(args, null);
  }

  private record RunParse(Flags flags, Flags.Run run, Parsed parsed) {}

  private static RunParse parseRun(String... args) {
    Flags flags = new Flags();
    Flags.Run run = new Flags.Run();
    Parsed parsed = Main.runCommand(flags, run).parse(args);
    return new RunParse(flags, run, parsed);
  }

  @Test
  void defaultsWithoutFlags() {
    Flags flags = parse();
    Flags fresh = new Flags();
    assertThat(flags.configFile).isNull();
    assertThat(flags.listen).isNull();
    assertThat(flags.trustProxy).isNull();
    assertThat(flags.env).isEmpty();
    assertThat(flags.moduleCache).isEqualTo(fresh.moduleCache);
    assertThat(flags.timeout).isEqualTo("30s");
    assertThat(flags.queue).isEqualTo(100);
    assertThat(flags.maxConcurrency)
        .isEqualTo(Flags.DEFAULT_WORKERS_PER_CORE * Runtime.getRuntime().availableProcessors());
    assertThat(flags.noModuleCache).isFalse();
    assertThat(flags.prepareOnly).isFalse();
  }

  @Test
  void longOptionsWithASpaceOrAnEqualsSign() {
    Flags flags = parse("--config", "a.toml", "--listen=0.0.0.0:8080", "--timeout", "5s");
    assertThat(flags.configFile).isEqualTo(Path.of("a.toml"));
    assertThat(flags.listen).isEqualTo("0.0.0.0:8080");
    assertThat(flags.timeout).isEqualTo("5s");
    // A value may contain '=' and may start with '-' (when it is not an option's name).
    flags = parse("--env=A=b=c", "--max-body", "-1", "--log-dir=");
    assertThat(flags.env).containsExactly("A=b=c");
    assertThat(flags.maxBody).isEqualTo("-1");
    assertThat(flags.logDir).isEqualTo(Path.of(""));
  }

  @Test
  void shortOptionsSeparateAttachedOrWithEqualsSign() {
    assertThat(parse("-c", "a.toml").configFile).isEqualTo(Path.of("a.toml"));
    assertThat(parse("-ca.toml").configFile).isEqualTo(Path.of("a.toml"));
    assertThat(parse("-c=a.toml").configFile).isEqualTo(Path.of("a.toml"));
    assertThat(parse("-l127.0.0.1:1").listen).isEqualTo("127.0.0.1:1");
    assertThat(parse("-eX=1", "-e", "Y=2").env).containsExactly("X=1", "Y=2");
  }

  @Test
  void aliasesSetTheSameField() {
    assertThat(parse("--hostname", "a:1").defaultHost).isEqualTo("a:1");
    assertThat(parse("--default-host", "b:2").defaultHost).isEqualTo("b:2");
  }

  @Test
  void booleanFlags() {
    Flags flags = parse("--prepare-only", "--no-module-cache");
    assertThat(flags.prepareOnly).isTrue();
    assertThat(flags.noModuleCache).isTrue();
  }

  @Test
  void repeatableOptionsCollectInOrder() {
    Flags flags =
        parse("-e", "A=1", "--env", "B=2", "--env-file", "x.env", "--env-file=y.env", "-eC=3");
    assertThat(flags.env).containsExactly("A=1", "B=2", "C=3");
    assertThat(flags.envFiles).containsExactly(Path.of("x.env"), Path.of("y.env"));
    RunParse run = parseRun("m.wasm", "--header", "A: 1", "--header=B: 2", "--volume", "/a=/b");
    assertThat(run.run().headers).containsExactly("A: 1", "B: 2");
    assertThat(run.run().volumes).containsExactly("/a=/b");
  }

  @Test
  void trustProxyWithoutValueWithEqualsOrWithTheNextArgument() {
    assertThat(parse("--trust-proxy").trustProxy).containsExactly("");
    assertThat(parse("--trust-proxy=10.0.0.0/8,192.168.1.1").trustProxy)
        .containsExactly("10.0.0.0/8", "192.168.1.1");
    assertThat(parse("--trust-proxy", "10.0.0.0/8,::1").trustProxy)
        .containsExactly("10.0.0.0/8", "::1");
    // The next argument is not its value when it starts with '-': it is the next option.
    Flags flags = parse("--trust-proxy", "-c", "a.toml");
    assertThat(flags.trustProxy).containsExactly("");
    assertThat(flags.configFile).isEqualTo(Path.of("a.toml"));
    assertThat(parse("--trust-proxy", "10.1.1.1", "--trust-proxy=10.2.2.2").trustProxy)
        .containsExactly("10.1.1.1", "10.2.2.2");
  }

  @Test
  void intOptions() {
    Flags flags = parse("--max-concurrency", "7", "--queue=0");
    assertThat(flags.maxConcurrency).isEqualTo(7);
    assertThat(flags.queue).isZero();
    assertThat(parse("--queue", "-1").queue).isEqualTo(-1); // ConfigLoader refuses it, by name
  }

  @Test
  void hiddenBindleFlagsAreParsedSoConfigLoaderCanRefuseThem() {
    for (String name :
        List.of("-b", "--bindle", "--bindle-path", "--bindle-url", "--bindle-server")) {
      assertThat(parse(name, "x").bindle).as(name).isEqualTo("x");
    }
  }

  @Test
  void doubleDashEndsOptions() {
    RunParse run = parseRun("--method", "POST", "--", "--odd.wasm");
    assertThat(run.run().module).isEqualTo("--odd.wasm");
    assertThat(run.run().method).isEqualTo("POST");
    assertThatThrownBy(() -> parse("--", "-c"))
        .isInstanceOf(UsageException.class)
        .hasMessage("unexpected argument \"-c\"");
  }

  @Test
  void runTakesModuleAnywhereItsOptionsAndTheServerFlags() {
    RunParse run =
        parseRun(
            "--method",
            "PUT",
            "m.wasm",
            "--path=/a?b",
            "--body",
            "-",
            "--route",
            "/x/...",
            "--entrypoint",
            "serve",
            "--argv",
            "${ARGS}",
            "--digest",
            "sha256:00",
            "--max-memory",
            "1MiB",
            "-e",
            "A=1");
    assertThat(run.run().module).isEqualTo("m.wasm");
    assertThat(run.run().method).isEqualTo("PUT");
    assertThat(run.run().path).isEqualTo("/a?b");
    assertThat(run.run().body).isEqualTo("-");
    assertThat(run.run().route).isEqualTo("/x/...");
    assertThat(run.run().entrypoint).isEqualTo("serve");
    assertThat(run.run().argv).isEqualTo("${ARGS}");
    assertThat(run.run().digest).isEqualTo("sha256:00");
    assertThat(run.flags().maxMemory).isEqualTo("1MiB");
    assertThat(run.flags().env).containsExactly("A=1");
  }

  @Test
  void runRecordsWhichOptionsWereGivenUnderEveryName() {
    Parsed parsed = parseRun("m.wasm", "-c", "a.toml", "--queue=3").parsed();
    assertThat(parsed.given("--config")).isTrue();
    assertThat(parsed.given("-c")).isTrue();
    assertThat(parsed.given("--queue")).isTrue();
    assertThat(parsed.given("--listen")).isFalse();
    assertThat(parsed.given("--max-memory")).isFalse();
  }

  @Test
  void runRefusesAServerFlagNamingIt() throws Exception {
    // Refused after parsing, by RunCommand, with ConfigLoader's exit code (2).
    Result result = execute("run", "m.wasm", "--trust-proxy");
    assertThat(result.code()).isEqualTo(2);
    Result listen = execute("run", "m.wasm", "-l", "127.0.0.1:1");
    assertThat(listen.code()).isEqualTo(2);
  }

  @Test
  void errorsNameTheArgumentHintAtHelpAndExitWith2() throws Exception {
    assertUsageError(execute("--bogus"), "jwagi", "unknown option --bogus");
    assertUsageError(
        execute("--metric", "on"), "jwagi", "unknown option --metric (did you mean --metrics?)");
    assertUsageError(execute("-x"), "jwagi", "unknown option -x");
    assertUsageError(execute("-c"), "jwagi", "-c needs a value (FILE)");
    assertUsageError(execute("--config"), "jwagi", "--config needs a value (FILE)");
    assertUsageError(execute("-c", "--queue", "3"), "jwagi", "-c needs a value (FILE)");
    assertUsageError(
        execute("--no-module-cache=true"),
        "jwagi",
        "--no-module-cache takes no value (given \"true\")");
    assertUsageError(execute("--queue=abc"), "jwagi", "--queue \"abc\": expected a whole number");
    assertUsageError(
        execute("--max-concurrency", "x"),
        "jwagi",
        "--max-concurrency \"x\": expected a whole number");
    assertUsageError(execute("extra"), "jwagi", "unexpected argument \"extra\"");
    assertUsageError(
        execute("-c", "a.toml", "run", "m.wasm"),
        "jwagi",
        "unexpected argument \"run\" (a command comes first: jwagi run ...)");
    assertUsageError(
        execute("-c", "a.toml", "--config", "b.toml"),
        "jwagi",
        "--config given twice (as -c or --config or -f or --from)");
    assertUsageError(
        execute("--prepare-only", "--prepare-only"), "jwagi", "--prepare-only given twice");
    assertUsageError(execute("run"), "jwagi run", "missing MODULE");
    assertUsageError(execute("run", "--method", "GET"), "jwagi run", "missing MODULE");
    assertUsageError(
        execute("run", "a.wasm", "b.wasm"), "jwagi run", "unexpected argument \"b.wasm\"");
    assertUsageError(execute("run", "--bogus", "a.wasm"), "jwagi run", "unknown option --bogus");
    assertUsageError(
        execute("run", "--methd", "PUT", "a.wasm"),
        "jwagi run",
        "unknown option --methd (did you mean --method?)");
    assertUsageError(
        execute("run", "a.wasm", "--body"), "jwagi run", "--body needs a value (FILE|-)");
    assertUsageError(execute("run", "a.wasm", "-V"), "jwagi run", "unknown option -V");
  }

  private static void assertUsageError(Result result, String command, String message) {
    assertThat(result.code()).as("exit code for %s", message).isEqualTo(2);
    assertThat(result.out()).isEmpty();
    assertThat(result.err())
        .isEqualTo(command + ": " + message + "\nTry '" + command + " --help'\n");
  }

  @Test
  void versionOnStdout() throws Exception {
    for (String flag : List.of("-V", "--version")) {
      Result result = execute(flag);
      assertThat(result.code()).isZero();
      assertThat(result.out()).isEqualTo("jwagi 0.1.0\n");
      assertThat(result.err()).isEmpty();
    }
  }

  @Test
  void helpListsEveryVisibleOptionWithDefaultsAndTheRunCommand() throws Exception {
    for (String flag : List.of("-h", "--help")) {
      Result result = execute("--queue", "5", flag);
      assertThat(result.code()).isZero();
      assertThat(result.err()).isEmpty();
      String help = result.out();
      assertThat(help).startsWith("Usage: jwagi -c modules.toml [OPTIONS]\n");
      assertThat(help).contains(Main.DESCRIPTION.substring(0, 40));
      for (var option : Flags.OPTIONS) {
        if (!option.name().startsWith("--bindle")) {
          assertThat(help).as(option.name()).contains(option.name());
        }
      }
      String flat = help.replaceAll("\\s+", " "); // the text, whatever the wrapping
      assertThat(flat)
          .contains("Default: 30s.")
          .contains("Default: 128MiB.")
          .contains("Default: 100.") // the default, not the --queue 5 given before --help
          .contains(
              "Default: 4 x cores ("
                  + Flags.DEFAULT_WORKERS_PER_CORE * Runtime.getRuntime().availableProcessors()
                  + ")")
          .contains("Default: " + new Flags().moduleCache + ".");
      assertThat(help)
          .contains("  -c, -f, --config, --from=FILE\n")
          .contains("The modules.toml that maps routes to modules, or a")
          .contains("      --hostname, --default-host=HOST:PORT\n")
          .contains("      --trust-proxy[=ADDR[,ADDR...]]\n")
          .contains("      --no-module-cache     Compile every module at every start.")
          .contains("  -h, --help")
          .contains("  -V, --version")
          .contains("Commands:\n  run ")
          .doesNotContain("${")
          .doesNotContain("null")
          .doesNotContain("bindle")
          .doesNotContain("  -b");
      for (String line : help.split("\n")) {
        assertThat(line.length()).as(line).isLessThanOrEqualTo(80);
      }
    }
  }

  @Test
  void runHelpListsModuleItsOptionsAndTheServerFlagsThatApply() throws Exception {
    Result result = execute("run", "--help");
    assertThat(result.code()).isZero();
    String help = result.out();
    assertThat(help)
        .startsWith("Usage: jwagi run MODULE [OPTIONS]\n")
        .contains("Runs one request through MODULE")
        .contains("  MODULE                    A .wasm/.wat file")
        .contains("      --method=M            Request method. Default: GET.")
        .contains("Default: /...")
        .contains("Default: _start.")
        .contains("--header='NAME: VALUE'")
        .contains("--max-memory=SIZE")
        .contains("-e, --env=NAME=VALUE")
        .contains("  -h, --help")
        .doesNotContain("--version")
        .doesNotContain("bindle")
        .doesNotContain("null")
        .doesNotContain("${");
    for (String serverOnly : Flags.SERVER_ONLY) {
      assertThat(help)
          .as(serverOnly)
          .doesNotContain(serverOnly + "=")
          .doesNotContain(serverOnly + " ");
    }
    // -h wins wherever it is, even without MODULE.
    assertThat(execute("run", "-h", "--bogus").code()).isZero();
  }
}
