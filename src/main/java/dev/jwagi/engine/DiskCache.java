package dev.jwagi.engine;

import com.dylibso.chicory.compiler.Cache;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

/**
 * Compiled module classes on disk, so a restart skips compilation. Entries live under a folder
 * named for the Chicory compiler version (classes from another compiler are never reused) and are
 * named by the module's SHA-256, which Chicory uses as the key.
 */
public final class DiskCache implements Cache {
  private final Path dir;

  public DiskCache(Path root) {
    this.dir = root.resolve("chicory-" + compilerVersion());
  }

  public Path directory() {
    return dir;
  }

  /** Whether compiled classes for this key (a module digest) are stored. */
  public boolean contains(String key) {
    return key != null && Files.isRegularFile(fileFor(key));
  }

  @Override
  public byte[] get(String key) throws IOException {
    try {
      return Files.readAllBytes(fileFor(key));
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public void putIfAbsent(String key, byte[] data) throws IOException {
    Path target = fileFor(key);
    if (Files.exists(target)) {
      return;
    }
    Files.createDirectories(dir);
    // Write aside and rename, so a concurrent reader or a crash never sees half an entry.
    Path temp = Files.createTempFile(dir, "entry", ".tmp");
    try {
      Files.write(temp, data);
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private Path fileFor(String key) {
    // Keys look like "SHA-256:<base64>"; make them a portable file name.
    return dir.resolve(key.replace(':', '-').replace('/', '_').replace('+', '.') + ".classes");
  }

  static String compilerVersion() {
    String resource = "/META-INF/maven/com.dylibso.chicory/compiler/pom.properties";
    try (InputStream in = Cache.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("Chicory compiler version unknown: " + resource);
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
