package dev.jwagi.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The output of examples/modules/env.wasm, parsed: lines {@code argv[i]=...}, then one {@code
 * NAME=VALUE} line per environment variable, then {@code --- body ---} and the request body byte
 * for byte.
 */
record EnvDump(List<String> argv, Map<String, String> env, byte[] body) {
  private static final byte[] BODY_MARKER = "--- body ---\n".getBytes(StandardCharsets.UTF_8);

  static EnvDump parse(byte[] output) {
    int marker = indexOfLine(output, BODY_MARKER);
    if (marker < 0) {
      throw new AssertionError(
          "no \"--- body ---\" line in env.wasm output:\n"
              + new String(output, StandardCharsets.UTF_8));
    }
    String head = new String(output, 0, marker, StandardCharsets.UTF_8);
    List<String> argv = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : head.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("argv[")) {
        String prefix = "argv[" + argv.size() + "]=";
        if (!line.startsWith(prefix)) {
          throw new AssertionError("argv line out of order: " + line);
        }
        argv.add(line.substring(prefix.length()));
        continue;
      }
      int eq = line.indexOf('=');
      if (eq <= 0) {
        throw new AssertionError("env line without '=': \"" + line + "\"");
      }
      String name = line.substring(0, eq);
      if (env.put(name, line.substring(eq + 1)) != null) {
        throw new AssertionError("variable " + name + " appears twice in the module's env");
      }
    }
    return new EnvDump(
        List.copyOf(argv),
        env,
        Arrays.copyOfRange(output, marker + BODY_MARKER.length, output.length));
  }

  /** Index of the first occurrence of {@code line} at the start of a line, or -1. */
  private static int indexOfLine(byte[] bytes, byte[] line) {
    outer:
    for (int i = 0; i + line.length <= bytes.length; i++) {
      if (i > 0 && bytes[i - 1] != '\n') {
        continue;
      }
      for (int j = 0; j < line.length; j++) {
        if (bytes[i + j] != line[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
