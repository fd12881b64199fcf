package dev.jwagi.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a {@link ModuleSource} into a local file at start-up. Downloads (https:// modules, OCI
 * layers) are verified against their digest and kept under the cache folder by digest, so a restart
 * needs no network: {@code blobs/sha256/HEX.wasm}; an OCI tag's last resolution is kept in {@code
 * oci/}, so a restart with the registry unreachable still starts (with a warning).
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
  private static final long MAX_MODULE_BYTES = 1L << 30;
  private static final int MAX_REDIRECTS = 5;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

  private final Path dir;
  private final RegistryCredentials credentials;
  private HttpClient client; // made on first download: a start-up with only files needs none
  private ObjectMapper json; // made on first registry answer, like the client

  private ObjectMapper json() {
    if (json == null) {
      json = new ObjectMapper();
    }
    return json;
  }

  /**
   * Authorization header per registry and repository (a bearer token is scoped to a repository),
   * once a challenge was answered.
   */
  private final Map<String, String> registryAuthorization = new HashMap<>();

  /**
   * @param dir where downloads are kept (created on first download)
   * @param credentials for registries that ask, or null
   */
  public ModuleFetcher(Path dir, RegistryCredentials credentials) {
    this.dir = dir;
    this.credentials = credentials;
  }

  private HttpClient client() {
    if (client == null) {
      client =
          HttpClient.newBuilder()
              .connectTimeout(CONNECT_TIMEOUT)
              .followRedirects(HttpClient.Redirect.NEVER) // followed here, without credentials
              .sslContext(trustingTheJvmTrustStore())
              .build();
    }
    return client;
  }

  /**
   * The JVM's trust store as configured now ({@code javax.net.ssl.trustStore}, else the JDK's
   * cacerts), read afresh rather than through the process-wide default context.
   */
  private static SSLContext trustingTheJvmTrustStore() {
    try {
      TrustManagerFactory trust =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init((KeyStore) null);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS for downloading modules: " + e, e);
    }
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
    Path cached = blobFile(url.digest());
    if (Files.isRegularFile(cached)) {
      return cached;
    }
    HttpResponse<InputStream> response;
    try {
      response = get(url.uri(), null, null);
    } catch (IOException e) {
      throw new FetchException("cannot download " + url.uri() + ": " + describe(e), e);
    }
    if (response.statusCode() != 200) {
      close(response);
      throw new FetchException(
          "downloading " + url.uri() + " gave HTTP " + response.statusCode() + ", not 200");
    }
    return store(response, url.digest(), "`digest` says");
  }

  private Path fetchOci(OciReference ref, String where)
      throws FetchException, InterruptedException {
    Path resolution = resolutionFile(ref);
    if (ref.digest() != null) {
      // A manifest digest never changes meaning: a stored resolution is as good as the registry.
      Path cached = cachedResolution(resolution);
      if (cached != null) {
        return cached;
      }
    }
    Digest layer;
    try {
      layer = wasmLayer(ref);
    } catch (RegistryUnreachable e) {
      Path cached = cachedResolution(resolution);
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
    Path blob = blobFile(layer);
    if (!Files.isRegularFile(blob)) {
      URI uri = ref.repositoryUri().resolve("blobs/" + layer);
      HttpResponse<InputStream> response;
      try {
        response = registryGet(ref, uri, null);
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
      blob = store(response, layer, "the manifest says");
    }
    writeResolution(resolution, ref, layer);
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
      HttpResponse<InputStream> response = registryGet(ref, uri, MANIFEST_ACCEPT);
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
            "the registry refused access (HTTP "
                + status
                + " for "
                + uri
                + ")"
                + (credentials == null
                    ? "; set "
                        + RegistryCredentials.USER_VARIABLE
                        + " and "
                        + RegistryCredentials.PASSWORD_VARIABLE
                    : " with the credentials of " + RegistryCredentials.USER_VARIABLE));
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

  /** A GET to the registry, answering one 401 challenge (basic, or bearer token) if there is. */
  private HttpResponse<InputStream> registryGet(OciReference ref, URI uri, String accept)
      throws IOException, InterruptedException, FetchException {
    String key = ref.registry() + "/" + ref.repository();
    String authorization = registryAuthorization.get(key);
    HttpResponse<InputStream> response = get(uri, accept, authorization);
    if (response.statusCode() != 401 || authorization != null) {
      return response;
    }
    String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
    close(response);
    authorization = answer(challenge, ref);
    if (authorization == null) {
      return get(uri, accept, null); // nothing to answer with: give the caller the 401
    }
    registryAuthorization.put(key, authorization);
    return get(uri, accept, authorization);
  }

  /** The Authorization for a registry's challenge, or null when there is nothing to send. */
  private String answer(String challenge, OciReference ref)
      throws IOException, InterruptedException, FetchException {
    String basic =
        credentials == null
            ? null
            : "Basic "
                + Base64.getEncoder()
                    .encodeToString(
                        (credentials.user() + ":" + credentials.password())
                            .getBytes(StandardCharsets.UTF_8));
    String scheme = challenge.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    if (scheme.equals("basic")) {
      return basic;
    }
    if (!scheme.equals("bearer")) {
      return null;
    }
    Map<String, String> params = new LinkedHashMap<>();
    Matcher m = CHALLENGE_PARAM.matcher(challenge);
    while (m.find()) {
      params.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
    }
    String realm = params.get("realm");
    if (realm == null) {
      return null;
    }
    StringBuilder query = new StringBuilder();
    for (String key : new String[] {"service", "scope"}) {
      String value =
          key.equals("scope") && !params.containsKey("scope")
              ? "repository:" + ref.repository() + ":pull"
              : params.get(key);
      if (value != null) {
        query.append(query.length() == 0 ? "?" : "&").append(key).append('=');
        query.append(URLEncoder.encode(value, StandardCharsets.UTF_8));
      }
    }
    URI tokenUri = URI.create(realm + query);
    HttpResponse<InputStream> response = get(tokenUri, "application/json", basic);
    if (response.statusCode() != 200) {
      close(response);
      throw new FetchException(
          "the registry's token service "
              + realm
              + " answered HTTP "
              + response.statusCode()
              + (credentials == null
                  ? "; set " + RegistryCredentials.USER_VARIABLE + " and its password variable"
                  : ""));
    }
    JsonNode token = json().readTree(readLimited(response.body(), MAX_MANIFEST_BYTES, "token"));
    String value = token.path("token").asText(token.path("access_token").asText(""));
    if (value.isEmpty()) {
      throw new FetchException("the registry's token service " + realm + " sent no token");
    }
    return "Bearer " + value;
  }

  /**
   * A GET following redirects (at most {@value #MAX_REDIRECTS}); the authorization goes to the
   * first host only, never to where it redirects (registries send blobs to storage services).
   */
  private HttpResponse<InputStream> get(URI uri, String accept, String authorization)
      throws IOException, InterruptedException {
    URI current = uri;
    for (int hop = 0; ; hop++) {
      HttpRequest.Builder request = HttpRequest.newBuilder(current).timeout(RESPONSE_TIMEOUT);
      if (accept != null) {
        request.header("Accept", accept);
      }
      if (authorization != null && sameOrigin(current, uri)) {
        request.header("Authorization", authorization);
      }
      HttpResponse<InputStream> response =
          client().send(request.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
      int status = response.statusCode();
      var location = response.headers().firstValue("Location");
      if (status / 100 != 3 || status == 304 || location.isEmpty() || hop == MAX_REDIRECTS) {
        return response;
      }
      close(response);
      URI next = current.resolve(location.get());
      if (current.getScheme().equals("https") && !"https".equals(next.getScheme())) {
        throw new IOException("refused a redirect from https to " + next);
      }
      current = next;
    }
  }

  private static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost().equalsIgnoreCase(b.getHost())
        && a.getPort() == b.getPort();
  }

  /**
   * Streams the body to a temporary file while computing its digest; keeps it under its digest if
   * it matches {@code expected}, else fails naming both digests.
   */
  private Path store(HttpResponse<InputStream> response, Digest expected, String expectedSource)
      throws FetchException {
    Path target = blobFile(expected);
    Path temp = null;
    try {
      Files.createDirectories(target.getParent());
      temp = Files.createTempFile(target.getParent(), "download", ".tmp");
      MessageDigest sha = Digest.sha256();
      long total = 0;
      try (InputStream in = response.body();
          OutputStream out = Files.newOutputStream(temp)) {
        byte[] buffer = new byte[64 * 1024];
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
          total += n;
          if (total > MAX_MODULE_BYTES) {
            throw new FetchException(
                "the download is larger than " + (MAX_MODULE_BYTES >> 20) + " MiB");
          }
          sha.update(buffer, 0, n);
          out.write(buffer, 0, n);
        }
      }
      Digest actual = new Digest(HexFormat.of().formatHex(sha.digest()));
      if (!actual.equals(expected)) {
        throw new FetchException(
            "bad digest: the downloaded bytes have digest "
                + actual
                + ", but "
                + expectedSource
                + " "
                + expected);
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return target;
    } catch (IOException e) {
      throw new FetchException("cannot download into " + target.getParent() + ": " + e, e);
    } finally {
      if (temp != null) {
        try {
          Files.deleteIfExists(temp);
        } catch (IOException e) {
          log.warn("cannot remove {}: {}", temp, e.toString());
        }
      }
    }
  }

  private Path blobFile(Digest digest) {
    return dir.resolve("blobs").resolve("sha256").resolve(digest.hex() + ".wasm");
  }

  /**
   * Where the layer digest a reference last resolved to is kept (named by the reference's hash).
   */
  private Path resolutionFile(OciReference ref) {
    Digest key = Digest.of(ref.toString().getBytes(StandardCharsets.UTF_8));
    return dir.resolve("oci").resolve(key.hex());
  }

  /** The cached blob a stored resolution names, or null. */
  private Path cachedResolution(Path resolution) {
    try {
      List<String> lines = Files.readAllLines(resolution, StandardCharsets.UTF_8);
      Path blob = blobFile(Digest.parse(lines.get(1)));
      return Files.isRegularFile(blob) ? blob : null;
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      log.warn("ignoring the unreadable cache entry {}: {}", resolution, e.toString());
      return null;
    }
  }

  private void writeResolution(Path resolution, OciReference ref, Digest layer) {
    try {
      Files.createDirectories(resolution.getParent());
      Path temp = Files.createTempFile(resolution.getParent(), "resolution", ".tmp");
      Files.writeString(temp, ref + "\n" + layer + "\n", StandardCharsets.UTF_8);
      Files.move(
          temp, resolution, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      log.warn("cannot remember that {} is {}: {}", ref, layer, e.toString());
    }
  }

  private static byte[] readLimited(InputStream in, long limit, String what)
      throws IOException, FetchException {
    try (in) {
      byte[] bytes = in.readNBytes((int) limit + 1);
      if (bytes.length > limit) {
        throw new FetchException("the " + what + " is larger than " + (limit >> 20) + " MiB");
      }
      return bytes;
    }
  }

  private static void close(HttpResponse<InputStream> response) {
    try {
      response.body().close();
    } catch (IOException e) {
      // nothing to do: the connection is dropped
    }
  }

  private static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
