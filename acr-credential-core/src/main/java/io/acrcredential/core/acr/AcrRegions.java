package io.acrcredential.core.acr;

import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The Alibaba Cloud regions where Container Registry is offered, and the region-id check used on
 * configuration.
 *
 * <p>The list was compiled in 2025 from Alibaba Cloud's public "Regions supported by Container
 * Registry" page and the Container Registry API endpoint list: the public-cloud regions of both,
 * the local regions Nanjing, Fuzhou and Wuhan, the Riyadh partner region ({@code me-central-1}),
 * and the Finance Cloud regions in Shanghai and Shenzhen. Sydney ({@code ap-southeast-2}) is left
 * out because the endpoint list marks it closed.
 *
 * <p>New regions appear over time: {@link #checkAllowingUnknown(String)} accepts any region id of
 * the right shape, for configurations that opt in explicitly.
 */
public final class AcrRegions {

  /** The shape of a region id, the same rule {@code RegistryTarget} applies. */
  private static final Pattern REGION = Pattern.compile("[a-z]{2,}(-[a-z0-9]+){1,4}");

  private static final Set<String> KNOWN =
      Collections.unmodifiableSet(
          new TreeSet<>(
              List.of(
                  // Mainland China
                  "cn-qingdao",
                  "cn-beijing",
                  "cn-zhangjiakou",
                  "cn-huhehaote",
                  "cn-wulanchabu",
                  "cn-hangzhou",
                  "cn-shanghai",
                  "cn-nanjing",
                  "cn-fuzhou",
                  "cn-shenzhen",
                  "cn-heyuan",
                  "cn-guangzhou",
                  "cn-wuhan-lr",
                  "cn-chengdu",
                  "cn-hongkong",
                  // Asia Pacific
                  "ap-northeast-1",
                  "ap-northeast-2",
                  "ap-southeast-1",
                  "ap-southeast-3",
                  "ap-southeast-5",
                  "ap-southeast-6",
                  "ap-southeast-7",
                  "ap-south-1",
                  // Europe and Americas
                  "us-west-1",
                  "us-east-1",
                  "eu-central-1",
                  "eu-west-1",
                  // Middle East
                  "me-east-1",
                  "me-central-1",
                  // Finance Cloud
                  "cn-shanghai-finance-1",
                  "cn-shenzhen-finance-1")));

  private AcrRegions() {}

  /**
   * The known region ids.
   *
   * @return an unmodifiable set in alphabetical order
   */
  public static Set<String> known() {
    return KNOWN;
  }

  /**
   * Whether a region id is one of {@link #known()} (after trimming and lower-casing).
   *
   * @param regionId the region id; null is not known
   * @return true when it is known
   */
  public static boolean isKnown(String regionId) {
    return regionId != null && KNOWN.contains(regionId.strip().toLowerCase(Locale.ROOT));
  }

  /**
   * Checks that a region id is a known Container Registry region.
   *
   * @param regionId a region id such as {@code cn-hangzhou}; surrounding whitespace and upper case
   *     are tolerated
   * @return the trimmed, lower-cased id
   * @throws IllegalArgumentException for an unknown or malformed id; the message quotes the value,
   *     suggests the closest known id when one is near, lists the known ids, and says how to accept
   *     a region this library does not know yet
   */
  public static String check(String regionId) {
    String id = checkAllowingUnknown(regionId);
    if (KNOWN.contains(id)) {
      return id;
    }
    StringBuilder message =
        new StringBuilder("unknown Container Registry region '").append(id).append("'");
    closest(id).ifPresent(c -> message.append("; did you mean '").append(c).append("'?"));
    message
        .append(" Known regions: ")
        .append(String.join(", ", KNOWN))
        .append(
            ". If it is a region newer than this list, accept unknown regions explicitly"
                + " (AcrRegions.checkAllowingUnknown).");
    throw new IllegalArgumentException(message.toString());
  }

  /**
   * Checks only the shape of a region id ({@code cn-hangzhou}, {@code ap-southeast-1}, {@code
   * cn-shanghai-finance-1}), accepting regions not in {@link #known()}.
   *
   * @param regionId the region id; surrounding whitespace and upper case are tolerated
   * @return the trimmed, lower-cased id
   * @throws IllegalArgumentException when the id is missing or not shaped like a region id
   */
  public static String checkAllowingUnknown(String regionId) {
    if (regionId == null) {
      throw new IllegalArgumentException("the region id is missing (null)");
    }
    String id = regionId.strip().toLowerCase(Locale.ROOT);
    if (!REGION.matcher(id).matches()) {
      StringBuilder message =
          new StringBuilder("invalid region id ")
              .append(quote(regionId))
              .append(": expected a form like cn-hangzhou or ap-southeast-1");
      closest(id).ifPresent(c -> message.append("; did you mean '").append(c).append("'?"));
      throw new IllegalArgumentException(message.toString());
    }
    return id;
  }

  /** The shape check without the exception, for parsers. */
  static boolean hasRegionShape(String id) {
    return REGION.matcher(id).matches();
  }

  /**
   * The known region nearest to a value by edit distance, when it is near enough to be a likely
   * typo: at most {@code max(2, length / 3)} edits away, or the known id minus its area prefix
   * ({@code hangzhou} for {@code cn-hangzhou}).
   */
  static java.util.Optional<String> closest(String value) {
    for (String candidate : KNOWN) {
      if (!value.isEmpty() && candidate.endsWith("-" + value)) {
        return java.util.Optional.of(candidate); // the area prefix was left out: hangzhou
      }
    }
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : KNOWN) {
      int distance = editDistance(value, candidate);
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
    int limit = Math.max(2, value.length() / 3);
    return bestDistance <= limit ? java.util.Optional.of(best) : java.util.Optional.empty();
  }

  /** Levenshtein distance (insertions, deletions, substitutions). */
  static int editDistance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  private static String quote(String value) {
    StringBuilder out = new StringBuilder("'");
    int limit = Math.min(value.length(), 80);
    for (int i = 0; i < limit; i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.append(value.length() > limit ? "…'" : "'").toString();
  }
}
