package io.acrcredential.kube.testing;

import io.kubernetes.client.openapi.ApiClient;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that starts ONE {@link LocalKubeApiServer} per test run (the first time a test
 * class needs it), keeps it in the root extension store, and closes it when the run ends.
 *
 * <p>It resolves parameters of type {@link LocalKubeApiServer} and {@link ApiClient} (a new admin
 * client per parameter). When the binaries are missing, the tests are skipped with a message saying
 * how to build them; set the environment variable {@value #REQUIRED_ENV}{@code =true} (as CI does)
 * to make that a failure instead. A server that is present but fails to start always fails the
 * tests.
 */
public final class KubeApiServerExtension
    implements ExecutionCondition, BeforeEachCallback, ParameterResolver {

  /** Environment variable that turns "binaries missing" from a skip into a failure. */
  public static final String REQUIRED_ENV = "ACR_KUBE_REQUIRED";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(KubeApiServerExtension.class);

  /** Creates the extension; JUnit calls this. */
  public KubeApiServerExtension() {}

  /**
   * Disables the test class (its tests are reported as skipped, with the reason) when the binaries
   * are missing, unless {@value #REQUIRED_ENV} is true: then the tests run and fail. A condition
   * rather than an abort in a callback, because JUnit would wrap an abort thrown while resolving a
   * constructor parameter into an error.
   */
  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    if (KubeBinaries.locate().isPresent()) {
      return ConditionEvaluationResult.enabled("kube-apiserver and etcd binaries found");
    }
    if (required(System.getenv())) {
      return ConditionEvaluationResult.enabled(REQUIRED_ENV + "=true: missing binaries fail");
    }
    return ConditionEvaluationResult.disabled(KubeBinaries.missingMessage());
  }

  /** Starts the shared server if this run has none yet. */
  @Override
  public void beforeEach(ExtensionContext context) {
    server(context);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == LocalKubeApiServer.class || type == ApiClient.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    LocalKubeApiServer server = server(context);
    Class<?> type = parameter.getParameter().getType();
    if (type == LocalKubeApiServer.class) {
      return server;
    }
    if (type == ApiClient.class) {
      return server.adminClient();
    }
    throw new ParameterResolutionException("unsupported parameter type " + type.getName());
  }

  private static LocalKubeApiServer server(ExtensionContext context) {
    Shared shared =
        context
            .getRoot()
            .getStore(NAMESPACE)
            .getOrComputeIfAbsent(Shared.class, key -> Shared.create(), Shared.class);
    return shared.get();
  }

  /**
   * For tests that start their own {@link LocalKubeApiServer}: returns normally when the binaries
   * are present, otherwise skips the test (or fails it when {@value #REQUIRED_ENV} is true).
   */
  static void assumeBinariesPresent() {
    if (KubeBinaries.locate().isEmpty()) {
      skipOrFail(KubeBinaries.missingMessage(), System.getenv());
    }
  }

  /** Aborts (skip) or, when {@value #REQUIRED_ENV} is true, fails with {@code message}. */
  static void skipOrFail(String message, Map<String, String> env) {
    if (required(env)) {
      throw new IllegalStateException(
          message + " (" + REQUIRED_ENV + "=true, so this is a failure)");
    }
    Assumptions.abort(message);
  }

  /** Whether missing binaries must fail the run, from the given environment. */
  static boolean required(Map<String, String> env) {
    return Boolean.parseBoolean(env.getOrDefault(REQUIRED_ENV, "false").trim());
  }

  /**
   * The outcome of the single start attempt of this run: the server, or why there is none. JUnit
   * closes it (an {@link AutoCloseable} in the root store) when the run ends.
   */
  static final class Shared implements AutoCloseable {
    private final LocalKubeApiServer server;
    private final String missing;
    private final RuntimeException failure;

    private Shared(LocalKubeApiServer server, String missing, RuntimeException failure) {
      this.server = server;
      this.missing = missing;
      this.failure = failure;
    }

    static Shared create() {
      return create(System::getProperty, System.getenv());
    }

    static Shared create(UnaryOperator<String> properties, Map<String, String> env) {
      if (KubeBinaries.locate(properties, env).isEmpty()) {
        return new Shared(null, KubeBinaries.missingMessage(properties, env), null);
      }
      try {
        return new Shared(LocalKubeApiServer.start(), null, null);
      } catch (RuntimeException e) {
        return new Shared(null, null, e);
      }
    }

    LocalKubeApiServer get() {
      return get(System.getenv());
    }

    LocalKubeApiServer get(Map<String, String> env) {
      if (server != null) {
        return server;
      }
      if (failure != null) {
        throw new IllegalStateException("the shared local kube-apiserver failed to start", failure);
      }
      skipOrFail(missing, env);
      throw new AssertionError("unreachable: skipOrFail always throws");
    }

    @Override
    public void close() {
      if (server != null) {
        server.close();
      }
    }
  }
}
