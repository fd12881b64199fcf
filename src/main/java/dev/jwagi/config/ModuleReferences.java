package dev.jwagi.config;

import dev.jwagi.source.Digest;
import dev.jwagi.source.ModuleSource;
import dev.jwagi.source.OciReference;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Resolves what a configuration names on disk or elsewhere: a module reference (a path or file://
 * URL as in WAGI, an https:// URL with its digest, or {@code oci:REF}) into a {@link ModuleSource},
 * and a relative host path into an existing file or directory.
 */
final class ModuleReferences {
  /** How messages name the module reference and its digest: a reader's keys, or run's arguments. */
  record Names(String module, String digest) {}

  private final Path workingDir;

  /** {@code workingDir}: absolute and normalised. */
  ModuleReferences(Path workingDir) {
    this.workingDir = workingDir;
  }

  /**
   * The module that {@code reference} names. {@code digestText}: the sha256 it must have, or null;
   * {@code configFile}: the file it is written in, or null.
   */
  ModuleSource source(
      String reference, String digestText, Path configFile, String where, Names names)
      throws ConfigException {
    String scheme =
        reference.matches("^[A-Za-z][A-Za-z0-9+.-]+:.*")
            ? reference.substring(0, reference.indexOf(':')).toLowerCase(Locale.ROOT)
            : "";
    Digest digest = null;
    if (digestText != null) {
      if (!scheme.equals("https") && !scheme.equals("http")) {
        throw new ConfigException(
            where
                + ": "
                + names.digest()
                + " is for https:// modules only"
                + (scheme.equals("oci") ? " (pin an oci: module with REF@sha256:...)" : ""));
      }
      try {
        digest = Digest.parse(digestText);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + ": " + names.digest() + ": " + e.getMessage(), e);
      }
    }
    try {
      switch (scheme) {
        case "" -> {
          return new ModuleSource.LocalFile(
              existing(reference, configFile, where, names.module(), false));
        }
        case "file" -> {
          String path;
          try {
            path = Path.of(new URI(reference)).toString();
          } catch (URISyntaxException | IllegalArgumentException e) {
            throw new ConfigException(
                where
                    + ": "
                    + names.module()
                    + ": \""
                    + reference
                    + "\" is not a valid file:// URL");
          }
          return new ModuleSource.LocalFile(
              existing(path, configFile, where, names.module(), false));
        }
        case "oci" -> {
          return new ModuleSource.Oci(OciReference.parse(reference.substring("oci:".length())));
        }
        case "https", "http" -> {
          if (digest == null) {
            throw new ConfigException(
                where
                    + ": "
                    + names.digest()
                    + " is required with an "
                    + scheme
                    + ":// module: sha256:... (`sha256sum` of the .wasm), so what is downloaded is"
                    + " what you meant");
          }
          return ModuleSource.Url.of(reference, digest);
        }
        default ->
            throw new ConfigException(
                where
                    + ": "
                    + names.module()
                    + ": \""
                    + reference
                    + "\": "
                    + scheme
                    + ": is not a supported module reference; give a file path, a file:// or https://"
                    + " URL, or oci:REGISTRY/REPOSITORY:TAG");
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + names.module() + ": " + e.getMessage(), e);
    }
  }

  /**
   * An existing file (or {@code directory}) at {@code text}. A relative path resolves against the
   * working directory first, as in WAGI, then against the folder of {@code configFile} (if there is
   * one). The error names {@code what} was given and lists every place tried.
   */
  Path existing(String text, Path configFile, String where, String what, boolean directory)
      throws ConfigException {
    Path given = Path.of(text);
    List<Path> candidates =
        given.isAbsolute()
            ? List.of(given)
            : configFile == null
                ? List.of(workingDir.resolve(given).normalize())
                : List.of(
                    workingDir.resolve(given).normalize(),
                    configFile.getParent().resolve(given).normalize());
    for (Path candidate : candidates) {
      if (directory ? Files.isDirectory(candidate) : Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    StringBuilder tried = new StringBuilder();
    for (Path candidate : candidates) {
      tried.append(tried.length() == 0 ? "" : ", ").append(candidate);
    }
    throw new ConfigException(
        where
            + ": "
            + what
            + ": no "
            + (directory ? "directory" : "file")
            + " \""
            + text
            + "\"; tried "
            + tried);
  }
}
