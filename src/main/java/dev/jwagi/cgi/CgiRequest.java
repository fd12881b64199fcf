package dev.jwagi.cgi;

import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The CGI inputs for one guest run.
 *
 * @param env environment variables, in order (unmodifiable)
 * @param argv program arguments, argv[0] first (unmodifiable)
 * @param stdin what the guest reads from standard input: the request body as it arrives
 */
public record CgiRequest(Map<String, String> env, List<String> argv, InputStream stdin) {
  public CgiRequest {
    // LinkedHashMap, not Map.copyOf: the guest sees the variables in this order.
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    argv = List.copyOf(argv);
    Objects.requireNonNull(stdin, "stdin");
  }
}
