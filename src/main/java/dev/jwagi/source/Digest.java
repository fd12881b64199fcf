package dev.jwagi.source;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest as OCI and modules.toml write it: {@code sha256:} and 64 lower-case hex digits.
 *
 * @param hex the 64 hex digits
 */
public record Digest(String hex) {
  private static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");

  /** Throws {@link IllegalArgumentException} unless {@code text} is {@code sha256:<64 hex>}. */
  public static Digest parse(String text) {
    if (!SHA256.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a digest: expected sha256: and 64 lower-case hex digits");
    }
    return new Digest(text.substring("sha256:".length()));
  }

  public static Digest of(byte[] bytes) {
    MessageDigest sha = sha256();
    return new Digest(HexFormat.of().formatHex(sha.digest(bytes)));
  }

  static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "sha256:" + hex;
  }
}
