package io.acrcredential.kube.testing;

import io.kubernetes.client.openapi.ApiClient;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that starts a {@link LocalKubeApiServer} with node authorization and a {@link
 * LocalNode} joined to it for each test class (before its first test), and closes both, restoring
 * the host, after the class. Per class rather than per run because a machine holds one node at a
 * time: a class that starts its own node (e.g. with a credential provider) must not wait for a node
 * the whole run keeps. Resolves {@link LocalNode}, {@link LocalKubeApiServer} and {@link ApiClient}
 * (a new admin client per parameter) parameters.
 *
 * <p>Where a node cannot run ({@link LocalNode#unavailableReason()}) or fails to start, the tests
 * are skipped with the reason, unless {@value #REQUIRED_ENV}{@code =true}: then they fail.
 */
public final class LocalNodeExtension
    implements ExecutionCondition, BeforeAllCallback, BeforeEachCallback, ParameterResolver {

  /** Environment variable that turns "no node here" from a skip into a failure. */
  public static final String REQUIRED_ENV = "ACR_NODE_REQUIRED";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(LocalNodeExtension.class);

  /** Creates the extension; JUnit calls this. */
  public LocalNodeExtension() {}

  @Override
  public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
    Optional<String> reason = LocalNode.unavailableReason();
    if (reason.isEmpty()) {
      return ConditionEvaluationResult.enabled("a node can run here");
    }
    if (required(System.getenv())) {
      return ConditionEvaluationResult.enabled(REQUIRED_ENV + "=true: " + reason.get());
    }
    return ConditionEvaluationResult.disabled("no real node: " + reason.get());
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    shared(context);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    shared(context).node();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == LocalNode.class || type == LocalKubeApiServer.class || type == ApiClient.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Shared shared = shared(context);
    LocalNode node = shared.node();
    Class<?> type = parameter.getParameter().getType();
    if (type == LocalNode.class) {
      return node;
    }
    if (type == LocalKubeApiServer.class) {
      return shared.server;
    }
    if (type == ApiClient.class) {
      return shared.server.adminClient();
    }
    throw new ParameterResolutionException("unsupported parameter type " + type.getName());
  }

  /** The node of the test class (created on first use, also for constructor parameters). */
  private static Shared shared(ExtensionContext context) {
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
      classContext = classContext.getParent().get();
    }
    return classContext
        .getStore(NAMESPACE)
        .getOrComputeIfAbsent(Shared.class, key -> Shared.create(), Shared.class);
  }

  static boolean required(Map<String, String> env) {
    return Boolean.parseBoolean(env.getOrDefault(REQUIRED_ENV, "false").trim());
  }

  /** The outcome of this class's start attempt; JUnit closes it after the class. */
  static final class Shared implements AutoCloseable {
    private final LocalKubeApiServer server;
    private final LocalNode node;
    private final RuntimeException failure;

    private Shared(LocalKubeApiServer server, LocalNode node, RuntimeException failure) {
      this.server = server;
      this.node = node;
      this.failure = failure;
    }

    static Shared create() {
      Optional<String> reason = LocalNode.unavailableReason();
      if (reason.isPresent()) {
        return new Shared(null, null, new IllegalStateException(reason.get()));
      }
      LocalKubeApiServer server = null;
      try {
        server = LocalKubeApiServer.builder().nodeAuthorization(true).start();
        return new Shared(server, LocalNode.builder(server).start(), null);
      } catch (RuntimeException e) {
        if (server != null) {
          server.close();
        }
        return new Shared(null, null, e);
      }
    }

    LocalNode node() {
      if (node != null) {
        return node;
      }
      if (required(System.getenv())) {
        throw new IllegalStateException(
            "the shared local node did not start (" + REQUIRED_ENV + "=true)", failure);
      }
      Assumptions.abort("no real node: " + failure.getMessage());
      throw new AssertionError("unreachable");
    }

    @Override
    public void close() {
      try {
        if (node != null) {
          node.close();
        }
      } finally {
        if (server != null) {
          server.close();
        }
      }
    }
  }
}
