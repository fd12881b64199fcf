package dev.jwagi.cgi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.cgi.CgiOutputException.Kind;
import java.nio.charset.StandardCharsets;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

class CgiOutputParserTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static CgiResponse parse(String stdout) throws CgiOutputException {
    return CgiOutputParser.parse(bytes(stdout));
  }

  private static AbstractThrowableAssert<?, ?> assertFails(String stdout, Kind kind) {
    return assertThatThrownBy(() -> parse(stdout))
        .isInstanceOf(CgiOutputException.class)
        .satisfies(e -> assertThat(((CgiOutputException) e).kind()).isEqualTo(kind));
  }

  // --- header block and body ---

  @Test
  void contentTypeOnlyGives200() throws Exception {
    CgiResponse r = parse("Content-Type: text/plain\n\nhello\n");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.reason()).isNull();
    assertThat(r.headers()).containsExactly(new Header("Content-Type", "text/plain"));
    assertThat(r.body()).isEqualTo(bytes("hello\n"));
  }

  @Test
  void crlfHeaderBlockEndsAtCrlfCrlf() throws Exception {
    CgiResponse r = parse("Content-Type: text/html\r\nX-A: 1\r\n\r\n<p>\r\n</p>\r\n");
    assertThat(r.headers())
        .containsExactly(new Header("Content-Type", "text/html"), new Header("X-A", "1"));
    assertThat(r.body()).isEqualTo(bytes("<p>\r\n</p>\r\n"));
  }

  @Test
  void mixedLineEndsAndLoneCrLineEndTheBlock() throws Exception {
    CgiResponse r = parse("Content-Type: a\n\r\n\r\nbody");
    assertThat(r.headers()).containsExactly(new Header("Content-Type", "a"));
    assertThat(r.body()).isEqualTo(bytes("\r\nbody"));
  }

  @Test
  void crInsideHeaderLineIsRemoved() throws Exception {
    assertThat(parse("Content-Type: te\rxt/plain\r\n\n").headers())
        .containsExactly(new Header("Content-Type", "text/plain"));
  }

  @Test
  void emptyBodyIsEmpty() throws Exception {
    assertThat(parse("Content-Type: a\n\n").body()).isEmpty();
  }

  @Test
  void onlyTheFirstBlankLineSeparates() throws Exception {
    assertThat(parse("Content-Type: a\n\nX-Not: header\n\nmore").body())
        .isEqualTo(bytes("X-Not: header\n\nmore"));
  }

  @Test
  void binaryBodyIsExact() throws Exception {
    byte[] head = bytes("Content-Type: application/octet-stream\n\n");
    byte[] body = {0, (byte) 0xFF, '\r', '\n', 0, (byte) 0x80, '\n', '\n', (byte) 0xFE};
    byte[] out = new byte[head.length + body.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(body, 0, out, head.length, body.length);
    assertThat(CgiOutputParser.parse(out).body()).isEqualTo(body);
  }

  @Test
  void valueIsTrimmedAndMayBeEmptyOrHoldObsText() throws Exception {
    CgiResponse r = parse("Content-Type:\t text/plain \t\nX-Empty:\nX-Latin: caf\u00e9\n\n");
    assertThat(r.headers())
        .containsExactly(
            new Header("Content-Type", "text/plain"),
            new Header("X-Empty", ""),
            new Header("X-Latin", "caf\u00e9"));
  }

  @Test
  void valueMayContainColonsAndInnerTabs() throws Exception {
    assertThat(parse("Content-Type: a\nX-Url: http://h:1/\tx\n\n").headers())
        .contains(new Header("X-Url", "http://h:1/\tx"));
  }

  // --- Status ---

  @Test
  void statusWithReason() throws Exception {
    CgiResponse r = parse("Content-Type: text/plain\nStatus: 404 Not  Found \n\nnope");
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.reason()).isEqualTo("Not  Found");
    assertThat(r.headers()).containsExactly(new Header("Content-Type", "text/plain"));
  }

  @Test
  void statusWithoutReasonAndWithoutType() throws Exception {
    CgiResponse r = parse("status: 204\n\n");
    assertThat(r.status()).isEqualTo(204);
    assertThat(r.reason()).isNull();
    assertThat(r.headers()).isEmpty();
  }

  @Test
  void statusCodeBounds() throws Exception {
    assertThat(parse("Status: 200\n\n").status()).isEqualTo(200);
    assertThat(parse("Status: 599\n\n").status()).isEqualTo(599);
  }

  @Test
  void informationalStatusIsMalformed() {
    for (String code : new String[] {"100", "101", "199"}) {
      assertThatThrownBy(() -> parse("Status: " + code + "\n\n"))
          .isInstanceOf(CgiOutputException.class)
          .hasMessageContaining("invalid status code");
    }
  }

  @Test
  void invalidStatusIsMalformed() {
    for (String bad :
        new String[] {"abc", "2000", "99", "600", "099", "", "20x OK", "+20", "-200", "2 00"}) {
      assertFails("Status: " + bad + "\n\n", Kind.MALFORMED)
          .hasMessageContaining("header line 1 has an invalid status code");
    }
  }

  @Test
  void twoStatusHeadersAreMalformed() {
    assertFails("Status: 200\nContent-Type: a\nSTATUS: 404\n\n", Kind.MALFORMED)
        .hasMessageContaining("header line 3 is a second Status header");
  }

  // --- Location ---

  @Test
  void locationGives302() throws Exception {
    CgiResponse r = parse("Location: /elsewhere\n\n");
    assertThat(r.status()).isEqualTo(302);
    assertThat(r.headers()).containsExactly(new Header("Location", "/elsewhere"));
  }

  @Test
  void statusWinsOverLocationInEitherOrder() throws Exception {
    CgiResponse after = parse("Location: /x\nStatus: 301 Moved\n\n");
    CgiResponse before = parse("Status: 201\nlocation: /x\n\n");
    assertThat(after.status()).isEqualTo(301);
    assertThat(after.reason()).isEqualTo("Moved");
    assertThat(after.headers()).containsExactly(new Header("Location", "/x"));
    assertThat(before.status()).isEqualTo(201);
    assertThat(before.headers()).containsExactly(new Header("location", "/x"));
  }

  // --- which headers pass ---

  @Test
  void missingResponseHeaderIsNoResponseHeader() {
    assertFails("X-Foo: bar\n\nbody", Kind.NO_RESPONSE_HEADER)
        .hasMessageContaining("Content-Type, Location, Status");
    assertFails("\nbody", Kind.NO_RESPONSE_HEADER);
  }

  @Test
  void repeatedHeadersAreAllKeptInOrderWithNamesAsWritten() throws Exception {
    CgiResponse r =
        parse("Set-Cookie: a=1\ncontent-TYPE: text/plain\nset-cookie: b=2\nSet-Cookie: a=1\n\n");
    assertThat(r.headers())
        .containsExactly(
            new Header("Set-Cookie", "a=1"),
            new Header("content-TYPE", "text/plain"),
            new Header("set-cookie", "b=2"),
            new Header("Set-Cookie", "a=1"));
  }

  @Test
  void serverOwnedHeadersAreDropped() throws Exception {
    CgiResponse r =
        parse(
            "Content-Type: a\nContent-Length: 99\ntransfer-encoding: chunked\n"
                + "Connection: close\nX-Keep: 1\n\n");
    assertThat(r.headers())
        .containsExactly(new Header("Content-Type", "a"), new Header("X-Keep", "1"));
  }

  @Test
  void droppedHeaderDoesNotCountAsResponseHeader() {
    assertFails("Content-Length: 0\n\n", Kind.NO_RESPONSE_HEADER);
  }

  // --- malformed output ---

  @Test
  void emptyOutputIsMalformed() {
    assertFails("", Kind.MALFORMED).hasMessage("module produced no output");
  }

  @Test
  void noBlankLineIsMalformed() {
    assertFails("Content-Type: text/plain\n", Kind.MALFORMED)
        .hasMessageContaining("no blank line between headers and body");
    assertFails("Content-Type: text/plain", Kind.MALFORMED)
        .hasMessageContaining("no blank line between headers and body");
    assertFails("Content-Type: text/plain\r\n", Kind.MALFORMED)
        .hasMessageContaining("no blank line between headers and body");
  }

  @Test
  void headerWithoutColonIsMalformed() {
    assertFails("Content-Type: a\nFoo bar\n\n", Kind.MALFORMED)
        .hasMessage("header line 2 has no colon: \"Foo bar\"");
  }

  @Test
  void invalidHeaderNamesAreMalformed() {
    for (String line :
        new String[] {"Foo Bar: x", "Content-Type : a", ": x", " X: y", "X\u00e9: y", "X(1): y"}) {
      assertFails("Content-Type: a\n" + line + "\n\n", Kind.MALFORMED)
          .hasMessageContaining("header line 2 has an invalid name");
    }
  }

  @Test
  void controlCharInValueIsMalformed() {
    for (String value : new String[] {"a\u0000b", "a\u0001", "\u001bx", "a\u007fb"}) {
      assertFails("Content-Type: a\nX: " + value + "\n\n", Kind.MALFORMED)
          .hasMessageContaining("header line 2 has a control character in its value");
    }
  }

  @Test
  void errorMessageQuotesLineEscapedAndTruncated() {
    assertFails("Content-Type: a\nX: a\u0000\"\\\u00ff\n\n", Kind.MALFORMED)
        .hasMessageEndingWith(": \"X: a\\x00\\\"\\\\\\xFF\"");
    String longLine = "y".repeat(200);
    assertFails(longLine + "\n\n", Kind.MALFORMED)
        .hasMessage("header line 1 has no colon: \"" + "y".repeat(80) + "\"...");
  }

  // --- CgiResponse.text ---

  @Test
  void textResponse() {
    CgiResponse r = CgiResponse.text(502, "bad gateway é");
    assertThat(r.status()).isEqualTo(502);
    assertThat(r.reason()).isNull();
    assertThat(r.headers())
        .containsExactly(new Header("Content-Type", "text/plain; charset=utf-8"));
    assertThat(r.body()).isEqualTo("bad gateway é".getBytes(StandardCharsets.UTF_8));
  }
}
