package dev.jwagi.config;

import java.time.Duration;

/**
 * Server-wide limits on clients and guests in flight; {@link Limits} has the per-run ones.
 *
 * @param readTimeout a request's headers and body must arrive within this, else 408
 * @param idleTimeout a keep-alive connection with no request for this long is closed
 * @param maxConcurrency guests running at once across the server
 * @param queue requests waiting for a guest slot beyond that; more get 503
 */
public record ConnectionLimits(
    Duration readTimeout, Duration idleTimeout, int maxConcurrency, int queue) {}
