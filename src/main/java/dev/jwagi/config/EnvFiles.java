package dev.jwagi.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads --env-file files: lines NAME=VALUE or NAME = "value", # comments, blank lines. */
final class EnvFiles {
  private static final Pattern LINE =
      Pattern.compile("\\s*([A-Za-z_][A-Za-z0-9_.-]*)\\s*=\\s*(.*?)\\s*");

  private EnvFiles() {}

  static Map<String, String> read(Path file) throws ConfigException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new ConfigException("--env-file " + file + ": cannot read: " + e.getMessage(), e);
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new ConfigException(
            "--env-file " + file + ": line " + (i + 1) + ": expected NAME=VALUE, got: " + line);
      }
      env.put(m.group(1), unquote(m.group(2)));
    }
    return env;
  }

  /** One pair of matching double or single quotes around a value is removed, as in WAGI. */
  static String unquote(String value) {
    if (value.length() >= 2) {
      char first = value.charAt(0);
      if ((first == '"' || first == '\'') && value.charAt(value.length() - 1) == first) {
        return value.substring(1, value.length() - 1);
      }
    }
    return value;
  }
}
