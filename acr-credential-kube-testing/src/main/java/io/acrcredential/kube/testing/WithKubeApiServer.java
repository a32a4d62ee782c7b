package io.acrcredential.kube.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs the annotated test class against the shared {@link LocalKubeApiServer} of this test run;
 * shorthand for {@code @ExtendWith(KubeApiServerExtension.class)}. Test methods, constructors and
 * lifecycle methods may declare {@link LocalKubeApiServer} and {@code ApiClient} (admin)
 * parameters.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(KubeApiServerExtension.class)
public @interface WithKubeApiServer {}
