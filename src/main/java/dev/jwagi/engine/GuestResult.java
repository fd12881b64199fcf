package dev.jwagi.engine;

/**
 * How a guest run ended normally: its exit code (0 when it returned) and its stderr; its stdout
 * went to the stream the caller gave. {@code prepareNanos}: setting up the fresh instance, within
 * the run.
 */
public record GuestResult(int exitCode, byte[] stderr, long prepareNanos) {}
