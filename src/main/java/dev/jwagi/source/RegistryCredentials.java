package dev.jwagi.source;

import java.util.Map;
import java.util.Objects;

/**
 * A user name and password for OCI registries, from the environment: {@value #USER_VARIABLE} and
 * {@value #PASSWORD_VARIABLE}. Sent only to a registry that asks for them (a 401 challenge), as
 * HTTP basic auth or to get a bearer token.
 */
public record RegistryCredentials(String user, String password) {
  public static final String USER_VARIABLE = "JWAGI_REGISTRY_USER";
  public static final String PASSWORD_VARIABLE = "JWAGI_REGISTRY_PASSWORD";

  public RegistryCredentials {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
  }

  /**
   * The credentials in {@code env}, or null if neither variable is set. Throws {@link
   * IllegalArgumentException} if only one of them is.
   */
  public static RegistryCredentials from(Map<String, String> env) {
    String user = env.get(USER_VARIABLE);
    String password = env.get(PASSWORD_VARIABLE);
    if (user == null && password == null) {
      return null;
    }
    if (user == null || password == null) {
      throw new IllegalArgumentException(
          "set both " + USER_VARIABLE + " and " + PASSWORD_VARIABLE + ", or neither");
    }
    return new RegistryCredentials(user, password);
  }

  @Override
  public String toString() {
    return "RegistryCredentials[user=" + user + "]"; // never the password
  }
}
