package dev.jwagi.cgi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jwagi.cgi.CgiOutputException.Kind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Property tests of the parser. Mutated valid outputs: it may only ever throw CgiOutputException,
 * and what it accepts must be valid, hold only headers the module wrote, with the body starting
 * right after the first blank line (found here with a regex, not by splitting lines). Generated
 * header blocks: each case is built from pieces whose meaning is known (a valid or invalid name, a
 * clean or control-character value, a good or bad Status, CRs that the CGI rules say to ignore), so
 * the expected outcome comes from how the case was made, never from re-parsing its text.
 */
class CgiOutputParserPropertyTest {
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern CONTROL = Pattern.compile("[\\x00-\\x08\\x0A-\\x1F\\x7F]");

  /** The end of the header block: the first line holding nothing but CRs. */
  private static final Pattern BLANK_LINE = Pattern.compile("(?:\\A|\\n)\\r*\\n");

  private static final int ITERATIONS = 5000;

  @Test
  void mutatedOutputs() {
    Random random = new Random(20240601L);
    int accepted = 0;
    int rejected = 0;
    for (int i = 0; i < ITERATIONS; i++) {
      byte[] out = mutate(random, VALID_OUTPUTS[random.nextInt(VALID_OUTPUTS.length)]);
      CgiResponse response;
      try {
        response = CgiOutputParser.parse(out);
      } catch (CgiOutputException e) {
        assertThat(e.kind()).as(describe(out)).isNotNull();
        assertThat(e.getMessage()).as(describe(out)).isNotBlank();
        rejected++;
        continue; // anything other than CgiOutputException propagates and fails the test
      }
      accepted++;
      assertValid(response, out);
      Matcher blank = BLANK_LINE.matcher(new String(out, StandardCharsets.ISO_8859_1));
      assertThat(blank.find()).as(describe(out)).isTrue();
      // CRs inside the header block are ignored (CGI), so compare with them removed.
      String headerBlock =
          new String(out, 0, blank.start(), StandardCharsets.ISO_8859_1).replace("\r", "");
      for (Header h : response.headers()) {
        // Every header passed on was written by the module, name and value.
        assertThat(headerBlock.toLowerCase(Locale.ROOT))
            .as(describe(out))
            .contains(h.name().toLowerCase(Locale.ROOT));
        assertThat(headerBlock).as(describe(out)).contains(h.value().strip());
      }
      assertThat(response.body())
          .as(describe(out))
          .isEqualTo(Arrays.copyOfRange(out, blank.end(), out.length));
    }
    // Mutations of valid outputs must land on both sides, or the test proves little.
    assertThat(accepted).isGreaterThan(ITERATIONS / 10);
    assertThat(rejected).isGreaterThan(ITERATIONS / 10);
  }

  /** Well-formed outputs that the mutations start from. */
  private static final byte[][] VALID_OUTPUTS = {
    bytes("Content-Type: text/plain\n\nhello\n"),
    bytes("Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>no</p>"),
    bytes("Location: /elsewhere\n\n"),
    bytes("Set-Cookie: a=1\nSet-Cookie: b=2\nContent-Type: x/y\n\n\n\nbody\n\n"),
  };

  /** Bytes a mutation writes: the header syntax's own, controls, and non-ASCII. */
  private static final byte[] MUTATION_BYTES = {
    '\n', '\r', ':', ' ', '\t', 0, 0x1b, 0x7f, 'a', (byte) 0xe9
  };

  /** One to three random insertions, deletions or replacements. */
  private static byte[] mutate(Random random, byte[] valid) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(valid);
    byte[] bytes = out.toByteArray();
    for (int m = 1 + random.nextInt(3); m > 0; m--) {
      int at = random.nextInt(bytes.length + 1);
      byte b =
          random.nextInt(4) == 0
              ? (byte) random.nextInt(256)
              : MUTATION_BYTES[random.nextInt(MUTATION_BYTES.length)];
      ByteArrayOutputStream next = new ByteArrayOutputStream();
      next.write(bytes, 0, at);
      switch (random.nextInt(3)) {
        case 0 -> next.write(b); // insert
        case 1 -> at++; // delete
        default -> {
          next.write(b); // replace
          at++;
        }
      }
      if (at < bytes.length) {
        next.write(bytes, at, bytes.length - at);
      }
      bytes = next.toByteArray();
    }
    return bytes;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void generatedHeaderBlocks() {
    Random random = new Random(42L);
    int accepted = 0;
    for (int i = 0; i < ITERATIONS; i++) {
      Case c = generate(random);
      CgiResponse response;
      try {
        response = CgiOutputParser.parse(c.output);
      } catch (CgiOutputException e) {
        assertThat(e.kind()).as(describe(c.output)).isEqualTo(c.failure);
        assertThat(e.getMessage()).isNotBlank();
        continue;
      }
      assertThat(c.failure).as(describe(c.output)).isNull();
      assertValid(response, c.output);
      assertThat(response.body()).as(describe(c.output)).isEqualTo(c.body);
      accepted++;
    }
    // The generator must exercise both outcomes, or the test proves little.
    assertThat(accepted).isBetween(ITERATIONS / 10, ITERATIONS * 9 / 10);
  }

