package dev.jwagi.config;

import java.time.Duration;

/**
 * What one guest run may use. Server-wide defaults come from flags; a route may override each in
 * modules.toml under the same name in snake_case.
 *
 * @param maxTableElements elements of all the guest's tables together: table.grow beyond fails
 */
public record Limits(
    Duration timeout,
    long maxMemoryBytes,
    long maxBodyBytes,
    long maxOutputBytes,
    int maxTableElements) {}
