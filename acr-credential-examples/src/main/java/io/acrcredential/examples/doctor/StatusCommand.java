package io.acrcredential.examples.doctor;

import io.acrcredential.examples.cli.BasicCommand;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.ClusterOptions;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.sync.SyncCommand;
import io.acrcredential.k8s.config.AcrConfigParser;
import java.net.URI;
import java.util.Optional;

/**
 * {@code status}: what the refresher keeps, read from the cluster (see {@link Status}); this class
 * parses the options and prints.
 */
public final class StatusCommand extends BasicCommand {

  private static final Options OPTIONS =
      new Options("status")
          .with(ClusterOptions::refresher)
          .value(
              "lease",
              "NS/NAME",
              null,
              "the leader-election Lease (default: the ConfigMap's namespace/"
                  + SyncCommand.DEFAULT_LEASE
                  + ")")
          .value(
              "metrics-url", "URL", null, "also show the token figures of the refresher's /metrics")
          .value("output", "FORMAT", null, "text (default) or json")
          .with(ClusterOptions::kubeconfig)
          .with(ClusterOptions.region("the cluster's region, as given to sync"));

  /** The command with its options and help. */
  public StatusCommand() {
    super(
        "status",
        "show tokens, Secrets, ServiceAccount entries, clashes and the leader",
        "Usage: acr-credential status [options]\n\n"
            + "Reads, with your kubeconfig, what the refresher keeps: per registry domain the token's\n"
            + "expiry and when its Secrets were last written, per namespace in scope whether its pull\n"
            + "Secrets and ServiceAccount entries are in place, Secrets of the same name it does not\n"
            + "own (clashes), and the Lease holder. Needs get/list only; never prints a secret.\n"
            + "Exit: 0 everything in place, 1 something missing, expired or clashing, 2 cannot read.\n\n",
        OPTIONS);
  }

  @Override
  public int run(Options.Parsed p, Invocation io) {
    p.requireNoPositional();
    boolean json = p.jsonOutput();
    String cm =
        DoctorCommand.objectRef(
            p.value("configmap").orElse(SyncCommand.DEFAULT_CONFIGMAP), "--configmap");
    String cmNs = cm.substring(0, cm.indexOf('/'));
    String lease =
        DoctorCommand.objectRef(
            p.value("lease").orElse(cmNs + "/" + SyncCommand.DEFAULT_LEASE), "--lease");
    Optional<URI> metrics;
    try {
      metrics = p.value("metrics-url").map(URI::create);
      metrics.ifPresent(
          u -> {
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
              throw new IllegalArgumentException("not http(s)");
            }
          });
    } catch (IllegalArgumentException e) {
      throw CliException.usage("invalid --metrics-url: use http://HOST:PORT/metrics");
    }
    AcrConfigParser parser = ClusterOptions.configParser(p);
    Status.Settings settings;
    try {
      settings =
          new Status.Settings(
              SyncCommand.kubeClient(p.value("kubeconfig")),
              cmNs,
              cm.substring(cmNs.length() + 1),
              p.value("instance").orElse("default"),
              parser,
              lease.substring(0, lease.indexOf('/')),
              lease.substring(lease.indexOf('/') + 1),
              metrics,
              io.clock());
    } catch (CliException e) {
      throw new CliException(2, e.getMessage(), e);
    }
    Status.Result r = Status.run(settings);
    io.out().print(json ? r.json() : r.text());
    io.out().flush();
    return r.exitCode();
  }
}
