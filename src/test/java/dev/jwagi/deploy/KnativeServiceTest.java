package dev.jwagi.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.jwagi.Main;
import dev.jwagi.config.AppConfig;
import dev.jwagi.config.ConfigLoader;
import dev.jwagi.config.Flags;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/knative/service.yaml, checked three ways: read into Knative's own Service model (fabric8
 * knative-model) with every unknown property an error; every key against the fields Knative Serving
 * accepts in a Service by default (its webhook rejects other pod fields unless a feature flag
 * allows them); and against the runtime contract with jwagi, whose args are parsed and loaded by
 * jwagi's own flag parser and config loader. The tests after the first break the manifest in one
 * way each (a reserved port, a misspelt or disallowed field, autoscaling, concurrency, timeout,
 * probes, listen address, memory) and show that the check catches it.
 */
class KnativeServiceTest {
  static final Path MANIFEST = Path.of("deploy/knative/service.yaml");
  static final Path JVM_ARGS = Path.of("deploy/jvm.args");

  /** Ports Knative's queue-proxy and its sidecars use: a user container may not take them. */
  static final Set<Integer> RESERVED_PORTS = Set.of(8012, 8013, 8022, 9090, 9091, 8008);

  /** Environment variables Knative sets itself and refuses in a container's env. */
  static final Set<String> RESERVED_ENV =
      Set.of("PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION");

  static final Map<String, String> AUTOSCALING =
      Map.of(
          "autoscaling.knative.dev/class", "kpa.autoscaling.knative.dev",
          "autoscaling.knative.dev/metric", "concurrency",
          "autoscaling.knative.dev/target", "10",
          "autoscaling.knative.dev/min-scale", "1",
          "autoscaling.knative.dev/max-scale", "10");

  @TempDir Path temp;

  @Test
  void theManifestPassesEveryCheck() throws IOException {
    assertThat(problems(read())).isEmpty();
  }

  @Test
  void aReservedPortIsCaught() throws IOException {
    for (int reserved : RESERVED_PORTS) {
      assertThat(problemsAfter(m -> port(m).put("containerPort", reserved)))
          .anyMatch(p -> p.contains("containerPort " + reserved + " is reserved by Knative"));
    }
  }

  @Test
  void aMisspelledOrDisallowedFieldIsCaught() throws IOException {
    assertThat(problemsAfter(m -> templateSpec(m).put("containerConcurency", 10)))
        .anyMatch(p -> p.contains("not a Knative Service") && p.contains("containerConcurency"))
        .anyMatch(p -> p.contains("spec.template.spec.containerConcurency"));
    // A real pod field, but one Knative's webhook refuses without a feature flag.
    assertThat(problemsAfter(m -> templateSpec(m).put("hostNetwork", true)))
        .containsExactly("spec.template.spec.hostNetwork: not a field Knative Serving accepts");
    assertThat(problemsAfter(m -> templateSpec(m).put("timeoutSeconds", "sixty")))
        .anyMatch(p -> p.contains("not a Knative Service"));
  }

  @Test
  void wrongAutoscalingIsCaught() throws IOException {
    assertThat(problemsAfter(m -> annotations(m).put("autoscaling.knative.dev/metric", "rps")))
        .contains("annotation autoscaling.knative.dev/metric is \"rps\", expected \"concurrency\"");
    assertThat(problemsAfter(m -> annotations(m).remove("autoscaling.knative.dev/min-scale")))
        .contains("annotation autoscaling.knative.dev/min-scale is missing, expected \"1\"");
    assertThat(problemsAfter(m -> annotations(m).put("autoscaling.knative.dev/window", "6s")))
        .contains("annotation autoscaling.knative.dev/window is not one the README describes");
  }

  @Test
  void aConcurrencyThatDiffersFromTheServersIsCaught() throws IOException {
    assertThat(problemsAfter(m -> templateSpec(m).put("containerConcurrency", 12)))
        .contains("containerConcurrency 12 != jwagi's --max-concurrency 10");
    assertThat(problemsAfter(m -> removeFlag(m, "--max-concurrency")))
        .anyMatch(p -> p.startsWith("containerConcurrency 10 != jwagi's --max-concurrency "));
  }

