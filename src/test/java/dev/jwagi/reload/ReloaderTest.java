package dev.jwagi.reload;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.jwagi.Main;
import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigException;
import dev.jwagi.config.ConfigLoader;
import dev.jwagi.observe.ServerEvents;
import dev.jwagi.routing.Readiness;
import dev.jwagi.routing.RoutingTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The reloader's rules, with tables of its own: what it serves, reports, warns and folds. */
class ReloaderTest {
  @TempDir Path dir;

  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final List<RoutingTable> served = new CopyOnWriteArrayList<>();
  private final CountDownLatch twoServed = new CountDownLatch(2);
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final ServerEvents listener =
      new ServerEvents() {
        @Override
        public void configServed(boolean reload, Collection<String> routes) {
          events.add("served " + reload);
        }

        @Override
        public void configReloadFailed() {
          events.add("failed");
        }
      };

  @BeforeEach
  void capture() {
    logged.start();
    ((Logger) LoggerFactory.getLogger(Reloader.class)).addAppender(logged);
  }

  @AfterEach
  void release() {
    ((Logger) LoggerFactory.getLogger(Reloader.class)).detachAppender(logged);
  }

  private AppConfig load(String... flags) throws ConfigException, java.io.IOException {
    Path toml = dir.resolve("modules.toml");
    if (!Files.exists(toml)) {
      Files.writeString(toml, "");
    }
    List<String> args =
        new java.util.ArrayList<>(
            List.of("-c", toml.toString(), "--log-dir", dir.toString(), "--no-module-cache"));
    args.addAll(List.of(flags));
    return new ConfigLoader(dir).load(Main.parse(args.toArray(String[]::new), null));
  }

  /** Tables that build an empty table (after {@code build} runs) and record what is served. */
  private Reloader.Tables tables(Runnable build) {
    return new Reloader.Tables() {
      @Override
      public RoutingTable build(AppConfig config) {
        build.run();
        return RoutingTable.of(List.of(), new Readiness());
      }

      @Override
      public void serve(RoutingTable table) {
        served.add(table);
        twoServed.countDown();
      }
    };
  }

  private List<String> warnings() {
    return logged.list.stream()
        .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void aFlagFixedAtStartUpThatDiffersIsNamedAndTheRestServes() throws Exception {
    AppConfig running = load("-l", "127.0.0.1:0");
    AppConfig next = load("-l", "127.0.0.1:1", "--queue", "7");
    try (Reloader reloader = new Reloader(() -> next, running, tables(() -> {}), listener)) {
      Reloader.Outcome outcome = reloader.reload("test");
      assertThat(outcome).isEqualTo(new Reloader.Outcome(true, 2, null));
      assertThat(reloader.config()).isSameAs(next);
      assertThat(served).hasSize(1);
      assertThat(events).containsExactly("served true");
      assertThat(warnings())
          .containsExactly(
              "reload: -l/--listen (or PORT), --queue differ from the running server's and take"
                  + " effect only at a restart; the rest of the configuration is reloaded");
      // The same flags again: nothing to warn about.
      logged.list.clear();
      AppConfig same = load("-l", "127.0.0.1:1", "--queue", "7");
      try (Reloader again = new Reloader(() -> same, next, tables(() -> {}), listener)) {
        assertThat(again.reload("test").ok()).isTrue();
        assertThat(warnings()).isEmpty();
      }
    }
  }

  @Test
  void aFailedConfigurationServesNothingAndIsReportedWithItsError() throws Exception {
    AppConfig running = load();
    String error = "modules.toml: [[module]] #1 (route \"/a\"): key `module`: no file \"a.wasm\"";
    try (Reloader reloader =
        new Reloader(
            () -> {
              throw new ConfigException(error);
            },
            running,
            tables(() -> {}),
            listener)) {
      assertThat(reloader.reload("test")).isEqualTo(new Reloader.Outcome(false, 1, error));
      assertThat(reloader.config()).isSameAs(running);
      assertThat(served).isEmpty();
      assertThat(events).containsExactly("failed");
      assertThat(warnings())
          .containsExactly("reload failed, the previous configuration goes on serving: " + error);
    }
  }

  @Test
  void backgroundRequestsWhileOneWaitsAreFoldedIntoIt() throws Exception {
    AppConfig running = load();
    CountDownLatch building = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    AtomicInteger builds = new AtomicInteger();
    try (Reloader reloader =
        new Reloader(
            () -> running,
            running,
            tables(
                () -> {
                  if (builds.incrementAndGet() == 1) {
                    building.countDown();
                    try {
                      proceed.await();
                    } catch (InterruptedException e) {
                      throw new IllegalStateException(e);
                    }
                  }
                }),
            listener)) {
      reloader.reloadInBackground("first");
      assertThat(building.await(30, TimeUnit.SECONDS)).isTrue();
      // While the first builds: one more is queued, the others fold into it.
      reloader.reloadInBackground("second");
      reloader.reloadInBackground("third");
      reloader.reloadInBackground("fourth");
      proceed.countDown();
      assertThat(twoServed.await(30, TimeUnit.SECONDS)).isTrue();
      // Nothing else was queued: the next reload is the third.
      assertThat(reloader.reload("last").generation()).isEqualTo(4);
      assertThat(builds).hasValue(3);
      assertThat(served).hasSize(3);
    }
  }

  @Test
  void aClosedReloaderReloadsNothing() throws Exception {
    AppConfig running = load();
    Reloader reloader = new Reloader(() -> running, running, tables(() -> {}), listener);
    reloader.close();
    assertThat(reloader.reload("test").ok()).isFalse();
    reloader.reloadInBackground("test");
    assertThat(served).isEmpty();
  }
}
