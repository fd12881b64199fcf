package dev.jwagi.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A request target, parsed once: routing and the CGI variables both use these parts.
 *
 * @param text the target as sent, decoded as {@link #wireText} does
 * @param path the path, still percent-encoded (an absolute-form target's scheme and authority
 *     removed)
 * @param query the part after '?', up to any '#', or null when there is no '?'
 * @param authority for an absolute-form target ("http://host:port/path"), "host:port"; else null
 */
record RequestTarget(String text, String path, String query, String authority) {
  static RequestTarget parse(String uri) {
    String target = wireText(uri);
    String authority = null;
    String rest = target;
    // An absolute-form target (proxies send them) carries scheme and authority first.
    if (target.startsWith("http://") || target.startsWith("https://")) {
      int start = target.indexOf("//") + 2;
      int end = start;
      while (end < target.length() && "/?#".indexOf(target.charAt(end)) < 0) {
        end++;
      }
      authority = target.substring(start, end);
      rest = target.startsWith("/", end) ? target.substring(end) : "/" + target.substring(end);
    }
    int question = rest.indexOf('?');
    int fragment = rest.indexOf('#');
    int pathEnd = rest.length();
    if (question >= 0) {
      pathEnd = question;
    }
    if (fragment >= 0 && fragment < pathEnd) {
      pathEnd = fragment;
    }
    String query = null;
    if (question >= 0 && question == pathEnd) {
      int queryEnd = rest.indexOf('#', question);
      query = rest.substring(question + 1, queryEnd < 0 ? rest.length() : queryEnd);
    }
    return new RequestTarget(target, rest.substring(0, pathEnd), query, authority);
  }

  /**
   * Netty reads header and request-line bytes as ISO-8859-1, one char per byte; guests get text as
   * UTF-8. Bytes that form valid UTF-8 (what clients send) are decoded as such, so they reach the
   * guest unchanged; anything else keeps Netty's one-char-per-byte reading.
   */
  static String wireText(String latin1) {
    for (int i = 0; i < latin1.length(); i++) {
      if (latin1.charAt(i) >= 0x80) {
        try {
          return StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(latin1.getBytes(StandardCharsets.ISO_8859_1)))
              .toString();
        } catch (CharacterCodingException e) {
          return latin1;
        }
      }
    }
    return latin1;
  }
}
