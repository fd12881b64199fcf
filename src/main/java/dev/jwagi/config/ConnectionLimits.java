package dev.jwagi.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Server-wide limits on clients and guests in flight; {@link Limits} has the per-run ones.
 *
 * @param readTimeout a request's headers and body must arrive within this, else 408
 * @param idleTimeout a keep-alive connection with no request for this long is closed
 * @param maxConcurrency guests running at once across the server
 * @param queue requests waiting for a guest slot beyond that; more get 503
 * @param drainTimeout on SIGTERM, requests in flight get this long to finish; then guests still
 *     running are stopped
 * @param maxBufferedBytes the memory budget: bytes held for requests in flight (body and output
 *     buffers, guest linear memories) across the server
 * @param writeTimeout a connection whose client reads nothing of a waiting response for this long
 *     is closed
 * @param maxSpoolBytes the disk budget of request bodies spooled to files, across the server
 * @param spoolDir where request bodies beyond their in-memory window are spooled
 * @param maxStderrLogBytes a route's stderr file is rotated (one previous file kept) at this size
 */
public record ConnectionLimits(
    Duration readTimeout,
    Duration idleTimeout,
    int maxConcurrency,
    int queue,
    Duration drainTimeout,
    long maxBufferedBytes,
    Duration writeTimeout,
    long maxSpoolBytes,
    Path spoolDir,
    long maxStderrLogBytes) {}
