package dev.jwagi.engine;

/**
 * What a guest run produced: its exit code (0 when it returned normally) and its output;
 * prepareNanos is the time the fresh instance took to set up, within the run.
 */
public record GuestResult(int exitCode, byte[] stdout, byte[] stderr, long prepareNanos) {}
