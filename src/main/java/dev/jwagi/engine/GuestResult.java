package dev.jwagi.engine;

/** What a guest run produced: its exit code (0 when it returned normally) and its output. */
public record GuestResult(int exitCode, byte[] stdout, byte[] stderr) {}
