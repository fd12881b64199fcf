package dev.jwagi.reload;

import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ModuleConfig;
import dev.jwagi.source.ModuleSource;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The files of a configuration whose change {@code --watch} reloads on: the configuration file and
 * every local module file it names. (Modules from https:// and oci: are fetched again by a reload,
 * but not watched: SIGHUP reloads them.) A configuration reader that reads more files (env files
 * are added by the command line) adds them here.
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
    }
    return files;
  }
}
