package io.acrcredential.examples.sync;

import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.util.Excerpt;
import io.kubernetes.client.informer.ResourceEventHandler;
import io.kubernetes.client.informer.SharedIndexInformer;
import io.kubernetes.client.informer.SharedInformerFactory;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1ConfigMap;
import io.kubernetes.client.openapi.models.V1ConfigMapList;
import io.kubernetes.client.openapi.models.V1ObjectReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Where the refresher's configuration comes from: the {@code acr-configuration} ConfigMap (read,
 * then watched) or a file in the same format (read, then checked for changes every few seconds,
 * which also follows a ConfigMap mounted as a volume).
 */
abstract sealed class ConfigSource implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ConfigSource.class);

  /**
   * One version of the configuration data.
   *
   * @param data the key/value pairs
   * @param involvedObject the ConfigMap, for Events; empty for a file
   */
  record Snapshot(Map<String, String> data, Optional<V1ObjectReference> involvedObject) {}

  /** For messages: {@code ConfigMap kube-system/acr-configuration} or {@code file /x.yaml}. */
  abstract String describe();

  /**
   * Reads the configuration once.
   *
   * @throws CliException (one line) when it cannot be read
   */
  abstract Snapshot load();

  /** Calls {@code onChange} with every later version until closed. */
  abstract void watch(Consumer<Snapshot> onChange);

  @Override
  public abstract void close();

  /** The {@code --configmap NAMESPACE/NAME} source. */
  static final class FromConfigMap extends ConfigSource {
    private final ApiClient api;
    private final ApiClient watchClient;
    private final String namespace;
    private final String name;
    private SharedInformerFactory factory;

    FromConfigMap(ApiClient api, ApiClient watchClient, String namespace, String name) {
      this.api = api;
      this.watchClient = watchClient;
      this.namespace = namespace;
      this.name = name;
    }

    String namespace() {
      return namespace;
    }

    @Override
    String describe() {
      return "ConfigMap " + namespace + "/" + name;
    }

    @Override
    Snapshot load() {
      try {
        V1ConfigMap cm = new CoreV1Api(api).readNamespacedConfigMap(name, namespace).execute();
        return snapshot(cm);
      } catch (ApiException e) {
        if (e.getCode() == 404) {
          throw CliException.failure(
              describe()
                  + " does not exist: create it (example: acr-credential-examples/deploy/"
                  + "configmap.yaml) or pass --config FILE");
        }
        throw KubeErrors.failure("cannot read " + describe(), api, e);
      }
    }

    private Snapshot snapshot(V1ConfigMap cm) {
      Map<String, String> data = cm.getData() == null ? Map.of() : cm.getData();
      V1ObjectReference ref =
          new V1ObjectReference()
              .apiVersion("v1")
              .kind("ConfigMap")
              .namespace(namespace)
              .name(name)
              .uid(cm.getMetadata().getUid())
              .resourceVersion(cm.getMetadata().getResourceVersion());
      return new Snapshot(data, Optional.of(ref));
    }

    @Override
    void watch(Consumer<Snapshot> onChange) {
      factory = new SharedInformerFactory(watchClient);
      CoreV1Api watchApi = new CoreV1Api(watchClient);
      String selector = "metadata.name=" + name;
      SharedIndexInformer<V1ConfigMap> informer =
          factory.sharedIndexInformerFor(
              p ->
                  watchApi
                      .listNamespacedConfigMap(namespace)
                      .fieldSelector(selector)
                      .resourceVersion(p.resourceVersion)
                      .timeoutSeconds(p.timeoutSeconds)
                      .watch(p.watch)
                      .buildCall(null),
              V1ConfigMap.class,
              V1ConfigMapList.class,
              0);
      informer.addEventHandler(
          new ResourceEventHandler<>() {
            @Override
            public void onAdd(V1ConfigMap obj) {
              onChange.accept(snapshot(obj));
            }

            @Override
            public void onUpdate(V1ConfigMap oldObj, V1ConfigMap newObj) {
              if (!Objects.equals(
                  oldObj.getMetadata().getResourceVersion(),
                  newObj.getMetadata().getResourceVersion())) {
                onChange.accept(snapshot(newObj));
              }
            }

            @Override
            public void onDelete(V1ConfigMap obj, boolean finalStateUnknown) {
              LOG.warn(
                  "{} was deleted; keeping the configuration in use until it is created again",
                  describe());
            }
          });
      factory.startAllRegisteredInformers();
    }

    @Override
    public void close() {
      if (factory != null) {
        factory.stopAllRegisteredInformers(true);
      }
    }
  }

  /** The {@code --config FILE} source. */
  static final class FromFile extends ConfigSource {
    /** The most read of a configuration file: a ConfigMap's 1 MiB of data and its manifest. */
    static final int MAX_FILE = (1 << 20) + 64 * 1024;

    private final Path file;
    private ScheduledExecutorService poller;

    FromFile(Path file) {
      this.file = file;
    }

    @Override
    String describe() {
      return "file " + file;
    }

    @Override
    Snapshot load() {
      String text;
      try (java.io.InputStream in = Files.newInputStream(file)) {
        // Bounded before parsing: a ConfigMap holds at most 1 MiB of data.
        byte[] bytes = in.readNBytes(MAX_FILE + 1);
        if (bytes.length > MAX_FILE) {
          throw CliException.failure(
              "configuration file "
                  + file
                  + " is larger than "
                  + MAX_FILE / 1024
                  + " KiB (a ConfigMap holds at most 1 MiB); not read further");
        }
        text = new String(bytes, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw CliException.failure(
            "cannot read configuration file "
                + file
                + ": "
                + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : " " + e.getMessage()));
      }
      return new Snapshot(parse(text, file.toString()), Optional.empty());
    }

    /**
     * The data of a ConfigMap manifest ({@code kind: ConfigMap} with {@code data}) or a plain
     * mapping of keys to values.
     */
    static Map<String, String> parse(String text, String where) {
      Object doc;
      try {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(10);
        options.setCodePointLimit(MAX_FILE + 1);
        options.setTagInspector(tag -> false);
        doc = new Yaml(new SafeConstructor(options)).load(text);
      } catch (MarkedYAMLException e) {
        Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
        throw CliException.failure(
            where
                + " is not valid YAML"
                + (mark == null
                    ? ""
                    : " (line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1) + ")")
                + ": "
                + yamlProblem(e.getProblem()));
      } catch (RuntimeException e) {
        throw CliException.failure(
            where + " is not valid YAML (" + e.getClass().getSimpleName() + ")");
      }
      if (doc == null) {
        return Map.of();
      }
      if (!(doc instanceof Map<?, ?> map)) {
        throw CliException.failure(
            where + " must be a ConfigMap manifest or a mapping of configuration keys to values");
      }
      Object data = map.get("data");
      if ("ConfigMap".equals(map.get("kind"))) {
        if (data == null) {
          return Map.of();
        }
        if (!(data instanceof Map<?, ?> d)) {
          throw CliException.failure(where + ": the ConfigMap's data must be a mapping");
        }
        map = d;
      }
      Map<String, String> out = new LinkedHashMap<>();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        Object v = e.getValue();
        if (v instanceof Map || v instanceof java.util.List) {
          throw CliException.failure(
              where
                  + ": the value of "
                  + Excerpt.of(String.valueOf(e.getKey()))
                  + " must be a string (write multi-line YAML values as a block: 'key: |')");
        }
        out.put(String.valueOf(e.getKey()), v == null ? "" : String.valueOf(v));
      }
      return out;
    }

    /**
     * snakeyaml's problem text without pieces of the document: tag, anchor and alias names (an
     * unquoted secret starting with '!', '&' or '*' becomes one), quoted parts and long tokens.
     */
    static String yamlProblem(String problem) {
      if (problem == null) {
        return "syntax error";
      }
      if (problem.startsWith("found undefined alias")) {
        return "an alias ('*' reference) to an undefined anchor (quote values that start with '*')";
      }
      String p = problem.length() > 500 ? problem.substring(0, 500) : problem;
      p = p.replaceAll("(^|[\\s(])[!&*][^\\s,()]*", "$1…");
      p = p.replaceAll("'[^']{2,}'", "'…'").replaceAll("\"[^\"]{2,}\"", "\"…\"");
      p = p.replaceAll("\\S{21,}", "…").replaceAll("\\s+", " ").strip();
      return Excerpt.of(p.length() > 120 ? p.substring(0, 120) : p).replaceAll("^'|'$", "");
    }

    @Override
    void watch(Consumer<Snapshot> onChange) {
      poller =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "acr-config-file-poller");
                t.setDaemon(true);
                return t;
              });
      FileTime[] last = {modified()};
      poller.scheduleWithFixedDelay(
          () -> {
            FileTime now = modified();
            if (now != null && !now.equals(last[0])) {
              last[0] = now;
              try {
                onChange.accept(load());
              } catch (CliException e) {
                LOG.warn("{}; keeping the configuration in use", e.getMessage());
              }
            }
          },
          2,
          2,
          TimeUnit.SECONDS);
    }

    private FileTime modified() {
      try {
        return Files.getLastModifiedTime(file);
      } catch (IOException e) {
        return null;
      }
    }

    @Override
    public void close() {
      if (poller != null) {
        poller.shutdownNow();
      }
    }
  }
}
