package io.acrcredential.k8s.config;

import java.util.Objects;

/**
 * One thing wrong (or suspicious) in an {@code acr-configuration} ConfigMap.
 *
 * <p>The message names the offending value (shortened and with control characters escaped) and says
 * what a valid value looks like. Secret values such as {@code customAccessKeySecret} are never part
 * of a message.
 *
 * @param severity {@link Severity#ERROR} when the value was rejected, {@link Severity#WARNING} when
 *     it was accepted or ignored but is probably not what the author meant
 * @param key the top-level ConfigMap key, e.g. {@code acr-registry-info}
 * @param location where inside the key, e.g. {@code acr-registry-info[2].expireDuration}; equal to
 *     {@code key} for keys holding a single value
 * @param message what is wrong and what is valid
 */
public record ConfigProblem(Severity severity, String key, String location, String message) {

  /** How serious a problem is. */
  public enum Severity {
    /** The value was rejected; the part of the configuration it belongs to was not applied. */
    ERROR,
    /** The value was accepted or ignored, but is probably a mistake (e.g. an unknown key). */
    WARNING
  }

  /**
   * Checks that no component is null.
   *
   * @param severity {@link Severity#ERROR} when the value was rejected, {@link Severity#WARNING}
   *     when it was accepted or ignored but is probably not what the author meant
   * @param key the top-level ConfigMap key, e.g. {@code acr-registry-info}
   * @param location where inside the key, e.g. {@code acr-registry-info[2].expireDuration}; equal
   *     to {@code key} for keys holding a single value
   * @param message what is wrong and what is valid
   * @throws NullPointerException naming the missing component
   */
  public ConfigProblem {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(location, "location");
    Objects.requireNonNull(message, "message");
  }

  /**
   * Whether this problem is an error.
   *
   * @return true for {@link Severity#ERROR}
   */
  public boolean isError() {
    return severity == Severity.ERROR;
  }

  /**
   * A one-line rendering such as {@code ERROR acr-registry-info[0].regionId: 'x' is not …}.
   *
   * @return the text
   */
  @Override
  public String toString() {
    return severity + " " + location + ": " + message;
  }
}
