package io.acrcredential.examples.doctor;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.doctor.Doctor.Check;
import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.acrcredential.examples.doctor.Doctor.Settings;
import io.acrcredential.k8s.config.AcrConfiguration;
import io.acrcredential.k8s.config.RegistryEntry;
import io.kubernetes.client.openapi.apis.CoreV1Api;
import io.kubernetes.client.openapi.models.V1Pod;
import io.kubernetes.client.openapi.models.V1ServiceAccount;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What the checks found so far, shared by them in their fixed order, and the report lines. */
final class Findings {

  final Settings s;
  final CoreV1Api core;
  final List<Check> checks = new ArrayList<>();
  final String cm;
  String ns;
  String sa;
  V1Pod pod;
  ImageReference image;
  AcrConfiguration config;
  RegistryEntry entry;
  String domain;
  String secretName;
  DockerConfig.Auth auth;
  // the pull Secret is one Alibaba's helper wrote, not yet taken over
  boolean alibabas;
  V1ServiceAccount account;
  final Map<Object, RegistryCredential> fetched = new HashMap<>();
  final Map<Object, TokenException> acrFailures = new HashMap<>();

  Findings(Settings s) {
    this.s = s;
    this.core = new CoreV1Api(s.api());
    this.cm = s.configMapNamespace() + "/" + s.configMapName();
  }

  void add(String name, Outcome o, String detail, int rank, String... fix) {
    checks.add(new Check(name, o, Text.bounded(detail, 400), List.of(fix), rank));
  }

  void pass(String name, String detail) {
    add(name, Outcome.PASSED, detail, 0);
  }

  void na(String name, String detail) {
    add(name, Outcome.NOT_APPLICABLE, detail, 0);
  }

  void unknown(String name, String detail) {
    add(name, Outcome.UNKNOWN, detail, 0);
  }

  Optional<RegistryCredential> fetch(RegistryEntry e) {
    if (s.acr().isEmpty()) {
      return Optional.empty();
    }
    if (fetched.containsKey(e.target())) {
      return Optional.ofNullable(fetched.get(e.target()));
    }
    try {
      RegistryCredential c = s.acr().get().apply(e);
      fetched.put(e.target(), c);
      return Optional.of(c);
    } catch (TokenException ex) {
      fetched.put(e.target(), null);
      acrFailures.put(e.target(), ex);
      return Optional.empty();
    } catch (RuntimeException ex) {
      fetched.put(e.target(), null);
      acrFailures.put(
          e.target(),
          new TokenException(
              TokenException.Reason.INVALID_CONFIGURATION,
              null,
              Text.bounded(ex.getMessage(), 200)));
      return Optional.empty();
    }
  }

  /** Thrown when there is nothing to check. */
  static final class Stop extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String target;

    Stop(String target) {
      super(null, null, false, false);
      this.target = target;
    }
  }
}
