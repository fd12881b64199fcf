package dev.jwagi.cgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.config.RoutePattern;
import dev.jwagi.config.SpinRoute;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CgiEnvironmentTest {
  private static final CgiEnvironment PLAIN = new CgiEnvironment(Map.of(), "localhost:3000");
  private static final MatchedRoute WILDCARD =
      new MatchedRoute(RoutePattern.parse("/env/..."), null);
  private static final MatchedRoute EXACT = new MatchedRoute(RoutePattern.parse("/env"), null);

  /** A GET with the given path, query and headers (name, value pairs), from 127.0.0.1. */
  private static IncomingRequest get(String rawPath, String rawQuery, String... headers) {
    return request(rawPath, rawQuery, false, new byte[0], headers);
  }

  private static IncomingRequest request(
      String rawPath, String rawQuery, boolean secure, byte[] body, String... headers) {
    List<Header> list = new ArrayList<>();
    for (int i = 0; i < headers.length; i += 2) {
      list.add(new Header(headers[i], headers[i + 1]));
    }
    return new IncomingRequest(
        "GET",
        rawPath,
        rawQuery,
        "HTTP/1.1",
        list,
        body.length,
        new ByteArrayInputStream(body),
        "127.0.0.1",
        0,
        secure);
  }

  private static Map<String, String> env(IncomingRequest request, MatchedRoute route) {
    return PLAIN.build(request, route).envMap();
  }

  // --- fixed variables ---

  @Test
  void fixedVariablesForWildcardRoute() {
    Map<String, String> env = env(get("/env/a/b", "x=1&y=2", "Host", "example.com:8080"), WILDCARD);
    assertThat(env)
        .containsEntry("AUTH_TYPE", "")
        .containsEntry("CONTENT_LENGTH", "0")
        .containsEntry("CONTENT_TYPE", "")
        .containsEntry("GATEWAY_INTERFACE", "CGI/1.1")
        .containsEntry("QUERY_STRING", "x=1&y=2")
        .containsEntry("REMOTE_ADDR", "127.0.0.1")
        .containsEntry("REMOTE_HOST", "127.0.0.1")
        .containsEntry("REMOTE_USER", "")
        .containsEntry("REQUEST_METHOD", "GET")
        .containsEntry("SCRIPT_NAME", "/env")
        .containsEntry("PATH_INFO", "/a/b")
        .containsEntry("X_RAW_PATH_INFO", "/a/b")
        .containsEntry("PATH_TRANSLATED", "/a/b")
        .containsEntry("SERVER_NAME", "example.com")
        .containsEntry("SERVER_PORT", "8080")
        .containsEntry("SERVER_PROTOCOL", "HTTP/1.1")
        .containsEntry("SERVER_SOFTWARE", "WAGI/1")
        .containsEntry("X_MATCHED_ROUTE", "/env/...")
        .containsEntry("X_FULL_URL", "http://example.com:8080/env/a/b?x=1&y=2")
        .containsEntry("HTTP_HOST", "example.com:8080");
  }

  @Test
  void fixedVariablesComeInDocumentedOrderThenHeaders() {
    Map<String, String> env = env(get("/env", null, "Host", "h", "Accept", "*/*"), EXACT);
    assertThat(env.keySet())
        .containsExactly(
            "AUTH_TYPE",
            "CONTENT_LENGTH",
            "CONTENT_TYPE",
            "GATEWAY_INTERFACE",
            "QUERY_STRING",
            "REMOTE_ADDR",
            "REMOTE_HOST",
            "REMOTE_USER",
            "REQUEST_METHOD",
            "SCRIPT_NAME",
            "PATH_INFO",
            "X_RAW_PATH_INFO",
            "PATH_TRANSLATED",
            "SERVER_NAME",
            "SERVER_PORT",
            "SERVER_PROTOCOL",
            "SERVER_SOFTWARE",
            "X_MATCHED_ROUTE",
            "X_FULL_URL",
            "HTTP_HOST",
            "HTTP_ACCEPT");
  }

  @Test
  void exactRouteHasEmptyPathInfo() {
    Map<String, String> env = env(get("/env", null, "Host", "example.com"), EXACT);
    assertThat(env)
        .containsEntry("SCRIPT_NAME", "/env")
        .containsEntry("PATH_INFO", "")
        .containsEntry("X_RAW_PATH_INFO", "")
        .containsEntry("PATH_TRANSLATED", "")
        .containsEntry("X_MATCHED_ROUTE", "/env");
  }

  @Test
  void wildcardRouteMatchingItsOwnPrefixHasEmptyPathInfo() {
    assertThat(env(get("/env", null), WILDCARD))
        .containsEntry("SCRIPT_NAME", "/env")
        .containsEntry("PATH_INFO", "");
    assertThat(env(get("/env/", null), WILDCARD)).containsEntry("PATH_INFO", "/");
  }

  @Test
  void rootWildcardHasEmptyScriptNameAndWholePathAsPathInfo() {
    MatchedRoute root = new MatchedRoute(RoutePattern.parse("/..."), null);
    assertThat(env(get("/", null), root))
        .containsEntry("SCRIPT_NAME", "")
        .containsEntry("PATH_INFO", "/");
    assertThat(env(get("/a/b", null), root)).containsEntry("PATH_INFO", "/a/b");
  }

  @Test
  void pathInfoIsDecodedButRawPathInfoIsNot() {
    Map<String, String> env = env(get("/env/a%20b/%C3%A9+c%2F", null), WILDCARD);
    assertThat(env)
        .containsEntry("PATH_INFO", "/a b/é+c/")
        .containsEntry("PATH_TRANSLATED", "/a b/é+c/")
        .containsEntry("X_RAW_PATH_INFO", "/a%20b/%C3%A9+c%2F");
  }

  @Test
  void malformedPercentEscapesAreKeptLiterally() {
    assertThat(env(get("/env/100%/%zz/%4", null), WILDCARD))
        .containsEntry("PATH_INFO", "/100%/%zz/%4");
    assertThat(env(get("/env/%41%", null), WILDCARD)).containsEntry("PATH_INFO", "/A%");
  }

  @Test
  void invalidUtf8AfterDecodingBecomesReplacementChar() {
    assertThat(env(get("/env/%FF", null), WILDCARD)).containsEntry("PATH_INFO", "/\uFFFD");
  }

  @Test
  void queryStringIsRawOrEmpty() {
    assertThat(env(get("/env", "a=%20b+c"), EXACT)).containsEntry("QUERY_STRING", "a=%20b+c");
    assertThat(env(get("/env", null), EXACT)).containsEntry("QUERY_STRING", "");
    assertThat(env(get("/env", ""), EXACT)).containsEntry("QUERY_STRING", "");
  }

  @Test
  void anUnknownBodyLengthIsAnEmptyContentLength() {
    IncomingRequest chunked =
        new IncomingRequest(
            "POST",
            "/env",
            null,
            "HTTP/1.1",
            List.of(),
            -1,
            InputStream.nullInputStream(),
            "127.0.0.1",
            0,
            false);
    assertThat(env(chunked, EXACT)).containsEntry("CONTENT_LENGTH", "");
  }

  @Test
  void contentLengthAndTypeComeFromBodyAndHeader() {
    byte[] body = "hello".getBytes(StandardCharsets.UTF_8);
    Map<String, String> env =
        env(
            request(
                "/env", null, false, body, "content-type", "text/plain", "Content-Length", "999"),
            EXACT);
    assertThat(env)
        .containsEntry("CONTENT_LENGTH", "5")
        .containsEntry("CONTENT_TYPE", "text/plain")
        .containsEntry("HTTP_CONTENT_TYPE", "text/plain")
        .containsEntry("HTTP_CONTENT_LENGTH", "999");
  }

  // --- SERVER_NAME, SERVER_PORT, X_FULL_URL ---

  @Test
  void hostWithoutPortGetsSchemeDefaultPort() {
    assertThat(env(get("/env", null, "Host", "example.com"), EXACT))
        .containsEntry("SERVER_NAME", "example.com")
        .containsEntry("SERVER_PORT", "80")
        .containsEntry("X_FULL_URL", "http://example.com:80/env");
    assertThat(env(request("/env", null, true, new byte[0], "Host", "example.com"), EXACT))
        .containsEntry("SERVER_PORT", "443")
        .containsEntry("X_FULL_URL", "https://example.com:443/env");
  }

  @Test
  void hostWithEmptyPortGetsSchemeDefaultPort() {
    assertThat(env(get("/env", null, "Host", "example.com:"), EXACT))
        .containsEntry("SERVER_NAME", "example.com")
        .containsEntry("SERVER_PORT", "80");
  }

  @Test
  void ipv6HostKeepsBrackets() {
    assertThat(env(get("/env", null, "Host", "[::1]:8080"), EXACT))
        .containsEntry("SERVER_NAME", "[::1]")
        .containsEntry("SERVER_PORT", "8080")
        .containsEntry("X_FULL_URL", "http://[::1]:8080/env");
    assertThat(env(get("/env", null, "Host", "[::1]"), EXACT))
        .containsEntry("SERVER_NAME", "[::1]")
        .containsEntry("SERVER_PORT", "80");
  }

  @Test
  void noHostHeaderUsesDefaultHost() {
    assertThat(env(get("/env", "q", "Accept", "*/*"), EXACT))
        .containsEntry("SERVER_NAME", "localhost")
        .containsEntry("SERVER_PORT", "3000")
        .containsEntry("X_FULL_URL", "http://localhost:3000/env?q")
        .doesNotContainKey("HTTP_HOST");
    CgiEnvironment portless = new CgiEnvironment(Map.of(), "example.org");
    assertThat(portless.build(request("/env", null, true, new byte[0]), EXACT).envMap())
        .containsEntry("SERVER_NAME", "example.org")
        .containsEntry("SERVER_PORT", "443");
  }

  @Test
  void emptyHostHeaderIsTreatedAsMissing() {
    assertThat(env(get("/env", null, "Host", ""), EXACT))
        .containsEntry("SERVER_NAME", "localhost")
        .containsEntry("SERVER_PORT", "3000");
  }

  @Test
  void hostHeaderNameIsCaseInsensitive() {
    assertThat(env(get("/env", null, "HOST", "a.example:1"), EXACT))
        .containsEntry("SERVER_NAME", "a.example")
        .containsEntry("SERVER_PORT", "1");
  }

  @Test
  void httpsViaTls() {
    assertThat(env(request("/env", "a=1", true, new byte[0], "Host", "h:8443"), EXACT))
        .containsEntry("X_FULL_URL", "https://h:8443/env?a=1")
        .containsEntry("HTTPS", "on");
    assertThat(env(get("/env", null, "Host", "h"), EXACT)).doesNotContainKey("HTTPS");
  }

  /** Trusts 127.0.0.1 (the address every request of this test comes from) as a proxy. */
  private static final CgiEnvironment BEHIND_PROXY =
      new CgiEnvironment(Map.of(), "localhost:3000", "127.0.0.1"::equals);

  private static Map<String, String> proxied(String... headers) {
    return BEHIND_PROXY.build(get("/env", null, headers), EXACT).envMap();
  }

  @Test
  void httpsViaForwardedProtoFromTrustedProxy() {
    assertThat(proxied("Host", "h", "X-Forwarded-Proto", "HTTPS"))
        .containsEntry("SERVER_PORT", "443")
        .containsEntry("X_FULL_URL", "https://h:443/env")
        .containsEntry("HTTPS", "on")
        .containsEntry("HTTP_X_FORWARDED_PROTO", "HTTPS");
    assertThat(proxied("Host", "h", "x-forwarded-proto", "http"))
        .containsEntry("SERVER_PORT", "80")
        .containsEntry("X_FULL_URL", "http://h:80/env")
        .doesNotContainKey("HTTPS");
    // A list: only the last entry, the one the trusted proxy appended, counts (the client may have
    // sent the others).
    assertThat(proxied("Host", "h", "X-Forwarded-Proto", "https, http"))
        .containsEntry("X_FULL_URL", "http://h:80/env");
    assertThat(proxied("Host", "h", "X-Forwarded-Proto", "http, https"))
        .containsEntry("X_FULL_URL", "https://h:443/env");
    assertThat(proxied("Host", "h", "X-Forwarded-Proto", "https", "X-Forwarded-Proto", "http"))
        .containsEntry("X_FULL_URL", "http://h:80/env");
  }

  @Test
  void forwardedHeaderProtoWinsOverXForwardedProto() {
    assertThat(proxied("Host", "h", "Forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"))
        .containsEntry("X_FULL_URL", "https://h:443/env")
        .containsEntry("HTTPS", "on");
    assertThat(proxied("Host", "h", "Forwarded", "proto=http, Proto=\"HTTPS\""))
        .containsEntry("X_FULL_URL", "https://h:443/env");
    assertThat(proxied("Host", "h", "Forwarded", "Proto=\"HTTPS\", proto=http"))
        .containsEntry("X_FULL_URL", "http://h:80/env");
    assertThat(proxied("Host", "h", "Forwarded", "proto=http", "X-Forwarded-Proto", "https"))
        .containsEntry("X_FULL_URL", "http://h:80/env");
    // Only the last element (the trusted proxy's) counts; a comma in quotes separates nothing.
    assertThat(proxied("Host", "h", "Forwarded", "for=\"a,b\", proto=https"))
        .containsEntry("X_FULL_URL", "https://h:443/env");
    assertThat(proxied("Host", "h", "Forwarded", "proto=https, for=\"a,b\""))
        .containsEntry("X_FULL_URL", "http://h:80/env");
    // Without proto=, X-Forwarded-Proto decides.
    assertThat(proxied("Host", "h", "Forwarded", "for=1.2.3.4", "X-Forwarded-Proto", "https"))
        .containsEntry("X_FULL_URL", "https://h:443/env");
  }

  @Test
  void untrustedClientsCannotClaimHttps() {
    for (CgiEnvironment untrusting :
        List.of(PLAIN, new CgiEnvironment(Map.of(), "localhost:3000", "10.0.0.1"::equals))) {
      for (String[] claim :
          List.of(
              new String[] {"X-Forwarded-Proto", "https"},
              new String[] {"Forwarded", "proto=https"})) {
        assertThat(
                untrusting
                    .build(get("/env", null, "Host", "h", claim[0], claim[1]), EXACT)
                    .envMap())
            .containsEntry("SERVER_PORT", "80")
            .containsEntry("X_FULL_URL", "http://h:80/env")
            .doesNotContainKey("HTTPS");
      }
    }
  }

  @Test
  void fullUrlKeepsEmptyQueryMarkAndRawPath() {
    assertThat(env(get("/env/a%20b", "", "Host", "h:1"), WILDCARD))
        .containsEntry("X_FULL_URL", "http://h:1/env/a%20b?");
  }

  // --- request headers ---

  @Test
  void headersAreMappedToHttpVariables() {
    Map<String, String> env =
        env(
            get(
                "/env",
                null,
                "User-Agent",
                "curl/8",
                "x-custom-thing",
                "v",
                "Authorization",
                "Bearer secret",
                "connection",
                "keep-alive",
                "AUTHORIZATION",
                "again"),
            EXACT);
    assertThat(env)
        .containsEntry("HTTP_USER_AGENT", "curl/8")
        .containsEntry("HTTP_X_CUSTOM_THING", "v")
        .doesNotContainKeys("HTTP_AUTHORIZATION", "HTTP_CONNECTION");
    assertThat(env.values()).doesNotContain("Bearer secret", "again");
  }

  @Test
  void repeatedHeaderValuesAreJoined() {
    assertThat(env(get("/env", null, "Accept", "a", "X-Other", "o", "accept", "b"), EXACT))
        .containsEntry("HTTP_ACCEPT", "a, b")
        .containsEntry("HTTP_X_OTHER", "o");
  }

  @Test
  void headerCannotOverrideFixedVariable() {
    // Header variables all start with HTTP_, so they cannot replace a fixed variable.
    Map<String, String> env =
        env(get("/env", null, "Server-Name", "evil", "Host", "good:1"), EXACT);
    assertThat(env).containsEntry("SERVER_NAME", "good").containsEntry("HTTP_SERVER_NAME", "evil");
  }

  // --- global env ---

  @Test
  void globalEnvComesFirstAndIsOverriddenByCgiVariables() {
    Map<String, String> global = new LinkedHashMap<>();
    global.put("ZED", "z");
    global.put("SERVER_SOFTWARE", "mine");
    global.put("ALPHA", "a");
    global.put("HTTP_ACCEPT", "global");
    global.put("PATH_INFO", "global");
    CgiEnvironment cgi = new CgiEnvironment(global, "localhost:3000");
    Map<String, String> env = cgi.build(get("/env/x", null, "Accept", "*/*"), WILDCARD).envMap();

    assertThat(env)
        .containsEntry("ZED", "z")
        .containsEntry("ALPHA", "a")
        .containsEntry("SERVER_SOFTWARE", "WAGI/1")
        .containsEntry("PATH_INFO", "/x")
        .containsEntry("HTTP_ACCEPT", "*/*");
    List<String> keys = new ArrayList<>(env.keySet());
    assertThat(keys.subList(0, 2)).containsExactly("ZED", "ALPHA");
    assertThat(keys.get(2)).isEqualTo("AUTH_TYPE");
    assertThat(keys).doesNotHaveDuplicates();
  }

  @Test
  void globalEnvNotOverriddenKeepsItsValue() {
    CgiEnvironment cgi = new CgiEnvironment(Map.of("HTTP_ACCEPT", "global"), "localhost:3000");
    assertThat(cgi.build(get("/env", null), EXACT).envMap()).containsEntry("HTTP_ACCEPT", "global");
  }

  @Test
  void envIsUnmodifiable() {
    Map<String, String> env = env(get("/env", null), EXACT);
    assertThatThrownBy(() -> env.put("X", "y")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void moduleEnvComesAfterTheGlobalEnvAndBeforeTheCgiVariables() {
    var cgi = new CgiEnvironment(linked("A", "global", "B", "global only"), "localhost:3000");
    var route =
        new MatchedRoute(
            RoutePattern.parse("/env/..."),
            null,
            linked("A", "module", "C", "module only", "PATH_INFO", "/x"));
    Map<String, String> env = cgi.build(get("/env/real", null), route).envMap();
    assertThat(env)
        .containsEntry("A", "module")
        .containsEntry("B", "global only")
        .containsEntry("C", "module only")
        .containsEntry("PATH_INFO", "/real");
    List<String> names = new ArrayList<>(env.keySet());
    assertThat(names.subList(0, 3)).containsExactly("A", "B", "C");
  }

  private static Map<String, String> linked(String... pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      map.put(pairs[i], pairs[i + 1]);
    }
    return map;
  }

  // --- argv and stdin ---

  @Test
  void argvWithoutTemplateIsPathThenRawQueryPieces() {
    assertThat(PLAIN.build(get("/env/a%20b", "x=1&y=%20&&z"), WILDCARD).argvList())
        .containsExactly("/env/a%20b", "x=1", "y=%20", "", "z");
    assertThat(PLAIN.build(get("/env", null), EXACT).argvList()).containsExactly("/env");
    // A present but empty query ("/env?") is one empty piece, as in WAGI.
    assertThat(PLAIN.build(get("/env", ""), EXACT).argvList()).containsExactly("/env", "");
    assertThat(PLAIN.build(get("/env", "a"), EXACT).argvList()).containsExactly("/env", "a");
  }

  @Test
  void argvTemplateExpandsScriptNameAndArgsThenSplits() {
    MatchedRoute route =
        new MatchedRoute(RoutePattern.parse("/env/..."), "  prog --path=${SCRIPT_NAME}\t${ARGS}  ");
    assertThat(PLAIN.build(get("/env/x%20y", "a=1&b=2&&c"), route).argvList())
        .containsExactly("prog", "--path=/env/x%20y", "a=1", "b=2", "c");
    assertThat(PLAIN.build(get("/env", null), route).argvList())
        .containsExactly("prog", "--path=/env");
  }

  @Test
  void argvTemplateExpandsInOnePass() {
    MatchedRoute route = new MatchedRoute(RoutePattern.parse("/..."), "${SCRIPT_NAME} ${ARGS}");
    assertThat(PLAIN.build(get("/$%7B", "${SCRIPT_NAME}&$1"), route).argvList())
        .containsExactly("/$%7B", "${SCRIPT_NAME}", "$1");
  }

  @Test
  void stdinIsTheBody() {
    byte[] body = {0, 1, (byte) 0xFF};
    IncomingRequest req = request("/env", null, false, body);
    assertThat(PLAIN.build(req, EXACT).stdin()).isSameAs(req.body());
  }

  @Test
  void scriptNameStripsOnlyTrailingWildcard() {
    assertThat(new MatchedRoute(RoutePattern.parse("/a/..."), null).scriptName()).isEqualTo("/a");
    assertThat(new MatchedRoute(RoutePattern.parse("/..."), null).scriptName()).isEqualTo("");
    assertThat(new MatchedRoute(RoutePattern.parse("/a"), null).scriptName()).isEqualTo("/a");
    assertThat(new MatchedRoute(RoutePattern.parse("/"), null).scriptName()).isEqualTo("/");
  }

  // --- routes of a spin.toml: what Spin's WAGI executor adds (spinframework/spin
  // crates/trigger-http/src/headers.rs and wagi.rs) ---

  private static MatchedRoute spin(String route, String base, String argv) {
    return new MatchedRoute(
        RoutePattern.parseSpin(route, base),
        argv,
        Map.of("X_BASE_PATH", "configured"),
        new SpinRoute(RoutePattern.parseSpin(route, base), route, base));
  }

  @Test
  void spinRouteVariablesAsSpinsDocsTable() {
    // Spin's docs' example: route /users/:userid/cart/..., request to
    // https://example.com:8080/users/1/cart/items/3/edit?theme=pink (here over http).
    MatchedRoute route = spin("/users/:userid/cart/...", "/", "${SCRIPT_NAME} ${ARGS}");
    Map<String, String> env =
        env(get("/users/1/cart/items/3/edit", "theme=pink", "Host", "example.com:8080"), route);
    assertThat(env)
        .containsEntry("X_FULL_URL", "http://example.com:8080/users/1/cart/items/3/edit?theme=pink")
        .containsEntry("PATH_INFO", "/items/3/edit")
        .containsEntry("X_PATH_MATCH_USERID", "1")
        .containsEntry("X_MATCHED_ROUTE", "/users/:userid/cart/...")
        .containsEntry("X_RAW_COMPONENT_ROUTE", "/users/:userid/cart/...")
        .containsEntry("X_COMPONENT_ROUTE", "/users/:userid/cart")
        .containsEntry("SCRIPT_NAME", "/users/:userid/cart")
        .containsEntry("X_BASE_PATH", "/")
        .containsEntry("X_CLIENT_ADDR", "127.0.0.1:0");
  }

  @Test
  void spinPathInfoIsNotDecodedAndFullUrlKeepsTheHostAsSent() {
    MatchedRoute route = spin("/foo/...", "/base", null);
    Map<String, String> env = env(get("/base/foo/a%20b/", null, "Host", "example.com"), route);
    assertThat(env)
        .containsEntry("PATH_INFO", "/a%20b/")
        .containsEntry("X_RAW_PATH_INFO", "/a%20b/")
        .containsEntry("PATH_TRANSLATED", "/a b/")
        .containsEntry("X_FULL_URL", "http://example.com/base/foo/a%20b/")
        .containsEntry("X_MATCHED_ROUTE", "/base/foo/...")
        .containsEntry("SCRIPT_NAME", "/base/foo")
        .containsEntry("X_RAW_COMPONENT_ROUTE", "/foo/...")
        .containsEntry("X_COMPONENT_ROUTE", "/foo")
        .containsEntry("X_BASE_PATH", "/base");
    assertThat(env(get("/", null), spin("/", "/", null)))
        .containsEntry("X_MATCHED_ROUTE", "")
        .containsEntry("SCRIPT_NAME", "")
        .containsEntry("PATH_INFO", "")
        .containsEntry("X_FULL_URL", "http://localhost/");
  }

  @Test
  void spinArgvSplitsOnEachSpaceAsSpinDoes() {
    MatchedRoute route = spin("/...", "/", "${SCRIPT_NAME} ${ARGS}");
    assertThat(PLAIN.build(get("/a", "x=1&y=2"), route).argvList())
        .containsExactly("/a", "x=1", "y=2");
    assertThat(PLAIN.build(get("/a", null), route).argvList()).containsExactly("/a", "");
  }
}
