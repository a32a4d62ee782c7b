package io.acrcredential.examples.doctor;

import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.TokenException;
import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.acrcredential.k8s.config.IdentitySpec;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.apis.AuthorizationV1Api;
import io.kubernetes.client.openapi.models.V1ResourceAttributes;
import io.kubernetes.client.openapi.models.V1SubjectAccessReview;
import io.kubernetes.client.openapi.models.V1SubjectAccessReviewSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the refresher needs from outside: a token from ACR with the configured identity (RAM), and
 * RBAC to write the Secret and patch the ServiceAccount.
 */
final class AcrChecks implements Step {

  @Override
  public void run(Findings f) {
    acr(f);
    rbac(f);
  }

  private static void acr(Findings f) {
    if (f.entry == null) {
      f.na(
          "acr",
          f.domain != null
              ? "instance configured by name only (acr-registry)"
              : "no configured registry");
      return;
    }
    if (f.s.acr().isEmpty()) {
      f.na("acr", "skipped (--skip-acr)");
      return;
    }
    Optional<RegistryCredential> c = f.fetch(f.entry);
    String who = identity(f.entry.identity());
    if (c.isPresent()) {
      f.pass(
          "acr",
          "GetAuthorizationToken for " + f.entry.target().describe() + " succeeded as " + who);
      return;
    }
    TokenException e = f.acrFailures.get(f.entry.target());
    if (e == null) {
      f.unknown("acr", "GetAuthorizationToken failed without a reason");
      return;
    }
    String code = e.errorCode().map(x -> " [" + x + "]").orElse("");
    String message = Text.bounded(e.getMessage(), 200) + code;
    switch (e.reason()) {
      case PERMISSION_DENIED -> {
        String resource =
            f.entry
                .target()
                .instanceId()
                .map(
                    id ->
                        "instance "
                            + id
                            + " (acs:cr:"
                            + f.entry.target().regionId()
                            + ":*:instance/"
                            + id
                            + ")")
                .orElse("the Personal Edition registry in " + f.entry.target().regionId());
        f.add(
            "acr",
            Outcome.FAILED,
            "ACR refused GetAuthorizationToken as " + who + ": " + message,
            Doctor.RANK_ACR,
            "ACR refuses tokens" + code + ": grant cr:GetAuthorizationToken on " + resource,
            "to " + who);
      }
      case INVALID_CREDENTIALS, NOT_FOUND, INVALID_CONFIGURATION -> {
        f.add(
            "acr",
            Outcome.FAILED,
            "GetAuthorizationToken for "
                + f.entry.target().describe()
                + " failed as "
                + who
                + ": "
                + message,
            Doctor.RANK_ACR,
            "ACR cannot issue a token for " + f.entry.target().describe() + code + ":",
            Text.bounded(e.getMessage(), 200),
            "fix the identity or the registry in acr-registry-info (" + f.cm + ")");
      }
      default -> f.unknown("acr", "cannot reach ACR as " + who + ": " + message);
    }
  }

  static String identity(IdentitySpec id) {
    String base;
    if (id.source() instanceof IdentitySpec.AccessKey k) {
      base = "AccessKey " + k.maskedId();
    } else if (id.source() instanceof IdentitySpec.Rrsa r) {
      base = "RRSA role " + r.roleArn().orElse("(from the Pod's environment)");
    } else {
      base = "the default credential chain of this process";
    }
    return base + id.assumeRole().map(a -> ", assuming " + a.roleArn()).orElse("");
  }

  private static void rbac(Findings f) {
    int slash = f.s.refresher().indexOf('/');
    String user =
        "system:serviceaccount:"
            + f.s.refresher().substring(0, slash)
            + ":"
            + f.s.refresher().substring(slash + 1);
    AuthorizationV1Api authz = new AuthorizationV1Api(f.s.api());
    List<String> denied = new ArrayList<>();
    String[][] needs = {
      {"create", "secrets", null},
      {"update", "secrets", f.secretName},
      {"update", "serviceaccounts", f.sa}
    };
    for (String[] need : needs) {
      if (need[0].equals("update") && need[1].equals("secrets") && f.secretName == null) {
        continue;
      }
      if (need[1].equals("serviceaccounts")
          && f.config != null
          && !f.config.serviceAccounts().patch()) {
        continue;
      }
      V1SubjectAccessReview review =
          new V1SubjectAccessReview()
              .spec(
                  new V1SubjectAccessReviewSpec()
                      .user(user)
                      .groups(
                          List.of(
                              "system:serviceaccounts",
                              "system:serviceaccounts:" + f.s.refresher().substring(0, slash),
                              "system:authenticated"))
                      .resourceAttributes(
                          new V1ResourceAttributes()
                              .namespace(f.ns)
                              .verb(need[0])
                              .resource(need[1])
                              .name(need[2])));
      try {
        V1SubjectAccessReview r = authz.createSubjectAccessReview(review).execute();
        if (r.getStatus() == null || !Boolean.TRUE.equals(r.getStatus().getAllowed())) {
          denied.add(need[0] + " " + need[1] + (need[2] == null ? "" : "/" + need[2]));
        }
      } catch (ApiException e) {
        f.unknown(
            "rbac",
            Doctor.apiProblem(e, "create", "subjectaccessreviews.authorization.k8s.io", null));
        return;
      }
    }
    if (denied.isEmpty()) {
      f.pass(
          "rbac",
          "ServiceAccount "
              + f.s.refresher()
              + " may write Secrets and ServiceAccounts in "
              + f.ns);
      return;
    }
    f.add(
        "rbac",
        Outcome.FAILED,
        "ServiceAccount "
            + f.s.refresher()
            + " may not "
            + String.join(", ", denied)
            + " in "
            + f.ns,
        Doctor.RANK_RBAC,
        "the refresher's ServiceAccount "
            + f.s.refresher()
            + " may not "
            + String.join(", ", denied),
        "in namespace "
            + f.ns
            + "; apply deploy/base/rbac.yaml (ClusterRole acr-credential) with the",
        "pull Secret names in its resourceNames, or pass --refresher-service-account");
  }
}
