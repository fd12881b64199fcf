package dev.jwagi.bench;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import dev.jwagi.observe.AccessLog;
import dev.jwagi.observe.GuestOutcome;
import dev.jwagi.observe.JsonLayout;
import dev.jwagi.observe.Metrics;
import dev.jwagi.observe.RequestRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.LoggerFactory;

/**
 * What observability adds to one request, in-process:
 *
 * <ul>
 *   <li>{@code metrics}: what the serving path reports of a guest request to {@link Metrics} (a
 *       guest run and the finished request);
 *   <li>{@code accessLog}: one access line, written to a file (as a container runtime's stdout
 *       pipe would take it) in the {@code format} given: text (logback.xml's pattern) or json.
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class ObserveBenchmark {
  @Param({"text", "json"})
  public String format;

  private Metrics metrics;
  private AccessLog accessLog;
  private Path file;
  private final RequestRecord request =
      new RequestRecord(
          Instant.now(),
          "127.0.0.1",
          "GET",
          "/hello?name=world",
          "HTTP/1.1",
          "/hello",
          200,
          0,
          12,
          1_234_567,
          876_543,
          true);

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    metrics = new Metrics();
    metrics.scrape(); // set up and JVM meters bound, as on a scraped server
    accessLog = new AccessLog(format.equals("json")); // JSON: the fields too
    file = Files.createTempFile("jwagi-access-", ".log");
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Encoder<ILoggingEvent> encoder;
    if (format.equals("json")) {
      JsonLayout layout = new JsonLayout();
      layout.setContext(context);
      layout.start();
      LayoutWrappingEncoder<ILoggingEvent> json = new LayoutWrappingEncoder<>();
      json.setLayout(layout);
      encoder = json;
    } else {
      PatternLayoutEncoder text = new PatternLayoutEncoder();
      text.setPattern("%msg%n");
      encoder = text;
    }
    encoder.setContext(context);
    encoder.start();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(context);
    appender.setFile(file.toString());
    appender.setEncoder(encoder);
    appender.start();
    ch.qos.logback.classic.Logger access = context.getLogger(AccessLog.LOGGER);
    access.detachAndStopAllAppenders();
    access.setAdditive(false);
    access.addAppender(appender);
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    metrics.close();
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(AccessLog.LOGGER)
        .detachAndStopAllAppenders();
    Files.deleteIfExists(file);
  }

  @Benchmark
  public void metrics() {
    metrics.guestRun("/hello", GuestOutcome.OK, 7_000, 800_000);
    metrics.requestDone(request);
  }

  @Benchmark
  public void accessLog() {
    accessLog.requestDone(request);
  }
}
