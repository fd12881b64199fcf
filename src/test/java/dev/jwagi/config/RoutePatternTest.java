package dev.jwagi.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  // Spin's routes, as spinframework/spin crates/routes/src/lib.rs (routefinder 0.5.4) match them.

  private static RoutePattern spin(String route) {
    return RoutePattern.parseSpin(route, "/");
  }

  @Test
  void spinRoutesIgnoreTrailingSlashesAndTakeMissingLeadingOnes() {
    assertThat(spin("/foo").matches("/foo/")).isTrue();
    assertThat(spin("/foo/").text()).isEqualTo("/foo");
    assertThat(spin("foo").text()).isEqualTo("/foo");
    assertThat(spin("/").matches("/")).isTrue();
    assertThat(spin("/").matches("/a")).isFalse();
    assertThat(spin("/foo").matches("/foobar")).isFalse();
    assertThat(spin("/foo/...").matches("/foobar")).isFalse();
  }

  @Test
  void spinTrailingWildcardRespectsTrailingSlashLikeSpin() {
    var route = spin("/test/...");
    assertThat(route.captures("/test")).containsEntry("", "");
    assertThat(route.captures("/test/")).containsEntry("", "/");
    assertThat(route.captures("/test/hello")).containsEntry("", "/hello");
    assertThat(route.captures("/test/hello/")).containsEntry("", "/hello/");
    assertThat(spin("/...").captures("/1/2/3")).containsEntry("", "/1/2/3");
  }

  @Test
  void spinNamedSegmentsMatchOneSegment() {
    var edit = spin("/users/:userid/edit");
    assertThat(edit.captures("/users/1/edit")).isEqualTo(Map.of("userid", "1"));
    assertThat(edit.matches("/users/alice/edit")).isTrue();
    for (String no : List.of("/users", "/users/1", "/users/1/edit/cart")) {
      assertThat(edit.matches(no)).as(no).isFalse();
    }
    assertThat(spin("/1/:two/...").captures("/1/2/3")).isEqualTo(Map.of("two", "2", "", "/3"));
  }

  @Test
  void spinBaseIsPrepended() {
    var route = RoutePattern.parseSpin("/foo/...", "/base/");
    assertThat(route.text()).isEqualTo("/base/foo/...");
    assertThat(route.matches("/base/foo/bar")).isTrue();
    assertThat(route.matches("/foo/bar")).isFalse();
  }

  @Test
  void spinRoutesJwagiCannotMatchAreRefused() {
    for (String bad : List.of("/a/*", "/a/:", "/files/:name.txt", "/a/.../b")) {
      assertThatThrownBy(() -> spin(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static String winner(String path, String... routes) {
    List<RoutePattern> sorted = new ArrayList<>();
    for (String r : routes) {
      sorted.add(spin(r));
    }
    sorted.sort(RoutePattern.MOST_SPECIFIC_FIRST);
    return sorted.stream()
        .filter(p -> p.matches(path))
        .findFirst()
        .map(RoutePattern::text)
        .orElse(null);
  }

  @Test
  void mostSpecificWinsAsInSpin() {
    // Spin's docs (http-trigger.md, "Resolving Overlapping Routes") and router tests.
    String[] docs = {"/users/...", "/users/admin", "/..."};
    assertThat(winner("/users/1", docs)).isEqualTo("/users/...");
    assertThat(winner("/users/admin", docs)).isEqualTo("/users/admin");
    assertThat(winner("/shop", docs)).isEqualTo("/...");
    String[] nested = {"/one/...", "/one/two/three/...", "/one/two/..."};
    assertThat(winner("/one/two/three/four", nested)).isEqualTo("/one/two/three/...");
    assertThat(winner("/one", "/one", "/...")).isEqualTo("/one");
    assertThat(winner("/users/1", "/users/...", "/users/:id")).isEqualTo("/users/:id");
    assertThat(winner("/a/b/c", "/a/:x/c", "/a/b/...")).isEqualTo("/a/b/...");
    assertThat(winner("/foo/1", "/foo/:id/...", "/foo/:id")).isEqualTo("/foo/:id");
  }

  @Test
  void wagiWildcardsSortLongestPrefixFirst() {
    List<RoutePattern> routes =
        new ArrayList<>(
            List.of(
                RoutePattern.parse("/..."),
                RoutePattern.parse("/a/..."),
                RoutePattern.parse("/a/b/...")));
    routes.sort(RoutePattern.MOST_SPECIFIC_FIRST);
    assertThat(routes).extracting(RoutePattern::text).containsExactly("/a/b/...", "/a/...", "/...");
    assertThat(RoutePattern.parse("/users/:id").matches("/users/1"))
        .as("':' is literal in WAGI")
        .isFalse();
  }
}
