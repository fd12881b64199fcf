package dev.jwagi.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Registry logins, one per registry host, in the container tools' format: the {@code auths} map of
 * a Docker/Podman {@code config.json} ({@code --registry-auth FILE}, else {@value
 * #AUTH_FILE_VARIABLE}, else {@code ~/.docker/config.json} if there is one), with {@value
 * #USER_VARIABLE}/{@value #PASSWORD_VARIABLE} for the host {@value #HOST_VARIABLE} overriding the
 * file's entry. A login is only ever offered to its own registry ({@link RegistryAuth} decides
 * where it may go).
 */
public final class RegistryCredentials {
  public static final String USER_VARIABLE = "JWAGI_REGISTRY_USER";
  public static final String PASSWORD_VARIABLE = "JWAGI_REGISTRY_PASSWORD";
  public static final String HOST_VARIABLE = "JWAGI_REGISTRY_HOST";
  public static final String AUTH_FILE_VARIABLE = "REGISTRY_AUTH_FILE";

  /** No logins at all. */
  public static final RegistryCredentials NONE = new RegistryCredentials(Map.of(), null);

  /** A user name and password; never printed. */
  record Login(String user, String password) {
    String basic() {
      return "Basic "
          + Base64.getEncoder()
              .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
      return "Login[user=" + user + "]";
    }
  }

  private final Map<String, Login> byHost;

  /** Where the logins came from, for messages; null if from nowhere. */
  private final String source;

  private RegistryCredentials(Map<String, Login> byHost, String source) {
    this.byHost = Map.copyOf(byHost);
    this.source = source;
  }

  /**
   * The logins: from {@code authFile} (the flag; null: {@value #AUTH_FILE_VARIABLE} in {@code env},
   * else {@code home/.docker/config.json} if it exists), then the variables in {@code env}.
   *
   * @throws IllegalArgumentException naming the file or variable that is wrong
   */
  public static RegistryCredentials load(Path authFile, Map<String, String> env, Path home) {
    Path file = authFile;
    String what = "--registry-auth";
    if (file == null && env.get(AUTH_FILE_VARIABLE) != null) {
      file = Path.of(env.get(AUTH_FILE_VARIABLE));
      what = AUTH_FILE_VARIABLE;
    }
    boolean optional = false;
    if (file == null && home != null) {
      file = home.resolve(".docker").resolve("config.json");
      what = "registry logins";
      optional = true;
    }
    Map<String, Login> logins = new HashMap<>();
    String source = null;
    if (file != null && (!optional || Files.isRegularFile(file))) {
      readAuths(file, what, logins);
      source = file.toString();
    }
    String user = env.get(USER_VARIABLE);
    String password = env.get(PASSWORD_VARIABLE);
    String host = env.get(HOST_VARIABLE);
    if (user != null || password != null) {
      if (user == null || password == null) {
        throw new IllegalArgumentException(
            "set both " + USER_VARIABLE + " and " + PASSWORD_VARIABLE + ", or neither");
      }
      if (host == null || host.isBlank()) {
        throw new IllegalArgumentException(
            USER_VARIABLE
                + " and "
                + PASSWORD_VARIABLE
                + " need "
                + HOST_VARIABLE
                + ": the registry (host[:port]) they are for; a login is never sent to another");
      }
      logins.put(normalize(host), new Login(user, password));
      source = source == null ? USER_VARIABLE : source + " and " + USER_VARIABLE;
    }
    return logins.isEmpty() && source == null ? NONE : new RegistryCredentials(logins, source);
  }

  private static void readAuths(Path file, String what, Map<String, Login> logins) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " " + file + ": cannot read it: " + e.getMessage());
    }
    JsonNode auths = root == null ? null : root.path("auths");
    if (auths == null || !auths.isObject()) {
      throw new IllegalArgumentException(
          what + " " + file + ": no \"auths\" object (a Docker/Podman config.json)");
    }
    for (var entry : auths.properties()) {
      JsonNode login = entry.getValue();
      String user = login.path("username").asText(null);
      String password = login.path("password").asText(null);
      String auth = login.path("auth").asText(null);
      if (auth != null && !auth.isEmpty()) {
        String decoded;
        try {
          decoded = new String(Base64.getDecoder().decode(auth.strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              what + " " + file + ": auths \"" + entry.getKey() + "\": auth is not base64");
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
          throw new IllegalArgumentException(
              what + " " + file + ": auths \"" + entry.getKey() + "\": auth is not user:password");
        }
        user = decoded.substring(0, colon);
        password = decoded.substring(colon + 1);
      }
      if (user != null && password != null) {
        logins.put(normalize(entry.getKey()), new Login(user, password));
      }
    }
  }

  /**
   * An {@code auths} key as a registry host: Docker writes {@code https://index.docker.io/v1/} for
   * Docker Hub, others a bare {@code host[:port]}.
   */
  static String normalize(String key) {
    String host = key.strip().toLowerCase(Locale.ROOT);
    int scheme = host.indexOf("://");
    if (scheme >= 0) {
      host = host.substring(scheme + 3);
    }
    int slash = host.indexOf('/');
    if (slash >= 0) {
      host = host.substring(0, slash);
    }
    return switch (host) {
      case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> "docker.io";
      default -> host;
    };
  }

  /** The login for {@code registry} (host[:port] as in an oci: reference), or null. */
  Login forRegistry(String registry) {
    return byHost.get(normalize(registry));
  }

  /** Where logins come from, for a message; null if there are none. */
  String source() {
    return source;
  }

  @Override
  public String toString() {
    return "RegistryCredentials" + byHost.keySet(); // never a password
  }
}
