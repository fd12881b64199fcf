package dev.jwagi.source;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * An OCI image reference: {@code REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]}, e.g. {@code
 * 127.0.0.1:5000/hello:1.0} or {@code ghcr.io/org/app@sha256:...}. As in Docker, a first component
 * without '.' or ':' (and not {@code localhost}) is a repository on Docker Hub; neither tag nor
 * digest means the tag {@code latest}.
 *
 * @param registry host[:port] as written ({@code docker.io} for Docker Hub)
 * @param tag the tag, or null when only a digest is given
 * @param digest the manifest digest, or null
 */
public record OciReference(String registry, String repository, String tag, Digest digest) {
  private static final String DOCKER_HUB = "docker.io";
  private static final Pattern REPOSITORY =
      Pattern.compile(
          "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");
  private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  private static final Pattern REGISTRY =
      Pattern.compile("(?:[A-Za-z0-9.-]+|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?");

  /**
   * Parses the text after {@code oci:}. Throws {@link IllegalArgumentException} saying which part
   * is wrong.
   */
  public static OciReference parse(String text) {
    String rest = text;
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      digest = Digest.parse(rest.substring(at + 1));
      rest = rest.substring(0, at);
    }
    String registry = DOCKER_HUB;
    int slash = rest.indexOf('/');
    if (slash >= 0) {
      String first = rest.substring(0, slash);
      if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
        registry = first;
        rest = rest.substring(slash + 1);
      }
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new IllegalArgumentException("\"" + text + "\": \"" + tag + "\" is not a valid tag");
      }
    }
    if (!REGISTRY.matcher(registry).matches()) {
      throw new IllegalArgumentException(
          "\"" + text + "\": \"" + registry + "\" is not a valid registry host[:port]");
    }
    if (!REPOSITORY.matcher(rest).matches()) {
      throw new IllegalArgumentException(
          "\""
              + text
              + "\": \""
              + rest
              + "\" is not a valid repository name (lower-case letters, digits, '.', '_', '-',"
              + " '/'); expected REGISTRY/REPOSITORY[:TAG][@sha256:DIGEST]");
    }
    if (registry.equals(DOCKER_HUB) && !rest.contains("/")) {
      rest = "library/" + rest;
    }
    if (tag == null && digest == null) {
      tag = "latest";
    }
    return new OciReference(registry, rest, tag, digest);
  }

  /** The registry's host without the port (for the loopback rule). */
  String host() {
    if (registry.startsWith("[")) {
      return registry.substring(0, registry.indexOf(']') + 1);
    }
    int colon = registry.indexOf(':');
    return colon < 0 ? registry : registry.substring(0, colon);
  }

  /**
   * The registry API's base, {@code /v2/REPOSITORY/}: plain HTTP for a loopback registry (a local
   * test registry), HTTPS for every other.
   */
  URI repositoryUri() {
    String authority = registry.equals(DOCKER_HUB) ? "registry-1.docker.io" : registry;
    String scheme = Loopback.isLoopback(host()) ? "http" : "https";
    return URI.create(scheme + "://" + authority + "/v2/" + repository + "/");
  }

  /** What to ask the registry for: the digest if given (immutable), else the tag. */
  String manifestReference() {
    return digest != null ? digest.toString() : tag;
  }

  @Override
  public String toString() {
    return registry
        + "/"
        + repository
        + (tag == null ? "" : ":" + tag)
        + (digest == null ? "" : "@" + digest);
  }
}
