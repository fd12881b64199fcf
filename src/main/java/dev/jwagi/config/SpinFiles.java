package dev.jwagi.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Spin's {@code files} and {@code exclude_files}: which host files a component sees, at which guest
 * paths (spinframework/spin crates/loader/src/local.rs, copy_file_mounts). All paths are relative
 * to the manifest's folder and must stay inside it.
 *
 * <ul>
 *   <li>{@code "file.txt"}: that file at {@code /file.txt}.
 *   <li>{@code "static"} (a directory): every file under it, at the same relative paths.
 *   <li>{@code "images/*.jpg"}, {@code "content/**}{@code /*"}: every file matching the glob
 *       ({@code *} and {@code ?} within one path segment, {@code **} any number of segments, {@code
 *       [...]} a character class), at its path relative to the manifest's folder.
 *   <li>{@code { source = "dir", destination = "/guest" }}: a file at that guest path, or a
 *       directory's files under it.
 * </ul>
 *
 * {@code exclude_files} globs (matched against the path relative to the manifest's folder, where
 * {@code *} also crosses {@code /}, as Spin's glob::Pattern does) drop files that globs and
 * directories selected; a file named by itself is kept, as in Spin (copy_single_file).
 */
final class SpinFiles {
  /** One entry of {@code files}. */
  sealed interface Mount {
    record Glob(String pattern) implements Mount {}

    record Placement(String source, String destination) implements Mount {}
  }

  private SpinFiles() {}

  /**
   * Guest path ("/a/b.txt") → host file, in guest path order.
   *
   * @throws IllegalArgumentException naming the entry and what is wrong with it
   */
  static Map<String, Path> select(
      Path appRoot, List<Mount> mounts, List<String> excludes, Consumer<String> warn) {
    Path root = appRoot.toAbsolutePath().normalize();
    List<Pattern> excluded = new ArrayList<>();
    for (String exclude : excludes) {
      excluded.add(globRegex(exclude, true));
    }
    Map<String, Path> files = new TreeMap<>();
    for (Mount mount : mounts) {
      if (mount instanceof Mount.Glob glob) {
        selectPattern(root, glob.pattern(), excluded, files, warn);
      } else if (mount instanceof Mount.Placement placement) {
        selectPlacement(root, placement, excluded, files);
      }
    }
    return files;
  }

  private static void selectPattern(
      Path root,
      String pattern,
      List<Pattern> excluded,
      Map<String, Path> files,
      Consumer<String> warn) {
    if (pattern.equals("..")
        || pattern.endsWith("/..")
        || pattern.equals(".")
        || pattern.endsWith("/.")) {
      throw new IllegalArgumentException(
          "\""
              + pattern
              + "\": a pattern cannot end in \".\" or \"..\"; to include a directory give its"
              + " name, { source = ..., destination = ... }, or a glob ending in **/*");
    }
    if (pattern.equals("*") || pattern.equals("**/*")) {
      warn.accept(
          "\""
              + pattern
              + "\" includes the whole application folder"
              + (pattern.equals("*") ? "" : " tree")
              + " (as in Spin, which warns too)");
    }
    Path path = inside(root, root.resolve(pattern).normalize(), pattern);
    if (Files.isDirectory(path)) {
      addTree(root, path, guestPath(root.relativize(path)), excluded, files);
    } else if (Files.isRegularFile(path)) {
      addFile(root, path, guestPath(root.relativize(path)), List.of(), files);
    } else if (pattern.matches(".*[*?\\[].*")) {
      Pattern regex = globRegex(pattern, false);
      Path start = literalPrefix(root, pattern);
      if (!Files.isDirectory(start)) {
        return; // nothing can match; as in Spin, not an error
      }
      for (Path file : walk(start)) {
        String relative = slashes(root.relativize(file));
        if (regex.matcher(relative).matches()) {
          addFile(root, file, "/" + relative, excluded, files);
        }
      }
    } else {
      throw new IllegalArgumentException(
          "\"" + pattern + "\" does not exist and does not look like a glob pattern");
    }
  }

  private static void selectPlacement(
      Path root, Mount.Placement placement, List<Pattern> excluded, Map<String, Path> files) {
    String destination = "/" + placement.destination().replaceAll("^/+", "");
    Path source = inside(root, root.resolve(placement.source()).normalize(), placement.source());
    if (Files.isDirectory(source)) {
      addTree(
          root, source, destination.equals("/") ? "" : stripSlash(destination), excluded, files);
    } else if (Files.isRegularFile(source)) {
      if (destination.endsWith("/")) {
        throw new IllegalArgumentException(
            "{ source = \""
                + placement.source()
                + "\", destination = \""
                + placement.destination()
                + "\" }: \""
                + placement.destination()
                + "\" is not a valid destination file name");
      }
      addFile(root, source, destination, List.of(), files);
    } else {
      throw new IllegalArgumentException(
          "{ source = \"" + placement.source() + "\" }: no such file or directory: " + source);
    }
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  /** Every file under {@code dir}, at {@code guestDir} + its path relative to {@code dir}. */
  private static void addTree(
      Path root, Path dir, String guestDir, List<Pattern> excluded, Map<String, Path> files) {
    String prefix = guestDir.isEmpty() || guestDir.startsWith("/") ? guestDir : "/" + guestDir;
    for (Path file : walk(dir)) {
      addFile(root, file, prefix + "/" + slashes(dir.relativize(file)), excluded, files);
    }
  }

  private static void addFile(
      Path root, Path file, String guestPath, List<Pattern> excluded, Map<String, Path> files) {
    String relative = slashes(root.relativize(file));
    for (Pattern exclude : excluded) {
      if (exclude.matcher(relative).matches()) {
        return;
      }
    }
    files.put(guestPath, file);
  }

  private static Path inside(Path root, Path path, String entry) {
    if (!path.startsWith(root)) {
      throw new IllegalArgumentException(
          "\""
              + entry
              + "\" is outside the application folder "
              + root
              + " (as Spin, jwagi maps only files inside it)");
    }
    return path;
  }

  private static List<Path> walk(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      return paths.filter(Files::isRegularFile).sorted().toList();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + dir + ": " + e.getMessage(), e);
    } catch (UncheckedIOException e) {
      throw new IllegalArgumentException(
          "cannot read " + dir + ": " + e.getCause().getMessage(), e);
    }
  }

  private static String guestPath(Path relative) {
    return "/" + slashes(relative);
  }

  private static String slashes(Path relative) {
    return relative.toString().replace(relative.getFileSystem().getSeparator(), "/");
  }

  /** The folder a glob's leading literal segments name: where its matches can be. */
  private static Path literalPrefix(Path root, String pattern) {
    Path start = root;
    String[] segments = pattern.split("/");
    for (int i = 0; i < segments.length - 1 && !segments[i].matches(".*[*?\\[].*"); i++) {
      start = start.resolve(segments[i]);
    }
    return start.normalize();
  }

  /**
   * A glob as a regex over "/"-separated relative paths. For {@code files} ({@code crossesSlash}
   * false) {@code *} and {@code ?} stay within a segment, as Spin's directory walk matches; for
   * {@code exclude_files} they cross "/", as glob::Pattern::matches_path does. {@code **}{@code /}
   * is any number of segments, none included.
   */
  static Pattern globRegex(String glob, boolean crossesSlash) {
    String g = glob.startsWith("./") ? glob.substring(2) : glob;
    StringBuilder regex = new StringBuilder();
    String any = crossesSlash ? "." : "[^/]";
    for (int i = 0; i < g.length(); i++) {
      char c = g.charAt(i);
      if (c == '*' && g.startsWith("**/", i) && (i == 0 || g.charAt(i - 1) == '/')) {
        regex.append("(?:.*/)?");
        i += 2;
      } else if (c == '*' && g.startsWith("**", i) && i + 2 == g.length()) {
        regex.append(".*");
        i++;
      } else if (c == '*') {
        regex.append(any).append('*');
      } else if (c == '?') {
        regex.append(any);
      } else if (c == '[') {
        int close = g.indexOf(']', i + 2);
        if (close < 0) {
          throw new IllegalArgumentException("\"" + glob + "\": unclosed [ in the glob");
        }
        String set = g.substring(i + 1, close);
        regex.append('[');
        if (set.startsWith("!")) {
          regex.append('^');
          set = set.substring(1);
        }
        regex.append(set.replace("\\", "\\\\").replace("[", "\\[")).append(']');
        i = close;
      } else {
        regex.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(regex.toString());
  }
}
