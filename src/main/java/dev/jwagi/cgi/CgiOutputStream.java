package dev.jwagi.cgi;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A module's stdout as it is written: collects the CGI header block, parses it once its empty line
 * is there ({@link CgiOutputParser}), hands the head to a {@link ResponseSink} and passes every
 * body byte straight through. Malformed output is remembered, and what follows it discarded, until
 * the module ends ({@link #finish}), so the exit code still decides first, as in WAGI.
 */
public final class CgiOutputStream extends OutputStream {
  /** The longest header block accepted; beyond it the output is malformed. */
  public static final int MAX_HEADER_BLOCK = 64 * 1024;

  private final ResponseSink sink;

  /** The header block so far; grows (most are well under 128 bytes). */
  private byte[] head = new byte[128];

  private int headLength;

  /** Whether the header line being scanned holds only '\r' so far. */
  private boolean lineBlank = true;

  private boolean headSent;
  private CgiOutputException malformed;

  public CgiOutputStream(ResponseSink sink) {
    this.sink = sink;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] bytes, int offset, int length) throws IOException {
    if (headSent) {
      sink.body(bytes, offset, length);
      return;
    }
    if (malformed != null || length == 0) {
      return;
    }
    int take = Math.min(length, MAX_HEADER_BLOCK + 1 - headLength);
    if (headLength + take > head.length) {
      head = Arrays.copyOf(head, Math.max(headLength + take, head.length * 2));
    }
    System.arraycopy(bytes, offset, head, headLength, take);
    int scanned = headLength;
    headLength += take;
    int bodyStart = findBodyStart(scanned);
    if (bodyStart < 0) {
      if (headLength > MAX_HEADER_BLOCK) {
        malformed =
            new CgiOutputException(
                CgiOutputException.Kind.MALFORMED,
                "no blank line between headers and body in the first "
                    + MAX_HEADER_BLOCK
                    + " bytes of output");
        head = null;
      }
      return;
    }
    CgiResponse response;
    try {
      response = CgiOutputParser.parseHead(head, bodyStart).response();
    } catch (CgiOutputException e) {
      malformed = e;
      head = null;
      return;
    }
    headSent = true;
    byte[] held = head;
    head = null;
    sink.head(response);
    // The rest of this write: what was copied after the header block, then what was not copied.
    if (headLength > bodyStart) {
      sink.body(held, bodyStart, headLength - bodyStart);
    }
    if (take < length) {
      sink.body(bytes, offset + take, length - take);
    }
  }

  /** Index just past the header block's empty line in head[0, headLength), or -1. */
  private int findBodyStart(int from) {
    for (int i = from; i < headLength; i++) {
      byte b = head[i];
      if (b == '\n') {
        if (lineBlank) {
          return i + 1;
        }
        lineBlank = true;
      } else if (b != '\r') {
        lineBlank = false;
      }
    }
    return -1;
  }

  /** Whether the header block has been parsed and handed on (the body follows it). */
  public boolean headSent() {
    return headSent;
  }

  /**
   * The module ended normally: throws if its output was not a valid CGI response (malformed, or no
   * empty line after the headers), with the same reasons as {@link CgiOutputParser#parse(byte[])}.
   */
  public void finish() throws CgiOutputException {
    if (malformed != null) {
      throw malformed;
    }
    if (!headSent) {
      // No empty line yet: the parser names the first bad line, or the missing empty line.
      CgiOutputParser.parseHead(head, headLength);
      throw new IllegalStateException("unreachable: a complete header block was not sent");
    }
  }
}
