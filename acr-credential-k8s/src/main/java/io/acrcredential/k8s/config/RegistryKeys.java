package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigKeys.*;

import io.acrcredential.core.RegistryEdition;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.acr.AcrHost;
import io.acrcredential.k8s.internal.Names;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The registry keys: {@code acr-registry-info} (items with their domains and identities) and the
 * older {@code acr-registry} domain list.
 */
final class RegistryKeys {

  private final Problems problems;
  private final YamlFields yaml;
  private final Optional<String> clusterRegion;
  private final IdentityFields identities;

  RegistryKeys(Problems problems, YamlFields yaml, Optional<String> clusterRegion) {
    this.problems = problems;
    this.yaml = yaml;
    this.clusterRegion = clusterRegion;
    this.identities = new IdentityFields(problems, yaml);
  }

  static final int MAX_DOMAINS_PER_REGISTRY = 50;

  static final String FIELD_INSTANCE_ID = "instanceId";
  static final String FIELD_REGION_ID = "regionId";
  static final String FIELD_DOMAINS = "domains";
  static final String FIELD_ASSUME_ROLE_ARN = "assumeRoleARN";
  static final String FIELD_EXPIRE_DURATION = "expireDuration";
  static final String FIELD_RRSA_ROLE_ARN = "rrsaRoleARN";
  static final String FIELD_RRSA_OIDC_ARN = "rrsaOIDCProviderRoleARN";
  static final String FIELD_ACCESS_KEY = "customAccessKey";
  static final String FIELD_ACCESS_KEY_SECRET = "customAccessKeySecret";
  static final List<String> REGISTRY_FIELDS =
      List.of(
          FIELD_INSTANCE_ID,
          FIELD_REGION_ID,
          FIELD_DOMAINS,
          FIELD_ASSUME_ROLE_ARN,
          FIELD_EXPIRE_DURATION,
          FIELD_RRSA_ROLE_ARN,
          FIELD_RRSA_OIDC_ARN,
          FIELD_ACCESS_KEY,
          FIELD_ACCESS_KEY_SECRET);

  private static final String REGION_RULE =
      "expected a region id such as cn-hangzhou or ap-southeast-1";
  private static final String INSTANCE_RULE =
      "expected an Enterprise Edition instance id: cri- followed by 4 to 64 lower-case letters or"
          + " digits, or \"\" for Personal Edition";

  Void parseRegistries(Map<String, String> values, boolean rrsa, AcrConfiguration.Builder b) {
    boolean infoPresent =
        ParseRun.present(values, ACR_REGISTRY_INFO)
            && (values.get(ACR_REGISTRY_INFO) == null
                || ParseRun.usable(values.get(ACR_REGISTRY_INFO)));
    boolean oldPresent =
        ParseRun.present(values, ACR_REGISTRY)
            && (values.get(ACR_REGISTRY) == null || ParseRun.usable(values.get(ACR_REGISTRY)));
    for (String k : List.of(ACR_REGISTRY_INFO, ACR_REGISTRY)) {
      if (values.get(k) != null && !ParseRun.usable(values.get(k))) {
        problems.warn(k, k, "is empty and is ignored");
      }
    }
    IdentitySpec ambient = rrsa ? IdentitySpec.rrsaFromEnvironment() : IdentitySpec.defaultChain();
    List<RegistryEntry> entries = new ArrayList<>();
    List<NamedInstanceRegistry> named = new ArrayList<>();
    if (infoPresent) {
      if (values.get(ACR_REGISTRY_INFO) != null) {
        parseRegistryInfo(values.get(ACR_REGISTRY_INFO), rrsa, entries);
      }
      if (oldPresent) {
        problems.warn(
            ACR_REGISTRY,
            ACR_REGISTRY,
            "is ignored because acr-registry-info is set; move its domains there");
      }
    } else if (oldPresent) {
      if (values.get(ACR_REGISTRY) != null) {
        parseOldRegistry(values.get(ACR_REGISTRY), ambient, entries, named);
      }
    } else if (clusterRegion.isPresent()) {
      entries.add(
          new RegistryEntry(RegistryTarget.personal(clusterRegion.get()), ambient, "default"));
    } else {
      problems.error(
          ACR_REGISTRY_INFO,
          ACR_REGISTRY_INFO,
          "no registry is configured and the cluster's region is unknown, so the default (Personal"
              + " Edition in the cluster's region) cannot be used; add acr-registry-info or give the"
              + " parser the cluster's region");
    }
    entries.forEach(b::addRegistry);
    named.forEach(b::addRegistryByInstanceName);
    return null;
  }

