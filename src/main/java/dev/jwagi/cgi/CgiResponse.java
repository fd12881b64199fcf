package dev.jwagi.cgi;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A response to send.
 *
 * @param status HTTP status code, 100..599
 * @param reason reason phrase, or null for the standard one
 * @param headers headers in order, names as written; never Content-Length, Transfer-Encoding or
 *     Connection (the HTTP layer owns those)
 * @param body the body bytes (not copied)
 */
public record CgiResponse(int status, String reason, List<Header> headers, byte[] body) {
  public CgiResponse {
    headers = List.copyOf(headers);
    Objects.requireNonNull(body, "body");
  }

  /** A plain-text response, e.g. for errors the server itself reports. */
  public static CgiResponse text(int status, String body) {
    return new CgiResponse(
        status,
        null,
        List.of(new Header("Content-Type", "text/plain; charset=utf-8")),
        body.getBytes(StandardCharsets.UTF_8));
  }

  /** 500: the server itself failed (an OutOfMemoryError, a bug), never the guest. */
  public static CgiResponse serverFailed() {
    return text(500, "Internal Server Error: the server failed\n");
  }

  /** 503 with Retry-After: no room in the server's memory budget. */
  public static CgiResponse overBudget() {
    return retryLater("Service Unavailable: the server is at its memory budget; retry shortly\n");
  }

  /** 503 with Retry-After: the server or the route is at its concurrency limit. */
  public static CgiResponse retryLater(String body) {
    return new CgiResponse(
        503,
        null,
        List.of(
            new Header("Content-Type", "text/plain; charset=utf-8"),
            new Header("Retry-After", "1")),
        body.getBytes(StandardCharsets.UTF_8));
  }
}
