package dev.jwagi.routing;

import dev.jwagi.config.RoutePattern;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A route's guest stderr, appended to one file under the log directory. */
final class StderrLog {
  private static final Logger log = LoggerFactory.getLogger(StderrLog.class);

  private final Path file;

  StderrLog(Path logDir, RoutePattern route) {
    this.file = logDir.resolve(fileName(route));
  }

  /** "/env/..." → "env_wildcard.stderr.log"; "/" → "root.stderr.log". */
  static String fileName(RoutePattern route) {
    String name = route.wildcard() ? route.base() + "_wildcard" : route.text();
    name = name.replaceFirst("^/", "").replaceAll("[^A-Za-z0-9._-]", "_");
    return (name.isEmpty() ? "root" : name) + ".stderr.log";
  }

  Path file() {
    return file;
  }

  /** Appends whole, so concurrent requests of one route never interleave within an entry. */
  synchronized void append(byte[] stderr) {
    if (stderr.length == 0) {
      return;
    }
    try {
      Files.write(file, stderr, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      log.warn("cannot write guest stderr to {}: {}", file, e.toString());
    }
  }
}
