package io.acrcredential.examples.doctor;

import io.acrcredential.core.DockerConfig;
import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.acrcredential.k8s.AlibabaSecret;
import io.acrcredential.k8s.PullSecretSync;
import io.acrcredential.k8s.config.RegistryEntry;
import io.acrcredential.k8s.config.SecretLayout;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1Secret;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** The pull Secret: present, ours, not expired, and a registry login with its token. */
final class SecretChecks implements Step {

  @Override
  public void run(Findings f) {
    secret(f);
    login(f);
  }

  private static void secret(Findings f) {
    if (f.domain == null) {
      f.na("secret", "no configured registry for " + f.image.host());
      return;
    }
    String ref = f.ns + "/" + f.secretName;
    V1Secret secret;
    try {
      secret = f.core.readNamespacedSecret(f.secretName, f.ns).execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        f.add(
            "secret",
            Outcome.FAILED,
            "Secret " + ref + " does not exist",
            Doctor.RANK_SECRET,
            "Secret " + ref + " is missing: the refresher has not written it;",
            "check that it runs and leads ('acr-credential status') and read its log");
      } else {
        f.unknown("secret", Doctor.apiProblem(e, "get", "secrets", f.ns));
      }
      return;
    }
    Map<String, String> labels =
        secret.getMetadata().getLabels() == null ? Map.of() : secret.getMetadata().getLabels();
    boolean managed = "true".equals(labels.get(PullSecretSync.MANAGED_LABEL));
    String owner = labels.get(PullSecretSync.INSTANCE_LABEL);
    if (!managed) {
      // the sync's own rule: a Secret Alibaba's helper wrote is taken over, not a clash
      Optional<String> notAlibabas =
          AlibabaSecret.whyNotTakenOver(secret, f.secretName, pullSecretDomains(f));
      if (notAlibabas.isEmpty() && f.config.takeOverAlibabaSecrets()) {
        f.alibabas = true;
        if (!readLogin(f, secret)) {
          return;
        }
        f.pass(
            "secret",
            "Secret "
                + ref
                + " was written by Alibaba's helper; the refresher (instance "
                + f.s.instance()
                + ") takes it over at its next reconcile");
        return;
      }
      if (notAlibabas.isEmpty()) {
        f.add(
            "secret",
            Outcome.FAILED,
            "Secret "
                + ref
                + " was written by Alibaba's helper; take-over-alibaba-secrets is false",
            Doctor.RANK_SECRET,
            "Secret " + ref + " was written by Alibaba's helper and take-over-alibaba-secrets",
            "is false (" + f.cm + "): set it to true so the refresher takes the Secret over,",
            "or delete the Secret so the refresher writes it");
        return;
      }
    }
    if (!managed || !f.s.instance().equals(owner)) {
      String whose =
          managed
              ? "belongs to acr-credential instance " + Text.bounded(owner, 63)
              : "is not managed by acr-credential";
      String notAlibabas =
          managed
              ? ""
              : "; not Alibaba's helper's either: "
                  + AlibabaSecret.whyNotTakenOver(secret, f.secretName, pullSecretDomains(f))
                      .orElse("");
      f.add(
          "secret",
          Outcome.FAILED,
          "Secret " + ref + " " + whose + " (a clash" + notAlibabas + ")",
          Doctor.RANK_SECRET,
          "Secret " + ref + " " + whose + ": a clash, never overwritten;",
          "delete or rename it so the refresher (instance " + f.s.instance() + ") can write it,",
          "or give this refresher another secret-name (" + f.cm + ")");
      return;
    }
    if (!readLogin(f, secret)) {
      return;
    }
    String expires =
        secret.getMetadata().getAnnotations() == null
            ? null
            : secret.getMetadata().getAnnotations().get(PullSecretSync.EXPIRES_AT_ANNOTATION);
    Instant now = f.s.clock().instant();
    Instant at = null;
    try {
      at = expires == null ? null : Instant.parse(expires.trim());
    } catch (DateTimeParseException e) {
      at = null;
    }
    if (at != null && !at.isAfter(now)) {
      f.add(
          "secret",
          Outcome.FAILED,
          "Secret "
              + ref
              + ": its token expired at "
              + at
              + " ("
              + ago(Duration.between(at, now))
              + " ago)",
          Doctor.RANK_LOGIN,
          "the token in Secret " + ref + " expired at " + at + ": the refresher did not renew it;",
          "check that it runs and leads ('acr-credential status') and read its log");
      return;
    }
    f.pass(
        "secret",
        "Secret "
            + ref
            + " is ours (instance "
            + f.s.instance()
            + "), login for "
            + f.image.host()
            + (at == null
                ? ""
                : ", token valid until " + at + " (" + ago(Duration.between(now, at)) + ")"));
  }

  /** Reads the Secret's login for the image's host into {@code f.auth}; false after a failure. */
  private static boolean readLogin(Findings f, V1Secret secret) {
    String ref = f.ns + "/" + f.secretName;
    byte[] json = secret.getData() == null ? null : secret.getData().get(".dockerconfigjson");
    if (!"kubernetes.io/dockerconfigjson".equals(secret.getType()) || json == null) {
      f.add(
          "secret",
          Outcome.FAILED,
          "Secret " + ref + " has no .dockerconfigjson",
          Doctor.RANK_SECRET,
          "Secret " + ref + " is not a kubernetes.io/dockerconfigjson Secret; delete it so the",
          "refresher writes it again");
      return false;
    }
    try {
      f.auth = DockerConfig.decode(json).auth(f.image.host()).orElse(null);
    } catch (RuntimeException e) {
      f.auth = null;
    }
    if (f.auth == null) {
      f.add(
          "secret",
          Outcome.FAILED,
          "Secret " + ref + " holds no login for " + f.image.host(),
          Doctor.RANK_SECRET,
          "Secret " + ref + " holds no login for " + f.image.host() + "; delete it so the",
          "refresher writes it again, and check domains in acr-registry-info (" + f.cm + ")");
      return false;
    }
    return true;
  }

  /**
   * The domains the pull Secret holds: the image's, or with the combined layout every configured
   * one.
   */
  private static List<String> pullSecretDomains(Findings f) {
    if (f.config.secretLayout().kind() != SecretLayout.Kind.COMBINED) {
      return List.of(f.domain);
    }
    Set<String> all = new TreeSet<>();
    all.add(f.domain);
    for (RegistryEntry e : f.config.registries()) {
      e.target().domains().forEach(d -> all.add(d.toLowerCase(Locale.ROOT)));
    }
    return List.copyOf(all);
  }

  static String ago(Duration d) {
    long m = d.toMinutes();
    return m >= 120 ? d.toHours() + " h" : m >= 1 ? m + " min" : d.toSeconds() + " s";
  }

  private static void login(Findings f) {
    if (!f.s.registryLogin()) {
      f.na("registry login", "skipped (--skip-registry-login)");
      return;
    }
    if (f.auth == null) {
      f.na("registry login", "no login in a Secret to try");
      return;
    }
    RegistryLogin.Result r =
        new RegistryLogin(f.s.timeout()).check(f.image, f.auth.username(), f.auth.password());
    String ref = f.ns + "/" + f.secretName;
    if (r.kind() == RegistryLogin.Kind.REJECTED && f.alibabas) {
      f.add(
          "registry login",
          Outcome.FAILED,
          "the registry rejected Secret " + ref + "'s login (" + r.detail() + ")",
          Doctor.RANK_LOGIN,
          "the registry rejected the token Alibaba's helper wrote in Secret " + ref + " (401);",
          "the refresher takes the Secret over at its next reconcile: check that it runs and",
          "leads ('acr-credential status') and read its log");
      return;
    }
    switch (r.kind()) {
      case ACCEPTED ->
          f.pass(
              "registry login",
              "the registry accepted Secret " + ref + "'s login (" + r.detail() + ")");
      case REJECTED ->
          f.add(
              "registry login",
              Outcome.FAILED,
              "the registry rejected Secret " + ref + "'s login (" + r.detail() + ")",
              Doctor.RANK_LOGIN,
              "the registry rejected the token in Secret " + ref + " (401): it expired or was",
              "revoked and the refresher did not renew it; check that it runs and leads",
              "('acr-credential status'), read its log, or delete the Secret to have it rewritten");
      case DENIED ->
          f.add(
              "registry login",
              Outcome.FAILED,
              "logged in, but pulling " + f.image.repository() + " is denied (" + r.detail() + ")",
              Doctor.RANK_LOGIN,
              "the identity in acr-registry-info (" + f.cm + ") may log in to " + f.image.host(),
              "but not pull " + f.image.repository() + "; grant it pull on that repository");
      case NOT_FOUND ->
          f.add(
              "registry login",
              Outcome.FAILED,
              "logged in, but " + f.image + " does not exist (" + r.detail() + ")",
              Doctor.RANK_LOGIN,
              "image " + f.image + " does not exist in the registry;",
              "fix the image reference of the Pod or push the image");
      default -> f.unknown("registry login", r.detail());
    }
  }
}
