package dev.jwagi.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link ModuleSource} into a local file at start-up. Downloads (https:// modules, OCI
 * layers) are verified against their digest and kept by digest ({@link BlobStore}), so a restart
 * needs no network; an OCI tag's last resolution is kept too, so a restart with the registry
 * unreachable still starts (with a warning). HTTP: {@link SourceHttp}; registry logins: {@link
 * RegistryAuth}.
 */
public final class ModuleFetcher {
  private static final Logger log = LoggerFactory.getLogger(ModuleFetcher.class);

  /** WAGI's (wasm-to-oci) layer media type. */
  public static final String WAGI_LAYER = "application/vnd.wasm.content.layer.v1+wasm";

  /** The CNCF Wasm OCI artifact layer media type (config application/vnd.wasm.config.v0+json). */
  public static final String WASM_LAYER = "application/wasm";

  private static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
  private static final String DOCKER_MANIFEST =
      "application/vnd.docker.distribution.manifest.v2+json";
  private static final List<String> INDEXES =
      List.of(
          "application/vnd.oci.image.index.v1+json",
          "application/vnd.docker.distribution.manifest.list.v2+json");
  private static final String MANIFEST_ACCEPT =
      String.join(", ", OCI_MANIFEST, DOCKER_MANIFEST, INDEXES.get(0), INDEXES.get(1));

  private static final long MAX_MANIFEST_BYTES = 4L << 20;

  private final BlobStore blobs;
  private final SourceHttp http = new SourceHttp();
  private final RegistryAuth auth;
  private ObjectMapper json; // made on first registry answer

  private ObjectMapper json() {
    if (json == null) {
      json = new ObjectMapper();
    }
    return json;
  }

  /**
   * @param dir where downloads are kept (created on first download)
   * @param credentials logins for registries that ask, or null
   */
  public ModuleFetcher(Path dir, RegistryCredentials credentials) {
    this.blobs = new BlobStore(dir);
    this.auth = new RegistryAuth(http, credentials);
  }

  /**
   * A local file with the module's bytes. {@code where} names the module in warnings (e.g. the
   * [[module]] entry and route).
   */
  public Path fetch(ModuleSource source, String where) throws FetchException {
    if (source instanceof ModuleSource.LocalFile file) {
      return file.path();
    }
    try {
      if (source instanceof ModuleSource.Url url) {
        return fetchUrl(url);
      }
      return fetchOci(((ModuleSource.Oci) source).reference(), where);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FetchException("interrupted while downloading", e);
    }
  }

  private Path fetchUrl(ModuleSource.Url url) throws FetchException, InterruptedException {
    Path cached = blobs.cached(url.digest());
    if (cached != null) {
      return cached;
    }
    HttpResponse<InputStream> response;
    try {
      response = http.get(url.uri(), null, null);
    } catch (IOException e) {
      throw new FetchException("cannot download " + url.uri() + ": " + describe(e), e);
    }
    if (response.statusCode() != 200) {
      close(response);
      throw new FetchException(
          "downloading " + url.uri() + " gave HTTP " + response.statusCode() + ", not 200");
    }
    return blobs.store(response.body(), url.digest(), "`digest` says");
  }

  private Path fetchOci(OciReference ref, String where)
      throws FetchException, InterruptedException {
    if (ref.digest() != null) {
      // A manifest digest never changes meaning: a stored resolution is as good as the registry.
      Path cached = blobs.resolved(ref);
      if (cached != null) {
        return cached;
      }
    }
    Digest layer;
    try {
      layer = wasmLayer(ref);
    } catch (RegistryUnreachable e) {
      Path cached = blobs.resolved(ref);
      if (cached == null) {
        throw new FetchException(
            "registry "
                + ref.registry()
                + " is unreachable ("
                + e.getMessage()
                + ") and this reference was never pulled into the module cache",
            e);
      }
      String name = cached.getFileName().toString();
      log.warn(
          "{}: registry {} is unreachable ({}); using the module pulled earlier, sha256:{}",
          where,
          ref.registry(),
          e.getMessage(),
          name.substring(0, name.length() - ".wasm".length()));
      return cached;
    }
    Path blob = blobs.cached(layer);
    if (blob == null) {
      URI uri = ref.repositoryUri().resolve("blobs/" + layer);
      HttpResponse<InputStream> response;
      try {
        response = auth.get(ref, uri, null);
      } catch (IOException e) {
        throw new FetchException(
            "cannot download layer " + layer + " from " + uri + ": " + describe(e), e);
      }
      if (response.statusCode() != 200) {
        close(response);
        throw new FetchException(
            "the registry has no blob "
                + layer
                + " (the manifest's wasm layer): HTTP "
                + response.statusCode()
                + " for "
                + uri);
      }
      blob = blobs.store(response.body(), layer, "the manifest says");
    }
    blobs.remember(ref, layer);
    return blob;
  }

