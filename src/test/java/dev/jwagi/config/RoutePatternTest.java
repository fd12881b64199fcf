package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RoutePatternTest {
  @Test
  void exactMatchesOnlyItself() {
    var route = RoutePattern.parse("/foo");
    assertThat(route.wildcard()).isFalse();
    assertThat(route.base()).isEqualTo("/foo");
    assertThat(route.matches("/foo")).isTrue();
    assertThat(route.matches("/foo/")).isFalse();
    assertThat(route.matches("/foobar")).isFalse();
  }

  @Test
  void wildcardMatchesItsBaseAndEverythingUnderIt() {
    var route = RoutePattern.parse("/foo/...");
    assertThat(route.wildcard()).isTrue();
    assertThat(route.base()).isEqualTo("/foo");
    assertThat(route.matches("/foo")).isTrue();
    assertThat(route.matches("/foo/")).isTrue();
    assertThat(route.matches("/foo/a/b")).isTrue();
    assertThat(route.matches("/foobar")).isFalse();
    assertThat(route.matches("/fo")).isFalse();
  }

  @Test
  void catchAllMatchesEverythingAndHasAnEmptyBase() {
    var route = RoutePattern.parse("/...");
    assertThat(route.base()).isEmpty();
    assertThat(route.matches("/")).isTrue();
    assertThat(route.matches("/anything/at/all")).isTrue();
  }

  @Test
  void badRoutesAreRefused() {
    assertThatThrownBy(() -> RoutePattern.parse("foo"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("must start with \"/\"");
    for (String bad : new String[] {"/a/.../b", "/a...", "/.../...", "/a/....", "/a/b..."}) {
      assertThatThrownBy(() -> RoutePattern.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("only allowed as the last segment");
    }
  }

  @Test
  void subRoutesJoinWithOneSlashAsWagiDoes() {
    assertThat(join("/", "/hello")).isEqualTo("/hello");
    assertThat(join("/x/", "/y")).isEqualTo("/x/y");
    assertThat(join("/x", "/y")).isEqualTo("/x/y");
    assertThat(join("/app/...", "/hello")).isEqualTo("/app/hello");
    assertThat(join("/...", "/hello")).isEqualTo("/hello");
    assertThat(join("/", "/files/...")).isEqualTo("/files/...");
  }

  private static String join(String parent, String sub) {
    return RoutePattern.parse(parent).join(RoutePattern.parse(sub)).text();
  }
}
