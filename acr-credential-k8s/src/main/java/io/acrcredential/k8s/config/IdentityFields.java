package io.acrcredential.k8s.config;

import static io.acrcredential.k8s.config.ConfigKeys.ACR_REGISTRY_INFO;
import static io.acrcredential.k8s.config.RegistryKeys.FIELD_ACCESS_KEY;
import static io.acrcredential.k8s.config.RegistryKeys.FIELD_ACCESS_KEY_SECRET;
import static io.acrcredential.k8s.config.RegistryKeys.FIELD_ASSUME_ROLE_ARN;
import static io.acrcredential.k8s.config.RegistryKeys.FIELD_EXPIRE_DURATION;
import static io.acrcredential.k8s.config.RegistryKeys.FIELD_RRSA_OIDC_ARN;
import static io.acrcredential.k8s.config.RegistryKeys.FIELD_RRSA_ROLE_ARN;

import io.acrcredential.k8s.internal.Names;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * The identity fields of an {@code acr-registry-info} item (an AccessKey, an RRSA role, a role to
 * assume and its session length), read into the {@link IdentitySpec} its registry fetches tokens
 * with.
 */
final class IdentityFields {

  private final Problems problems;
  private final YamlFields yaml;

  IdentityFields(Problems problems, YamlFields yaml) {
    this.problems = problems;
    this.yaml = yaml;
  }

