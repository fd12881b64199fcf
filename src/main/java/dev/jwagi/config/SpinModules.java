package dev.jwagi.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jwagi.source.ModuleSource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A {@link SpinApp}'s routes as jwagi's modules: each route one module, its component's {@code
 * files} copied into a folder of their own and mapped read-only at the guest's "/" (as {@code spin
 * up} copies them and mounts the copy read-only), Spin's WAGI executor variables carried along
 * ({@link SpinRoute}).
 */
final class SpinModules {
  private SpinModules() {}

  private static final ModuleReferences.Names NAMES =
      new ModuleReferences.Names("key `source`", "key `source`: `digest`");

  /** Reads a parsed spin.toml into the modules of its routes. */
  static ConfigFile read(Path file, JsonNode root, ModuleReferences references, Limits limits)
      throws ConfigException {
    return read(SpinManifestReader.read(file, root), references, limits);
  }

  private static ConfigFile read(SpinApp app, ModuleReferences references, Limits limits)
      throws ConfigException {
    boolean files = app.routes().stream().anyMatch(r -> !r.component().files().isEmpty());
    return new ConfigFile(
        app.file(), null, modules(app, references, limits, files ? filesRoot() : null));
  }

  /**
   * jwagi run's view of a spin.toml: the routes of one component ({@code component}, or the app's
   * only one when null).
   */
  static ConfigFile readComponent(
      Path file, JsonNode root, String component, ModuleReferences references, Limits limits)
      throws ConfigException {
    SpinApp app = SpinManifestReader.read(file, root);
    List<String> ids = app.routes().stream().map(r -> r.component().id()).distinct().toList();
    String id = component;
    if (id == null) {
      if (ids.size() != 1) {
        throw new ConfigException(file + ": give --component NAME, one of " + ids);
      }
      id = ids.get(0);
    } else if (!ids.contains(id)) {
      throw new ConfigException(
          file
              + ": --component "
              + id
              + ": no component of that name has an HTTP route; there are "
              + ids);
    }
    String chosen = id;
    List<SpinApp.Route> routes =
        app.routes().stream().filter(r -> r.component().id().equals(chosen)).toList();
    return read(new SpinApp(app.file(), app.version(), routes), references, limits);
  }

  /**
   * @param filesRoot where the components' files are copied (one folder per component), or null if
   *     none has files
   */
  static List<ModuleConfig> modules(
      SpinApp app, ModuleReferences references, Limits limits, Path filesRoot)
      throws ConfigException {
    Map<SpinApp.Component, Path> copied = new IdentityHashMap<>();
    List<ModuleConfig> modules = new ArrayList<>();
    for (SpinApp.Route route : app.routes()) {
      SpinApp.Component component = route.component();
      ModuleSource source;
      if (component.source() instanceof SpinApp.Source.Remote remote) {
        source =
            references.source(remote.url(), remote.digest(), app.file(), component.where(), NAMES);
      } else {
        source = new ModuleSource.LocalFile(((SpinApp.Source.Local) component.source()).path());
      }
      ModuleConfig.Builder module =
          ModuleConfig.builder()
              .withWhere(route.where())
              .withRoute(route.route().pattern())
              .withSource(source)
              .withEntrypoint(route.entrypoint())
              .withArgvTemplate(route.argv())
              .withEnvironment(component.environment())
              .withAllowedHosts(component.allowedHosts())
              .withLimits(limits)
              .withSpin(route.route());
      if (!component.files().isEmpty()) {
        Path dir = copied.get(component);
        if (dir == null) {
          dir = copy(component, filesRoot);
          copied.put(component, dir);
        }
        module
            .withVolumes(Map.of("/", dir))
            .withReadOnlyVolumes(Set.of("/"))
            .withCopiedFiles(Set.copyOf(component.files().values()));
      }
      modules.add(module.build());
    }
    return modules;
  }

  private static Path filesRoot;

  /**
   * The process's folder for copies of spin.toml files, made on first use and deleted (with what is
   * in it) when the JVM exits. One per process, so reloads share it.
   */
  static synchronized Path filesRoot() throws ConfigException {
    if (filesRoot == null) {
      try {
        Path root = Files.createTempDirectory("jwagi-spin-files");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root), "jwagi-spin-files"));
        filesRoot = root;
      } catch (IOException e) {
        throw new ConfigException("cannot create a folder for spin.toml `files`: " + e, e);
      }
    }
    return filesRoot;
  }

  /**
   * A copy of the component's files under {@code root}, in a folder named by their guest paths and
   * contents: a reload of the same files finds its copy and copies nothing, one that changed gets a
   * folder of its own (the previous table's requests keep reading theirs). Copies are made beside
   * their folder and moved in whole, so a folder that exists is complete.
   */
  private static Path copy(SpinApp.Component component, Path root) throws ConfigException {
    try {
      Path dir = root.resolve(fingerprint(component.files()));
      if (Files.isDirectory(dir)) {
        return dir;
      }
      Path work = Files.createTempDirectory(root, "copying-");
      for (var file : component.files().entrySet()) {
        Path target = work.resolve(file.getKey().substring(1)).normalize();
        if (!target.startsWith(work)) {
          throw new ConfigException(
              component.where() + ": key `files`: \"" + file.getKey() + "\" leaves the guest's /");
        }
        Files.createDirectories(target.getParent());
        Files.copy(file.getValue(), target);
      }
      try {
        Files.move(work, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        delete(work); // another load made the same copy meanwhile
      }
      return dir;
    } catch (IOException e) {
      throw new ConfigException(component.where() + ": key `files`: cannot copy: " + e, e);
    }
  }

  /** SHA-256 over each guest path and its file's bytes, in guest path order. */
  private static String fingerprint(Map<String, Path> files) throws IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JVM has SHA-256
    }
    byte[] buffer = new byte[65536];
    for (var file : files.entrySet()) {
      sha.update(file.getKey().getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      try (InputStream in = Files.newInputStream(file.getValue())) {
        for (int n; (n = in.read(buffer)) > 0; ) {
          sha.update(buffer, 0, n);
        }
      }
      sha.update((byte) 0);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static void delete(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | UncheckedIOException e) {
      // best effort at exit: a temporary folder
    }
  }
}
