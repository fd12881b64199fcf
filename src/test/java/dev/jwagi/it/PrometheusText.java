package dev.jwagi.it;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict parser of the Prometheus text exposition format 0.0.4, for tests: every line must be a
 * {@code # HELP}, a {@code # TYPE}, another comment, or a sample {@code name{labels} value
 * [timestamp]}; anything else fails with the line number. It also checks what a scraper relies on:
 * one TYPE per family and before its samples, no series twice, samples of a family together,
 * histogram buckets cumulative with a {@code +Inf} bucket equal to {@code _count}.
 */
final class PrometheusText {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
  private static final Set<String> TYPES =
      Set.of("counter", "gauge", "histogram", "summary", "untyped");

  /** One sample line. */
  record Sample(String name, Map<String, String> labels, double value) {}

  final Map<String, String> types = new LinkedHashMap<>();
  final Map<String, String> help = new LinkedHashMap<>();
  final List<Sample> samples = new ArrayList<>();

  private PrometheusText() {}

  static PrometheusText parse(String text) {
    if (!text.isEmpty() && !text.endsWith("\n")) {
      throw new IllegalArgumentException("the exposition does not end with a line feed");
    }
    PrometheusText parsed = new PrometheusText();
    Set<String> series = new HashSet<>();
    Set<String> finishedFamilies = new HashSet<>();
    String currentFamily = null;
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length - 1; i++) {
      String line = lines[i];
      String where = "line " + (i + 1) + " \"" + line + "\": ";
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 3 && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
          String name = parts[2];
          require(NAME.matcher(name).matches(), where + "bad metric name");
          if (parts[1].equals("TYPE")) {
            require(parts.length == 4 && TYPES.contains(parts[3]), where + "bad type");
            require(!parsed.types.containsKey(name), where + "second TYPE of " + name);
            require(
                !finishedFamilies.contains(name) && !name.equals(currentFamily),
                where + "TYPE after samples of " + name);
            parsed.types.put(name, parts[3]);
          } else {
            require(!parsed.help.containsKey(name), where + "second HELP of " + name);
            parsed.help.put(name, parts.length == 4 ? unescapeHelp(parts[3], where) : "");
          }
        }
        continue;
      }
      Sample sample = sample(line, where);
      String family = parsed.familyOf(sample.name());
      if (!family.equals(currentFamily)) {
        require(!finishedFamilies.contains(family), where + "samples of " + family + " split up");
        if (currentFamily != null) {
          finishedFamilies.add(currentFamily);
        }
        currentFamily = family;
      }
      require(
          series.add(sample.name() + new java.util.TreeMap<>(sample.labels())),
          where + "series given twice");
      parsed.samples.add(sample);
    }
    parsed.checkHistograms();
    return parsed;
  }

  /** The family a sample belongs to: its name less a histogram's or summary's suffix. */
  private String familyOf(String name) {
    for (String suffix : new String[] {"_bucket", "_count", "_sum"}) {
      if (name.endsWith(suffix)) {
        String base = name.substring(0, name.length() - suffix.length());
        String type = types.get(base);
        if ("histogram".equals(type) || ("summary".equals(type) && !suffix.equals("_bucket"))) {
          return base;
        }
      }
    }
    return name;
  }

  private void checkHistograms() {
    types.forEach(
        (family, type) -> {
          if (!type.equals("histogram")) {
            return;
          }
          Map<Map<String, String>, List<Sample>> buckets = new HashMap<>();
          for (Sample s : samples) {
            if (s.name().equals(family + "_bucket")) {
              require(s.labels().containsKey("le"), family + ": a bucket without le");
              Map<String, String> others = new HashMap<>(s.labels());
              others.remove("le");
              buckets.computeIfAbsent(others, k -> new ArrayList<>()).add(s);
            }
          }
          buckets.forEach(
              (labels, list) -> {
                double previous = -1;
                double previousLe = Double.NEGATIVE_INFINITY;
                for (Sample bucket : list) {
                  double le = number(bucket.labels().get("le"), family + ": le");
                  require(le > previousLe, family + labels + ": buckets out of order");
                  require(bucket.value() >= previous, family + labels + ": buckets not cumulative");
                  previous = bucket.value();
                  previousLe = le;
                }
                require(previousLe == Double.POSITIVE_INFINITY, family + labels + ": no +Inf");
                require(
                    previous == value(family + "_count", labels),
                    family + labels + ": +Inf bucket is not _count");
              });
        });
  }

  private static Sample sample(String line, String where) {
    Matcher name = NAME.matcher(line);
    require(name.lookingAt(), where + "no metric name");
    int at = name.end();
    Map<String, String> labels = new LinkedHashMap<>();
    if (at < line.length() && line.charAt(at) == '{') {
      at++;
      while (line.charAt(at) != '}') {
        Matcher label = LABEL_NAME.matcher(line).region(at, line.length());
        require(label.lookingAt(), where + "bad label name");
        at = label.end();
        require(line.startsWith("=\"", at), where + "expected =\" after a label name");
        at += 2;
        StringBuilder value = new StringBuilder();
        while (true) {
          require(at < line.length(), where + "unterminated label value");
          char c = line.charAt(at++);
          if (c == '"') {
            break;
          }
          if (c == '\\') {
            require(at < line.length(), where + "unterminated escape");
            char e = line.charAt(at++);
            switch (e) {
              case '\\' -> value.append('\\');
              case '"' -> value.append('"');
              case 'n' -> value.append('\n');
              default -> throw new IllegalArgumentException(where + "bad escape \\" + e);
            }
          } else {
            value.append(c);
          }
        }
        require(labels.put(label.group(), value.toString()) == null, where + "label twice");
        require(at < line.length(), where + "unterminated labels");
        if (line.charAt(at) == ',') {
          at++;
          require(at < line.length(), where + "unterminated labels");
        } else {
          require(line.charAt(at) == '}', where + "expected , or } after a label");
        }
      }
      at++;
    }
    require(at < line.length() && line.charAt(at) == ' ', where + "expected a space before value");
    String[] rest = line.substring(at + 1).split(" ", -1);
    require(rest.length == 1 || rest.length == 2, where + "expected value [timestamp]");
    double value = number(rest[0], where + "value");
    if (rest.length == 2) {
      require(rest[1].matches("-?\\d+"), where + "bad timestamp");
    }
    return new Sample(name.group(), labels, value);
  }

  private static double number(String text, String what) {
    switch (text) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        require(
            text.matches("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?"),
            what + ": not a number: " + text);
        return Double.parseDouble(text);
    }
  }

  private static String unescapeHelp(String text, String where) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\\') {
        require(i + 1 < text.length(), where + "unterminated escape in HELP");
        char e = text.charAt(++i);
        require(e == '\\' || e == 'n', where + "bad escape in HELP: \\" + e);
        out.append(e == 'n' ? '\n' : '\\');
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  /** The value of the series {@code name} with exactly these labels; fails if there is none. */
  double value(String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().equals(labels))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + name + labels))
        .value();
  }

  /** Samples named {@code name}. */
  List<Sample> named(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }
}
