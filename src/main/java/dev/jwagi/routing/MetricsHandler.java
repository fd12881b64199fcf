package dev.jwagi.routing;

import dev.jwagi.cgi.CgiResponse;
import dev.jwagi.cgi.Header;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The built-in {@value #ROUTE}: the server's metrics in Prometheus text format, answered without a
 * guest worker, so a scrape gets through even when every worker is busy.
 */
public final class MetricsHandler implements Handler {
  private static final Logger log = LoggerFactory.getLogger(MetricsHandler.class);

  public static final String ROUTE = "/metrics";

  private final Supplier<String> scrape;
  private final String contentType;

  /** scrape: the metrics now, as text of {@code contentType}. */
  public MetricsHandler(Supplier<String> scrape, String contentType) {
    this.scrape = scrape;
    this.contentType = contentType;
  }

  @Override
  public String toString() {
    return "built-in Prometheus metrics";
  }

  @Override
  public long maxBodyBytes() {
    return 0; // a scrape sends nothing
  }

  @Override
  public boolean runsGuest() {
    return false;
  }

  @Override
  public CgiResponse handle(dev.jwagi.cgi.IncomingRequest request) {
    String text;
    try {
      text = scrape.get();
    } catch (RuntimeException e) {
      log.error("metrics: the scrape failed", e);
      return CgiResponse.text(500, "Internal Server Error: metrics are not available\n");
    }
    return new CgiResponse(
        200,
        null,
        List.of(new Header("Content-Type", contentType)),
        text.getBytes(StandardCharsets.UTF_8));
  }
}
