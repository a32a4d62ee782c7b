package io.acrcredential.examples.doctor;

import io.acrcredential.examples.doctor.Doctor.Check;
import io.acrcredential.examples.doctor.Doctor.Outcome;
import java.nio.file.Path;
import java.util.Optional;

/** The kubelet credential provider configuration: does a provider's matchImages match the image. */
final class PluginCheck implements Step {

  @Override
  public void run(Findings f) {
    plugin(f);
  }

  private static void plugin(Findings f) {
    if (f.s.credentialProviderConfig().isEmpty()) {
      f.na("kubelet plugin", "no --credential-provider-config given");
      return;
    }
    Path file = f.s.credentialProviderConfig().get();
    CredentialProviderConfig c;
    try {
      c = CredentialProviderConfig.read(file);
    } catch (IllegalArgumentException e) {
      f.add(
          "kubelet plugin",
          Outcome.FAILED,
          Text.bounded(e.getMessage(), 300),
          Doctor.RANK_PLUGIN,
          "the kubelet's credential provider configuration " + file + " is unusable:",
          Text.bounded(e.getMessage(), 200));
      return;
    }
    Optional<String> match = c.match(f.image);
    if (match.isPresent()) {
      f.pass("kubelet plugin", "provider " + match.get() + " matches " + f.image.host());
      return;
    }
    String providers =
        c.providers().stream()
            .map(CredentialProviderConfig.Provider::name)
            .reduce((a, b) -> a + ", " + b)
            .orElse("none");
    // a Pod outside the pull Secrets' scope can only pull through the plugin: that is the cause
    Optional<Check> outOfScope =
        f.checks.stream()
            .filter(x -> x.outcome() == Outcome.FAILED)
            .filter(
                x ->
                    x.rank() == Doctor.RANK_NAMESPACE
                        || x.rank() == Doctor.RANK_SERVICE_ACCOUNT
                        || x.rank() == Doctor.RANK_REGISTRY)
            .findFirst();
    f.add(
        "kubelet plugin",
        Outcome.FAILED,
        "no provider's matchImages in "
            + file
            + " matches "
            + f.image.host()
            + " (providers: "
            + providers
            + ")"
            + outOfScope.map(x -> "; no pull Secret either: " + x.detail()).orElse(""),
        outOfScope.isPresent() ? Doctor.RANK_PLUGIN_ONLY_PATH : Doctor.RANK_PLUGIN,
        "no matchImages pattern in " + file + " matches " + f.image.host() + ";",
        "add \""
            + f.image.host()
            + "\" to the acr-credential provider's matchImages (a port must be",
        "written in the pattern too) and restart the kubelet");
  }
}
