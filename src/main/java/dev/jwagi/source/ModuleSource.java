package dev.jwagi.source;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a module's bytes come from, as modules.toml (or {@code jwagi run}) names it: a local file,
 * an {@code https://} URL pinned by a digest, or an OCI registry reference. {@link #toString()} is
 * the reference as the user wrote it, for messages. {@link ModuleFetcher} turns one into a local
 * file.
 *
 * <p>The records write out {@code equals} and {@code hashCode}: start-up keys maps by source, and a
 * record's generated ones are bootstrapped through method handles spun at first use (12 lambda
 * forms, none of them in the AOT cache).
 */
public sealed interface ModuleSource {
  /** A module file on this machine (a .wasm, or a .wat assembled at start-up). */
  record LocalFile(Path path) implements ModuleSource {
    public LocalFile {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LocalFile other && path.equals(other.path);
    }

    @Override
    public int hashCode() {
      return path.hashCode();
    }

    @Override
    public String toString() {
      return path.toString();
    }
  }

  /**
   * A module downloaded from a URL and checked against its digest: https, or plain http only to a
   * loopback host.
   */
  record Url(URI uri, Digest digest) implements ModuleSource {
    public Url {
      Objects.requireNonNull(uri, "uri");
      Objects.requireNonNull(digest, "digest");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Url other && uri.equals(other.uri) && digest.equals(other.digest);
    }

    @Override
    public int hashCode() {
      return 31 * uri.hashCode() + digest.hashCode();
    }

    /**
     * Checks a module URL. Throws {@link IllegalArgumentException} saying what is wrong: not https
     * (plain http is allowed to loopback hosts only), or no host.
     */
    public static Url of(String text, Digest digest) {
      URI uri;
      try {
        uri = new URI(text);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("\"" + text + "\" is not a valid URL: " + e.getReason());
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (uri.getHost() == null) {
        throw new IllegalArgumentException("\"" + text + "\" has no host");
      }
      if (scheme.equals("http") && !Loopback.isLoopback(uri.getHost())) {
        throw new IllegalArgumentException(
            "\""
                + text
                + "\": plain http:// is allowed only for loopback hosts (localhost, 127.0.0.1,"
                + " ::1); use https://");
      }
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException("\"" + text + "\": only https:// URLs are supported");
      }
      return new Url(uri, digest);
    }

    @Override
    public String toString() {
      return uri.toString();
    }
  }

  /** A module in an OCI registry: {@code oci:REGISTRY/REPOSITORY[:TAG][@sha256:...]}. */
  record Oci(OciReference reference) implements ModuleSource {
    public Oci {
      Objects.requireNonNull(reference, "reference");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Oci other && reference.equals(other.reference);
    }

    @Override
    public int hashCode() {
      return reference.hashCode();
    }

    @Override
    public String toString() {
      return "oci:" + reference;
    }
  }
}