  @Test
  void aRequestTimeoutNotAboveTheGuestTimeoutIsCaught() throws IOException {
    assertThat(problemsAfter(m -> templateSpec(m).put("timeoutSeconds", 30)))
        .contains("timeoutSeconds 30 is not above the longest guest timeout, 30 s");
  }

  @Test
  void probesOffTheServingPortOrOnOnePathAreCaught() throws IOException {
    assertThat(problemsAfter(m -> httpGet(m, "readinessProbe").put("port", 9000)))
        .contains("readinessProbe: port 9000 is not the serving port 8080");
    assertThat(problemsAfter(m -> httpGet(m, "livenessProbe").put("path", "/readyz")))
        .contains("livenessProbe: path /readyz, expected /healthz")
        .contains("readiness and liveness probe the same path: a draining pod would be killed");
    assertThat(
            problemsAfter(
                m -> {
                  ObjectNode probe = (ObjectNode) container(m).get("livenessProbe");
                  probe.remove("httpGet");
                  probe.putObject("tcpSocket").put("port", 8080);
                }))
        .contains("livenessProbe: not an httpGet probe");
  }

  @Test
  void aFixedListenAddressOrPortVariableIsCaught() throws IOException {
    assertThat(problemsAfter(m -> args(m).add("-l").add("0.0.0.0:8080")))
        .contains("args set a listen address (-l 0.0.0.0:8080): leave it to PORT");
    assertThat(
            problemsAfter(
                m ->
                    container(m).putArray("env").addObject().put("name", "PORT").put("value", "1")))
        .contains("env PORT is set by Knative itself");
    assertThat(
            problemsAfter(
                m ->
                    ((ArrayNode) container(m).get("ports")).addObject().put("containerPort", 8081)))
        .contains("expected exactly one container port, found 2");
  }

  @Test
  void guestMemoryBeyondTheHeapIsCaught() throws IOException {
    assertThat(
            problemsAfter(
                m ->
                    ((ObjectNode) container(m).get("resources").get("limits"))
                        .put("memory", "512Mi")))
        .anyMatch(p -> p.startsWith("10 guests x 32 MiB = 320 MiB is over half the heap"));
    assertThat(problemsAfter(m -> ((ObjectNode) container(m).get("resources")).remove("requests")))
        .contains("resources.requests needs cpu and memory");
  }

  // ---------------------------------------------------------------------------------------------

  static final YAMLMapper YAML = new YAMLMapper();

  /** Knative's model classes keep unknown keys in a map (@JsonAnySetter): turn that off. */
  static final YAMLMapper STRICT = strictMapper();

  private static YAMLMapper strictMapper() {
    YAMLMapper mapper = new YAMLMapper();
    mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    mapper.setAnnotationIntrospector(
        new JacksonAnnotationIntrospector() {
          @Override
          public Boolean hasAnySetter(Annotated a) {
            return false;
          }
        });
    return mapper;
  }

  static ObjectNode read() throws IOException {
    return (ObjectNode) YAML.readTree(MANIFEST.toFile());
  }

  List<String> problemsAfter(Consumer<ObjectNode> breakIt) throws IOException {
    ObjectNode manifest = read();
    breakIt.accept(manifest);
    return problems(manifest);
  }

  static ObjectNode templateSpec(ObjectNode m) {
    return (ObjectNode) m.get("spec").get("template").get("spec");
  }

  static ObjectNode annotations(ObjectNode m) {
    return (ObjectNode) m.get("spec").get("template").get("metadata").get("annotations");
  }

  static ObjectNode container(ObjectNode m) {
    return (ObjectNode) templateSpec(m).get("containers").get(0);
  }

  static ObjectNode port(ObjectNode m) {
    return (ObjectNode) container(m).get("ports").get(0);
  }

  static ObjectNode httpGet(ObjectNode m, String probe) {
    return (ObjectNode) container(m).get(probe).get("httpGet");
  }

  static ArrayNode args(ObjectNode m) {
    return (ArrayNode) container(m).get("args");
  }

