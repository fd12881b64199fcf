package dev.jwagi.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Registry logins: one per registry, from config.json or the variables, and where they may go. */
class RegistryCredentialsTest {
  @TempDir Path dir;

  private static String auth(String userPassword) {
    return Base64.getEncoder().encodeToString(userPassword.getBytes());
  }

  @Test
  void aConfigJsonGivesOneLoginPerRegistry() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("config.json"),
            "{\"auths\": {\"ghcr.io\": {\"auth\": \""
                + auth("me:pat")
                + "\"}, \"https://index.docker.io/v1/\": {\"auth\": \""
                + auth("hub:pw:with:colons")
                + "\"}, \"localhost:5000\": {\"username\": \"u\", \"password\": \"p\"}}}");
    var credentials = RegistryCredentials.load(file, Map.of(), dir);
    assertThat(credentials.forRegistry("ghcr.io").user()).isEqualTo("me");
    assertThat(credentials.forRegistry("docker.io").password()).isEqualTo("pw:with:colons");
    assertThat(credentials.forRegistry("localhost:5000").user()).isEqualTo("u");
    assertThat(credentials.forRegistry("localhost:5001")).isNull();
    assertThat(credentials.forRegistry("quay.io")).isNull();
    assertThat(credentials.toString()).doesNotContain("pat", "pw");
  }

  @Test
  void theVariablesOverrideOneRegistryAndNeedItsName() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("auth.json"),
            "{\"auths\": {\"ghcr.io\": {\"auth\": \"" + auth("me:pat") + "\"}}}");
    var credentials =
        RegistryCredentials.load(
            null,
            Map.of(
                "REGISTRY_AUTH_FILE", file.toString(),
                "JWAGI_REGISTRY_USER", "ci",
                "JWAGI_REGISTRY_PASSWORD", "token",
                "JWAGI_REGISTRY_HOST", "GHCR.io"),
            dir);
    assertThat(credentials.forRegistry("ghcr.io").user()).isEqualTo("ci");
    assertThatThrownBy(
            () ->
                RegistryCredentials.load(
                    null, Map.of("JWAGI_REGISTRY_USER", "u", "JWAGI_REGISTRY_PASSWORD", "p"), dir))
        .hasMessageContaining("need JWAGI_REGISTRY_HOST");
  }

  @Test
  void aMissingDefaultFileIsNoLoginButAMissingNamedOneIsAnError() throws Exception {
    assertThat(RegistryCredentials.load(null, Map.of(), dir).forRegistry("ghcr.io")).isNull();
    assertThatThrownBy(() -> RegistryCredentials.load(dir.resolve("nope.json"), Map.of(), dir))
        .hasMessageContaining("--registry-auth " + dir.resolve("nope.json"));
    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"credsStore\": \"desktop\"}");
    assertThatThrownBy(() -> RegistryCredentials.load(bad, Map.of(), dir))
        .hasMessageContaining("no \"auths\" object");
  }

  /** The review's probe: a registry on 127.0.0.1:5000 naming a realm on localhost:5001. */
  @Test
  void aLoginGoesToAnHttpsRealmOrThePlainRegistrysOwnLoopbackHostOnly() {
    URI registry = URI.create("http://127.0.0.1:5000/v2/app/manifests/1");
    assertThat(RegistryAuth.mayReceive(URI.create("http://localhost:5001/token"), registry))
        .isFalse();
    assertThat(RegistryAuth.mayReceive(URI.create("http://127.0.0.1:5001/token"), registry))
        .isTrue();
    assertThat(RegistryAuth.mayReceive(URI.create("https://auth.example.com/token"), registry))
        .isTrue();
    URI remote = URI.create("https://registry.example.com/v2/");
    assertThat(RegistryAuth.mayReceive(URI.create("http://registry.example.com/token"), remote))
        .isFalse();
  }
}
