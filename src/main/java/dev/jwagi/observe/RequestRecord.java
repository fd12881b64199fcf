package dev.jwagi.observe;

import java.time.Instant;

/**
 * One finished request, as the access log and the request metrics see it.
 *
 * @param start when the request's first bytes arrived
 * @param client the client's IP address
 * @param target the request target as sent (path and query)
 * @param route the matched route as written in modules.toml (e.g. {@code /env/...}), or null when
 *     none matched
 * @param status the status sent; for a response cut short, the status that had been sent
 * @param bytesIn request body bytes read
 * @param bytesOut response body bytes written
 * @param totalNanos from the first request bytes to the last response byte (or the give-up)
 * @param guestNanos time the guest ran, 0 when none ran
 * @param complete false when the response was cut short (client gone, guest failed mid-stream)
 */
public record RequestRecord(
    Instant start,
    String client,
    String method,
    String target,
    String protocol,
    String route,
    int status,
    long bytesIn,
    long bytesOut,
    long totalNanos,
    long guestNanos,
    boolean complete) {}