  static void removeFlag(ObjectNode m, String flag) {
    ArrayNode args = args(m);
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).asText().equals(flag)) {
        args.remove(i + 1);
        args.remove(i);
        return;
      }
    }
    throw new AssertionError("no " + flag + " in args");
  }

  /** Every rule the manifest breaks, in words; empty when it is fine. */
  List<String> problems(ObjectNode manifest) {
    List<String> problems = new ArrayList<>();
    knativeFields(manifest, "", ROOT, problems);
    Service service;
    try {
      service = STRICT.treeToValue(manifest, Service.class);
    } catch (IOException e) {
      problems.add("not a Knative Service: " + e.getMessage().lines().findFirst().orElse(""));
      return problems;
    }
    if (!"serving.knative.dev/v1".equals(service.getApiVersion())
        || !"Service".equals(service.getKind())) {
      problems.add("not a serving.knative.dev/v1 Service");
      return problems;
    }
    Map<String, String> annotations =
        service.getSpec().getTemplate().getMetadata().getAnnotations();
    AUTOSCALING.forEach(
        (key, expected) -> {
          String actual = annotations == null ? null : annotations.get(key);
          if (actual == null) {
            problems.add("annotation " + key + " is missing, expected \"" + expected + "\"");
          } else if (!actual.equals(expected)) {
            problems.add(
                "annotation " + key + " is \"" + actual + "\", expected \"" + expected + "\"");
          }
        });
    if (annotations != null) {
      annotations.keySet().stream()
          .filter(
              key -> key.startsWith("autoscaling.knative.dev/") && !AUTOSCALING.containsKey(key))
          .forEach(key -> problems.add("annotation " + key + " is not one the README describes"));
    }

    var spec = service.getSpec().getTemplate().getSpec();
    if (spec.getContainers() == null || spec.getContainers().size() != 1) {
      problems.add("expected exactly one container");
      return problems;
    }
    Container container = spec.getContainers().get(0);
    int servingPort = servingPort(container, problems);
    probe(container.getReadinessProbe(), "readinessProbe", "/readyz", servingPort, problems);
    probe(container.getLivenessProbe(), "livenessProbe", "/healthz", servingPort, problems);
    String readyPath = probePath(container.getReadinessProbe());
    if (readyPath != null && readyPath.equals(probePath(container.getLivenessProbe()))) {
      problems.add("readiness and liveness probe the same path: a draining pod would be killed");
    }
    if (container.getEnv() != null) {
      container.getEnv().stream()
          .filter(env -> RESERVED_ENV.contains(env.getName()))
          .forEach(env -> problems.add("env " + env.getName() + " is set by Knative itself"));
    }
    var security = container.getSecurityContext();
    if (security != null
        && security.getCapabilities() != null
        && security.getCapabilities().getAdd() != null) {
      security.getCapabilities().getAdd().stream()
          .filter(capability -> !capability.equals("NET_BIND_SERVICE"))
          .forEach(
              c ->
                  problems.add(
                      "capability " + c + ": Knative allows adding NET_BIND_SERVICE only"));
    }
    var resources = container.getResources();
    Map<String, Quantity> requests = resources == null ? null : resources.getRequests();
    Map<String, Quantity> limits = resources == null ? null : resources.getLimits();
    if (requests == null || !requests.containsKey("cpu") || !requests.containsKey("memory")) {
      problems.add("resources.requests needs cpu and memory");
    }
    if (limits == null || !limits.containsKey("memory")) {
      problems.add("resources.limits needs memory");
      return problems;
    }

    AppConfig config = jwagiConfig(container, problems);
    if (config == null) {
      return problems;
    }
    int maxConcurrency = config.connections().maxConcurrency();
    Long containerConcurrency = spec.getContainerConcurrency();
    if (containerConcurrency == null || containerConcurrency != maxConcurrency) {
      problems.add(
          "containerConcurrency "
              + containerConcurrency
              + " != jwagi's --max-concurrency "
              + maxConcurrency);
    }
    String target = annotations == null ? null : annotations.get("autoscaling.knative.dev/target");
    if (target != null
        && containerConcurrency != null
        && containerConcurrency > 0
        && Double.parseDouble(target) > containerConcurrency) {
      problems.add("autoscaling target " + target + " is above containerConcurrency");
    }
    long longestGuestSeconds =
        config.modules().stream()
            .mapToLong(module -> (module.limits().timeout().toMillis() + 999) / 1000)
            .max()
            .orElse(0);
    Long timeoutSeconds = spec.getTimeoutSeconds();
    if (timeoutSeconds == null || timeoutSeconds <= longestGuestSeconds) {
      problems.add(
          "timeoutSeconds "
              + timeoutSeconds
              + " is not above the longest guest timeout, "
              + longestGuestSeconds
              + " s");
    } else if (timeoutSeconds > 600) {
      problems.add("timeoutSeconds " + timeoutSeconds + " is above Knative's default maximum, 600");
    }
    long memoryLimit = Quantity.getAmountInBytes(limits.get("memory")).longValueExact();
    long heap = (long) (memoryLimit * maxRamPercentage() / 100);
    long guestMemory =
        config.modules().stream().mapToLong(m -> m.limits().maxMemoryBytes()).max().orElse(0);
    if (maxConcurrency * guestMemory > heap / 2) {
      problems.add(
          String.format(
              "%d guests x %d MiB = %d MiB is over half the heap (%d MiB = %s%% of %s)",
              maxConcurrency,
              guestMemory >> 20,
              (maxConcurrency * guestMemory) >> 20,
              heap >> 20,
              maxRamPercentage(),
              limits.get("memory")));
    }
    return problems;
  }

  private static int servingPort(Container container, List<String> problems) {
    List<ContainerPort> ports = container.getPorts();
    if (ports == null || ports.size() != 1) {
      problems.add(
          "expected exactly one container port, found " + (ports == null ? 0 : ports.size()));
      return ports == null || ports.isEmpty() ? 8080 : ports.get(0).getContainerPort();
    }
    ContainerPort port = ports.get(0);
    int number = port.getContainerPort() == null ? 8080 : port.getContainerPort();
    if (RESERVED_PORTS.contains(number)) {
      problems.add("containerPort " + number + " is reserved by Knative");
    }
    if (!Set.of("http1", "h2c").contains(port.getName())) {
      problems.add("the port's name is " + port.getName() + ", expected http1 (or h2c)");
    }
    return number;
  }

  private static String probePath(Probe probe) {
    return probe == null || probe.getHttpGet() == null ? null : probe.getHttpGet().getPath();
  }

  private static void probe(
      Probe probe, String name, String path, int servingPort, List<String> problems) {
    if (probe == null || probe.getHttpGet() == null) {
      problems.add(name + ": not an httpGet probe");
      return;
    }
    if (!path.equals(probe.getHttpGet().getPath())) {
      problems.add(name + ": path " + probe.getHttpGet().getPath() + ", expected " + path);
    }
    IntOrString port = probe.getHttpGet().getPort();
    if (port != null && !Integer.valueOf(servingPort).equals(port.getIntVal())) {
      problems.add(
          name
              + ": port "
              + (port.getIntVal() != null ? port.getIntVal() : port.getStrVal())
              + " is not the serving port "
              + servingPort);
    }
  }

  /** The container's args as jwagi itself reads them, with the image's config from the repo. */
  private AppConfig jwagiConfig(Container container, List<String> problems) {
    List<String> args = container.getArgs() == null ? List.of() : container.getArgs();
    Flags flags;
    try {
      flags = Main.parse(args.toArray(String[]::new), "8080");
    } catch (RuntimeException e) {
      problems.add("jwagi rejects the args " + args + ": " + e.getMessage());
      return null;
    }
    if (flags.listen != null) {
      problems.add("args set a listen address (-l " + flags.listen + "): leave it to PORT");
    }
    // The image has the repository's examples/ under /app/examples (deploy/Dockerfile).
    String image = String.valueOf(flags.configFile);
    if (!image.startsWith("/app/examples/")) {
      problems.add("-c " + image + " is not a config the image ships under /app/examples/");
      return null;
    }
    flags.configFile = Path.of(image.substring("/app/".length())).toAbsolutePath();
    flags.logDir = temp;
    flags.moduleCache = temp.resolve("cache");
    try {
      return new ConfigLoader(Path.of("")).load(flags);
    } catch (Exception e) {
      problems.add("jwagi rejects the args " + args + ": " + e.getMessage());
      return null;
    }
  }

  private static double maxRamPercentage() {
    try {
      Matcher m =
          Pattern.compile("(?m)^-XX:MaxRAMPercentage=([0-9.]+)\\s*$")
              .matcher(Files.readString(JVM_ARGS));
      if (!m.find()) {
        throw new AssertionError(JVM_ARGS + " sets no -XX:MaxRAMPercentage");
      }
      return Double.parseDouble(m.group(1));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  // --- the fields Knative Serving accepts in a Service (its default field masks) ----------------

  /** A node of the allowed-field tree: its keys, and the rule for each key's value. */
  record Fields(Map<String, Fields> keys) {
    static final Fields ANY = new Fields(null); // a free-form value (names, maps of labels, ...)

    static Fields of(Object... pairs) {
      Map<String, Fields> keys = new java.util.LinkedHashMap<>();
      for (int i = 0; i < pairs.length; i += 2) {
        keys.put((String) pairs[i], (Fields) pairs[i + 1]);
      }
      return new Fields(keys);
    }
  }

  static final Fields HTTP_GET =
      Fields.of(
          "path",
          Fields.ANY,
          "port",
          Fields.ANY,
          "host",
          Fields.ANY,
          "scheme",
          Fields.ANY,
          "httpHeaders",
          Fields.ANY);
  static final Fields PROBE =
      Fields.of(
          "httpGet",
          HTTP_GET,
          "tcpSocket",
          Fields.ANY,
          "exec",
          Fields.ANY,
          "grpc",
          Fields.ANY,
          "initialDelaySeconds",
          Fields.ANY,
          "timeoutSeconds",
          Fields.ANY,
          "periodSeconds",
          Fields.ANY,
          "successThreshold",
          Fields.ANY,
          "failureThreshold",
          Fields.ANY);
  static final Fields CONTAINER =
      Fields.of(
          "name",
          Fields.ANY,
          "image",
          Fields.ANY,
          "args",
          Fields.ANY,
          "command",
          Fields.ANY,
          "env",
          Fields.ANY,
          "envFrom",
          Fields.ANY,
          "workingDir",
          Fields.ANY,
          "imagePullPolicy",
          Fields.ANY,
          "volumeMounts",
          Fields.ANY,
          "terminationMessagePath",
          Fields.ANY,
          "terminationMessagePolicy",
          Fields.ANY,
          "ports",
          Fields.of("name", Fields.ANY, "containerPort", Fields.ANY, "protocol", Fields.ANY),
          "readinessProbe",
          PROBE,
          "livenessProbe",
          PROBE,
          "startupProbe",
          PROBE,
          "resources",
          Fields.of("requests", Fields.ANY, "limits", Fields.ANY),
          "securityContext",
          Fields.of(
              "allowPrivilegeEscalation",
              Fields.ANY,
              "capabilities",
              Fields.of("add", Fields.ANY, "drop", Fields.ANY),
              "readOnlyRootFilesystem",
              Fields.ANY,
              "runAsGroup",
              Fields.ANY,
              "runAsNonRoot",
              Fields.ANY,
              "runAsUser",
              Fields.ANY,
              "seccompProfile",
              Fields.ANY));
  static final Fields META =
      Fields.of(
          "name",
          Fields.ANY,
          "namespace",
          Fields.ANY,
          "labels",
          Fields.ANY,
          "annotations",
          Fields.ANY);
  static final Fields ROOT =
      Fields.of(
          "apiVersion",
          Fields.ANY,
          "kind",
          Fields.ANY,
          "metadata",
          META,
          "spec",
          Fields.of(
              "traffic",
              Fields.ANY,
              "template",
              Fields.of(
                  "metadata",
                  META,
                  "spec",
                  Fields.of(
                      "containerConcurrency", Fields.ANY,
                      "timeoutSeconds", Fields.ANY,
                      "responseStartTimeoutSeconds", Fields.ANY,
                      "idleTimeoutSeconds", Fields.ANY,
                      "containers", CONTAINER,
                      "volumes", Fields.ANY,
                      "serviceAccountName", Fields.ANY,
                      "imagePullSecrets", Fields.ANY,
                      "enableServiceLinks", Fields.ANY,
                      "automountServiceAccountToken", Fields.ANY))));

  private static void knativeFields(JsonNode node, String path, Fields fields, List<String> out) {
    if (fields.keys() == null) {
      return;
    }
    if (node.isArray()) {
      for (JsonNode element : node) {
        knativeFields(element, path, fields, out);
      }
      return;
    }
    if (!node.isObject()) {
      out.add(path + ": expected an object");
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
      Fields rule = fields.keys().get(field.getKey());
      if (rule == null) {
        out.add(at + ": not a field Knative Serving accepts");
      } else {
        knativeFields(field.getValue(), at, rule, out);
      }
    }
  }
}
