package dev.jwagi.engine;

import com.dylibso.chicory.runtime.JwagiInstanceTemplate;

/**
 * A pre-initialised module's starting point: an instance's state after its init export ran once at
 * start-up. Every run of the module then starts from it: {@code memory} is the copy-on-write image
 * (its size the memory's size after init), {@code state} the globals, tables and segments. Shared,
 * immutable.
 */
record Snapshot(JwagiInstanceTemplate.State state, CowMemory.Image memory) {}