  void parseRegistryInfo(String text, boolean rrsa, List<RegistryEntry> entries) {
    String key = ACR_REGISTRY_INFO;
    Node root = yaml.compose(key, text);
    if (root == null) {
      return;
    }
    List<Node> items;
    if (root instanceof SequenceNode seq && Tag.SEQ.equals(root.getTag())) {
      items = seq.getValue();
    } else if (root instanceof MappingNode && Tag.MAP.equals(root.getTag())) {
      problems.warn(
          key,
          key,
          "expected a YAML list (items start with '- '); reading the single mapping as a one-item list");
      items = List.of(root);
    } else {
      problems.error(
          key,
          key,
          "expected a YAML list of registries (items start with '- '), got "
              + YamlFields.describe(root));
      return;
    }
    if (items.size() > MAX_REGISTRIES) {
      problems.error(
          key,
          key,
          "lists "
              + items.size()
              + " registries; at most "
              + MAX_REGISTRIES
              + " are allowed, the rest are ignored");
      items = items.subList(0, MAX_REGISTRIES);
    }
    Map<String, String> targetOwners = new LinkedHashMap<>();
    Map<String, String> domainOwners = new LinkedHashMap<>();
    for (int i = 0; i < items.size(); i++) {
      String loc = key + "[" + i + "]";
      Optional<RegistryEntry> e = parseRegistryItem(loc, items.get(i), rrsa);
      if (e.isEmpty()) {
        continue;
      }
      RegistryTarget t = e.get().target();
      String id = t.edition() + "/" + t.regionId() + "/" + t.instanceId().orElse("");
      String earlier = targetOwners.putIfAbsent(id, loc);
      if (earlier != null) {
        problems.error(
            key,
            loc,
            "configures the same registry (" + t.describe() + ") as " + earlier + "; remove one");
        continue;
      }
      String clash = null;
      for (String d : t.domains()) {
        if (domainOwners.containsKey(d)) {
          clash = d;
          break;
        }
      }
      if (clash != null) {
        problems.error(
            key,
            loc + "." + FIELD_DOMAINS,
            "domain "
                + yaml.echo(clash)
                + " is already configured by "
                + domainOwners.get(clash)
                + "; a domain can belong to one registry only");
        targetOwners.remove(id);
        continue;
      }
      t.domains().forEach(d -> domainOwners.put(d, loc));
      entries.add(e.get());
    }
  }

