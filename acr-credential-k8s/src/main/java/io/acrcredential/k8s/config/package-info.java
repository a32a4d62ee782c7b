/**
 * The {@code acr-configuration} ConfigMap: its immutable model ({@link
 * io.acrcredential.k8s.config.AcrConfiguration}) and the parser that reads it and names every
 * problem without echoing a secret ({@link io.acrcredential.k8s.config.AcrConfigParser}).
 */
package io.acrcredential.k8s.config;
