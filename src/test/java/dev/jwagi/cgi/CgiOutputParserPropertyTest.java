package dev.jwagi.cgi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.cgi.CgiOutputException.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Random outputs against an independent, regex-based oracle: parse must only ever throw
 * CgiOutputException, must accept exactly the outputs the oracle accepts, and what it returns must
 * be valid.
 */
class CgiOutputParserPropertyTest {
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern HEADER_LINE =
      Pattern.compile("([^:]*):[ \\t]*(.*?)[ \\t]*", Pattern.DOTALL);
  private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x08\\x0A-\\x1F\\x7F]");
  private static final Pattern STATUS = Pattern.compile("[2-5][0-9][0-9]([ \\t].*)?");
  private static final int ITERATIONS = 5000;

  @Test
  void randomBytes() {
    Random random = new Random(20240601L);
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] out = new byte[random.nextInt(120)];
      random.nextBytes(out);
      // Sprinkle newlines so some inputs get past the header block.
      for (int j = 0; j < out.length; j++) {
        if (random.nextInt(8) == 0) {
          out[j] = '\n';
        }
      }
      check(out);
    }
  }

  @Test
  void almostValidHeaderBlocks() {
    Random random = new Random(42L);
    int accepted = 0;
    for (int i = 0; i < ITERATIONS; i++) {
      if (check(almostValid(random))) {
        accepted++;
      }
    }
    // The generator must exercise both outcomes, or the test proves little.
    assertThat(accepted).isBetween(ITERATIONS / 10, ITERATIONS * 9 / 10);
  }

  /** Checks one output against the oracle; returns whether it was accepted. */
  private static boolean check(byte[] out) {
    Expected expected = oracle(out);
    CgiResponse response;
    try {
      response = CgiOutputParser.parse(out);
    } catch (CgiOutputException e) {
      assertThat(e.kind()).as(describe(out)).isEqualTo(expected.failure);
      assertThat(e.getMessage()).isNotBlank();
      return false;
    }
    // Anything other than CgiOutputException propagates and fails the test.
    assertThat(expected.failure).as(describe(out)).isNull();
    for (Header h : response.headers()) {
      assertThat(h.name()).as(describe(out)).matches(TOKEN);
      assertThat(CONTROL.matcher(h.value()).find()).as(describe(out)).isFalse();
      assertThat(h.name().toLowerCase(Locale.ROOT))
          .isNotIn("status", "content-length", "transfer-encoding", "connection");
    }
    assertThat(response.status()).isBetween(200, 599);
    assertThat(response.body()).isEqualTo(expected.body);
    return true;
  }

  private record Expected(Kind failure, byte[] body) {}

  /** What the parser should do, from the README's output rules written as regexes. */
  private static Expected oracle(byte[] out) {
    String text = new String(out, StandardCharsets.ISO_8859_1);
    List<String> lines = new ArrayList<>();
    int start = 0;
    while (true) {
      int nl = text.indexOf('\n', start);
      if (nl < 0) {
        return new Expected(Kind.MALFORMED, null);
      }
      String line = text.substring(start, nl).replace("\r", "");
      start = nl + 1;
      if (line.isEmpty()) {
        break;
      }
      lines.add(line);
    }
    byte[] body = Arrays.copyOfRange(out, start, out.length);
    int statuses = 0;
    boolean responseHeader = false;
    for (String line : lines) {
      Matcher m = HEADER_LINE.matcher(line);
      if (!m.matches()
          || !TOKEN.matcher(m.group(1)).matches()
          || CONTROL.matcher(m.group(2)).find()) {
        return new Expected(Kind.MALFORMED, null);
      }
      String name = m.group(1).toLowerCase(Locale.ROOT);
      if (name.equals("status")) {
        if (++statuses > 1 || !STATUS.matcher(m.group(2)).matches()) {
          return new Expected(Kind.MALFORMED, null);
        }
      }
      responseHeader |=
          name.equals("status") || name.equals("content-type") || name.equals("location");
    }
    return new Expected(responseHeader ? null : Kind.NO_RESPONSE_HEADER, body);
  }

  private static final String[] NAMES = {
    "Content-Type", "content-type", "Location", "Status", "STATUS", "Set-Cookie", "X-A",
    "Content-Length", "Connection", "Transfer-Encoding", "X Bad", "", "X\u00e9", "Cache-Control"
  };
  private static final String[] STATUS_VALUES = {
    "200", "404 Not Found", "301\tMoved", "599", "100", "99", "600", "abc", "2000", "", "20", "2 00"
  };
  private static final String[] VALUE_PIECES = {
    "text/plain",
    "a=1; Path=/",
    "/x?y=z",
    " ",
    "\t",
    "caf\u00e9",
    ":",
    "\r",
    "\u0000",
    "\u001b",
    "\u007f",
    "\u00ff",
    "x"
  };

  private static byte[] almostValid(Random random) {
    StringBuilder sb = new StringBuilder();
    int lines = random.nextInt(5);
    String eol = random.nextBoolean() ? "\n" : "\r\n";
    for (int i = 0; i < lines; i++) {
      String name = NAMES[random.nextInt(NAMES.length)];
      StringBuilder value = new StringBuilder();
      if (name.equalsIgnoreCase("status")) {
        value.append(STATUS_VALUES[random.nextInt(STATUS_VALUES.length)]);
      } else {
        // Mostly clean values; sometimes a piece that breaks the line.
        int pieces = 1 + random.nextInt(3);
        for (int p = 0; p < pieces; p++) {
          value.append(
              VALUE_PIECES[random.nextInt(random.nextInt(4) == 0 ? VALUE_PIECES.length : 7)]);
        }
      }
      String separator = random.nextInt(20) == 0 ? " " : random.nextBoolean() ? ": " : ":";
      sb.append(name).append(separator).append(value).append(eol);
    }
    if (random.nextInt(10) != 0) {
      sb.append(random.nextInt(4) == 0 ? "\r\n" : eol);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    byte[] body = new byte[random.nextInt(16)];
    random.nextBytes(body);
    out.writeBytes(body);
    return out.toByteArray();
  }

  private static String describe(byte[] out) {
    StringBuilder sb = new StringBuilder("output: ");
    for (byte b : out) {
      int c = b & 0xff;
      sb.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02X", c));
    }
    return sb.toString();
  }
}