  Optional<RegistryEntry> parseRegistryItem(String loc, Node node, boolean rrsa) {
    String key = ACR_REGISTRY_INFO;
    int errorsBefore = problems.errorCount();
    Map<String, Node> f = yaml.readMapping(key, loc, node, REGISTRY_FIELDS);
    if (f == null) {
      return Optional.empty();
    }
    String instanceId = yaml.optionalString(ACR_REGISTRY_INFO, loc, f, FIELD_INSTANCE_ID);
    String regionId = yaml.optionalString(ACR_REGISTRY_INFO, loc, f, FIELD_REGION_ID);
    List<String> domains = readDomains(loc, f.get(FIELD_DOMAINS));
    IdentitySpec identity = identities.read(loc, f, rrsa);

    String region = null;
    if (regionId != null && !regionId.isBlank()) {
      region = checkRegion(key, loc + "." + FIELD_REGION_ID, regionId.strip());
    } else if (clusterRegion.isPresent()) {
      region = clusterRegion.get();
    } else {
      problems.error(
          key,
          loc + "." + FIELD_REGION_ID,
          "is missing and the cluster's region is unknown; set regionId, e.g. cn-hangzhou");
    }
    String instance = null;
    if (instanceId != null && !instanceId.isBlank()) {
      String v = instanceId.strip();
      if (v.length() > 80 || !v.matches("cri-[a-z0-9]+")) {
        problems.error(
            key,
            loc + "." + FIELD_INSTANCE_ID,
            yaml.echo(v) + " is not an instance id; " + INSTANCE_RULE);
      } else {
        instance = v;
      }
    }
    if (problems.errorCount() > errorsBefore
        || region == null
        || identity == null
        || domains == null) {
      return Optional.empty();
    }
    RegistryTarget target;
    try {
      target =
          instance == null
              ? RegistryTarget.personal(region)
              : RegistryTarget.enterprise(region, instance);
    } catch (IllegalArgumentException e) {
      String field = instance == null ? FIELD_REGION_ID : FIELD_INSTANCE_ID;
      String value = instance == null ? region : instance;
      problems.error(
          key,
          loc + "." + field,
          yaml.echo(value) + " is not valid; " + (instance == null ? REGION_RULE : INSTANCE_RULE));
      return Optional.empty();
    }
    warnDomainMismatches(loc, target, domains);
    return Optional.of(new RegistryEntry(target.withDomains(domains), identity, loc));
  }

  String checkRegion(String key, String loc, String region) {
    if (region.length() > 64 || !region.matches("[a-z0-9-]+")) {
      problems.error(key, loc, yaml.echo(region) + " is not a region id; " + REGION_RULE);
      return null;
    }
    try {
      RegistryTarget.personal(region);
      return region;
    } catch (IllegalArgumentException e) {
      problems.error(key, loc, yaml.echo(region) + " is not a region id; " + REGION_RULE);
      return null;
    }
  }

  /** The domains field: a comma-separated string or a YAML list of strings. Null on error. */
  List<String> readDomains(String loc, Node node) {
    String key = ACR_REGISTRY_INFO;
    String floc = loc + "." + FIELD_DOMAINS;
    List<String> raw = new ArrayList<>();
    if (node == null) {
      return List.of();
    }
    if (node instanceof SequenceNode seq && Tag.SEQ.equals(node.getTag())) {
      for (Node item : seq.getValue()) {
        if (raw.size() >= MAX_DOMAINS_PER_REGISTRY + 1) {
          break;
        }
        String s = yaml.readString(key, floc, item, false);
        if (s == null) {
          return null;
        }
        raw.add(s);
      }
    } else {
      String s = yaml.readString(key, floc, node, false);
      if (s == null) {
        return null;
      }
      for (String part : s.split(",", MAX_DOMAINS_PER_REGISTRY + 2)) {
        raw.add(part);
      }
    }
    List<String> domains = new ArrayList<>();
    boolean ok = true;
    for (String r : raw) {
      String d = r.strip().toLowerCase(Locale.ROOT);
      if (d.isEmpty()) {
        continue;
      }
      if (domains.size() >= MAX_DOMAINS_PER_REGISTRY) {
        problems.error(key, floc, "lists more than " + MAX_DOMAINS_PER_REGISTRY + " domains");
        return null;
      }
      if (d.contains("*")) {
        problems.error(
            key,
            floc,
            yaml.echo(r.strip())
                + " contains '*'; write the region out (the '*' shorthand belongs to the old acr-registry key)");
        ok = false;
        continue;
      }
      String p = Names.checkHost(d);
      if (p != null) {
        problems.error(key, floc, yaml.echo(r.strip()) + " is not a registry domain; " + p);
        ok = false;
        continue;
      }
      if (domains.contains(d)) {
        problems.warn(key, floc, "domain " + yaml.echo(d) + " is listed twice");
        continue;
      }
      domains.add(d);
    }
    return ok ? domains : null;
  }

