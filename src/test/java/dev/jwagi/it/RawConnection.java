package dev.jwagi.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A plain TCP connection to the server, for requests java.net.http cannot send (no Host header,
 * HTTP/1.0, pipelining, malformed request lines, a Connection header): the test writes the request
 * bytes itself and reads HTTP/1.x responses off the wire. Reads time out after 10 s, so a server
 * that never answers fails the test instead of hanging it.
 */
final class RawConnection implements AutoCloseable {
  private static final int READ_TIMEOUT_MS = 10_000;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private boolean answerStarted;

  RawConnection(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(READ_TIMEOUT_MS);
    socket.setTcpNoDelay(true);
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Writes {@code request} as ISO-8859-1 bytes (one byte per char), all at once. */
  RawConnection send(String request) throws IOException {
    return send(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Waits up to this long for each read (default 10 s). */
  RawConnection readTimeout(int millis) throws IOException {
    socket.setSoTimeout(millis);
    return this;
  }

  /** Whether no byte of a response has arrived since the last send. */
  boolean neverAnswered() {
    return !answerStarted;
  }

  RawConnection send(byte[] request) throws IOException {
    answerStarted = false;
    out.write(request);
    out.flush();
    return this;
  }

  /** Writes a POST of {@code body} (ISO-8859-1, one byte per char) to {@code path}. */
  RawConnection post(String path, String body) throws IOException {
    return send(
        "POST "
            + path
            + " HTTP/1.1\r\nHost: h\r\nContent-Length: "
            + body.length()
            + "\r\n\r\n"
            + body);
  }

  /** Whether response bytes have arrived (without blocking). */
  boolean available() throws IOException {
    return in.available() > 0;
  }

  /** Reads one response to a request that was not HEAD. */
  Response read() throws IOException {
    return read(false);
  }

  /**
   * Reads one response: status line, headers, then a body of Content-Length bytes, or up to the end
   * of the stream if there is no Content-Length. As RFC 9112 §6.3 says, a response to HEAD and a
   * 1xx, 204 or 304 response have no body, whatever their headers say.
   */
  Response read(boolean toHead) throws IOException {
    String statusLine = line();
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
      throw new IOException("not an HTTP status line: \"" + statusLine + "\"");
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (String line = line(); !line.isEmpty(); line = line()) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        throw new IOException("bad response header line: \"" + line + "\"");
      }
      headers
          .computeIfAbsent(
              line.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(line.substring(colon + 1).trim());
    }
    byte[] body;
    List<String> length = headers.get("content-length");
    int status = Integer.parseInt(parts[1]);
    if (toHead || status / 100 == 1 || status == 204 || status == 304) {
      body = new byte[0];
    } else if (headers.containsKey("transfer-encoding")) {
      body = chunked();
    } else if (length != null) {
      body = in.readNBytes(Integer.parseInt(length.get(0)));
      if (body.length != Integer.parseInt(length.get(0))) {
        throw new EOFException("connection closed inside a body of " + length.get(0) + " bytes");
      }
    } else {
      body = in.readAllBytes();
    }
    return new Response(statusLine, status, headers, body);
  }

  /** A chunked body, decoded; EOFException when the connection closes before its last chunk. */
  private byte[] chunked() throws IOException {
    var body = new java.io.ByteArrayOutputStream();
    for (; ; ) {
      String size;
      try {
        size = line();
      } catch (EOFException e) {
        throw new EOFException(
            "connection closed inside a chunked body after " + body.size() + " bytes");
      }
      int n = Integer.parseInt(size.split(";")[0].trim(), 16);
      if (n == 0) {
        while (!line().isEmpty()) {} // trailers
        return body.toByteArray();
      }
      byte[] chunk = in.readNBytes(n);
      body.write(chunk);
      if (chunk.length != n || !line().isEmpty()) {
        throw new EOFException(
            "connection closed inside a chunked body after " + body.size() + " bytes");
      }
    }
  }

  /**
   * Whether the server has closed the connection: true if the next read sees the end of the stream
   * (or a reset); false if a byte arrives, or nothing within the read timeout.
   */
  boolean closedByServer() throws IOException {
    try {
      return in.read() < 0;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // connection reset
    }
  }

  /** One CRLF-terminated line, without the CRLF (a bare LF is accepted too). */
  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      answerStarted |= b >= 0;
      if (b < 0) {
        throw new EOFException("connection closed; read so far: \"" + line + "\"");
      }
      line.write(b);
    }
    String s = line.toString(StandardCharsets.ISO_8859_1);
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** A response as read off the wire; header names lower-cased. */
  record Response(String statusLine, int status, Map<String, List<String>> headers, byte[] body) {
    Optional<String> header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null ? Optional.empty() : Optional.of(values.get(0));
    }

    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }
}
