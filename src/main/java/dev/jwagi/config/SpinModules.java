package dev.jwagi.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jwagi.source.ModuleSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
          dir = copy(component, filesRoot.resolve(String.valueOf(copied.size() + 1)));
          copied.put(component, dir);
        }
        module.withVolumes(Map.of("/", dir)).withReadOnlyVolumes(Set.of("/"));
      }
      modules.add(module.build());
    }
    return modules;
  }

  /** A folder of a temporary tree, deleted (with what is in it) when the JVM exits. */
  static Path filesRoot() throws ConfigException {
    try {
      Path root = Files.createTempDirectory("jwagi-spin-files");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(root), "jwagi-spin-files"));
      return root;
    } catch (IOException e) {
      throw new ConfigException("cannot create a folder for spin.toml `files`: " + e, e);
    }
  }

  private static Path copy(SpinApp.Component component, Path dir) throws ConfigException {
    try {
      Files.createDirectories(dir);
      for (var file : component.files().entrySet()) {
        Path target = dir.resolve(file.getKey().substring(1)).normalize();
        if (!target.startsWith(dir)) {
          throw new ConfigException(
              component.where() + ": key `files`: \"" + file.getKey() + "\" leaves the guest's /");
        }
        Files.createDirectories(target.getParent());
        Files.copy(file.getValue(), target);
      }
      return dir;
    } catch (IOException e) {
      throw new ConfigException(component.where() + ": key `files`: cannot copy: " + e, e);
    }
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
