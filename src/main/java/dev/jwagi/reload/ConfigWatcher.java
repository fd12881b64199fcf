package dev.jwagi.reload;

import dev.jwagi.config.AppConfig;
import dev.jwagi.source.Digest;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code --watch}: reloads when a file of the configuration changes. It watches the folders the
 * files are in (a file itself cannot be watched, and an editor or a Kubernetes ConfigMap replaces
 * files rather than writing them: a ConfigMap update swaps the {@code ..data} symlink of the
 * mounted folder), and also the folder a symlinked file really lives in. Only events that name a
 * watched file, or the first step of its symlink ({@code ..data}), count: other files of those
 * folders (logs, say) cost nothing. After a burst of such events has been quiet for {@link #QUIET},
 * it compares the files' contents with what it saw last and reloads only if one differs. The
 * folders follow the configuration now serving (a reload may name new module files).
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ConfigWatcher.class);

  /** How long a burst of changes must have been quiet before the files are compared. */
  static final long QUIET = TimeUnit.MILLISECONDS.toNanos(200);

  /** How often an idle watcher looks whether a reload (SIGHUP) changed the files to watch. */
  private static final long IDLE = TimeUnit.SECONDS.toNanos(1);

  private static final String ABSENT = "absent";

  private final Reloader reloader;
  private final Function<AppConfig, Set<Path>> files;
  private final WatchService service;
  private final Map<Path, WatchKey> folders = new HashMap<>();

  /** Per folder watched, the names in it whose events count. */
  private final Map<Path, Set<String>> names = new HashMap<>();

  private final Debounce debounce = new Debounce(QUIET);
  private final Thread thread;

  /** The configuration whose files are watched, and their contents as last seen. */
  private AppConfig watched;

  private Map<Path, String> seen;
  private volatile boolean closed;

  private ConfigWatcher(
      Reloader reloader, Function<AppConfig, Set<Path>> files, WatchService service) {
    this.reloader = reloader;
    this.files = files;
    this.service = service;
    this.thread = new Thread(this::run, "jwagi-watch");
    this.thread.setDaemon(true);
  }

  /**
   * Watches {@code files} of the configuration serving now (and of each one a reload serves), and
   * reloads through {@code reloader} when one changes.
   */
  public static ConfigWatcher start(Reloader reloader, Function<AppConfig, Set<Path>> files)
      throws IOException {
    ConfigWatcher watcher =
        new ConfigWatcher(reloader, files, FileSystems.getDefault().newWatchService());
    watcher.follow(reloader.config());
    log.info(
        "--watch: reloading when one of {} changes (watching {})",
        files.apply(reloader.config()),
        watcher.folders.keySet());
    watcher.thread.start();
    return watcher;
  }

  private void run() {
    try {
      while (!closed) {
        if (reloader.config() != watched) {
          follow(reloader.config()); // a reload from elsewhere (SIGHUP)
        }
        long wait = debounce.waitNanos(System.nanoTime());
        WatchKey key = service.poll(wait < 0 ? IDLE : wait, TimeUnit.NANOSECONDS);
        while (key != null) {
          Set<String> wanted = names.getOrDefault((Path) key.watchable(), Set.of());
          for (WatchEvent<?> event : key.pollEvents()) {
            if (event.kind() == StandardWatchEventKinds.OVERFLOW
                || wanted.contains(String.valueOf(event.context()))) {
              debounce.changed(System.nanoTime());
            }
          }
          key.reset();
          key = service.poll();
        }
        if (debounce.due(System.nanoTime())) {
          check();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    } catch (RuntimeException e) {
      log.error("--watch stopped: {}", e.toString(), e);
    }
  }

  /** Reloads if a watched file's content differs from what was seen last. */
  private void check() {
    Map<Path, String> now = contents(files.apply(watched));
    List<Path> changed = new ArrayList<>();
    now.forEach(
        (file, content) -> {
          if (!content.equals(seen.get(file))) {
            changed.add(file);
          }
        });
    if (changed.isEmpty()) {
      watchFolders(now.keySet()); // a symlink swap with the same content may move real folders
      return;
    }
    seen = now;
    reloader.reload("--watch: " + changed + " changed");
    if (reloader.config() != watched) {
      follow(reloader.config());
    }
  }

  /** Watches the files of {@code config}, as they are now. */
  private void follow(AppConfig config) {
    watched = config;
    Set<Path> current = files.apply(config);
    seen = contents(current);
    watchFolders(current);
  }

  private void watchFolders(Set<Path> current) {
    names.clear();
    for (Path file : current) {
      Path absolute = file.toAbsolutePath();
      watchName(absolute.getParent(), absolute.getFileName());
      try {
        if (Files.isSymbolicLink(absolute)) { // a ConfigMap's key: modules.toml -> ..data/...
          Path target = Files.readSymbolicLink(absolute);
          if (!target.isAbsolute()) {
            watchName(absolute.getParent(), target.getName(0));
          }
        }
        Path real = absolute.toRealPath();
        watchName(real.getParent(), real.getFileName());
      } catch (IOException e) {
        // absent now: its folder as named is watched
      }
    }
    Set<Path> wanted = names.keySet();
    folders
        .entrySet()
        .removeIf(
            entry -> {
              if (wanted.contains(entry.getKey()) && entry.getValue().isValid()) {
                return false;
              }
              entry.getValue().cancel();
              return true;
            });
    for (Path folder : wanted) {
      if (!folders.containsKey(folder)) {
        try {
          folders.put(
              folder,
              folder.register(
                  service,
                  StandardWatchEventKinds.ENTRY_CREATE,
                  StandardWatchEventKinds.ENTRY_DELETE,
                  StandardWatchEventKinds.ENTRY_MODIFY));
        } catch (NoSuchFileException e) {
          log.warn("--watch: folder {} does not exist; changes there are not seen", folder);
        } catch (IOException e) {
          log.warn("--watch: cannot watch {}: {}", folder, e.toString());
        }
      }
    }
  }

  private void watchName(Path folder, Path name) {
    if (folder != null && name != null) {
      names.computeIfAbsent(folder, f -> new HashSet<>()).add(name.toString());
    }
  }

  /** Each file's digest, or {@value #ABSENT}. */
  private static Map<Path, String> contents(Set<Path> files) {
    Map<Path, String> contents = new HashMap<>();
    for (Path file : files) {
      String content;
      try {
        content = Digest.of(Files.readAllBytes(file)).hex();
      } catch (IOException e) {
        content = ABSENT;
      }
      contents.put(file, content);
    }
    return contents;
  }

  @Override
  public void close() {
    closed = true;
    try {
      service.close();
    } catch (IOException e) {
      // nothing to do: it is going away
    }
    thread.interrupt();
  }
}