  private static void assertValid(CgiResponse response, byte[] out) {
    for (Header h : response.headers()) {
      assertThat(h.name()).as(describe(out)).matches(TOKEN);
      assertThat(CONTROL.matcher(h.value()).find()).as(describe(out)).isFalse();
      assertThat(h.name().toLowerCase(Locale.ROOT))
          .isNotIn("status", "content-length", "transfer-encoding", "connection");
    }
    assertThat(response.status()).isBetween(200, 599);
  }

  /** An output and what the parser must make of it: a failure kind, or this body. */
  private record Case(byte[] output, Kind failure, byte[] body) {}

  /** Header names, and whether each is a valid token. */
  private static final String[] NAMES = {
    "Content-Type", "content-type", "Location", "Status", "STATUS", "Set-Cookie", "X-A",
    "Content-Length", "Connection", "Transfer-Encoding", "X Bad", "", "X\u00e9", "Cache-Control"
  };

  private static final Set<String> INVALID_NAMES = Set.of("X Bad", "", "X\u00e9");

  /** Status values; the first four are valid (a 3-digit code in 200..599, then any reason). */
  private static final String[] STATUS_VALUES = {
    "200", "404 Not Found", "301\tMoved", "599", "100", "99", "600", "abc", "2000", "", "20", "2 00"
  };

  private static final int VALID_STATUS_VALUES = 4;

  /** Value pieces: the first seven are clean; "\r" is ignored; the last ones break the line. */
  private static final String[] VALUE_PIECES = {
    "text/plain",
    "a=1; Path=/",
    "/x?y=z",
    " ",
    "\t",
    "caf\u00e9",
    ":", // clean
    "\r", // ignored inside the header block
    "\u00ff",
    "x", // clean (obs-text is allowed in values)
    "\u0000",
    "\u001b",
    "\u007f" // control characters: malformed
  };

  private static final Set<String> CONTROL_PIECES = Set.of("\u0000", "\u001b", "\u007f");

  private static Case generate(Random random) {
    StringBuilder sb = new StringBuilder();
    boolean malformed = false;
    boolean responseHeader = false;
    int statuses = 0;
    int lines = random.nextInt(5);
    String eol = random.nextBoolean() ? "\n" : "\r\n";
    for (int i = 0; i < lines; i++) {
      String name = NAMES[random.nextInt(NAMES.length)];
      boolean status = name.equalsIgnoreCase("status");
      StringBuilder value = new StringBuilder();
      if (status) {
        int v = random.nextInt(STATUS_VALUES.length);
        value.append(STATUS_VALUES[v]);
        malformed |= v >= VALID_STATUS_VALUES || ++statuses > 1;
      } else {
        // Mostly clean values; sometimes a piece that breaks the line.
        int pieces = 1 + random.nextInt(3);
        for (int p = 0; p < pieces; p++) {
          String piece =
              VALUE_PIECES[random.nextInt(random.nextInt(4) == 0 ? VALUE_PIECES.length : 7)];
          value.append(piece);
          malformed |= CONTROL_PIECES.contains(piece);
        }
      }
      // A line without a colon (name and value separated by a space only) is malformed.
      boolean colon = random.nextInt(20) != 0;
      malformed |= !colon || INVALID_NAMES.contains(name);
      responseHeader |=
          status || name.equalsIgnoreCase("content-type") || name.equalsIgnoreCase("location");
      sb.append(name).append(colon ? (random.nextBoolean() ? ": " : ":") : " ").append(value);
      sb.append(eol);
    }
    boolean terminated = random.nextInt(10) != 0;
    if (terminated) {
      sb.append(random.nextInt(4) == 0 ? "\r\n" : eol);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
    byte[] body = new byte[random.nextInt(16)];
    random.nextBytes(body);
    if (!terminated) {
      // No blank line may appear by chance: the body has no newline either.
      for (int j = 0; j < body.length; j++) {
        if (body[j] == '\n') {
          body[j] = 'n';
        }
      }
    }
    out.writeBytes(body);
    Kind failure =
        !terminated || malformed ? Kind.MALFORMED : responseHeader ? null : Kind.NO_RESPONSE_HEADER;
    return new Case(out.toByteArray(), failure, failure == null ? body : null);
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
