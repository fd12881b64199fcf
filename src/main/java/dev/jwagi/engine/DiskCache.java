package dev.jwagi.engine;

import com.dylibso.chicory.compiler.Cache;
import dev.jwagi.cache.PrivateDirectory;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiled module classes on disk, so a restart skips compilation. Entries live under a folder
 * named for the Chicory compiler version (classes from another compiler are never reused) and are
 * named by the module's SHA-256, which Chicory uses as the key.
 *
 * <p>An entry is JVM code the server will run, so whoever can write the cache can run code in the
 * server. The folders must be this user's alone ({@link PrivateDirectory}: made 0700, an existing
 * one refused if another user owns it or others may write it), and each entry carries an
 * HMAC-SHA256 of its key and contents under a key made at first use and kept 0600 beside the cache
 * ({@value #KEY_FILE}): an entry that does not verify, or that others may write, is not used (a
 * warning; the module is compiled and the entry written again). A folder that fails the rule turns
 * the cache off, with a warning.
 */
public final class DiskCache implements Cache {
  private static final Logger log = LoggerFactory.getLogger(DiskCache.class);

  static final String KEY_FILE = "cache.key";
  private static final int MAC_BYTES = 32;
  private static final String MAC = "HmacSHA256";

  private final Path root;
  private final Path dir;

  /** The HMAC key; null until the folders were checked, and if they may not be used. */
  private byte[] secret;

  private boolean checked;

  /** Entries {@link #contains} verified, handed to the compiler's {@link #get} that follows. */
  private final Map<String, byte[]> verified = new ConcurrentHashMap<>();

  /** Entries found untrustworthy (warned about once), until this server writes them anew. */
  private final Set<String> refused = ConcurrentHashMap.newKeySet();

  public DiskCache(Path root) {
    this.root = root;
    this.dir = root.resolve("chicory-" + compilerVersion());
  }

  public Path directory() {
    return dir;
  }

  /** Whether verified compiled classes for this key (a module digest) are stored. */
  public boolean contains(String key) {
    if (key == null) {
      return false;
    }
    byte[] code = load(key);
    if (code != null) {
      verified.put(key, code);
    }
    return code != null;
  }

  @Override
  public byte[] get(String key) throws IOException {
    byte[] code = verified.remove(key);
    return code != null ? code : load(key);
  }

  @Override
  public void putIfAbsent(String key, byte[] data) throws IOException {
    byte[] secret = secret();
    if (secret == null
        || verified.containsKey(key)
        || (!refused.contains(key) && load(key) != null)) {
      return;
    }
    // Written aside and renamed, so a concurrent reader or a crash never sees half an entry; a bad
    // entry there is replaced.
    write(key, ".classes", out -> out.write(data));
  }

  /** Writes an entry's contents to the stream it is given (see {@link #write}). */
  public interface EntryWriter {
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Reads an entry's contents from the stream it is given (see {@link #read}): it may be anything
   * (the stream is verified only once it has been read to its end), so a reader must fail cleanly,
   * with an exception, on bytes it does not expect, and bound what it allocates.
   */
  public interface EntryReader<T> {
    T readFrom(InputStream in) throws IOException;
  }

  /**
   * Stores an entry written as a stream, under the same rules and format as {@link #putIfAbsent}
   * (the HMAC computed as it is written, then put in front), so large entries are never held whole.
   * Replaces an entry already there.
   */
  public void write(String key, String suffix, EntryWriter writer) throws IOException {
    byte[] secret = secret();
    if (secret == null) {
      return;
    }
    Path temp = PrivateDirectory.createTempFile(dir, "entry");
    try {
      Mac mac = mac(secret, key);
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        channel.position(MAC_BYTES);
        var buffered =
            new BufferedOutputStream(
                new FilterOutputStream(Channels.newOutputStream(channel)) {
                  @Override
                  public void write(byte[] b, int off, int len) throws IOException {
                    mac.update(b, off, len);
                    out.write(b, off, len);
                  }

                  @Override
                  public void write(int b) throws IOException {
                    mac.update((byte) b);
                    out.write(b);
                  }

                  @Override
                  public void close() {} // the channel is closed below, after the MAC
                },
                1 << 16);
        writer.writeTo(buffered);
        buffered.flush();
        channel.write(ByteBuffer.wrap(mac.doFinal()), 0);
      }
      Path file = fileFor(key, suffix);
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      refused.remove(key);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  /**
   * An entry {@link #write} stored, read as a stream by {@code reader}: its result if the entry is
   * there and verifies (its HMAC checked once the reader is done and the stream read to its end),
   * else null. An entry that others may write, that does not verify or that the reader fails on is
   * not used: a warning, which says that {@code instead} happens.
   */
  public <T> T read(String key, String suffix, String instead, EntryReader<T> reader) {
    byte[] secret = secret();
    Path file = fileFor(key, suffix);
    if (secret == null || refused.contains(key) || !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    String problem = PrivateDirectory.check(file);
    if (problem == null) {
      try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
        byte[] stored = raw.readNBytes(MAC_BYTES);
        Mac mac = mac(secret, key);
        var in =
            new FilterInputStream(raw) {
              @Override
              public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                  mac.update((byte) b);
                }
                return b;
              }

              @Override
              public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) {
                  mac.update(b, off, n);
                }
                return n;
              }

              @Override
              public void close() {} // closed once verified
            };
        T result = reader.readFrom(in);
        in.transferTo(OutputStream.nullOutputStream()); // the MAC covers the whole entry
        if (stored.length == MAC_BYTES && MessageDigest.isEqual(mac.doFinal(), stored)) {
          return result;
        }
        problem = "it does not verify with " + root.resolve(KEY_FILE) + " (not written by jwagi)";
      } catch (IOException | RuntimeException e) {
        problem = "cannot read it: " + e;
      }
    }
    if (refused.add(key)) {
      log.warn("module cache entry {} not used: {}; {}", file, problem, instead);
    }
    return null;
  }

  /** A stored entry's classes if it may be trusted, else null (with a warning if it exists). */
  private byte[] load(String key) {
    byte[] secret = secret();
    Path file = fileFor(key);
    if (secret == null || refused.contains(key) || !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    String problem = PrivateDirectory.check(file);
    if (problem == null) {
      try {
        byte[] entry = Files.readAllBytes(file);
        if (entry.length >= MAC_BYTES) {
          byte[] data = Arrays.copyOfRange(entry, MAC_BYTES, entry.length);
          if (MessageDigest.isEqual(
              mac(secret, key, data), Arrays.copyOfRange(entry, 0, MAC_BYTES))) {
            return data;
          }
        }
        problem = "it does not verify with " + root.resolve(KEY_FILE) + " (not written by jwagi)";
      } catch (IOException e) {
        problem = "cannot read it: " + e;
      }
    }
    if (refused.add(key)) {
      log.warn("module cache entry {} not used: {}; compiling the module instead", file, problem);
    }
    return null;
  }

  /** The HMAC key, after checking the folders once (null: the cache is not to be used). */
  private synchronized byte[] secret() {
    if (!checked) {
      checked = true;
      String problem = PrivateDirectory.prepare(root);
      if (problem == null) {
        problem = PrivateDirectory.prepare(dir);
      }
      if (problem == null) {
        try {
          secret = PrivateDirectory.secret(root.resolve(KEY_FILE), MAC_BYTES);
        } catch (IOException e) {
          problem = e.getMessage();
        }
      }
      if (problem != null) {
        log.warn(
            "module cache {} not used: {}; every module is compiled at every start", root, problem);
      }
    }
    return secret;
  }

  private static byte[] mac(byte[] secret, String key, byte[] data) {
    return mac(secret, key).doFinal(data);
  }

  /** An entry's HMAC with its key fed in; its contents follow. */
  private static Mac mac(byte[] secret, String key) {
    try {
      Mac mac = Mac.getInstance(MAC);
      mac.init(new SecretKeySpec(secret, MAC));
      mac.update(key.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no " + MAC + " in this JVM", e);
    }
  }

  private Path fileFor(String key) {
    return fileFor(key, ".classes");
  }

  private Path fileFor(String key, String suffix) {
    // Keys look like "SHA-256:<base64>"; make them a portable file name.
    return dir.resolve(key.replace(':', '-').replace('/', '_').replace('+', '.') + suffix);
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
