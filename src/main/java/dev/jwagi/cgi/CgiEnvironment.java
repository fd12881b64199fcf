package dev.jwagi.cgi;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Maps an HTTP request and its matched route to CGI inputs, as WAGI 0.8.1 does (DESIGN.md §3). */
public final class CgiEnvironment {
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(SCRIPT_NAME|ARGS)}");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private final Map<String, String> globalEnv;
  private final String defaultHost;
  private final Predicate<String> trustedProxy;

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

  public CgiRequest build(IncomingRequest request, MatchedRoute route) {
    Map<String, String> cgi = cgiVariables(request, route);
    // Global env first, then the module's own (it wins); a name the request defines as well takes
    // the request's value (and place).
    Map<String, String> configured = globalEnv;
    if (!route.env().isEmpty()) {
      configured = new LinkedHashMap<>(globalEnv);
      configured.putAll(route.env());
    }
    Map<String, String> env = new LinkedHashMap<>();
    configured.forEach(
        (name, value) -> {
          if (!cgi.containsKey(name)) {
            env.put(name, value);
          }
        });
    env.putAll(cgi);
    return new CgiRequest(env, argv(request, route), request.body());
  }

  private Map<String, String> cgiVariables(IncomingRequest request, MatchedRoute route) {
    boolean https = https(request);
    String hostHeader = firstHeader(request.headers(), "Host");
    // An empty Host (allowed by HTTP/1.1) names no host: treat it like a missing one.
    HostPort host =
        HostPort.split(
            hostHeader == null || hostHeader.isBlank() ? defaultHost : hostHeader.strip(),
            https ? "443" : "80");
    String scriptName = route.scriptName();
    String rawPath = request.rawPath();
    // Routing matched rawPath against the route, so it starts with SCRIPT_NAME; "" is a safe
    // fallback should it ever not (WAGI does the same).
    String rawPathInfo =
        rawPath.startsWith(scriptName) ? rawPath.substring(scriptName.length()) : "";
    String pathInfo = percentDecode(rawPathInfo);
    String contentType = firstHeader(request.headers(), "Content-Type");

    Map<String, String> v = new LinkedHashMap<>();
    v.put("AUTH_TYPE", "");
    // The body's length when known (Content-Length, or a chunked body that arrived whole before
    // the guest started); "" for a longer chunked body, which the guest reads to its end.
    v.put(
        "CONTENT_LENGTH",
        request.contentLength() < 0 ? "" : Long.toString(request.contentLength()));
    v.put("CONTENT_TYPE", contentType == null ? "" : contentType);
    v.put("GATEWAY_INTERFACE", "CGI/1.1");
    v.put("QUERY_STRING", request.rawQuery() == null ? "" : request.rawQuery());
    v.put("REMOTE_ADDR", request.remoteAddress());
    v.put("REMOTE_HOST", request.remoteAddress());
    v.put("REMOTE_USER", "");
    v.put("REQUEST_METHOD", request.method());
    v.put("SCRIPT_NAME", scriptName);
    v.put("PATH_INFO", pathInfo);
    v.put("X_RAW_PATH_INFO", rawPathInfo);
    v.put("PATH_TRANSLATED", pathInfo);
    v.put("SERVER_NAME", host.name());
    v.put("SERVER_PORT", host.port());
    v.put("SERVER_PROTOCOL", request.protocol());
    v.put("SERVER_SOFTWARE", "WAGI/1");
    v.put("X_MATCHED_ROUTE", route.route());
    v.put(
        "X_FULL_URL",
        (https ? "https" : "http")
            + "://"
            + host.name()
            + ":"
            + host.port()
            + rawPath
            + (request.rawQuery() == null ? "" : "?" + request.rawQuery()));
    if (https) {
      v.put("HTTPS", "on"); // as Apache and RFC 3875 servers do; absent over plain http
    }

    // Request headers last. RFC 3875 §4.1.18: a repeated header is one variable, values joined
    // with ", "; Authorization and Connection are not passed. putIfAbsent: a header never
    // replaces a variable above.
    Map<String, String> fromHeaders = new LinkedHashMap<>();
    for (Header h : request.headers()) {
      if (h.name().equalsIgnoreCase("Authorization") || h.name().equalsIgnoreCase("Connection")) {
        continue;
      }
      String name = "HTTP_" + h.name().toUpperCase(Locale.ROOT).replace('-', '_');
      fromHeaders.merge(name, h.value(), (first, next) -> first + ", " + next);
    }
    fromHeaders.forEach(v::putIfAbsent);
    return v;
  }

  /**
   * Without a template: the request path, then each '&'-separated piece of the raw query (none
   * without a query; a present but empty one is one empty piece). With one: placeholders expanded
   * in a single pass (so a path containing "${ARGS}" stays literal), then split on whitespace.
   */
  private static List<String> argv(IncomingRequest request, MatchedRoute route) {
    String query = request.rawQuery() == null ? "" : request.rawQuery();
    if (route.argvTemplate() == null) {
      List<String> argv = new ArrayList<>();
      argv.add(request.rawPath());
      if (request.rawQuery() != null) { // "/x?" gives one empty piece, as in WAGI
        argv.addAll(Arrays.asList(query.split("&", -1))); // -1 keeps empty pieces, as WAGI does
      }
      return argv;
    }
    Matcher m = PLACEHOLDER.matcher(route.argvTemplate());
    String expanded =
        m.replaceAll(
            r ->
                Matcher.quoteReplacement(
                    r.group(1).equals("SCRIPT_NAME")
                        ? request.rawPath()
                        : query.replace('&', ' ')));
    return WHITESPACE.splitAsStream(expanded).filter(s -> !s.isEmpty()).toList();
  }

  /**
   * Whether the client reached us over https: jwagi's own TLS, or, only for a connection from a
   * trusted proxy ({@code --trust-proxy}), the scheme that proxy forwards: {@code Forwarded:
   * proto=} (RFC 7239) if given, else {@code X-Forwarded-Proto}; of a list (several proxies), the
   * first entry, the one the client reached. The one place that decides; anyone else's header is
   * only passed on as HTTP_*.
   */
  boolean https(IncomingRequest request) {
    if (request.secure()) {
      return true;
    }
    String forwarded = firstHeader(request.headers(), "Forwarded");
    String proto = forwarded == null ? null : forwardedProto(forwarded);
    if (proto == null) {
      String xfp = firstHeader(request.headers(), "X-Forwarded-Proto");
      proto = xfp == null ? null : xfp.split(",", 2)[0].strip();
    }
    return proto != null
        && proto.equalsIgnoreCase("https")
        && trustedProxy.test(request.remoteAddress());
  }

  /** The proto= of a Forwarded header's first element (quotes removed), or null. */
  static String forwardedProto(String header) {
    boolean quoted = false;
    int start = 0;
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
          return value;
        }
        if (c == ',') {
          return null; // only the first element: the proxy nearest the client
        }
        start = i + 1;
      }
    }
    return null;
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

  /** SERVER_NAME and SERVER_PORT, from a Host header or the default host. */
  private record HostPort(String name, String port) {
    /** "name:port", "name" (→ defaultPort) or "[v6]:port"; a colon inside brackets is no port. */
    static HostPort split(String host, String defaultPort) {
      int colon = host.lastIndexOf(':');
      if (colon < 0 || colon < host.lastIndexOf(']')) {
        return new HostPort(host, defaultPort);
      }
      String port = host.substring(colon + 1);
      return new HostPort(host.substring(0, colon), port.isEmpty() ? defaultPort : port);
    }
  }
}
