package dev.jwagi.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers registries' 401 challenges (HTTP basic, or a bearer token from the challenge's realm) and
 * keeps the Authorization per registry and repository (a token is scoped to one repository). A
 * registry's login goes only to that registry itself, or to a token realm over https; over plain
 * HTTP only to the registry's own loopback host. Elsewhere a token is asked for without it.
 */
final class RegistryAuth {
  private static final Logger log = LoggerFactory.getLogger(RegistryAuth.class);
  private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");
  private static final long MAX_TOKEN_BYTES = 4L << 20;

  private final SourceHttp http;
  private final RegistryCredentials credentials;
  private final Map<String, String> authorization = new HashMap<>();
  private ObjectMapper json;

  RegistryAuth(SourceHttp http, RegistryCredentials credentials) {
    this.http = http;
    this.credentials = credentials == null ? RegistryCredentials.NONE : credentials;
  }

  /** A GET to the registry, answering one 401 challenge if there is one. */
  HttpResponse<InputStream> get(OciReference ref, URI uri, String accept)
      throws IOException, InterruptedException, FetchException {
    String key = ref.registry() + "/" + ref.repository();
    String known = authorization.get(key);
    HttpResponse<InputStream> response = http.get(uri, accept, known);
    if (response.statusCode() != 401 || known != null) {
      return response;
    }
    String challenge = response.headers().firstValue("WWW-Authenticate").orElse("");
    SourceHttp.close(response);
    String answer = answer(challenge, ref, uri);
    if (answer == null) {
      return http.get(uri, accept, null); // nothing to answer with: give the caller the 401
    }
    authorization.put(key, answer);
    return http.get(uri, accept, answer);
  }

  /** What to tell a user whose registry refused access. */
  String hint(OciReference ref) {
    return credentials.forRegistry(ref.registry()) == null
        ? "; no login for "
            + ref.registry()
            + " (give --registry-auth FILE, a Docker/Podman config.json, or set "
            + RegistryCredentials.AUTH_FILE_VARIABLE
            + ")"
        : " with the login for " + ref.registry() + " from " + credentials.source();
  }

  /** The Authorization for a registry's challenge, or null when there is nothing to send. */
  private String answer(String challenge, OciReference ref, URI registryUri)
      throws IOException, InterruptedException, FetchException {
    RegistryCredentials.Login login = credentials.forRegistry(ref.registry());
    String scheme = challenge.strip().split("\\s+", 2)[0].toLowerCase(Locale.ROOT);
    if (scheme.equals("basic")) {
      return login == null ? null : login.basic(); // to the registry itself
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
    URI tokenUri;
    try {
      tokenUri = URI.create(realm + query);
    } catch (IllegalArgumentException e) {
      throw new FetchException("the registry's token realm \"" + realm + "\" is not a URL", e);
    }
    if (tokenUri.getHost() == null
        || !("https".equalsIgnoreCase(tokenUri.getScheme())
            || ("http".equalsIgnoreCase(tokenUri.getScheme())
                && SourceHttp.plainHttpAllowed(tokenUri)))) {
      throw new FetchException(
          "the registry's token realm "
              + realm
              + " is neither https nor plain HTTP on loopback: not asked for a token");
    }
    String basic = null;
    if (login != null) {
      if (mayReceive(tokenUri, registryUri)) {
        basic = login.basic();
      } else {
        log.warn(
            "the login for {} is not sent to its token realm {}: plain HTTP to another host;"
                + " asking for a token without it",
            ref.registry(),
            realm);
      }
    }
    HttpResponse<InputStream> response = http.get(tokenUri, "application/json", basic);
    if (response.statusCode() != 200) {
      SourceHttp.close(response);
      throw new FetchException(
          "the registry's token service "
              + realm
              + " answered HTTP "
              + response.statusCode()
              + (login == null ? hint(ref) : ""));
    }
    if (json == null) {
      json = new ObjectMapper();
    }
    JsonNode token =
        json.readTree(SourceHttp.readLimited(response.body(), MAX_TOKEN_BYTES, "token"));
    String value = token.path("token").asText(token.path("access_token").asText(""));
    if (value.isEmpty()) {
      throw new FetchException("the registry's token service " + realm + " sent no token");
    }
    return "Bearer " + value;
  }

  /**
   * Whether a registry's login may go to its token realm: over https anywhere (Docker Hub's realm
   * is auth.docker.io), over plain HTTP only to the registry's own host, which is loopback (plain
   * HTTP registries are).
   */
  static boolean mayReceive(URI realm, URI registry) {
    if ("https".equalsIgnoreCase(realm.getScheme())) {
      return true;
    }
    return realm.getHost().equalsIgnoreCase(registry.getHost())
        && SourceHttp.plainHttpAllowed(realm);
  }
}
