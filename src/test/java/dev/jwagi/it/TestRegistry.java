package dev.jwagi.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real OCI registry on a loopback port: Debian's docker-registry (package {@code
 * docker-registry}, the CNCF distribution server) with filesystem storage in a test folder. Modules
 * are pushed over the registry's HTTP API, as a push tool does. Tests are skipped, loudly, only if
 * the binary is not installed.
 */
final class TestRegistry implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/docker-registry");
  static final String WAGI_CONFIG = "application/vnd.wasm.config.v1+json";
  static final String WAGI_LAYER = "application/vnd.wasm.content.layer.v1+wasm";
  static final String CNCF_CONFIG = "application/vnd.wasm.config.v0+json";
  static final String CNCF_LAYER = "application/wasm";
  static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  private static final Pattern LISTENING = Pattern.compile("listening on (\\S+?)\"? ");

  private final Process process;
  private final String address;
  private final Path storage;
  private final HttpClient client = HttpClient.newHttpClient();

  private TestRegistry(Process process, String address, Path storage) {
    this.process = process;
    this.address = address;
    this.storage = storage;
  }

  /** Starts a registry storing under dir; htpasswdLine (or null) turns on basic auth. */
  static TestRegistry start(Path dir, String htpasswdLine) throws Exception {
    if (!Files.isExecutable(BINARY)) {
      System.err.println(
          "SKIPPED: "
              + BINARY
              + " is not installed (apt-get install docker-registry); oci: tests need a registry");
    }
    assumeTrue(Files.isExecutable(BINARY), BINARY + " not installed (package docker-registry)");
    Path storage = Files.createDirectories(dir.resolve("storage"));
    StringBuilder config = new StringBuilder();
    config.append("version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n");
    config.append("    rootdirectory: ").append(storage).append("\n");
    config.append("  delete:\n    enabled: true\n");
    config.append("http:\n  addr: 127.0.0.1:0\n  secret: test-secret\n");
    if (htpasswdLine != null) {
      Path htpasswd = dir.resolve("htpasswd");
      Files.writeString(htpasswd, htpasswdLine + "\n");
      config.append("auth:\n  htpasswd:\n    realm: test\n    path: ").append(htpasswd);
      config.append("\n");
    }
    Path configFile = dir.resolve("registry.yml");
    Files.writeString(configFile, config);
    Process process =
        new ProcessBuilder(BINARY.toString(), "serve", configFile.toString())
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder seen = new StringBuilder();
    String address = null;
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      seen.append(line).append('\n');
      Matcher m = LISTENING.matcher(line);
      if (m.find()) {
        address = m.group(1);
        break;
      }
    }
    if (address == null) {
      process.destroyForcibly();
      throw new IllegalStateException("docker-registry did not start:\n" + seen);
    }
    // Keep reading its log, so it never blocks on a full pipe.
    CompletableFuture.runAsync(
        () -> {
          try {
            while (out.readLine() != null) {
              // discard
            }
          } catch (IOException e) {
            // the registry stopped
          }
        });
    return new TestRegistry(process, address, storage);
  }

  /** host:port, e.g. 127.0.0.1:34455. */
  String address() {
    return address;
  }

  static String digest(byte[] bytes) throws Exception {
    return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  /** Uploads a blob (POST, then PUT with its digest); returns its digest. */
  String pushBlob(String repository, byte[] blob, String authorization) throws Exception {
    String digest = digest(blob);
    var start =
        send(
            HttpRequest.newBuilder(
                    URI.create("http://" + address + "/v2/" + repository + "/blobs/uploads/"))
                .POST(HttpRequest.BodyPublishers.noBody()),
            authorization);
    expect(start, 202);
    URI location =
        URI.create("http://" + address + "/").resolve(start.headers().firstValue("Location").get());
    String separator = location.getQuery() == null ? "?" : "&";
    var put =
        send(
            HttpRequest.newBuilder(URI.create(location + separator + "digest=" + digest))
                .header("Content-Type", "application/octet-stream")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)),
            authorization);
    expect(put, 201);
    return digest;
  }

  /** Puts a manifest under a tag; returns the manifest's digest. */
  String pushManifest(String repository, String tag, String manifest, String authorization)
      throws Exception {
    byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
    var put =
        send(
            HttpRequest.newBuilder(
                    URI.create("http://" + address + "/v2/" + repository + "/manifests/" + tag))
                .header("Content-Type", OCI_MANIFEST)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(bytes)),
            authorization);
    expect(put, 201);
    return digest(bytes);
  }

  /**
   * Pushes a wasm module as an OCI artifact: configType/layerType pick the layout (WAGI's or the
   * CNCF one). Returns the manifest digest.
   */
  String pushModule(
      String repository,
      String tag,
      byte[] wasm,
      String configType,
      String layerType,
      String authorization)
      throws Exception {
    String layer = pushBlob(repository, wasm, authorization);
    byte[] config =
        (configType.equals(CNCF_CONFIG)
                ? "{\"architecture\":\"wasm\",\"os\":\"wasip1\",\"layerDigests\":[\""
                    + layer
                    + "\"]}"
                : "{}")
            .getBytes(StandardCharsets.UTF_8);
    String configDigest = pushBlob(repository, config, authorization);
    return pushManifest(
        repository,
        tag,
        manifest(configType, configDigest, config.length, layerType, layer, wasm.length),
        authorization);
  }

  static String manifest(
      String configType,
      String configDigest,
      long configSize,
      String layerType,
      String layerDigest,
      long layerSize) {
    return "{\"schemaVersion\":2,\"mediaType\":\""
        + OCI_MANIFEST
        + "\",\"config\":{\"mediaType\":\""
        + configType
        + "\",\"digest\":\""
        + configDigest
        + "\",\"size\":"
        + configSize
        + "},\"layers\":[{\"mediaType\":\""
        + layerType
        + "\",\"digest\":\""
        + layerDigest
        + "\",\"size\":"
        + layerSize
        + "}]}";
  }

  /** Deletes a blob (the manifests that name it stay), as a registry's garbage collection may. */
  void deleteBlob(String repository, String digest) throws Exception {
    var delete =
        send(
            HttpRequest.newBuilder(
                    URI.create("http://" + address + "/v2/" + repository + "/blobs/" + digest))
                .DELETE(),
            null);
    expect(delete, 202);
  }

  /** Overwrites a stored blob's bytes (same length), so the registry serves corrupt content. */
  void corruptBlob(String digest) throws IOException {
    String hex = digest.substring("sha256:".length());
    Path data =
        storage.resolve(
            Path.of(
                "docker", "registry", "v2", "blobs", "sha256", hex.substring(0, 2), hex, "data"));
    byte[] bytes = Files.readAllBytes(data);
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) ~bytes[i];
    }
    Files.write(data, bytes);
  }

  private HttpResponse<String> send(HttpRequest.Builder request, String authorization)
      throws Exception {
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static void expect(HttpResponse<String> response, int status) {
    if (response.statusCode() != status) {
      throw new IllegalStateException(
          response.request().method()
              + " "
              + response.uri()
              + ": "
              + response.statusCode()
              + " "
              + response.body());
    }
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
