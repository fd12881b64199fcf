package dev.jwagi.cgi;

import dev.jwagi.config.SpinRoute;
import dev.jwagi.engine.StringBlock;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Maps an HTTP request and its matched route to CGI inputs, as WAGI 0.8.1 does (see the README):
 * the one definition of which variables a guest gets. The environment and argv are written straight
 * into the byte layout the guest's {@code environ_get}/{@code args_get} return ({@link
 * StringBlock}); what does not change between requests (the global env, fixed values, each route's
 * own variables) is encoded once.
 */
public final class CgiEnvironment {
  private static final Logger LOG = LoggerFactory.getLogger(CgiEnvironment.class);
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(SCRIPT_NAME|ARGS)}");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  /** The variables every request defines; a global variable of the same name is left out. */
  private static final Set<String> REQUEST_VARIABLES =
      Set.of(
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
          "X_FULL_URL");

  /** What a spin.toml route defines besides (Spin's WAGI executor; X_PATH_MATCH_* too). */
  private static final Set<String> SPIN_VARIABLES =
      Set.of("X_BASE_PATH", "X_RAW_COMPONENT_ROUTE", "X_COMPONENT_ROUTE", "X_CLIENT_ADDR");

  private static final String PATH_MATCH_PREFIX = "X_PATH_MATCH_";

  private static final String HEADER_PREFIX = "HTTP_";
  private static final String HTTPS = "HTTPS";
  private static final StringBlock.Encoded HTTPS_ON = fixed("HTTPS=on");

  private static final StringBlock.Encoded AUTH_TYPE = fixed("AUTH_TYPE=");
  private static final byte[] CONTENT_LENGTH = StringBlock.utf8("CONTENT_LENGTH=");
  private static final byte[] CONTENT_TYPE = StringBlock.utf8("CONTENT_TYPE=");
  private static final StringBlock.Encoded GATEWAY_INTERFACE = fixed("GATEWAY_INTERFACE=CGI/1.1");
  private static final byte[] QUERY_STRING = StringBlock.utf8("QUERY_STRING=");
  private static final byte[] REMOTE_ADDR = StringBlock.utf8("REMOTE_ADDR=");
  private static final byte[] REMOTE_HOST = StringBlock.utf8("REMOTE_HOST=");
  private static final StringBlock.Encoded REMOTE_USER = fixed("REMOTE_USER=");
  private static final byte[] REQUEST_METHOD = StringBlock.utf8("REQUEST_METHOD=");
  private static final byte[] PATH_INFO = StringBlock.utf8("PATH_INFO=");
  private static final byte[] X_RAW_PATH_INFO = StringBlock.utf8("X_RAW_PATH_INFO=");
  private static final byte[] PATH_TRANSLATED = StringBlock.utf8("PATH_TRANSLATED=");
  private static final byte[] SERVER_NAME = StringBlock.utf8("SERVER_NAME=");
  private static final byte[] SERVER_PORT = StringBlock.utf8("SERVER_PORT=");
  private static final byte[] SERVER_PROTOCOL = StringBlock.utf8("SERVER_PROTOCOL=");
  private static final byte[] X_FULL_URL = StringBlock.utf8("X_FULL_URL=");
  private static final byte[] X_CLIENT_ADDR = StringBlock.utf8("X_CLIENT_ADDR=");

  private final Map<String, String> globalEnv;
  private final String defaultHost;
  private final Predicate<String> trustedProxy;

  /** Each route's configured variables, encoded on first use (routes are fixed at start-up). */
  private final Map<MatchedRoute, RouteVariables> routes = new ConcurrentHashMap<>();

  /** Trusting no proxy: only jwagi's own TLS makes a request https. */
  public CgiEnvironment(Map<String, String> globalEnv, String defaultHost) {
    this(globalEnv, defaultHost, ip -> false);
  }

  /**
   * @param globalEnv the {@code -e} / {@code --env-file} values, in order
   * @param defaultHost "host:port" from {@code --hostname} / {@code default_host}, used when a
   *     request has no Host header, e.g. {@code localhost:3000}
   * @param trustedProxy whether a client IP is a proxy whose forwarded scheme is believed
   */
  public CgiEnvironment(
      Map<String, String> globalEnv, String defaultHost, Predicate<String> trustedProxy) {
    this.globalEnv = Collections.unmodifiableMap(new LinkedHashMap<>(globalEnv));
    this.defaultHost = Objects.requireNonNull(defaultHost, "defaultHost");
    this.trustedProxy = Objects.requireNonNull(trustedProxy, "trustedProxy");
  }

  private static StringBlock.Encoded fixed(String variable) {
    return StringBlock.encode(List.of(variable));
  }

  /** Whether a configured variable of this name gives way to one the request may define. */
  private static boolean requestMayDefine(String name) {
    return name.startsWith(HEADER_PREFIX) || name.equals(HTTPS);
  }

  /** A route's variables that are the same for every request, encoded once. */
  private static final class RouteVariables {
    /** The configured variables no request variable overrides; null if one may be (HTTP_*). */
    final StringBlock.Encoded configured;

    /** Otherwise each configured variable, name and encoding. */
    final List<Map.Entry<String, StringBlock.Encoded>> entries;

    final int configuredCount;
    final int configuredBytes;
    final StringBlock.Encoded scriptName;
    final StringBlock.Encoded softwareAndRoute;

    /** A spin.toml route's fixed variables (X_BASE_PATH, ...), or null. */
    final StringBlock.Encoded spin;

    RouteVariables(Map<String, String> globalEnv, MatchedRoute route) {
      // Global env first, then the module's own (it wins, in the global one's place).
      Map<String, String> merged = globalEnv;
      if (!route.env().isEmpty()) {
        merged = new LinkedHashMap<>(globalEnv);
        merged.putAll(route.env());
      }
      List<Map.Entry<String, StringBlock.Encoded>> list = new ArrayList<>();
      List<String> all = new ArrayList<>();
      boolean conditional = false;
      for (var e : merged.entrySet()) {
        if (REQUEST_VARIABLES.contains(e.getKey())
            || route.spin() != null
                && (SPIN_VARIABLES.contains(e.getKey())
                    || e.getKey().startsWith(PATH_MATCH_PREFIX))) {
          continue; // a request variable always takes its place
        }
        String variable = e.getKey() + "=" + e.getValue();
        list.add(Map.entry(e.getKey(), fixed(variable)));
        all.add(variable);
        conditional |= requestMayDefine(e.getKey());
      }
      configured = conditional ? null : StringBlock.encode(all);
      entries = List.copyOf(list);
      configuredCount = all.size();
      configuredBytes = StringBlock.of(all).byteLength();
      scriptName = fixed("SCRIPT_NAME=" + route.scriptName());
      SpinRoute s = route.spin();
      softwareAndRoute =
          StringBlock.encode(
              List.of(
                  "SERVER_SOFTWARE=WAGI/1",
                  "X_MATCHED_ROUTE=" + (s == null ? route.route().text() : s.matchedRoute())));
      spin =
          s == null
              ? null
              : StringBlock.encode(
                  List.of(
                      "X_BASE_PATH=" + s.base(),
                      "X_RAW_COMPONENT_ROUTE=" + s.rawRoute(),
                      "X_COMPONENT_ROUTE=" + s.componentRoute()));
    }
  }

  /**
   * The CGI inputs for a request. The environment and argv blocks are encoded when the guest first
   * asks for them ({@link StringBlock#deferred}): a guest that reads neither costs neither. Both
   * depend only on the request and the route, which do not change.
   */
  public CgiRequest build(IncomingRequest request, MatchedRoute route) {
    RouteVariables fixed = routes.get(route);
    if (fixed == null) {
      fixed = routes.computeIfAbsent(route, r -> new RouteVariables(globalEnv, r));
    }
    RouteVariables variables = fixed;
    return new CgiRequest(
        StringBlock.deferred(() -> environment(request, route, variables)),
        StringBlock.deferred(() -> argv(request, route)),
        request.body());
  }

  private StringBlock environment(
      IncomingRequest request, MatchedRoute route, RouteVariables fixed) {
    List<Header> headers = request.headers();
    // Sized for the request, so the block is allocated once: the fixed variables, the path in
    // four of them, the query in two, each header once.
    int headerBytes = 0;
    for (Header h : headers) {
      headerBytes += h.name().length() + h.value().length() + 8;
    }
    String rawQuery = request.rawQuery();
    int expected =
        fixed.configuredBytes
            + 360
            + 4 * request.rawPath().length()
            + 2 * (rawQuery == null ? 0 : rawQuery.length())
            + headerBytes;
    var env = new StringBlock.Builder(expected, fixed.configuredCount + 20 + headers.size());

    boolean https = https(request);
    // The configured env (global, then the module's) first; a name the request defines as well
    // takes the request's value (and place).
    if (fixed.configured != null) {
      env.addEncoded(fixed.configured);
    } else {
      for (var variable : fixed.entries) {
        String name = variable.getKey();
        boolean defined =
            name.equals(HTTPS) ? https : requestMayDefine(name) && headerIndex(headers, name) >= 0;
        if (!defined) {
          env.addEncoded(variable.getValue());
        }
      }
    }

    String hostHeader = firstHeader(headers, "Host");
    // An empty Host (allowed by HTTP/1.1) names no host: treat it like a missing one.
    String host = hostHeader == null || hostHeader.isBlank() ? defaultHost : hostHeader.strip();
    // SERVER_NAME and SERVER_PORT: "name:port", "name" (→ the scheme's port) or "[v6]:port"; a
    // colon inside brackets is no port.
    int colon = host.lastIndexOf(':');
    boolean hasPort = colon >= 0 && colon > host.lastIndexOf(']') && colon < host.length() - 1;
    int nameEnd = colon >= 0 && colon > host.lastIndexOf(']') ? colon : host.length();
    String defaultPort = https ? "443" : "80";

    String scriptName = route.scriptName();
    String rawPath = request.rawPath();
    String query = request.rawQuery() == null ? "" : request.rawQuery();
    // Routing matched rawPath against the route, so it starts with SCRIPT_NAME; "" is a safe
    // fallback should it ever not (WAGI does the same).
    int infoStart = rawPath.startsWith(scriptName) ? scriptName.length() : rawPath.length();
    String contentType = firstHeader(headers, "Content-Type");

    env.addEncoded(AUTH_TYPE);
    // The body's length when known (Content-Length, or a chunked body that arrived whole before
    // the guest started); "" for a longer chunked body, which the guest reads to its end.
    env.append(CONTENT_LENGTH);
    if (request.contentLength() >= 0) {
      env.append(request.contentLength());
    }
    env.end();
    env.add(CONTENT_TYPE, contentType == null ? "" : contentType);
    env.addEncoded(GATEWAY_INTERFACE);
    env.add(QUERY_STRING, query);
    env.add(REMOTE_ADDR, request.remoteAddress());
    env.add(REMOTE_HOST, request.remoteAddress());
    env.addEncoded(REMOTE_USER);
    env.add(REQUEST_METHOD, request.method());
    env.addEncoded(fixed.scriptName);
    SpinRoute spin = route.spin();
    Map<String, String> captures = null;
    if (spin != null) {
      // Spin's PATH_INFO is what the route's trailing /... matched, not decoded (headers.rs).
      captures = spin.pattern().captures(rawPath);
      String rawPathInfo = captures == null ? "" : captures.getOrDefault("", "");
      env.add(PATH_INFO, rawPathInfo)
          .add(X_RAW_PATH_INFO, rawPathInfo)
          .add(PATH_TRANSLATED, percentDecode(rawPathInfo));
    } else if (rawPath.indexOf('%', infoStart) < 0) {
      env.append(PATH_INFO).append(rawPath, infoStart, rawPath.length()).end();
      env.append(X_RAW_PATH_INFO).append(rawPath, infoStart, rawPath.length()).end();
      env.append(PATH_TRANSLATED).append(rawPath, infoStart, rawPath.length()).end();
    } else {
      String rawPathInfo = rawPath.substring(infoStart);
      String pathInfo = percentDecode(rawPathInfo);
      env.add(PATH_INFO, pathInfo).add(X_RAW_PATH_INFO, rawPathInfo).add(PATH_TRANSLATED, pathInfo);
    }
    env.append(SERVER_NAME).append(host, 0, nameEnd).end();
    env.append(SERVER_PORT);
    appendPort(env, host, colon, hasPort, defaultPort);
    env.end();
    env.add(SERVER_PROTOCOL, request.protocol());
    env.addEncoded(fixed.softwareAndRoute);
    env.append(X_FULL_URL).append(https ? "https://" : "http://");
    if (spin != null) {
      // Spin: the Host header as sent (no port added), "localhost" without one.
      env.append(hostHeader == null || hostHeader.isBlank() ? "localhost" : hostHeader.strip());
    } else {
      env.append(host, 0, nameEnd).append(':');
      appendPort(env, host, colon, hasPort, defaultPort);
    }
    env.append(rawPath);
    if (request.rawQuery() != null) {
      env.append('?').append(query);
    }
    env.end();
    if (spin != null) {
      env.addEncoded(fixed.spin);
      String ip = request.remoteAddress();
      env.add(
          X_CLIENT_ADDR, (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + request.remotePort());
      if (captures != null) {
        for (var capture : captures.entrySet()) {
          if (!capture.getKey().isEmpty()) {
            env.append(PATH_MATCH_PREFIX)
                .append(capture.getKey().toUpperCase(Locale.ROOT))
                .append('=')
                .append(capture.getValue())
                .end();
          }
        }
      }
    }
    if (https) {
      env.addEncoded(HTTPS_ON); // as Apache and RFC 3875 servers do; absent over plain http
    }

    // Request headers last. RFC 3875 §4.1.18: a repeated header is one variable, values joined
    // with ", " at the place of the first; Authorization and Connection are not passed.
    for (int i = 0; i < headers.size(); i++) {
      Header h = headers.get(i);
      if (!passed(h)) {
        if (h.name().indexOf('_') >= 0) {
          LOG.debug("request header {} dropped: a name with '_'", h.name());
        }
        continue;
      }
      if (earlierSameVariable(headers, i)) {
        continue;
      }
      appendVariableName(env, h.name());
      env.append('=').append(h.value());
      for (int j = i + 1; j < headers.size(); j++) {
        Header next = headers.get(j);
        if (passed(next) && sameVariable(h.name(), next.name())) {
          env.append(", ").append(next.value());
        }
      }
      env.end();
    }
    return env.build();
  }

  private static void appendPort(
      StringBlock.Builder env, String host, int colon, boolean hasPort, String defaultPort) {
    if (hasPort) {
      env.append(host, colon + 1, host.length());
    } else {
      env.append(defaultPort);
    }
  }

  /**
   * Whether a header becomes an HTTP_* variable. Not Authorization and Connection (RFC 3875); not a
   * name with '_', which would pass for its '-' twin (a client's {@code X_Forwarded_User} posing as
   * a proxy's {@code X-Forwarded-User}; nginx and Apache drop them too); not {@code Proxy}, whose
   * HTTP_PROXY many HTTP clients take as their proxy ("httpoxy").
   */
  private static boolean passed(Header h) {
    String name = h.name();
    return name.indexOf('_') < 0
        && !name.equalsIgnoreCase("Authorization")
        && !name.equalsIgnoreCase("Connection")
        && !name.equalsIgnoreCase("Proxy");
  }

  private static boolean earlierSameVariable(List<Header> headers, int i) {
    String name = headers.get(i).name();
    for (int j = 0; j < i; j++) {
      if (passed(headers.get(j)) && sameVariable(headers.get(j).name(), name)) {
        return true;
      }
    }
    return false;
  }

  /** The index of a passed header whose variable is {@code variable}, or -1. */
  private static int headerIndex(List<Header> headers, String variable) {
    for (int i = 0; i < headers.size(); i++) {
      if (passed(headers.get(i)) && variableName(headers.get(i).name()).equals(variable)) {
        return i;
      }
    }
    return -1;
  }

  /** A header's variable: HTTP_ + its name upper-cased, '-' → '_'. */
  static String variableName(String header) {
    return HEADER_PREFIX + header.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  private static void appendVariableName(StringBlock.Builder env, String header) {
    if (!isAscii(header)) {
      env.append(variableName(header));
      return;
    }
    env.append(HEADER_PREFIX);
    for (int i = 0; i < header.length(); i++) {
      env.append(upperUnderscore(header.charAt(i)));
    }
  }

  /** Whether two header names give the same variable. */
  private static boolean sameVariable(String a, String b) {
    if (!isAscii(a) || !isAscii(b)) {
      return variableName(a).equals(variableName(b));
    }
    if (a.length() != b.length()) {
      return false;
    }
    for (int i = 0; i < a.length(); i++) {
      if (upperUnderscore(a.charAt(i)) != upperUnderscore(b.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static char upperUnderscore(char c) {
    if (c == '-') {
      return '_';
    }
    return c >= 'a' && c <= 'z' ? (char) (c - ('a' - 'A')) : c;
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  /**
   * Without a template: the request path, then each '&'-separated piece of the raw query (none
   * without a query; a present but empty one is one empty piece). With one: placeholders expanded
   * in a single pass (so a path containing "${ARGS}" stays literal), then split on whitespace.
   */
  private static StringBlock argv(IncomingRequest request, MatchedRoute route) {
    String query = request.rawQuery() == null ? "" : request.rawQuery();
    if (route.argvTemplate() == null) {
      int pieces = 0;
      for (int amp = query.indexOf('&'); amp >= 0; amp = query.indexOf('&', amp + 1)) {
        pieces++;
      }
      var argv =
          new StringBlock.Builder(
              request.rawPath().length() + query.length() + 8,
              request.rawQuery() == null ? 1 : pieces + 2);
      argv.add(request.rawPath());
      if (request.rawQuery() != null) {
        // Each '&'-separated piece, empty ones too, as WAGI does ("/x?" gives one empty piece).
        int from = 0;
        for (int amp = query.indexOf('&'); amp >= 0; amp = query.indexOf('&', from)) {
          argv.append(query, from, amp).end();
          from = amp + 1;
        }
        argv.append(query, from, query.length()).end();
      }
      return argv.build();
    }
    String expanded = expand(route.argvTemplate(), request.rawPath(), query);
    if (route.spin() != null) {
      // Spin splits on each single space: no query gives a last empty argument (wagi.rs).
      return StringBlock.of(List.of(expanded.split(" ", -1)));
    }
    return StringBlock.of(WHITESPACE.splitAsStream(expanded).filter(s -> !s.isEmpty()).toList());
  }

  /** ${SCRIPT_NAME} → the request path, ${ARGS} → the raw query with '&' → ' ', in one pass. */
  private static String expand(String template, String rawPath, String query) {
    Matcher m = PLACEHOLDER.matcher(template);
    return m.replaceAll(
        r ->
            Matcher.quoteReplacement(
                r.group(1).equals("SCRIPT_NAME") ? rawPath : query.replace('&', ' ')));
  }

  /**
   * Whether the client reached us over https: jwagi's own TLS, or, only for a connection from a
   * trusted proxy ({@code --trust-proxy}), the scheme that proxy forwards: {@code Forwarded:
   * proto=} (RFC 7239) if given, else {@code X-Forwarded-Proto}. Of a list (several proxies, or
   * several header lines, read as one list) only the last entry counts: the one our proxy appended;
   * the ones before it are whatever the client sent. The one place that decides; anyone else's
   * header is only passed on as HTTP_*.
   */
  boolean https(IncomingRequest request) {
    if (request.secure()) {
      return true;
    }
    String forwarded = joinedHeader(request.headers(), "Forwarded");
    String proto = forwarded == null ? null : forwardedProto(forwarded);
    if (proto == null) {
      String xfp = joinedHeader(request.headers(), "X-Forwarded-Proto");
      proto = xfp == null ? null : xfp.substring(xfp.lastIndexOf(',') + 1).strip();
    }
    return proto != null
        && proto.equalsIgnoreCase("https")
        && trustedProxy.test(request.remoteAddress());
  }

  /** The proto= of a Forwarded header's last element (quotes removed), or null. */
  static String forwardedProto(String header) {
    boolean quoted = false;
    int start = 0;
    String proto = null;
    for (int i = 0; i <= header.length(); i++) {
      char c = i < header.length() ? header.charAt(i) : ',';
      if (c == '"') {
        quoted = !quoted;
      } else if (!quoted && (c == ';' || c == ',')) {
        String pair = header.substring(start, i).strip();
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).strip().equalsIgnoreCase("proto")) {
          String value = pair.substring(eq + 1).strip();
          if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
          }
          proto = value;
        }
        if (c == ',' && i < header.length()) {
          proto = null; // a later element: only the last one, our proxy's, counts
        }
        start = i + 1;
      }
    }
    return proto;
  }

  /** Every line of a header as one list (joined with ","), or null if there is none. */
  private static String joinedHeader(List<Header> headers, String name) {
    String joined = null;
    for (Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        joined = joined == null ? h.value() : joined + "," + h.value();
      }
    }
    return joined;
  }

  private static String firstHeader(List<Header> headers, String name) {
    for (Header h : headers) {
      if (h.name().equalsIgnoreCase(name)) {
        return h.value();
      }
    }
    return null;
  }

  /**
   * Decodes %XX escapes as UTF-8. '+' stays '+' (that rule is for query strings, not paths), a '%'
   * not followed by two hex digits is kept as is, and invalid UTF-8 becomes U+FFFD.
   */
  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    byte[] in = s.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
    for (int i = 0; i < in.length; i++) {
      int hi = i + 2 < in.length && in[i] == '%' ? Character.digit(in[i + 1], 16) : -1;
      int lo = hi < 0 ? -1 : Character.digit(in[i + 2], 16);
      if (lo >= 0) {
        out.write(hi * 16 + lo);
        i += 2;
      } else {
        out.write(in[i]);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
