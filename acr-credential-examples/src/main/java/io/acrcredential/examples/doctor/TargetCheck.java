package io.acrcredential.examples.doctor;

import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.acr.AcrHost;
import io.acrcredential.examples.doctor.Doctor.Outcome;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.models.V1ContainerStatus;
import io.kubernetes.client.openapi.models.V1Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/** The checked object: the Pod (or image, namespace and ServiceAccount) and its image host. */
final class TargetCheck {

  private TargetCheck() {}

  static String target(Findings f) {
    if (f.s.pod().isPresent()) {
      String ref = f.s.pod().get();
      int slash = ref.indexOf('/');
      f.ns = ref.substring(0, slash);
      String name = ref.substring(slash + 1);
      try {
        f.pod = f.core.readNamespacedPod(name, f.ns).execute();
      } catch (ApiException e) {
        f.add(
            "pod",
            Outcome.UNKNOWN,
            e.getCode() == 404
                ? "Pod " + ref + " not found"
                : Doctor.apiProblem(e, "get", "pods", f.ns),
            Doctor.RANK_TARGET);
        throw new Findings.Stop("Pod " + ref);
      }
      f.sa =
          f.pod.getSpec() == null || f.pod.getSpec().getServiceAccountName() == null
              ? "default"
              : f.pod.getSpec().getServiceAccountName();
      String chosen = pickImage(f.pod);
      if (chosen == null) {
        f.add("pod", Outcome.UNKNOWN, "Pod " + ref + " has no container image", Doctor.RANK_TARGET);
        throw new Findings.Stop("Pod " + ref);
      }
      parseImage(f, chosen, "Pod " + ref);
      return "Pod " + ref + ", image " + f.image + ", ServiceAccount " + f.sa;
    }
    f.ns = f.s.namespace().get();
    f.sa = f.s.serviceAccount().orElse("default");
    parseImage(f, f.s.image().get(), "image");
    return "image " + f.image + " in namespace " + f.ns + ", ServiceAccount " + f.sa;
  }

  static void parseImage(Findings f, String ref, String target) {
    try {
      f.image = ImageReference.parse(ref);
    } catch (IllegalArgumentException e) {
      f.add("image host", Outcome.UNKNOWN, e.getMessage(), Doctor.RANK_TARGET);
      throw new Findings.Stop(target);
    }
    Optional<AcrHost> host = AcrHost.parse(f.image.host());
    if (host.isPresent()) {
      AcrHost h = host.get();
      f.pass(
          "image host",
          f.image.host()
              + " is ACR "
              + (h.edition() == RegistryEdition.ENTERPRISE
                  ? "Enterprise Edition instance " + h.instanceName().orElse("?")
                  : "Personal Edition"
                      + h.personalInstanceId().map(id -> " instance " + id).orElse(""))
              + " in "
              + h.regionId()
              + " ("
              + h.network().name().toLowerCase(Locale.ROOT)
              + (h.distributed() ? ", P2P" : "")
              + (h.international() ? ", international" : "")
              + ")");
    } else {
      f.pass(
          "image host",
          f.image.host() + " is not an ACR host name; it can still be a configured custom domain");
    }
  }

  /** The image the Pod fails to pull, else its first ACR image, else its first image. */
  static String pickImage(V1Pod pod) {
    List<String> images = new ArrayList<>();
    if (pod.getSpec() != null) {
      if (pod.getSpec().getInitContainers() != null) {
        pod.getSpec().getInitContainers().forEach(c -> images.add(c.getImage()));
      }
      if (pod.getSpec().getContainers() != null) {
        pod.getSpec().getContainers().forEach(c -> images.add(c.getImage()));
      }
    }
    images.removeIf(Objects::isNull);
    if (pod.getStatus() != null) {
      List<V1ContainerStatus> statuses = new ArrayList<>();
      if (pod.getStatus().getInitContainerStatuses() != null) {
        statuses.addAll(pod.getStatus().getInitContainerStatuses());
      }
      if (pod.getStatus().getContainerStatuses() != null) {
        statuses.addAll(pod.getStatus().getContainerStatuses());
      }
      for (V1ContainerStatus cs : statuses) {
        if (cs.getState() != null
            && cs.getState().getWaiting() != null
            && pullFailure(cs.getState().getWaiting().getReason())
            && cs.getImage() != null) {
          return cs.getImage();
        }
      }
    }
    for (String i : images) {
      try {
        if (AcrHost.parse(ImageReference.parse(i).host()).isPresent()) {
          return i;
        }
      } catch (IllegalArgumentException e) {
        // not a valid reference: keep looking
      }
    }
    return images.isEmpty() ? null : images.get(0);
  }

  static boolean pullFailure(String reason) {
    return "ErrImagePull".equals(reason) || "ImagePullBackOff".equals(reason);
  }
}
