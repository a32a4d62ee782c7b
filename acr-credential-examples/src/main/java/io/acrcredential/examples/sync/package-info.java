/**
 * The refresher daemon ({@code sync}): reads the {@code acr-configuration} ConfigMap, runs the pull
 * Secret sync with leader election, serves health, metrics and the optional Pod webhook with its
 * self-issued certificate and registration, and reports to events and Prometheus.
 */
package io.acrcredential.examples.sync;
