package dev.jwagi.cgi;

import java.util.Objects;

/** One HTTP header as received or to send. */
public record Header(String name, String value) {
  public Header {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(value, "value");
  }
}
