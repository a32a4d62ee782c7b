package io.acrcredential.kube.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated test class with a {@link LocalNode} of its own (started before its first test,
 * closed after its last), joined to a {@link LocalKubeApiServer} started with node authorization;
 * shorthand for {@code @ExtendWith(LocalNodeExtension.class)}. Test methods, constructors and
 * lifecycle methods may declare {@link LocalNode}, {@link LocalKubeApiServer} and {@code ApiClient}
 * (admin) parameters. Do not combine it with {@link WithKubeApiServer}: both would answer the
 * server parameter.
 *
 * <p>Skipped, with the reason, where a node cannot run (not root, binaries missing, the node does
 * not start) unless the environment variable {@value LocalNodeExtension#REQUIRED_ENV} is {@code
 * true}, as in CI.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(LocalNodeExtension.class)
public @interface WithLocalNode {}
