package dev.jwagi.http;

import java.io.Closeable;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where request bodies go beyond their window in memory (--spool-dir), as nginx buffers client
 * bodies: one file per request, unlinked as soon as it is open (so nothing is left behind, whatever
 * happens to the request or the process), within a server-wide disk budget (--max-spool).
 * Thread-safe.
 */
final class Spool {
  private static final Logger log = LoggerFactory.getLogger(Spool.class);

  static final String PREFIX = "jwagi-body-";
  static final String SUFFIX = ".spool";

  private final Path dir;
  private final long limit;
  private final AtomicLong used = new AtomicLong();

  Spool(Path dir, long limit) {
    this.dir = dir;
    this.limit = limit;
  }

  /**
   * Deletes spool files a crashed jwagi left in {@code dir} (only where an open file cannot be
   * unlinked, or a crash came between creating and unlinking one).
   */
  static void clearLeftovers(Path dir) {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, PREFIX + "*" + SUFFIX)) {
      for (Path file : files) {
        try {
          Files.deleteIfExists(file);
          log.info("deleted a request body left in the spool: {}", file);
        } catch (IOException e) {
          log.debug("cannot delete {}: {}", file, e.toString()); // another server's, still open
        }
      }
    } catch (IOException e) {
      log.warn("--spool-dir {}: cannot list: {}", dir, e.toString());
    }
  }

  /** Reserves {@code bytes} of the disk budget if they fit now. */
  boolean tryReserve(long bytes) {
    for (; ; ) {
      long now = used.get();
      if (bytes > limit - now) {
        return false;
      }
      if (used.compareAndSet(now, now + bytes)) {
        return true;
      }
    }
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  /** Bytes of the disk budget reserved now. */
  long used() {
    return used.get();
  }

  /** A new spool file, already unlinked where the system allows it. */
  File open() throws IOException {
    Path path =
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix")
            ? Files.createTempFile(
                dir,
                PREFIX,
                SUFFIX,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
            : Files.createTempFile(dir, PREFIX, SUFFIX);
    RandomAccessFile file;
    try {
      // RandomAccessFile, not a FileChannel: interrupting the reading guest's thread (its
      // deadline) must not close the file under the connection that writes it.
      file = new RandomAccessFile(path.toFile(), "rw");
    } catch (IOException e) {
      Files.deleteIfExists(path);
      throw e;
    }
    try {
      Files.delete(path);
      path = null;
    } catch (NoSuchFileException e) {
      path = null; // another server's start-up cleared it: the open file lives on
    } catch (IOException e) {
      // Not on this system while the file is open: deleted when it is closed.
    }
    return new File(file, path);
  }

  /**
   * One request's spool file. Not thread-safe: {@link RequestBody} uses it under its lock, so a
   * read never races the close that follows a failure (the descriptor could be reused).
   */
  static final class File implements Closeable {
    private final RandomAccessFile file;
    private final Path path;

    private File(RandomAccessFile file, Path path) {
      this.file = file;
      this.path = path;
    }

    void write(long position, byte[] bytes, int offset, int length) throws IOException {
      file.seek(position);
      file.write(bytes, offset, length);
    }

    int read(long position, byte[] into, int offset, int length) throws IOException {
      file.seek(position);
      return file.read(into, offset, length);
    }

    @Override
    public void close() {
      try {
        file.close();
      } catch (IOException e) {
        log.debug("closing a spool file: {}", e.toString());
      }
      if (path != null) {
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) {
          log.warn("cannot delete the spool file {}: {}", path, e.toString());
        }
      }
    }
  }
}
