package io.acrcredential.examples.doctor;

import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1LocalObjectReference;
import java.util.List;
import java.util.Objects;

/**
 * The {@code imagePullSecrets} of the ServiceAccount and of the Pod (copied from the ServiceAccount
 * when the Pod was created).
 */
final class PullSecretLists implements Step {

  @Override
  public void run(Findings f) {
    serviceAccountList(f);
    podList(f);
  }

  private static void serviceAccountList(Findings f) {
    String ref = f.ns + "/" + f.sa;
    try {
      f.account = f.core.readNamespacedServiceAccount(f.sa, f.ns).execute();
    } catch (ApiException e) {
      if (e.getCode() == 404) {
        f.add(
            "service account pull secrets",
            Outcome.FAILED,
            "ServiceAccount " + ref + " does not exist",
            Doctor.RANK_SERVICE_ACCOUNT,
            "ServiceAccount "
                + ref
                + " does not exist; create it (Pods cannot be created without it)");
      } else {
        f.unknown(
            "service account pull secrets", Doctor.apiProblem(e, "get", "serviceaccounts", f.ns));
      }
      return;
    }
    if (f.secretName == null) {
      f.na("service account pull secrets", "no pull Secret expected");
      return;
    }
    if (names(f.account.getImagePullSecrets()).contains(f.secretName)) {
      f.pass("service account pull secrets", "ServiceAccount " + ref + " lists " + f.secretName);
      return;
    }
    if (f.config != null && !f.config.serviceAccounts().patch()) {
      f.add(
          "service account pull secrets",
          Outcome.FAILED,
          "ServiceAccount "
              + ref
              + " does not list "
              + f.secretName
              + " (patch-service-accounts: false)",
          Doctor.RANK_SA_LIST,
          "patch-service-accounts is false (" + f.cm + "): add " + f.secretName,
          "to imagePullSecrets of ServiceAccount " + ref + " or of the Pod, or enable the webhook");
      return;
    }
    f.add(
        "service account pull secrets",
        Outcome.FAILED,
        "ServiceAccount " + ref + " does not list " + f.secretName,
        Doctor.RANK_SA_LIST,
        "ServiceAccount "
            + ref
            + " does not list Secret "
            + f.secretName
            + ": the refresher has not",
        "patched it; check that it runs and leads ('acr-credential status') and read its log");
  }

  static List<String> names(List<V1LocalObjectReference> refs) {
    return refs == null
        ? List.of()
        : refs.stream().map(V1LocalObjectReference::getName).filter(Objects::nonNull).toList();
  }

  private static void podList(Findings f) {
    if (f.pod == null) {
      f.na(
          "pod pull secrets",
          "no Pod (--image): a new Pod gets its ServiceAccount's imagePullSecrets");
      return;
    }
    if (f.secretName == null) {
      f.na("pod pull secrets", "no pull Secret expected");
      return;
    }
    String ref = f.ns + "/" + f.pod.getMetadata().getName();
    List<String> listed = names(f.pod.getSpec().getImagePullSecrets());
    if (listed.contains(f.secretName)) {
      f.pass("pod pull secrets", "Pod " + ref + " lists " + f.secretName);
      return;
    }
    boolean saHas =
        f.account != null && names(f.account.getImagePullSecrets()).contains(f.secretName);
    if (saHas) {
      f.add(
          "pod pull secrets",
          Outcome.FAILED,
          "Pod "
              + ref
              + " does not list "
              + f.secretName
              + " but its ServiceAccount does: created before the patch",
          Doctor.RANK_POD_LIST,
          "Pod "
              + ref
              + " was created before its ServiceAccount listed the pull Secret "
              + f.secretName
              + ";",
          "delete the Pod so its owner recreates it, or enable the webhook");
      return;
    }
    f.add(
        "pod pull secrets",
        Outcome.FAILED,
        "Pod " + ref + " does not list " + f.secretName,
        Doctor.RANK_POD_LIST,
        "Pod " + ref + " does not list the pull Secret " + f.secretName + ";",
        "fix its ServiceAccount first, then delete the Pod so its owner recreates it");
  }
}