  void warnDomainMismatches(String loc, RegistryTarget target, List<String> domains) {
    String floc = loc + "." + FIELD_DOMAINS;
    for (String d : domains) {
      Optional<AcrHost> host = AcrHost.parse(d);
      String domainRegion = host.map(AcrHost::regionId).orElse(null);
      if (host.isPresent() && host.get().edition() == RegistryEdition.ENTERPRISE) {
        if (target.instanceId().isEmpty()) {
          problems.warn(
              ACR_REGISTRY_INFO,
              floc,
              yaml.echo(d)
                  + " looks like an Enterprise Edition domain but instanceId is empty (Personal Edition); set instanceId");
        }
      } else if (host.isPresent()) {
        if (target.instanceId().isPresent()) {
          problems.warn(
              ACR_REGISTRY_INFO,
              floc,
              yaml.echo(d) + " looks like a Personal Edition domain but instanceId is set");
        }
      }
      if (domainRegion != null && !domainRegion.equals(target.regionId())) {
        problems.warn(
            ACR_REGISTRY_INFO,
            floc,
            yaml.echo(d)
                + " is in region "
                + domainRegion
                + " but the registry's region is "
                + target.regionId()
                + "; a token only works in its own region");
      }
    }
  }

  /** The oldest format: comma-separated domains with '*' standing for the cluster's region. */
  void parseOldRegistry(
      String value,
      IdentitySpec identity,
      List<RegistryEntry> entries,
      List<NamedInstanceRegistry> named) {
    String key = ACR_REGISTRY;
    Map<String, List<String>> personal = new LinkedHashMap<>();
    Map<List<String>, List<String>> enterprise = new LinkedHashMap<>();
    Set<String> seen = new LinkedHashSet<>();
    for (String item : yaml.splitList(key, value, MAX_REGISTRIES)) {
      String d = item.toLowerCase(Locale.ROOT);
      if (d.contains("*")) {
        if (!List.of(d.split("\\.", -1)).contains("*")
            || d.chars().filter(c -> c == '*').count() > 1) {
          problems.error(
              key,
              key,
              yaml.echo(item)
                  + ": '*' may only stand for the whole region label, as in registry.*.aliyuncs.com");
          continue;
        }
        if (clusterRegion.isEmpty()) {
          problems.error(
              key,
              key,
              yaml.echo(item)
                  + ": '*' stands for the cluster's region, which is unknown; write the region out (e.g. registry.cn-hangzhou.aliyuncs.com) or give the parser the cluster's region");
          continue;
        }
        d =
            String.join(
                ".",
                java.util.Arrays.stream(d.split("\\.", -1))
                    .map(l -> l.equals("*") ? clusterRegion.get() : l)
                    .toList());
      }
      String p = Names.checkHost(d);
      if (p != null) {
        problems.error(key, key, yaml.echo(item) + " is not a registry domain; " + p);
        continue;
      }
      if (!seen.add(d)) {
        problems.warn(key, key, "domain " + yaml.echo(d) + " is listed twice");
        continue;
      }
      Optional<AcrHost> host = AcrHost.parse(d);
      if (host.isPresent() && host.get().edition() == RegistryEdition.PERSONAL) {
        String region = host.get().regionId();
        if (checkRegion(key, key, region) != null) {
          personal.computeIfAbsent(region, r -> new ArrayList<>()).add(d);
        }
      } else if (host.isPresent()) {
        String region = host.get().regionId();
        if (checkRegion(key, key, region) != null) {
          enterprise
              .computeIfAbsent(
                  List.of(region, host.get().instanceName().orElseThrow()), r -> new ArrayList<>())
              .add(d);
        }
      } else {
        problems.error(
            key,
            key,
            yaml.echo(item)
                + " is not an ACR domain this key can map to a registry (registry[-vpc|-internal|-intl].<region>.aliyuncs.com"
                + " or <instance>-registry[-vpc].<region>.cr.aliyuncs.com); list it in acr-registry-info with its instanceId and regionId");
      }
    }
    personal.forEach(
        (region, ds) ->
            entries.add(
                new RegistryEntry(RegistryTarget.personal(region).withDomains(ds), identity, key)));
    enterprise.forEach(
        (rn, ds) -> named.add(new NamedInstanceRegistry(rn.get(0), rn.get(1), ds, identity, key)));
  }
}
