package dev.jwagi.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What jwagi takes from a Spin manifest ({@code spin.toml}, version 1 or 2): its HTTP routes whose
 * components run with the WAGI executor, checked, paths resolved against the manifest's folder.
 *
 * @param file the manifest
 * @param version 1 or 2
 * @param routes in file order, a route written twice only once (the last, as in Spin)
 */
public record SpinApp(Path file, int version, List<Route> routes) {

  /**
   * One {@code [[trigger.http]]} (v2) or {@code [component.trigger]} (v1).
   *
   * @param where how messages name it, e.g. {@code spin.toml: [[trigger.http]] #2 (route "/x")}
   * @param route the route, as Spin's router has it and as written
   * @param argv the executor's {@code argv} template (Spin's default {@code ${SCRIPT_NAME}
   *     ${ARGS}})
   * @param entrypoint the executor's {@code entrypoint} (default {@code _start})
   */
  public record Route(
      String where, SpinRoute route, Component component, String argv, String entrypoint) {}

  /**
   * A component: {@code [component.NAME]} (v2), an inline component of a trigger, or a v1 {@code
   * [[component]]}.
   *
   * @param where e.g. {@code spin.toml: [component.hello]}
   * @param source the module: a local file, or a URL with its digest
   * @param files what Spin's {@code files} selects, each guest path (absolute, "/"-separated) to
   *     its host file, mapped read-only
   * @param environment the component's {@code environment}
   * @param allowedHosts {@code allowed_outbound_hosts} with any {@code allowed_http_hosts}
   */
  public record Component(
      String id,
      String where,
      Source source,
      Map<String, Path> files,
      Map<String, String> environment,
      AllowedHosts allowedHosts) {}

  /** A component's {@code source}. */
  public sealed interface Source {
    /** A path, relative to the manifest's folder. */
    record Local(Path path) implements Source {}

    /** {@code { url = "...", digest = "sha256:..." }}. */
    record Remote(String url, String digest) implements Source {}
  }
}
