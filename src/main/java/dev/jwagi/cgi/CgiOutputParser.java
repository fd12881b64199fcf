package dev.jwagi.cgi;

import dev.jwagi.cgi.CgiOutputException.Kind;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a module's stdout into a response (as in WAGI; see the README): header lines up to the
 * first empty line, then the body byte for byte.
 */
public final class CgiOutputParser {
  /** Longest part of an offending line quoted in an error message. */
  private static final int QUOTE_LIMIT = 80;

  /**
   * Headers the HTTP layer owns: it frames the body itself (length or chunking) and manages the
   * connection, so a module's value could only contradict what is actually sent.
   */
  private static final List<String> SERVER_OWNED =
      List.of("Content-Length", "Transfer-Encoding", "Connection");

  /** The body of a head alone (an empty array cannot be changed: shared). */
  private static final byte[] NO_BODY = new byte[0];

  private CgiOutputParser() {}

  /** A whole output: the response, its body the bytes after the header block. */
  public static CgiResponse parse(byte[] stdout) throws CgiOutputException {
    Head head = parseHead(stdout, stdout.length);
    CgiResponse response = head.response();
    return new CgiResponse(
        response.status(),
        response.reason(),
        response.headers(),
        Arrays.copyOfRange(stdout, head.bodyStart(), stdout.length));
  }

  /**
   * The header block of an output.
   *
   * @param response status and headers, with an empty body
   * @param bodyStart index of the first body byte (just past the empty line)
   */
  public record Head(CgiResponse response, int bodyStart) {}

  /**
   * Parses the header block at the start of {@code stdout[0, length)}; throws if there is none (no
   * empty line) or it is not a valid CGI header block.
   */
  public static Head parseHead(byte[] stdout, int length) throws CgiOutputException {
    Header[] headers = new Header[4];
    int headerCount = 0;
    boolean hasType = false;
    String location = null;
    int status = -1;
    String reason = null;

    int lineStart = 0;
    for (int lineNumber = 1; ; lineNumber++) {
      int lineEnd = indexOf(stdout, length, (byte) '\n', lineStart);
      if (lineEnd < 0) {
        throw new CgiOutputException(
            Kind.MALFORMED,
            length == 0
                ? "module produced no output"
                : "no blank line between headers and body in " + length + " bytes of output");
      }
      if (onlyCarriageReturns(stdout, lineStart, lineEnd)) {
        lineStart = lineEnd + 1;
        break; // end of the header block; the body is everything after this '\n'
      }
      // The line is bytes [from, end) of text, without its '\r's: those ending it are cut off;
      // a line with others in it is copied without them.
      byte[] text = stdout;
      int from = lineStart;
      int end = lineEnd;
      while (end > from && text[end - 1] == '\r') {
        end--;
      }
      if (indexOf(text, end, (byte) '\r', from) >= 0) {
        text = withoutCarriageReturns(text, from, end);
        from = 0;
        end = text.length;
      }
      lineStart = lineEnd + 1;

      int colon = indexOf(text, end, (byte) ':', from);
      if (colon < 0) {
        throw malformed("header line " + lineNumber + " has no colon", latin1(text, from, end));
      }
      String name = latin1(text, from, colon);
      if (!isToken(name)) {
        throw malformed(
            "header line " + lineNumber + " has an invalid name", latin1(text, from, end));
      }
      int valueStart = colon + 1;
      int valueEnd = end;
      while (valueStart < valueEnd && isSpaceOrTab(text[valueStart])) {
        valueStart++;
      }
      while (valueEnd > valueStart && isSpaceOrTab(text[valueEnd - 1])) {
        valueEnd--;
      }
      String value = latin1(text, valueStart, valueEnd);
      if (hasControlChar(value)) {
        throw malformed(
            "header line " + lineNumber + " has a control character in its value",
            latin1(text, from, end));
      }

      // The name is a token (ASCII), so comparing ignoring case is exact.
      if (serverOwned(name)) {
        continue;
      }
      if (name.equalsIgnoreCase("Status")) {
        if (status >= 0) {
          throw malformed(
              "header line " + lineNumber + " is a second Status header", latin1(text, from, end));
        }
        int space = firstSpaceOrTab(value);
        String code = space < 0 ? value : value.substring(0, space);
        status = statusCode(code);
        if (status < 0) {
          throw malformed(
              "header line " + lineNumber + " has an invalid status code (want 200..599)",
              latin1(text, from, end));
        }
        String rest = space < 0 ? "" : trimSpacesAndTabs(value, space);
        reason = rest.isEmpty() ? null : rest;
        continue; // Status sets the status line, it is not sent as a header
      } else if (name.equalsIgnoreCase("Content-Type")) {
        hasType = true;
      } else if (name.equalsIgnoreCase("Location")) {
        location = value;
      }
      if (headerCount == headers.length) {
        headers = Arrays.copyOf(headers, headerCount * 2);
      }
      headers[headerCount++] = new Header(name, value);
    }

    if (status < 0 && location == null && !hasType) {
      throw new CgiOutputException(
          Kind.NO_RESPONSE_HEADER,
          "module output has none of the headers Content-Type, Location, Status");
    }
    if (status < 0) {
      // Location alone redirects; an explicit Status always wins, wherever it appears.
      status = location != null ? 302 : 200;
    }
    return new Head(
        new CgiResponse(status, reason, immutable(headers, headerCount), NO_BODY), lineStart);
  }