  /** The item's identity; null when a field is invalid (reported). */
  IdentitySpec read(String loc, Map<String, Node> f, boolean rrsa) {
    String key = ACR_REGISTRY_INFO;
    int errorsBefore = problems.errorCount();
    String ak = blankToNull(yaml.optionalSecret(key, loc, f, FIELD_ACCESS_KEY));
    String sk = blankToNull(yaml.optionalSecret(key, loc, f, FIELD_ACCESS_KEY_SECRET));
    String rrsaRole = blankToNull(yaml.optionalString(key, loc, f, FIELD_RRSA_ROLE_ARN));
    String rrsaOidc = blankToNull(yaml.optionalString(key, loc, f, FIELD_RRSA_OIDC_ARN));
    String assume = blankToNull(yaml.optionalString(key, loc, f, FIELD_ASSUME_ROLE_ARN));
    Optional<Long> expire = Optional.empty();
    if (f.containsKey(FIELD_EXPIRE_DURATION)
        && !(f.get(FIELD_EXPIRE_DURATION) instanceof ScalarNode s
            && (Tag.NULL.equals(s.getTag())
                || Tag.STR.equals(s.getTag()) && s.getValue().isBlank()))) {
      expire =
          yaml.readInteger(key, loc + "." + FIELD_EXPIRE_DURATION, f.get(FIELD_EXPIRE_DURATION));
    }
    if (problems.errorCount() > errorsBefore) {
      return null;
    }

    IdentitySpec.Source source;
    if (ak != null || sk != null) {
      if (ak == null || sk == null) {
        String missing = ak == null ? FIELD_ACCESS_KEY : FIELD_ACCESS_KEY_SECRET;
        problems.error(
            key,
            loc + "." + missing,
            "is missing; customAccessKey and customAccessKeySecret must be given together");
        return null;
      }
      if (rrsaRole != null || rrsaOidc != null) {
        problems.error(
            key,
            loc,
            "sets both customAccessKey and rrsaRoleARN/rrsaOIDCProviderRoleARN; choose one identity");
        return null;
      }
      String p = Names.checkAccessKeyId(ak.strip());
      if (p != null) {
        problems.error(
            key,
            loc + "." + FIELD_ACCESS_KEY,
            "is not a valid AccessKey id (value not shown); " + p);
        return null;
      }
      if (!sk.strip().equals(sk) || sk.length() > 256) {
        problems.error(
            key,
            loc + "." + FIELD_ACCESS_KEY_SECRET,
            "is not a valid AccessKey secret (value not shown): it must not have leading or trailing spaces and be at most 256 characters");
        return null;
      }
      source = new IdentitySpec.AccessKey(ak.strip(), sk);
    } else if (rrsaRole != null || rrsaOidc != null) {
      if (!rrsa) {
        for (String field : List.of(FIELD_RRSA_ROLE_ARN, FIELD_RRSA_OIDC_ARN)) {
          if (f.containsKey(field)) {
            problems.warn(
                key,
                loc + "." + field,
                "is ignored because RRSA is not enabled; add the key rrsa with 'enable: true' to use it");
          }
        }
        source = new IdentitySpec.DefaultChain();
      } else {
        if (rrsaRole == null || rrsaOidc == null) {
          String missing = rrsaRole == null ? FIELD_RRSA_ROLE_ARN : FIELD_RRSA_OIDC_ARN;
          problems.error(
              key,
              loc + "." + missing,
              "is missing; rrsaRoleARN and rrsaOIDCProviderRoleARN must be given together (or neither, to use the pod's RRSA environment)");
          return null;
        }
        String p1 = Names.checkRoleArn(rrsaRole.strip());
        if (p1 != null) {
          problems.error(
              key,
              loc + "." + FIELD_RRSA_ROLE_ARN,
              yaml.echo(rrsaRole.strip()) + " is not a role ARN; " + p1);
        }
        String p2 = Names.checkOidcProviderArn(rrsaOidc.strip());
        if (p2 != null) {
          problems.error(
              key,
              loc + "." + FIELD_RRSA_OIDC_ARN,
              yaml.echo(rrsaOidc.strip()) + " is not an OIDC provider ARN; " + p2);
        }
        if (p1 != null || p2 != null) {
          return null;
        }
        source =
            new IdentitySpec.Rrsa(Optional.of(rrsaRole.strip()), Optional.of(rrsaOidc.strip()));
      }
    } else {
      source =
          rrsa
              ? new IdentitySpec.Rrsa(Optional.empty(), Optional.empty())
              : new IdentitySpec.DefaultChain();
    }

    Optional<IdentitySpec.AssumeRole> role = Optional.empty();
    if (assume != null) {
      String a = assume.strip();
      String p = Names.checkRoleArn(a);
      if (p != null) {
        problems.error(
            key, loc + "." + FIELD_ASSUME_ROLE_ARN, yaml.echo(a) + " is not a role ARN; " + p);
        return null;
      }
      long seconds = expire.orElse(IdentitySpec.MIN_SESSION_SECONDS);
      if (!sessionLengthInRange(key, loc, seconds)) {
        return null;
      }
      role = Optional.of(new IdentitySpec.AssumeRole(a, Duration.ofSeconds(seconds)));
    } else if (expire.isPresent()) {
      long seconds = expire.get();
      if (!sessionLengthInRange(key, loc, seconds)) {
        return null;
      }
      // 3600 is the default that Alibaba's documented template carries on every item, with or
      // without a role: it says nothing, so it costs no warning on every reload. Any other value
      // was chosen by someone and is worth a word.
      if (seconds != IdentitySpec.MIN_SESSION_SECONDS) {
        problems.warn(
            key,
            loc + "." + FIELD_EXPIRE_DURATION,
            "is ignored without assumeRoleARN (only the default 3600 goes without a warning)");
      }
    }
    return new IdentitySpec(source, role);
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** Reports an {@code expireDuration} outside what STS grants; true when it is in range. */
  private boolean sessionLengthInRange(String key, String loc, long seconds) {
    if (seconds >= IdentitySpec.MIN_SESSION_SECONDS
        && seconds <= IdentitySpec.MAX_SESSION_SECONDS) {
      return true;
    }
    problems.error(
        key,
        loc + "." + FIELD_EXPIRE_DURATION,
        seconds
            + " is out of range; expected "
            + IdentitySpec.MIN_SESSION_SECONDS
            + " to "
            + IdentitySpec.MAX_SESSION_SECONDS
            + " seconds");
    return false;
  }
}
