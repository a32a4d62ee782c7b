package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigKeys.*;

import io.acrcredential.k8s.internal.Names;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The namespace and ServiceAccount scope keys: {@code watch-namespace}, its selector and
 * exclusions, {@code service-account} and {@code patch-service-accounts}.
 */
final class ScopeKeys {

  static final int MAX_NAMESPACES = 10_000;
  static final int MAX_SERVICE_ACCOUNTS = 1_000;
  static final int MAX_EXCLUSIONS = 1_000;

  private final Problems problems;
  private final YamlFields yaml;

  ScopeKeys(Problems problems, YamlFields yaml) {
    this.problems = problems;
    this.yaml = yaml;
  }

  NamespaceScope parseNamespaces(Map<String, String> values) {
    String watch = values.get(WATCH_NAMESPACE);
    String selectorText = values.get(WATCH_NAMESPACE_SELECTOR);
    String exclude = values.get(EXCLUDE_NAMESPACE);

    Optional<LabelSelector> selector = Optional.empty();
    if (ParseRun.usable(selectorText)) {
      List<String> errors = new ArrayList<>();
      LabelSelector s = LabelSelector.parse(selectorText.strip(), errors);
      for (String err : errors) {
        problems.error(WATCH_NAMESPACE_SELECTOR, WATCH_NAMESPACE_SELECTOR, err);
      }
      if (errors.isEmpty()) {
        selector = Optional.of(s);
      }
    } else if (selectorText != null && ParseRun.present(values, WATCH_NAMESPACE_SELECTOR)) {
      problems.warn(WATCH_NAMESPACE_SELECTOR, WATCH_NAMESPACE_SELECTOR, "is empty and is ignored");
    }

    boolean all = false;
    Set<String> names = new LinkedHashSet<>();
    if (ParseRun.usable(watch)) {
      List<String> items = yaml.splitList(WATCH_NAMESPACE, watch, MAX_NAMESPACES);
      List<String> redundant = new ArrayList<>();
      for (String n : items) {
        if (n.equalsIgnoreCase("all")) {
          all = true;
          continue;
        }
        String p = Names.checkDnsLabel(n);
        if (p != null) {
          problems.error(
              WATCH_NAMESPACE,
              WATCH_NAMESPACE,
              yaml.echo(n)
                  + " is not a valid namespace name; "
                  + p
                  + "; or 'all' for every namespace");
        } else {
          names.add(n);
          redundant.add(n);
        }
      }
      if (all && !redundant.isEmpty()) {
        problems.warn(
            WATCH_NAMESPACE,
            WATCH_NAMESPACE,
            "'all' already includes every namespace; the names listed with it are redundant");
        names.clear();
      }
      if (!all && names.isEmpty() && selector.isEmpty()) {
        names.add("default");
        problems.warn(
            WATCH_NAMESPACE,
            WATCH_NAMESPACE,
            "no valid namespace left; using the default 'default'");
      }
    } else {
      if (watch != null && ParseRun.present(values, WATCH_NAMESPACE)) {
        problems.warn(WATCH_NAMESPACE, WATCH_NAMESPACE, "is empty; using the default");
      }
      if (selector.isEmpty()) {
        // Alibaba's default; a selector on its own selects by label only
        names.add("default");
      }
    }
    if (all && selector.isPresent()) {
      problems.warn(
          WATCH_NAMESPACE_SELECTOR,
          WATCH_NAMESPACE_SELECTOR,
          "has no effect: watch-namespace is 'all', which already includes every namespace");
      selector = Optional.empty();
    }

    List<String> exclusions = new ArrayList<>();
    if (ParseRun.usable(exclude)) {
      for (String e : yaml.splitList(EXCLUDE_NAMESPACE, exclude, MAX_EXCLUSIONS)) {
        String p = Names.checkNamespacePattern(e);
        if (p != null) {
          problems.error(
              EXCLUDE_NAMESPACE,
              EXCLUDE_NAMESPACE,
              yaml.echo(e) + " is not a valid namespace name or pattern; " + p);
        } else if (!exclusions.contains(e)) {
          exclusions.add(e);
        }
      }
      for (String n : names) {
        if (exclusions.stream().anyMatch(x -> Names.globMatches(x, n))) {
          problems.warn(
              EXCLUDE_NAMESPACE,
              EXCLUDE_NAMESPACE,
              "namespace "
                  + yaml.echo(n)
                  + " is listed in watch-namespace and excluded; the exclusion wins");
        }
      }
    }
    return new NamespaceScope(all, names, selector, exclusions);
  }

  ServiceAccountScope parseServiceAccounts(Map<String, String> values) {
    String sa = values.get(SERVICE_ACCOUNT);
    boolean patch = true;
    String patchText = values.get(PATCH_SERVICE_ACCOUNTS);
    if (ParseRun.usable(patchText)) {
      Optional<Boolean> b = YamlFields.parseBooleanText(patchText.strip());
      if (b.isEmpty()) {
        problems.error(
            PATCH_SERVICE_ACCOUNTS,
            PATCH_SERVICE_ACCOUNTS,
            yaml.echo(patchText.strip())
                + " is not a boolean; expected true or false (default true)");
      } else {
        patch = b.get();
      }
    }
    boolean all = false;
    Set<String> names = new LinkedHashSet<>();
    if (ParseRun.usable(sa)) {
      boolean hadNames = false;
      for (String n : yaml.splitList(SERVICE_ACCOUNT, sa, MAX_SERVICE_ACCOUNTS)) {
        if (n.equals("*")) {
          all = true;
          continue;
        }
        String p = Names.checkDnsSubdomain(n);
        if (p != null) {
          problems.error(
              SERVICE_ACCOUNT,
              SERVICE_ACCOUNT,
              yaml.echo(n)
                  + " is not a valid ServiceAccount name; "
                  + p
                  + "; or '*' for every ServiceAccount");
        } else {
          names.add(n);
          hadNames = true;
        }
      }
      if (all && hadNames) {
        problems.warn(
            SERVICE_ACCOUNT,
            SERVICE_ACCOUNT,
            "'*' already includes every ServiceAccount; the names listed with it are redundant");
        names.clear();
      }
      if (!all && names.isEmpty()) {
        names.add("default");
        problems.warn(
            SERVICE_ACCOUNT,
            SERVICE_ACCOUNT,
            "no valid ServiceAccount left; using the default 'default'");
      }
    } else {
      if (sa != null && ParseRun.present(values, SERVICE_ACCOUNT)) {
        problems.warn(SERVICE_ACCOUNT, SERVICE_ACCOUNT, "is empty; using the default");
      }
      names.add("default");
    }
    if (!patch && ParseRun.usable(sa)) {
      problems.warn(
          SERVICE_ACCOUNT,
          SERVICE_ACCOUNT,
          "has no effect while patch-service-accounts is false: no ServiceAccount is patched");
    }
    return new ServiceAccountScope(all, names, patch);
  }
}