  /**
   * The first {@code n} headers as an immutable list, which {@link CgiResponse} keeps as it is (it
   * copies any other list).
   */
  private static List<Header> immutable(Header[] headers, int n) {
    return switch (n) {
      case 0 -> List.of();
      case 1 -> List.of(headers[0]);
      case 2 -> List.of(headers[0], headers[1]);
      default -> List.of(Arrays.copyOf(headers, n));
    };
  }

  /**
   * RFC 7230 token: one or more tchar. The single check for header names; non-ASCII (obs-text) is
   * allowed in values only.
   */
  static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean tchar =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!tchar) {
        return false;
      }
    }
    return true;
  }

  /** Bytes [from, to) as ISO-8859-1: every byte maps to one char. */
  private static String latin1(byte[] bytes, int from, int to) {
    return new String(bytes, from, to - from, StandardCharsets.ISO_8859_1);
  }

  /** Bytes [from, to) with every '\r' left out. */
  private static byte[] withoutCarriageReturns(byte[] bytes, int from, int to) {
    byte[] out = new byte[to - from];
    int n = 0;
    for (int i = from; i < to; i++) {
      if (bytes[i] != '\r') {
        out[n++] = bytes[i];
      }
    }
    return Arrays.copyOf(out, n);
  }

  private static boolean isSpaceOrTab(byte b) {
    return b == ' ' || b == '\t';
  }

  /** Control characters other than HTAB, incl. DEL: not allowed in a field value (RFC 7230). */
  private static boolean hasControlChar(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if ((c < 0x20 && c != '\t') || c == 0x7f) {
        return true;
      }
    }
    return false;
  }

  /**
   * Exactly three digits in 200..599, else -1. A 1xx is an interim response in HTTP: sent as the
   * final one, it would leave the client waiting (100) or switch protocols (101).
   */
  private static int statusCode(String code) {
    if (code.length() != 3) {
      return -1;
    }
    for (int i = 0; i < 3; i++) {
      if (code.charAt(i) < '0' || code.charAt(i) > '9') {
        return -1;
      }
    }
    int n = Integer.parseInt(code);
    return n >= 200 && n <= 599 ? n : -1;
  }

  /** Whether bytes [from, to) are all '\r' (a line that is blank once they are removed). */
  private static boolean onlyCarriageReturns(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  private static boolean serverOwned(String name) {
    for (String owned : SERVER_OWNED) {
      if (owned.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /** {@code s.substring(from)} without leading and trailing spaces and tabs. */
  private static String trimSpacesAndTabs(String s, int from) {
    int start = from;
    int end = s.length();
    while (start < end && (s.charAt(start) == ' ' || s.charAt(start) == '\t')) {
      start++;
    }
    while (end > start && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
      end--;
    }
    return s.substring(start, end);
  }

  private static int firstSpaceOrTab(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == ' ' || s.charAt(i) == '\t') {
        return i;
      }
    }
    return -1;
  }

  private static int indexOf(byte[] bytes, int length, byte b, int from) {
    for (int i = from; i < length; i++) {
      if (bytes[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static CgiOutputException malformed(String what, String line) {
    return new CgiOutputException(Kind.MALFORMED, what + ": " + quote(line));
  }

  /** The line in double quotes, escaped so the log stays one printable line, cut at a limit. */
  static String quote(String line) {
    StringBuilder sb = new StringBuilder("\"");
    int n = Math.min(line.length(), QUOTE_LIMIT);
    for (int i = 0; i < n; i++) {
      char c = line.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c >= 0x20 && c < 0x7f) {
            sb.append(c);
          } else {
            sb.append(String.format("\\x%02X", (int) c));
          }
        }
      }
    }
    sb.append('"');
    if (line.length() > QUOTE_LIMIT) {
      sb.append("...");
    }
    return sb.toString();
  }
}
