package dev.jwagi.source;

import dev.jwagi.cache.PrivateDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloaded modules on disk, named by digest ({@code blobs/sha256/HEX.wasm}), and what each OCI
 * reference last resolved to ({@code oci/}). A blob is hashed again whenever it is used, so a
 * changed file is never taken for its name; a resolution is used only from a file this user alone
 * may write ({@link PrivateDirectory}), in folders made 0700.
 */
final class BlobStore {
  private static final Logger log = LoggerFactory.getLogger(BlobStore.class);
  private static final long MAX_MODULE_BYTES = 1L << 30;

  private final Path dir;

  BlobStore(Path dir) {
    this.dir = dir;
  }

  private Path blobFile(Digest digest) {
    return dir.resolve("blobs").resolve("sha256").resolve(digest.hex() + ".wasm");
  }

  /** The stored blob of this digest, if there is one and its bytes still have that digest. */
  Path cached(Digest digest) {
    Path blob = blobFile(digest);
    if (!Files.isRegularFile(blob)) {
      return null;
    }
    try (InputStream in = Files.newInputStream(blob)) {
      Digest actual = hash(in, null);
      if (actual.equals(digest)) {
        return blob;
      }
      log.warn("{} has digest {}, not its name's: not used, downloading it again", blob, actual);
    } catch (IOException | FetchException e) {
      log.warn("{} cannot be read ({}): downloading it again", blob, e.toString());
    }
    return null;
  }

  /**
   * Streams {@code body} to a temporary file while computing its digest; keeps it under its digest
   * if it matches {@code expected}, else fails naming both digests.
   */
  Path store(InputStream body, Digest expected, String expectedSource) throws FetchException {
    Path target = blobFile(expected);
    Path temp = null;
    try {
      prepare(target.getParent());
      temp = PrivateDirectory.createTempFile(target.getParent(), "download");
      Digest actual;
      try (InputStream in = body;
          OutputStream out = Files.newOutputStream(temp)) {
        actual = hash(in, out);
      }
      if (!actual.equals(expected)) {
        throw new FetchException(
            "bad digest: the downloaded bytes have digest "
                + actual
                + ", but "
                + expectedSource
                + " "
                + expected);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new FetchException("cannot download into " + target.getParent() + ": " + e, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          log.warn("cannot remove {}: {}", temp, e.toString());
        }
      }
    }
  }

  /** The digest of what {@code in} holds, copied to {@code out} (or null) on the way. */
  private static Digest hash(InputStream in, OutputStream out) throws IOException, FetchException {
    MessageDigest sha = Digest.sha256();
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
      total += n;
      if (total > MAX_MODULE_BYTES) {
        throw new FetchException("the module is larger than " + (MAX_MODULE_BYTES >> 20) + " MiB");
      }
      sha.update(buffer, 0, n);
      if (out != null) {
        out.write(buffer, 0, n);
      }
    }
    return new Digest(HexFormat.of().formatHex(sha.digest()));
  }

  private void prepare(Path folder) throws IOException {
    for (Path p : List.of(dir, folder)) {
      String problem = PrivateDirectory.prepare(p);
      if (problem != null) {
        throw new IOException(problem);
      }
    }
  }

  /** Where the layer digest a reference last resolved to is kept (named by its hash). */
  private Path resolutionFile(OciReference ref) {
    Digest key = Digest.of(ref.toString().getBytes(StandardCharsets.UTF_8));
    return dir.resolve("oci").resolve(key.hex());
  }

  /** The stored blob the reference last resolved to, or null. */
  Path resolved(OciReference ref) {
    Path resolution = resolutionFile(ref);
    try {
      if (!Files.exists(resolution)) {
        return null;
      }
      String problem = PrivateDirectory.check(resolution);
      if (problem == null) {
        problem = PrivateDirectory.prepare(resolution.getParent());
      }
      if (problem != null) {
        log.warn("ignoring the module cache entry {}: {}", resolution, problem);
        return null;
      }
      List<String> lines = Files.readAllLines(resolution, StandardCharsets.UTF_8);
      return cached(Digest.parse(lines.get(1)));
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring the unreadable cache entry {}: {}", resolution, e.toString());
      return null;
    }
  }

  void remember(OciReference ref, Digest layer) {
    Path resolution = resolutionFile(ref);
    try {
      prepare(resolution.getParent());
      Path temp = PrivateDirectory.createTempFile(resolution.getParent(), "resolution");
      Files.writeString(temp, ref + "\n" + layer + "\n", StandardCharsets.UTF_8);
      Files.move(
          temp, resolution, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      log.warn("cannot remember that {} is {}: {}", ref, layer, e.toString());
    }
  }
}
