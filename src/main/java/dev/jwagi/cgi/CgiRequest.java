package dev.jwagi.cgi;

import dev.jwagi.engine.StringBlock;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The CGI inputs for one guest run.
 *
 * @param env environment variables, {@code NAME=value}, in order, as the guest's {@code
 *     environ_get} returns them
 * @param argv program arguments, argv[0] first, as the guest's {@code args_get} returns them
 * @param stdin what the guest reads from standard input: the request body as it arrives
 */
public record CgiRequest(StringBlock env, StringBlock argv, InputStream stdin) {
  public CgiRequest {
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(argv, "argv");
    Objects.requireNonNull(stdin, "stdin");
  }

  /** The environment decoded, in order (tests and diagnostics). */
  public Map<String, String> envMap() {
    return env.toMap();
  }

  /** The arguments decoded (tests and diagnostics). */
  public List<String> argvList() {
    return argv.toList();
  }
}