  /** The registry could not be asked (connection failed, or it answered 5xx). */
  private static final class RegistryUnreachable extends Exception {
    private static final long serialVersionUID = 1L;

    RegistryUnreachable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Reads the manifest and picks its wasm layer. */
  private Digest wasmLayer(OciReference ref)
      throws FetchException, RegistryUnreachable, InterruptedException {
    URI uri = ref.repositoryUri().resolve("manifests/" + ref.manifestReference());
    byte[] manifest;
    String contentType;
    try {
      HttpResponse<InputStream> response = auth.get(ref, uri, MANIFEST_ACCEPT);
      int status = response.statusCode();
      if (status >= 500) {
        close(response);
        throw new RegistryUnreachable("HTTP " + status + " for " + uri, null);
      }
      if (status == 404) {
        close(response);
        throw new FetchException(
            "unknown reference: the registry has no manifest \""
                + ref.manifestReference()
                + "\" in repository "
                + ref.repository()
                + " (HTTP 404 for "
                + uri
                + ")");
      }
      if (status == 401 || status == 403) {
        close(response);
        throw new FetchException(
            "the registry refused access (HTTP " + status + " for " + uri + ")" + auth.hint(ref));
      }
      if (status != 200) {
        close(response);
        throw new FetchException("the registry answered HTTP " + status + " for " + uri);
      }
      contentType = response.headers().firstValue("Content-Type").orElse("");
      manifest = readLimited(response.body(), MAX_MANIFEST_BYTES, "manifest");
    } catch (IOException e) {
      throw new RegistryUnreachable(describe(e), e);
    }
    if (ref.digest() != null && !Digest.of(manifest).equals(ref.digest())) {
      throw new FetchException(
          "bad digest: the manifest the registry sent has digest "
              + Digest.of(manifest)
              + ", not "
              + ref.digest());
    }
    JsonNode root;
    try {
      root = json().readTree(manifest);
    } catch (IOException e) {
      throw new FetchException("the registry's manifest is not JSON: " + e.getMessage(), e);
    }
    String mediaType = root.path("mediaType").asText(contentType);
    if (INDEXES.stream().anyMatch(mediaType::startsWith) || root.has("manifests")) {
      throw new FetchException(
          "the reference names an image index ("
              + mediaType
              + "), not a manifest with a wasm layer; give the platform manifest's digest");
    }
    List<String> seen = new ArrayList<>();
    for (JsonNode layer : root.path("layers")) {
      String type = layer.path("mediaType").asText();
      if (type.equals(WAGI_LAYER) || type.equals(WASM_LAYER)) {
        try {
          return Digest.parse(layer.path("digest").asText());
        } catch (IllegalArgumentException e) {
          throw new FetchException("the manifest's wasm layer: " + e.getMessage(), e);
        }
      }
      seen.add(type);
    }
    throw new FetchException(
        "missing layer: the manifest has no layer of media type "
            + WAGI_LAYER
            + " or "
            + WASM_LAYER
            + " (its layers: "
            + (seen.isEmpty() ? "none" : String.join(", ", seen))
            + ")");
  }

  private static void close(HttpResponse<InputStream> response) {
    SourceHttp.close(response);
  }

  private static String describe(IOException e) {
    return SourceHttp.describe(e);
  }

  private static byte[] readLimited(InputStream in, long limit, String what)
      throws IOException, FetchException {
    return SourceHttp.readLimited(in, limit, what);
  }
}
