package dev.jwagi.routing;

import dev.jwagi.config.RoutePattern;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A route's guest stderr, appended to one file under the log directory. One per file for the
 * server's lifetime ({@link RouteStates}): a reload's new table writes through the same object. The
 * file is capped (--max-stderr-log): an append that would pass the cap first moves the file to
 * {@code .1} (replacing the one before), so a route's stderr takes at most twice the cap on disk;
 * and one run appends at most a quarter of the cap, the rest replaced by a note.
 */
final class StderrLog {
  private static final Logger log = LoggerFactory.getLogger(StderrLog.class);

  private final Path file;
  private final Path previous;
  private final long maxFileBytes;
  private final long maxRunBytes;

  /** The file's size as far as this log knows it; -1 until first needed. Guarded by this. */
  private long size = -1;

  StderrLog(Path file, long maxFileBytes) {
    this.file = file;
    this.previous = file.resolveSibling(file.getFileName() + ".1");
    this.maxFileBytes = maxFileBytes;
    this.maxRunBytes = maxFileBytes / 4;
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

  /**
   * A stream for one guest run's stderr: held until the run ends ({@link OutputStream#close}) and
   * then appended whole, so concurrent runs do not interleave; beyond {@link #HELD} bytes it is
   * appended piece by piece, so a run's stderr never sits in memory whole.
   */
  OutputStream open() {
    return new OutputStream() {
      // Made on the first write: most runs write no stderr, and need no buffer.
      private java.io.ByteArrayOutputStream held;
      private long taken;
      private boolean cut;

      @Override
      public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        if (taken + len > maxRunBytes) {
          len = (int) Math.max(0, maxRunBytes - taken);
          if (!cut) {
            cut = true;
            String note =
                "\n[jwagi: this run's stderr is cut here, at " + maxRunBytes + " bytes]\n";
            write(b, off, len);
            flushHeld();
            append(note.getBytes(java.nio.charset.StandardCharsets.UTF_8));
          }
          return;
        }
        taken += len;
        if (held == null) {
          held = new java.io.ByteArrayOutputStream(Math.max(256, len));
        }
        held.write(b, off, len);
        if (held.size() >= HELD) {
          flushHeld();
        }
      }

      @Override
      public void close() {
        flushHeld();
      }

      private void flushHeld() {
        if (held != null && held.size() > 0) {
          append(held.toByteArray());
          held.reset();
        }
      }
    };
  }

  /** Stderr bytes a run holds before it appends them to the file. */
  static final int HELD = 64 * 1024;

  /**
   * Appends whole, so concurrent requests of one route never interleave within an entry; rotates
   * first if the file would pass its cap.
   */
  synchronized void append(byte[] stderr) {
    if (stderr.length == 0) {
      return;
    }
    try {
      if (size < 0) {
        size = Files.exists(file) ? Files.size(file) : 0;
      }
      if (size > 0 && size + stderr.length > maxFileBytes) {
        Files.move(file, previous, StandardCopyOption.REPLACE_EXISTING);
        size = 0;
      }
      Files.write(file, stderr, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      size += stderr.length;
    } catch (IOException e) {
      size = -1;
      log.warn("cannot write guest stderr to {}: {}", file, e.toString());
    }
  }
}
