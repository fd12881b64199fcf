package dev.jwagi.engine;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Resolves a guest path inside its volume with no window between check and use: from an open
 * directory ({@link SecureDirectoryStream}, whose methods work on the directory's descriptor, as
 * openat does), one component at a time, never letting the kernel follow a symlink. A symlink met
 * on the way is read and its target walked the same way (relative to the link's directory, or an
 * absolute target inside one of the volumes from that volume's root); {@code ..} above the volume
 * root, or a target outside every volume, is refused. So whatever a concurrent guest renames, links
 * or removes, the walk stays inside.
 *
 * <p>The JDK has no mkdirat, symlinkat, linkat or readlinkat: those four go by host path, which is
 * made safe by a lock: they run alone ({@link #exclusive}) after checking that the path still names
 * the directory the walk opened, while every call that can remove or move a name (unlink, rmdir,
 * rename) takes the shared side. Creating a file or directory changes no existing name, so a path
 * checked under the exclusive lock keeps its meaning until the call is done.
 */
final class VolumePaths {
  static final int MAX_SYMLINKS = 40;

  /** Longer guest paths are refused (PATH_MAX), and deeper walks: each level holds a descriptor. */
  static final int MAX_PATH = 4096;

  static final int MAX_DEPTH = 256;
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  /** One for the server: volumes may overlap, and routes may share them. */
  private static final ReadWriteLock LOCK = new ReentrantReadWriteLock();

  private VolumePaths() {}

  /**
   * A volume of a run: its guest path, its host directory (real path), whether the guest may only
   * read it, its root (opened lazily).
   */
  static final class Volume implements Closeable {
    final String guestPath;
    final Path root;
    final boolean readOnly;
    private SecureDirectoryStream<Path> stream;

    Volume(String guestPath, Path root, boolean readOnly) {
      this.guestPath = guestPath;
      this.root = root;
      this.readOnly = readOnly;
    }

    SecureDirectoryStream<Path> stream() throws IOException {
      if (stream == null) {
        stream = open(root);
      }
      return stream;
    }

    @Override
    public void close() throws IOException {
      if (stream != null) {
        stream.close();
      }
    }
  }

  /**
   * A digest of what an init could read from {@code volumes} (guest path → host directory, in
   * order): each volume's guest path and host directory, then for every entry under it (walked
   * without following symlinks, as a guest sees the tree) its relative path, type, size, modified
   * time in whole seconds and, for a symlink, its target; sorted, so that the order a file system
   * lists a directory in does not matter. A changed, added or removed file changes it. Whole
   * seconds, since an image layer keeps no finer time (a container's files may come from one): a
   * rewrite keeping both the size and the second is not seen.
   */
  static String stamp(Map<String, Path> volumes) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (var volume : volumes.entrySet()) {
      Path root = volume.getValue();
      List<String> entries = new ArrayList<>();
      Files.walkFileTree(
          root,
          EnumSet.noneOf(FileVisitOption.class),
          MAX_DEPTH,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              entries.add(line(dir, attrs));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              String line = line(file, attrs);
              entries.add(
                  attrs.isSymbolicLink() ? line + "\0" + Files.readSymbolicLink(file) : line);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              // The guest cannot read it either: that it is there is what counts.
              entries.add(root.relativize(file) + "\0?");
              return FileVisitResult.CONTINUE;
            }

            private String line(Path path, BasicFileAttributes attrs) {
              char type =
                  attrs.isDirectory()
                      ? 'd'
                      : attrs.isRegularFile() ? 'f' : attrs.isSymbolicLink() ? 'l' : 'o';
              return root.relativize(path)
                  + "\0"
                  + type
                  + attrs.size()
                  + "\0"
                  + attrs.lastModifiedTime().to(TimeUnit.SECONDS);
            }
          });
      Collections.sort(entries);
      sha.update((volume.getKey() + "\0" + root + "\0").getBytes(StandardCharsets.UTF_8));
      for (String entry : entries) {
        sha.update((entry + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Opens a host directory for openat-style access; fails where the platform has none. */
  static SecureDirectoryStream<Path> open(Path directory) throws IOException {
    DirectoryStream<Path> stream = Files.newDirectoryStream(directory);
    if (stream instanceof SecureDirectoryStream) {
      return (SecureDirectoryStream<Path>) stream;
    }
    stream.close();
    throw new IOException(
        "this platform cannot open files relative to a directory (no SecureDirectoryStream), which"
            + " jwagi needs to keep guests inside their volumes");
  }

  /**
   * Where a guest path leads: the directory that holds its last component ({@link #dir}, open), and
   * that component's name, or null when the path names that directory itself ({@code .}). Close it:
   * it owns the directories opened on the way.
   */
  static final class Target implements Closeable {
    final Volume volume;
    final SecureDirectoryStream<Path> dir;

    /** The names from the volume root to {@link #dir}. */
    final List<String> names;

    final String name;

    /** Whether the path ended in '/': it must name a directory. */
    final boolean directoryOnly;

    private final List<SecureDirectoryStream<Path>> owned;

    private Target(
        Volume volume,
        SecureDirectoryStream<Path> dir,
        List<String> names,
        String name,
        boolean directoryOnly,
        List<SecureDirectoryStream<Path>> owned) {
      this.volume = volume;
      this.dir = dir;
      this.names = names;
      this.name = name;
      this.directoryOnly = directoryOnly;
      this.owned = owned;
    }

    Path entry() {
      return Path.of(name);
    }

    /** Refuses a change where the path leads, if that is a read-only volume. */
    void writable() throws Errno.Failure {
      if (volume.readOnly) {
        throw new Errno.Failure(Errno.ROFS);
      }
    }

    /** The last component's attributes (not following a symlink), or null if it does not exist. */
    BasicFileAttributes attributes() throws IOException {
      try {
        return name == null
            ? dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes()
            : dir.getFileAttributeView(entry(), BasicFileAttributeView.class, NOFOLLOW)
                .readAttributes();
      } catch (NoSuchFileException e) {
        return null;
      }
    }

    /**
     * The host path of {@link #dir}; only to be used under {@link #exclusive}, after {@link
     * #verify}.
     */
    Path hostDir() {
      Path path = volume.root;
      for (String n : names) {
        path = path.resolve(n);
      }
      return path;
    }

    /**
     * Checks, under {@link #exclusive}, that {@link #hostDir} still names the directory the walk
     * opened, so a call by host path lands where the walk did.
     */
    Path verifiedHostDir() throws IOException, Errno.Failure {
      Path host = hostDir();
      Object opened =
          dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
      Object named = Files.readAttributes(host, BasicFileAttributes.class, NOFOLLOW).fileKey();
      if (opened == null || !opened.equals(named)) {
        throw new Errno.Failure(Errno.NOENT); // moved since the walk
      }
      return host;
    }

    @Override
    public void close() throws IOException {
      for (SecureDirectoryStream<Path> stream : owned) {
        stream.close();
      }
    }
  }

  /**
   * Walks {@code path} from {@code start} (an open directory of {@code volume} at {@code
   * startNames} below its root). {@code followLast}: whether a symlink as the last component is
   * followed too. {@code volumes}: where an absolute symlink target may lead.
   */
  static Target walk(
      List<Volume> volumes,
      Volume volume,
      SecureDirectoryStream<Path> start,
      List<String> startNames,
      String path,
      boolean followLast)
      throws IOException, Errno.Failure {
    if (path.isEmpty() || path.indexOf('\0') >= 0) {
      throw new Errno.Failure(path.isEmpty() ? Errno.NOENT : Errno.INVAL);
    }
    if (path.startsWith("/")) {
      throw new Errno.Failure(Errno.NOTCAPABLE);
    }
    if (path.length() > MAX_PATH) {
      throw new Errno.Failure(Errno.NAMETOOLONG);
    }
    boolean directoryOnly = path.endsWith("/");
    Deque<String> todo = new ArrayDeque<>(components(path));
    List<SecureDirectoryStream<Path>> owned = new ArrayList<>();
    try {
      // The directories opened on the way down; the last is where the walk is (at names).
      List<SecureDirectoryStream<Path>> streams = new ArrayList<>(List.of(start));
      List<String> names = new ArrayList<>(startNames);
      int links = 0;
      String last = null;
      while (!todo.isEmpty()) {
        String c = todo.removeFirst();
        boolean isLast = todo.isEmpty();
        if (c.equals(".")) {
          continue;
        }
        if (c.equals("..")) {
          if (names.isEmpty()) {
            throw new Errno.Failure(Errno.NOTCAPABLE); // above the volume root
          }
          names.remove(names.size() - 1);
          if (streams.size() > 1) {
            streams.remove(streams.size() - 1);
          } else {
            streams = new ArrayList<>(List.of(along(volume, names, owned)));
          }
          continue;
        }
        SecureDirectoryStream<Path> top = streams.get(streams.size() - 1);
        if (isLast && !followLast && !directoryOnly) {
          last = c;
          break;
        }
        BasicFileAttributes attributes;
        try {
          attributes =
              top.getFileAttributeView(name(c), BasicFileAttributeView.class, NOFOLLOW)
                  .readAttributes();
        } catch (NoSuchFileException e) {
          if (isLast) {
            last = c;
            break;
          }
          throw e;
        }
        if (attributes.isSymbolicLink()) {
          if (++links > MAX_SYMLINKS) {
            throw new Errno.Failure(Errno.LOOP);
          }
          String target = readLink(volume, top, names, c);
          if (target.startsWith("/")) {
            Volume into = volumeOf(volumes, target);
            if (into == null) {
              throw new Errno.Failure(Errno.NOTCAPABLE); // an absolute target outside the volumes
            }
            volume = into;
            names = new ArrayList<>();
            streams = new ArrayList<>(List.of(into.stream()));
            target = into.root.relativize(Path.of(target).normalize()).toString();
          }
          List<String> parts = components(target);
          if (target.endsWith("/") && isLast) {
            directoryOnly = true;
          }
          for (int i = parts.size() - 1; i >= 0; i--) {
            todo.addFirst(parts.get(i));
          }
          continue;
        }
        if (isLast) {
          last = c;
          break;
        }
        if (!attributes.isDirectory()) {
          throw new Errno.Failure(Errno.NOTDIR);
        }
        if (owned.size() >= MAX_DEPTH) {
          throw new Errno.Failure(Errno.NAMETOOLONG);
        }
        SecureDirectoryStream<Path> child = top.newDirectoryStream(name(c), NOFOLLOW);
        owned.add(child);
        streams.add(child);
        names.add(c);
      }
      return new Target(volume, streams.get(streams.size() - 1), names, last, directoryOnly, owned);
    } catch (IOException | Errno.Failure | RuntimeException e) {
      for (SecureDirectoryStream<Path> stream : owned) {
        stream.close();
      }
      throw e;
    }
  }

  private static Path name(String component) throws Errno.Failure {
    try {
      return Path.of(component);
    } catch (InvalidPathException e) {
      throw new Errno.Failure(Errno.INVAL);
    }
  }

  /** The directory {@code names} below the volume root, opened component by component. */
  private static SecureDirectoryStream<Path> along(
      Volume volume, List<String> names, List<SecureDirectoryStream<Path>> owned)
      throws IOException, Errno.Failure {
    SecureDirectoryStream<Path> dir = volume.stream();
    for (String n : names) {
      dir = dir.newDirectoryStream(name(n), NOFOLLOW);
      owned.add(dir);
    }
    return dir;
  }

  private static List<String> components(String path) {
    List<String> parts = new ArrayList<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        parts.add(part);
      }
    }
    return parts;
  }

  private static Volume volumeOf(List<Volume> volumes, String absolute) {
    Path target = Path.of(absolute).normalize();
    for (Volume volume : volumes) {
      if (target.startsWith(volume.root)) {
        return volume;
      }
    }
    return null;
  }

  /** The target of symlink {@code name} in {@code dir} (readlink by host path, under the lock). */
  static String readLink(
      Volume volume, SecureDirectoryStream<Path> dir, List<String> names, String name)
      throws IOException, Errno.Failure {
    LOCK.writeLock().lock();
    try {
      Target at = new Target(volume, dir, names, name, false, List.of());
      return Files.readSymbolicLink(at.verifiedHostDir().resolve(name)).toString();
    } finally {
      LOCK.writeLock().unlock();
    }
  }

  /** A call by host path that must run alone (see the class comment). */
  @FunctionalInterface
  interface HostPathCall {
    void run() throws IOException, Errno.Failure;
  }

  static void exclusive(HostPathCall call) throws IOException, Errno.Failure {
    LOCK.writeLock().lock();
    try {
      call.run();
    } finally {
      LOCK.writeLock().unlock();
    }
  }

  /** A call that removes or moves a name: never while an {@link #exclusive} one runs. */
  static void shared(HostPathCall call) throws IOException, Errno.Failure {
    LOCK.readLock().lock();
    try {
      call.run();
    } finally {
      LOCK.readLock().unlock();
    }
  }

  /** Whether a symlink target, placed in {@code linkDir} (names below the root), stays inside. */
  static boolean targetStaysInside(List<String> linkDir, String target) {
    if (target.isEmpty() || target.startsWith("/") || target.indexOf('\0') >= 0) {
      return false;
    }
    int depth = linkDir.size();
    for (String part : components(target)) {
      if (part.equals("..")) {
        if (--depth < 0) {
          return false;
        }
      } else if (!part.equals(".")) {
        depth++;
      }
    }
    return true;
  }
}
