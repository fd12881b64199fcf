package dev.jwagi.cache;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.Set;

/**
 * The rule for jwagi's cache directories (compiled modules, downloaded modules): whoever can write
 * them can change what the server runs, so they must be this process's user's alone. A directory
 * jwagi creates is 0700 and a file 0600; an existing directory or file is used only if this user
 * owns it and neither group nor others may write it. Where the file system has no POSIX owners and
 * modes, nothing can be checked and everything is accepted.
 */
public final class PrivateDirectory {
  private static final Set<PosixFilePermission> WRITE_BY_OTHERS =
      Set.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE);

  private static UserPrincipal self;

  private PrivateDirectory() {}

  /**
   * Creates {@code dir} (and missing parents) 0700, or checks an existing one; null if it may be
   * used, else why not (for a warning).
   */
  public static String prepare(Path dir) {
    try {
      if (!Files.isDirectory(dir)) {
        try {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(only("rwx------")));
        } catch (UnsupportedOperationException e) {
          Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
          // made meanwhile, or a file: checked below
        }
      }
      return problem(dir.toRealPath(), true);
    } catch (IOException e) {
      return "cannot create or check it: " + e;
    }
  }

  /** Null if {@code file} (which must exist) may be trusted, else why not. */
  public static String check(Path file) {
    try {
      return problem(file, false);
    } catch (IOException e) {
      return "cannot check it: " + e;
    }
  }

  /** A new empty file in {@code dir}, 0600, to write and then move into place. */
  public static Path createTempFile(Path dir, String prefix) throws IOException {
    try {
      return Files.createTempFile(
          dir, prefix, ".tmp", PosixFilePermissions.asFileAttribute(only("rw-------")));
    } catch (UnsupportedOperationException e) {
      return Files.createTempFile(dir, prefix, ".tmp");
    }
  }

  /**
   * The secret of {@code length} random bytes kept in {@code file} (0600, this user's, readable by
   * nobody else), made on first use.
   *
   * @throws IOException saying why the file cannot be made or trusted
   */
  public static byte[] secret(Path file, int length) throws IOException {
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      byte[] fresh = new byte[length];
      new SecureRandom().nextBytes(fresh);
      Path temp = createTempFile(file.getParent(), "key");
      try {
        Files.write(temp, fresh);
        Files.createLink(file, temp); // fails if another process made it meanwhile: use that one
      } catch (FileAlreadyExistsException e) {
        // read below
      } finally {
        Files.deleteIfExists(temp);
      }
    }
    String problem = problem(file, false);
    if (problem == null) {
      try {
        for (PosixFilePermission p :
            Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS)) {
          if (!p.name().startsWith("OWNER_")) {
            problem = file + " may be read by others (mode must be 0600)";
          }
        }
      } catch (UnsupportedOperationException e) {
        // no modes to check
      }
    }
    byte[] secret = problem == null ? Files.readAllBytes(file) : null;
    if (problem == null && secret.length != length) {
      problem = file + " does not hold a " + length + "-byte key";
    }
    if (problem != null) {
      throw new IOException(problem);
    }
    return secret;
  }

  private static Set<PosixFilePermission> only(String permissions) {
    return PosixFilePermissions.fromString(permissions);
  }

  private static String problem(Path path, boolean directory) throws IOException {
    PosixFileAttributes attributes;
    try {
      attributes = Files.readAttributes(path, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException e) {
      return null; // no owners and modes to check
    }
    if (directory ? !attributes.isDirectory() : !attributes.isRegularFile()) {
      return path + " is not a " + (directory ? "directory" : "regular file");
    }
    UserPrincipal owner = attributes.owner();
    if (!owner.equals(self())) {
      return path + " is owned by " + owner.getName() + ", not by " + self().getName();
    }
    for (PosixFilePermission p : attributes.permissions()) {
      if (WRITE_BY_OTHERS.contains(p)) {
        return path
            + " may be written by others (mode "
            + PosixFilePermissions.toString(attributes.permissions())
            + ")";
      }
    }
    return null;
  }

  /** This process's user: the owner of a file it creates. */
  private static synchronized UserPrincipal self() throws IOException {
    if (self == null) {
      Path probe = Files.createTempFile("jwagi-owner", ".tmp");
      try {
        self = Files.getOwner(probe);
      } finally {
        Files.delete(probe);
      }
    }
    return self;
  }
}
