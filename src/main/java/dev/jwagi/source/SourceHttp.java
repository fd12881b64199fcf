package dev.jwagi.source;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The HTTP client for module downloads and registries: redirects followed here (at most {@value
 * #MAX_REDIRECTS}), never to plain HTTP off loopback nor from https to http, and an authorization
 * sent to the first origin only, never to where it redirects (registries send blobs to storage
 * services).
 */
final class SourceHttp {
  private static final int MAX_REDIRECTS = 5;
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(60);

  private HttpClient client; // made on first download: a start-up with only files needs none

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
   * A GET following redirects; {@code authorization} (or null) goes to {@code uri}'s origin only.
   */
  HttpResponse<InputStream> get(URI uri, String accept, String authorization)
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
      boolean https = "https".equalsIgnoreCase(next.getScheme());
      if (!https && current.getScheme().equalsIgnoreCase("https")) {
        throw new IOException("refused a redirect from https to " + next);
      }
      if (!https && !("http".equalsIgnoreCase(next.getScheme()) && plainHttpAllowed(next))) {
        throw new IOException(
            "refused a redirect to " + next + ": plain HTTP is for loopback hosts only");
      }
      current = next;
    }
  }

  /** Plain HTTP only to this machine, as for module URLs and registries. */
  static boolean plainHttpAllowed(URI uri) {
    return uri.getHost() != null && Loopback.isLoopback(uri.getHost());
  }

  static boolean sameOrigin(URI a, URI b) {
    return a.getScheme().equalsIgnoreCase(b.getScheme())
        && a.getHost().equalsIgnoreCase(b.getHost())
        && a.getPort() == b.getPort();
  }

  static byte[] readLimited(InputStream in, long limit, String what)
      throws IOException, FetchException {
    try (in) {
      byte[] bytes = in.readNBytes((int) limit + 1);
      if (bytes.length > limit) {
        throw new FetchException("the " + what + " is larger than " + (limit >> 20) + " MiB");
      }
      return bytes;
    }
  }

  static void close(HttpResponse<InputStream> response) {
    try {
      response.body().close();
    } catch (IOException e) {
      // nothing to do: the connection is dropped
    }
  }

  static String describe(IOException e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
  }
}
