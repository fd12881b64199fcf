package dev.jwagi.engine;

import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.wasi.WasiPreview1;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Keeps a guest's file access inside its volumes. Chicory 1.7.5's WASI rejects absolute paths and
 * lexical {@code ..} escapes, but follows symlinks (in the last component and in directories on the
 * way) wherever they point. Before each path call we resolve the path on the host, following every
 * symlink, and refuse with ENOTCAPABLE unless the result lies inside one of the route's volumes.
 * Creating a symlink whose target leaves the volumes is refused too. In a read-only volume (a
 * spin.toml's {@code files}) every call that would change something is refused: creating, removing,
 * renaming, linking, setting times, and opening for writing, creating, truncating or appending.
 */
final class VolumeGuard {
  // WASI preview1 errno "notcapable" (76): the capability (the volume) does not cover the path.
  private static final int REFUSED = 76;

  private static final int NO_FLAGS = -1;
  private static final int SYMLINK_FOLLOW = 1;
  private static final int MAX_SYMLINKS = 40;

  /**
   * For each WASI path function, from the preview1 signatures: for every path it takes, the
   * argument positions of the directory fd, path pointer, path length and lookup flags (whose
   * symlink-follow bit says whether a last-component symlink is followed; NO_FLAGS: never).
   */
  private static final Map<String, int[][]> PATH_ARGS =
      Map.ofEntries(
          Map.entry("path_create_directory", new int[][] {{0, 1, 2, NO_FLAGS}}),
          Map.entry("path_filestat_get", new int[][] {{0, 2, 3, 1}}),
          Map.entry("path_filestat_set_times", new int[][] {{0, 2, 3, 1}}),
          Map.entry("path_link", new int[][] {{0, 2, 3, 1}, {4, 5, 6, NO_FLAGS}}),
          Map.entry("path_open", new int[][] {{0, 2, 3, 1}}),
          Map.entry("path_readlink", new int[][] {{0, 1, 2, NO_FLAGS}}),
          Map.entry("path_remove_directory", new int[][] {{0, 1, 2, NO_FLAGS}}),
          Map.entry("path_rename", new int[][] {{0, 1, 2, NO_FLAGS}, {3, 4, 5, NO_FLAGS}}),
          Map.entry("path_symlink", new int[][] {{2, 3, 4, NO_FLAGS}}),
          Map.entry("path_unlink_file", new int[][] {{0, 1, 2, NO_FLAGS}}));

  // Chicory keeps its descriptor table private; we only read a directory descriptor's host path.
  private static final Field DESCRIPTORS;
  private static final Method DESCRIPTOR_AT;
  private static final Method DIRECTORY_PATH;
  private static final Class<?> DIRECTORY;

  static {
    try {
      DESCRIPTORS = WasiPreview1.class.getDeclaredField("descriptors");
      DESCRIPTORS.setAccessible(true);
      Class<?> descriptors = Class.forName("com.dylibso.chicory.wasi.Descriptors");
      DESCRIPTOR_AT = descriptors.getDeclaredMethod("get", int.class);
      DESCRIPTOR_AT.setAccessible(true);
      DIRECTORY = Class.forName("com.dylibso.chicory.wasi.Descriptors$Directory");
      DIRECTORY_PATH = DIRECTORY.getDeclaredMethod("path");
      DIRECTORY_PATH.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(
          "this Chicory version's WASI internals differ from 1.7.5; VolumeGuard needs updating: "
              + e);
    }
  }

  // path_open's arguments: oflags, rights_base, fdflags; and the bits that mean writing.
  private static final int OFLAGS = 4;
  private static final int RIGHTS = 5;
  private static final int FDFLAGS = 7;
  private static final int CREAT_OR_TRUNC = 1 | 8;
  private static final long RIGHT_FD_WRITE = 1L << 6;
  private static final int FDFLAG_APPEND = 1;

  private final List<Path> roots;
  private final List<Path> readOnly;

  /**
   * roots: the volumes' host directories, already resolved to real paths; readOnly: those of them
   * the guest may only read.
   */
  VolumeGuard(List<Path> roots, List<Path> readOnly) {
    this.roots = roots;
    this.readOnly = readOnly;
  }

  static boolean guards(String function) {
    return PATH_ARGS.containsKey(function);
  }

  /** 0 if the call may go ahead, else the WASI errno to return instead. */
  int check(String function, WasiPreview1 wasi, Instance instance, long[] args) {
    for (int[] pos : PATH_ARGS.get(function)) {
      Path dir = directoryOf(wasi, (int) args[pos[0]]);
      if (dir == null) {
        continue; // not a directory fd: WASI itself answers EBADF/ENOTDIR
      }
      String raw = instance.memory().readString((int) args[pos[1]], (int) args[pos[2]]);
      boolean follows = pos[3] != NO_FLAGS && (args[pos[3]] & SYMLINK_FOLLOW) != 0;
      if (!staysInside(dir, raw, follows)) {
        return REFUSED;
      }
      if (!readOnly.isEmpty()
          && writes(function, args)
          && landsIn(dir.resolve(raw).normalize(), readOnly)) {
        return REFUSED;
      }
      if (function.equals("path_symlink")) {
        String target = instance.memory().readString((int) args[0], (int) args[1]);
        if (!targetStaysInside(dir, raw, target)) {
          return REFUSED;
        }
      }
    }
    return 0;
  }

  private boolean staysInside(Path dir, String raw, boolean follows) {
    Path path;
    try {
      path = dir.resolve(raw).normalize();
    } catch (InvalidPathException e) {
      return true; // WASI rejects it itself
    }
    if (Files.isSymbolicLink(path)) {
      return follows ? symlinkChainStaysInside(path) : landsInside(path.getParent());
    }
    return landsInside(path);
  }

  /** Follows symlinks the way Chicory does, refusing relative targets it would misresolve. */
  private boolean symlinkChainStaysInside(Path link) {
    Path path = link;
    try {
      for (int i = 0; Files.isSymbolicLink(path); i++) {
        Path target = Files.readSymbolicLink(path);
        if (!target.isAbsolute() || i == MAX_SYMLINKS) {
          return false;
        }
        path = target.normalize();
      }
    } catch (IOException e) {
      return false;
    }
    return landsInside(path);
  }

  /** Whether a path call changes something (path_open: opens to write, create or truncate). */
  private static boolean writes(String function, long[] args) {
    return switch (function) {
      case "path_filestat_get", "path_readlink" -> false;
      case "path_open" ->
          (args[OFLAGS] & CREAT_OR_TRUNC) != 0
              || (args[RIGHTS] & RIGHT_FD_WRITE) != 0
              || (args[FDFLAGS] & FDFLAG_APPEND) != 0;
      default -> true;
    };
  }

  /** Whether {@code path}, or the deepest part of it that exists, really lies in a volume. */
  private boolean landsInside(Path path) {
    return landsIn(path, roots);
  }

  /** Whether {@code path}, or the deepest part of it that exists, really lies in one of these. */
  private static boolean landsIn(Path path, List<Path> within) {
    if (path == null) {
      return false;
    }
    // The deepest part that exists, symlinks included, decides where the call really lands.
    Path existing = path;
    while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return false;
    }
    try {
      return inside(existing.toRealPath(), within);
    } catch (IOException e) {
      return false; // e.g. a dangling symlink: following it could create a file anywhere
    }
  }

  private boolean targetStaysInside(Path dir, String linkPath, String target) {
    try {
      Path targetPath = dir.getFileSystem().getPath(target);
      if (targetPath.isAbsolute()) {
        return false;
      }
      Path linkParent = dir.resolve(linkPath).normalize().getParent();
      return linkParent != null && inside(linkParent.resolve(targetPath).normalize(), roots);
    } catch (InvalidPathException e) {
      return false;
    }
  }

  private static boolean inside(Path real, List<Path> within) {
    for (Path root : within) {
      if (real.startsWith(root)) {
        return true;
      }
    }
    return false;
  }

  private static Path directoryOf(WasiPreview1 wasi, int fd) {
    try {
      Object descriptor = DESCRIPTOR_AT.invoke(DESCRIPTORS.get(wasi), fd);
      return DIRECTORY.isInstance(descriptor) ? (Path) DIRECTORY_PATH.invoke(descriptor) : null;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot read WASI descriptor " + fd, e);
    }
  }
}
