package dev.jwagi.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every TOML reader needs: the file parsed into a tree, and typed access to a table's keys
 * whose errors start with {@code where} (the file and, in a route's table, the route) and name the
 * key. Unknown keys are warned about and ignored, as in WAGI.
 */
final class TomlTables {
  // Under the entry point's name: operators (and tests) follow configuration warnings there.
  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

  private TomlTables() {}

  /** The file's top-level table (empty for an empty file); {@code flag} names how it was given. */
  static JsonNode parse(Path file, String flag) throws ConfigException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(file + ": no such file (given with " + flag + ")");
    }
    // The TOML parser alone, without an ObjectMapper: initialising databind's mapper was ~30 ms
    // of every start (bench/profile-startup.sh) for a file of a few lines.
    try (JsonParser parser = new TomlFactory().createParser(file.toFile())) {
      JsonNode root = parser.nextToken() == null ? null : tree(parser);
      return root != null && root.isObject() ? root : JsonNodeFactory.instance.objectNode();
    } catch (JacksonException e) {
      throw new ConfigException(
          file + ": invalid TOML: " + e.getOriginalMessage() + locationOf(e), e);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
    }
  }

  /** The value at the parser's current token, read to its end, as a tree. */
  private static JsonNode tree(JsonParser parser) throws IOException {
    JsonNodeFactory nodes = JsonNodeFactory.instance;
    switch (parser.currentToken()) {
      case START_OBJECT -> {
        ObjectNode object = nodes.objectNode();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
          String name = parser.currentName();
          parser.nextToken();
          object.set(name, tree(parser));
        }
        return object;
      }
      case START_ARRAY -> {
        ArrayNode array = nodes.arrayNode();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
          array.add(tree(parser));
        }
        return array;
      }
      case VALUE_STRING -> {
        return nodes.textNode(parser.getText());
      }
      case VALUE_NUMBER_INT -> {
        return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
            ? nodes.numberNode(parser.getBigIntegerValue())
            : nodes.numberNode(parser.getLongValue());
      }
      case VALUE_NUMBER_FLOAT -> {
        return nodes.numberNode(parser.getDoubleValue());
      }
      case VALUE_TRUE, VALUE_FALSE -> {
        return nodes.booleanNode(parser.getBooleanValue());
      }
      case VALUE_NULL -> {
        return nodes.nullNode();
      }
      default -> {
        return nodes.pojoNode(parser.getEmbeddedObject());
      }
    }
  }

  private static String locationOf(JacksonException e) {
    var location = e.getLocation();
    return location == null || location.getLineNr() < 1
        ? ""
        : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
  }

  static String requiredString(JsonNode table, String key, String where) throws ConfigException {
    String value = optionalString(table, key, where);
    if (value == null || value.isBlank()) {
      throw new ConfigException(where + ": key `" + key + "` is required");
    }
    return value;
  }

  /** The key's string, or null without the key. */
  static String optionalString(JsonNode table, String key, String where) throws ConfigException {
    JsonNode node = table.get(key);
    if (node == null) {
      return null;
    }
    if (!node.isTextual()) {
      throw new ConfigException(where + ": key `" + key + "` must be a string");
    }
    return node.asText();
  }

  /** The key's integer (1 or more), or null without the key. */
  static Integer positiveInt(JsonNode table, String key, String where) throws ConfigException {
    JsonNode node = table.get(key);
    if (node == null) {
      return null;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.asInt() < 1) {
      throw new ConfigException(where + ": key `" + key + "` must be a positive integer");
    }
    return node.asInt();
  }

  /** The limit's {@link LimitKey#tomlKey() key}, checked; {@code otherwise} without the key. */
  static Duration duration(JsonNode table, LimitKey limit, String where, Duration otherwise)
      throws ConfigException {
    String text = limitText(table, limit);
    return text == null ? otherwise : limit.durationKey(where, text);
  }

  /** As {@link #duration}, for a size in bytes. */
  static long size(JsonNode table, LimitKey limit, String where, long otherwise)
      throws ConfigException {
    String text = limitText(table, limit);
    return text == null ? otherwise : limit.sizeKey(where, text);
  }

  /** A limit key's value as written: a string, or a bare TOML number (a size in bytes). */
  private static String limitText(JsonNode table, LimitKey limit) {
    JsonNode node = table.get(limit.tomlKey());
    return node == null ? null : node.isTextual() ? node.asText() : node.toString();
  }

  /** Warns of each key not in {@code known}; {@code where} ends with a colon. */
  /**
   * The {@code environment} table of a module (modules.toml) or component (spin.toml), in file
   * order; empty without one.
   */
  static Map<String, String> environment(JsonNode table, String where) throws ConfigException {
    Map<String, String> environment = new LinkedHashMap<>();
    JsonNode envTable = table.get("environment");
    if (envTable == null) {
      return environment;
    }
    if (!envTable.isObject()) {
      throw new ConfigException(
          where + ": key `environment` must be a table of NAME = \"value\", e.g. { A = \"1\" }");
    }
    Iterator<Map.Entry<String, JsonNode>> it = envTable.fields();
    while (it.hasNext()) {
      var variable = it.next();
      if (!variable.getValue().isTextual()) {
        throw new ConfigException(
            where + ": key `environment." + variable.getKey() + "` must be a string");
      }
      if (variable.getKey().isEmpty() || variable.getKey().contains("=")) {
        throw new ConfigException(
            where + ": key `environment`: \"" + variable.getKey() + "\" is not a variable name");
      }
      environment.put(variable.getKey(), variable.getValue().asText());
    }
    return environment;
  }

  static void warnUnknownKeys(JsonNode table, Set<String> known, String where) {
    table
        .fieldNames()
        .forEachRemaining(
            key -> {
              if (!known.contains(key)) {
                log.warn("{} unknown key `{}` ignored", where, key);
              }
            });
  }
}
