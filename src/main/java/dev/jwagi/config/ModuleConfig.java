package dev.jwagi.config;

import dev.jwagi.source.ModuleSource;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One route's module, validated and with paths resolved: a {@code [[module]]} table of
 * modules.toml, or jwagi run's MODULE. Made with {@link #builder()}.
 *
 * @param where how to name this entry in messages, e.g. {@code modules.toml: [[module]] #2 (route
 *     "/foo")}
 * @param source where the module's bytes come from (a file, an https:// URL, an OCI reference)
 * @param entrypoint the exported function a request calls
 * @param init the export that pre-initialises the module (the {@code init} key), or null: then
 *     Wizer's {@code wizer.initialize} if the module exports it (unless {@code noInit}), else none
 * @param noInit {@code init = false}: never pre-initialised, even if it exports Wizer's names
 * @param argvTemplate the {@code argv} key, or null for WAGI's default argv
 * @param volumes guest path → host directory
 * @param environment the module's own variables ({@code environment}): after the global env, before
 *     the CGI variables
 * @param allowedHosts where the module's outbound HTTP requests may go (none: nowhere)
 * @param httpMaxConcurrency WAGI's limit on a guest's open outbound HTTP responses; null: none
 * @param maxConcurrency guests of this route running at once (beyond: 503); null: no own limit
 * @param limits what one run of the module may use
 * @param readOnlyVolumes the guest paths of {@code volumes} the guest may only read (a spin.toml's
 *     {@code files})
 * @param copiedFiles host files copied into {@code volumes} at load (a spin.toml's {@code files}):
 *     the module sees a change of one only after a reload
 * @param spin for a route of a spin.toml, what Spin's WAGI executor tells the module besides WAGI's
 *     variables; null for modules.toml and jwagi run
 */
public record ModuleConfig(
    String where,
    RoutePattern route,
    ModuleSource source,
    String entrypoint,
    String init,
    boolean noInit,
    String argvTemplate,
    Map<String, Path> volumes,
    Map<String, String> environment,
    AllowedHosts allowedHosts,
    Integer httpMaxConcurrency,
    Integer maxConcurrency,
    Limits limits,
    Set<String> readOnlyVolumes,
    Set<Path> copiedFiles,
    SpinRoute spin) {

  /** WAGI's entrypoint where none is given. */
  public static final String DEFAULT_ENTRYPOINT = "_start";

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Sets the parts one at a time; {@link #build} checks that the required ones (where, route,
   * source, limits) are there. Without a call, a part is: entrypoint {@value #DEFAULT_ENTRYPOINT},
   * no init of its own, WAGI's argv, no volumes (none read-only), no own environment, no outbound
   * hosts, no concurrency limits of its own, no Spin route.
   */
  public static final class Builder {
    private String where;
    private RoutePattern route;
    private ModuleSource source;
    private String entrypoint = DEFAULT_ENTRYPOINT;
    private String init;
    private boolean noInit;
    private String argvTemplate;
    private Map<String, Path> volumes = Map.of();
    private Map<String, String> environment = Map.of();
    private AllowedHosts allowedHosts = AllowedHosts.NONE;
    private Integer httpMaxConcurrency;
    private Integer maxConcurrency;
    private Limits limits;
    private Set<String> readOnlyVolumes = Set.of();
    private Set<Path> copiedFiles = Set.of();
    private SpinRoute spin;

    private Builder() {}

    public Builder withWhere(String where) {
      this.where = where;
      return this;
    }

    public Builder withRoute(RoutePattern route) {
      this.route = route;
      return this;
    }

    public Builder withSource(ModuleSource source) {
      this.source = source;
      return this;
    }

    public Builder withEntrypoint(String entrypoint) {
      this.entrypoint = Objects.requireNonNull(entrypoint, "entrypoint");
      return this;
    }

    /**
     * Null: none of its own (Wizer's, if exported). Throws {@link IllegalArgumentException} for an
     * empty name.
     */
    public Builder withInit(String init) {
      if (init != null && init.isEmpty()) {
        throw new IllegalArgumentException("must name an exported function, not \"\"");
      }
      this.init = init;
      this.noInit = false;
      return this;
    }

    /** {@code init = false}: not pre-initialised, not even by Wizer's convention. */
    public Builder withoutInit() {
      this.init = null;
      this.noInit = true;
      return this;
    }

    /** Null: WAGI's default argv. */
    public Builder withArgvTemplate(String argvTemplate) {
      this.argvTemplate = argvTemplate;
      return this;
    }

    /** Guest path → host directory, kept in the given order. */
    public Builder withVolumes(Map<String, Path> volumes) {
      this.volumes = Collections.unmodifiableMap(new LinkedHashMap<>(volumes));
      return this;
    }

    /** Kept in the given order. */
    public Builder withEnvironment(Map<String, String> environment) {
      this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(environment));
      return this;
    }

    public Builder withAllowedHosts(AllowedHosts allowedHosts) {
      this.allowedHosts = Objects.requireNonNull(allowedHosts, "allowedHosts");
      return this;
    }

    /** Null: no limit. */
    public Builder withHttpMaxConcurrency(Integer httpMaxConcurrency) {
      this.httpMaxConcurrency = httpMaxConcurrency;
      return this;
    }

    /** Null: only the server-wide limit. */
    public Builder withMaxConcurrency(Integer maxConcurrency) {
      this.maxConcurrency = maxConcurrency;
      return this;
    }

    public Builder withLimits(Limits limits) {
      this.limits = limits;
      return this;
    }

    /** The guest paths of volumes the guest may only read. */
    public Builder withReadOnlyVolumes(Set<String> readOnlyVolumes) {
      this.readOnlyVolumes = Set.copyOf(readOnlyVolumes);
      return this;
    }

    /** The host files the volumes were copied from. */
    public Builder withCopiedFiles(Set<Path> copiedFiles) {
      this.copiedFiles = Set.copyOf(copiedFiles);
      return this;
    }

    /** A spin.toml's route: Spin's WAGI executor variables, argv splitting and no _routes. */
    public Builder withSpin(SpinRoute spin) {
      this.spin = spin;
      return this;
    }

    public ModuleConfig build() {
      return new ModuleConfig(
          Objects.requireNonNull(where, "where"),
          Objects.requireNonNull(route, "route"),
          Objects.requireNonNull(source, "source"),
          entrypoint,
          init,
          noInit,
          argvTemplate,
          volumes,
          environment,
          allowedHosts,
          httpMaxConcurrency,
          maxConcurrency,
          Objects.requireNonNull(limits, "limits"),
          readOnlyVolumes,
          copiedFiles,
          spin);
    }
  }
}
