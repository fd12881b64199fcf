package dev.jwagi.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OciReferenceTest {
  private static final String DIGEST = "sha256:" + "ab".repeat(32);

  @Test
  void registryRepositoryAndTag() {
    var ref = OciReference.parse("127.0.0.1:5000/hello:1.0");
    assertThat(ref.registry()).isEqualTo("127.0.0.1:5000");
    assertThat(ref.repository()).isEqualTo("hello");
    assertThat(ref.tag()).isEqualTo("1.0");
    assertThat(ref.digest()).isNull();
    assertThat(ref.repositoryUri()).hasToString("http://127.0.0.1:5000/v2/hello/");
    assertThat(ref.manifestReference()).isEqualTo("1.0");
  }

  @Test
  void aRemoteRegistryIsReachedOverHttps() {
    var ref = OciReference.parse("ghcr.io/org/team/app:v2");
    assertThat(ref.repository()).isEqualTo("org/team/app");
    assertThat(ref.repositoryUri()).hasToString("https://ghcr.io/v2/org/team/app/");
    assertThat(OciReference.parse("localhost:5000/a").repositoryUri())
        .hasToString("http://localhost:5000/v2/a/");
  }

  @Test
  void noTagMeansLatestAndADigestPinsTheManifest() {
    assertThat(OciReference.parse("example.com/app").tag()).isEqualTo("latest");
    var pinned = OciReference.parse("example.com/app@" + DIGEST);
    assertThat(pinned.tag()).isNull();
    assertThat(pinned.manifestReference()).isEqualTo(DIGEST);
    assertThat(pinned).hasToString("example.com/app@" + DIGEST);
    var both = OciReference.parse("example.com:8443/app:1@" + DIGEST);
    assertThat(both.registry()).isEqualTo("example.com:8443");
    assertThat(both.tag()).isEqualTo("1");
    assertThat(both.manifestReference()).isEqualTo(DIGEST);
  }

  @Test
  void aNameWithoutARegistryIsOnDockerHub() {
    var ref = OciReference.parse("hello:1");
    assertThat(ref.registry()).isEqualTo("docker.io");
    assertThat(ref.repository()).isEqualTo("library/hello");
    assertThat(ref.repositoryUri()).hasToString("https://registry-1.docker.io/v2/library/hello/");
    assertThat(OciReference.parse("org/app").repository()).isEqualTo("org/app");
  }

  @Test
  void badReferencesSayWhichPartIsWrong() {
    assertThatThrownBy(() -> OciReference.parse("example.com/Upper:1"))
        .hasMessageContaining("not a valid repository name");
    assertThatThrownBy(() -> OciReference.parse("example.com/app:bad tag"))
        .hasMessageContaining("not a valid tag");
    assertThatThrownBy(() -> OciReference.parse("example.com/app@sha256:short"))
        .hasMessageContaining("is not a digest");
    assertThatThrownBy(() -> OciReference.parse("example.com/")).hasMessageContaining("repository");
  }

  @Test
  void loopbackIsDecidedFromTheTextAlone() {
    assertThat(Loopback.isLoopback("127.0.0.1")).isTrue();
    assertThat(Loopback.isLoopback("127.1.2.3")).isTrue();
    assertThat(Loopback.isLoopback("localhost")).isTrue();
    assertThat(Loopback.isLoopback("[::1]")).isTrue();
    assertThat(Loopback.isLoopback("127.example.com")).isFalse();
    assertThat(Loopback.isLoopback("10.0.0.1")).isFalse();
  }
}
