package dev.jwagi.reload;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.source.ModuleSource;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The files of a configuration whose change {@code --watch} reloads on: the configuration file,
 * every local module file it names, and the host files copied into a module's volumes (a
 * spin.toml's {@code files}; a file a glob would newly match is seen at the next reload). (Modules
 * from https:// and oci: are fetched again by a reload, but not watched: SIGHUP reloads them.) A
 * configuration reader that reads more files (env files are added by the command line) adds them
 * here.
 */
public final class WatchedFiles {
  private WatchedFiles() {}

  public static Set<Path> of(AppConfig config) {
    Set<Path> files = new LinkedHashSet<>();
    if (config.configFile() != null) {
      files.add(config.configFile());
    }
    for (ModuleConfig module : config.modules()) {
      if (module.source() instanceof ModuleSource.LocalFile local) {
        files.add(local.path());
      }
      files.addAll(module.copiedFiles());
    }
    return files;
  }
}
