package io.acrcredential.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

/**
 * Property-style tests over seeded random credentials. Each case runs from its own seed; a failure
 * reports it. Run one case again with {@code -Ddockerconfig.seed=<seed> -Ddockerconfig.cases=1}.
 */
class DockerConfigPropertyTest {

  private static final long MASTER_SEED = Long.getLong("dockerconfig.seed", 0x5eed_d0c4_e12fL);
  private static final int CASES = Integer.getInteger("dockerconfig.cases", 2000);
  private static final Instant EXPIRY = Instant.parse("2030-01-01T00:00:00Z");

  /** Plain Jackson, independent of the code under test. */
  private static final JsonMapper PLAIN = JsonMapper.builder().build();

  private static final JsonMapper ESCAPING =
      JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

  @Test
  void encodedCredentialsDecodeBackToTheSameValuesAndBytes() {
    forEachCase(this::roundTripCase);
  }

  @Test
  void authOnlyEntriesWrittenByAnotherEncoderDecodeToTheSameLogin() {
    forEachCase(this::authOnlyCase);
  }

  @Test
  void damagedInputFailsOnlyWithIllegalArgumentAndNeverLeaksThePassword() {
    forEachCase(this::damagedCase);
  }

  private void roundTripCase(long seed) {
    Random random = new Random(seed);
    List<RegistryCredential> credentials = randomCredentials(random);
    Map<String, RegistryCredential> byHost = new LinkedHashMap<>();
    for (RegistryCredential credential : credentials) {
      for (String domain : credential.domains()) {
        byHost.put(domain.strip().toLowerCase(Locale.ROOT), credential);
      }
    }

    byte[] json = DockerConfig.encode(credentials);

    // Deterministic: another order of credentials and of their domains gives the same bytes.
    List<RegistryCredential> shuffled = new ArrayList<>();
    for (RegistryCredential credential : credentials) {
      List<String> domains = new ArrayList<>(credential.domains());
      Collections.shuffle(domains, random);
      shuffled.add(credential.withDomains(domains));
    }
    Collections.shuffle(shuffled, random);
    assertThat(DockerConfig.encode(shuffled)).isEqualTo(json);

    // The decoder returns every login for every host, and nothing else.
    Map<String, DockerConfig.Auth> expected = new TreeMap<>();
    Map<String, List<String>> expectedFields = new TreeMap<>();
    byHost.forEach(
        (host, credential) -> {
          expected.put(host, new DockerConfig.Auth(credential.username(), credential.password()));
          String auth =
              Base64.getEncoder()
                  .encodeToString(
                      (credential.username() + ":" + credential.password()).getBytes(UTF_8));
          expectedFields.put(
              host,
              List.of(
                  "username=" + credential.username(),
                  "password=" + credential.password(),
                  "auth=" + auth));
        });
    DockerConfig decoded = DockerConfig.decode(json);
    assertThat(decoded.auths()).isEqualTo(expected);
    assertThat(decoded.toJson()).isEqualTo(json);

    // An independent JSON reader sees the same values in the same order, and
    // auth = base64(user:password).
    JsonNode tree = readPlain(json);
    assertThat(tree.size()).isEqualTo(1);
    Map<String, List<String>> seen = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> entry : tree.get("auths").properties()) {
      List<String> fields = new ArrayList<>();
      for (Map.Entry<String, JsonNode> field : entry.getValue().properties()) {
        fields.add(field.getKey() + "=" + field.getValue().textValue());
      }
      seen.put(entry.getKey(), fields);
    }
    assertThat(new ArrayList<>(seen.keySet())).isEqualTo(new ArrayList<>(expectedFields.keySet()));
    assertThat(seen).isEqualTo(expectedFields);

    // JSON text may not hold raw control characters.
    int rawControls = 0;
    for (byte b : json) {
      if ((b & 0xff) < 0x20) {
        rawControls++;
      }
    }
    assertThat(rawControls).isZero();
  }

  private void authOnlyCase(long seed) {
    Random random = new Random(seed);
    ObjectNode auths = PLAIN.createObjectNode();
    Map<String, DockerConfig.Auth> expected = new LinkedHashMap<>();
    int count = 1 + random.nextInt(6);
    for (int i = 0; i < count; i++) {
      String host = randomHost(random).toLowerCase(Locale.ROOT);
      String username = randomText(random, 1, 12, false);
      String password = randomText(random, 1, 40, true);
      ObjectNode entry = auths.putObject(host);
      entry.put(
          "auth", Base64.getEncoder().encodeToString((username + ":" + password).getBytes(UTF_8)));
      if (random.nextBoolean()) {
        entry.put("email", randomText(random, 0, 8, true));
      }
      expected.put(host, new DockerConfig.Auth(username, password));
    }
    ObjectNode root = PLAIN.createObjectNode();
    root.put("credsStore", "x");
    root.set("auths", auths);
    byte[] json;
    try {
      // Escape all non-ASCII as \\uXXXX (surrogate pairs included) to exercise the decoder.
      json = (random.nextBoolean() ? ESCAPING : PLAIN).writeValueAsBytes(root);
    } catch (Exception e) {
      throw new AssertionError(e);
    }

    DockerConfig decoded = DockerConfig.decode(json);

    assertThat(decoded.auths()).containsExactlyInAnyOrderEntriesOf(expected);
  }

  private void damagedCase(long seed) {
    Random random = new Random(seed);
    // A password long enough that finding it in a message cannot be a coincidence.
    String password = "pw" + randomText(random, 6, 30, true);
    List<RegistryCredential> credentials =
        List.of(new RegistryCredential("u", password, EXPIRY, List.of(randomHost(random))));
    byte[] json = DockerConfig.encode(credentials);
    String auth = Base64.getEncoder().encodeToString(("u:" + password).getBytes(UTF_8));

    byte[] damaged;
    switch (random.nextInt(4)) {
      case 0 -> damaged = java.util.Arrays.copyOf(json, random.nextInt(json.length));
      case 1 -> {
        damaged = json.clone();
        damaged[random.nextInt(damaged.length)] = (byte) random.nextInt(256);
      }
      case 2 -> {
        damaged = json.clone();
        int at = random.nextInt(damaged.length);
        String specials = "\"{}[]:,\\ 0a";
        damaged[at] = (byte) specials.charAt(random.nextInt(specials.length()));
      }
      default -> {
        String text = new String(json, UTF_8);
        int at = random.nextInt(text.length() + 1);
        damaged = (text.substring(0, at) + password + text.substring(at)).getBytes(UTF_8);
      }
    }

    try {
      DockerConfig.decode(damaged);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).startsWith("Docker config: ");
      assertThat(e.getMessage()).doesNotContain(password).doesNotContain(auth);
      assertThat(e.getCause()).isNull();
    }
  }

  // --- generators ----------------------------------------------------------------------------

  private static List<RegistryCredential> randomCredentials(Random random) {
    int count = random.nextInt(6);
    Set<String> used = new HashSet<>();
    List<RegistryCredential> credentials = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      int domainCount = 1 + random.nextInt(4);
      List<String> domains = new ArrayList<>();
      while (domains.size() < domainCount) {
        String host = randomHost(random);
        if (used.add(host.toLowerCase(Locale.ROOT))) {
          domains.add(random.nextInt(5) == 0 ? host.toUpperCase(Locale.ROOT) : host);
        }
      }
      credentials.add(
          new RegistryCredential(
              randomText(random, 1, 16, false), randomText(random, 1, 64, true), EXPIRY, domains));
    }
    return credentials;
  }

  static String randomHost(Random random) {
    String host;
    switch (random.nextInt(10)) {
      case 0 ->
          host =
              random.nextInt(256)
                  + "."
                  + random.nextInt(256)
                  + "."
                  + random.nextInt(256)
                  + "."
                  + random.nextInt(256);
      case 1 -> {
        StringBuilder v6 = new StringBuilder("[fd00");
        for (int i = 0; i < 7; i++) {
          v6.append(':').append(Integer.toHexString(random.nextInt(0x10000)));
        }
        host = v6.append(']').toString();
      }
      default -> {
        int labels = 1 + random.nextInt(5);
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < labels; i++) {
          if (i > 0) {
            name.append('.');
          }
          name.append(randomLabel(random, i == labels - 1));
        }
        host = name.toString();
      }
    }
    if (random.nextInt(4) == 0) {
      host = host + ":" + (1 + random.nextInt(65535));
    }
    return host;
  }

  private static String randomLabel(Random random, boolean last) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    int length = 1 + random.nextInt(12);
    StringBuilder label = new StringBuilder();
    for (int i = 0; i < length; i++) {
      boolean edge = i == 0 || i == length - 1;
      if (!edge && random.nextInt(6) == 0) {
        label.append('-');
      } else {
        label.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    if (last) {
      label.setCharAt(0, (char) ('a' + random.nextInt(26))); // a top label is never all digits
    }
    return label.toString();
  }

  /**
   * Random well-formed Unicode text: ASCII punctuation (quotes, backslashes, colons), control
   * characters, Latin-1, other BMP characters (no surrogates), and supplementary characters.
   */
  static String randomText(Random random, int min, int max, boolean allowColon) {
    int length = min + random.nextInt(max - min + 1);
    StringBuilder text = new StringBuilder();
    int codePoints = 0;
    while (codePoints < length) {
      int cp;
      switch (random.nextInt(7)) {
        case 0 -> cp = "\"\\:/'{}[],=+ @".charAt(random.nextInt(14));
        case 1 -> cp = random.nextInt(8) == 0 ? 0x7f : random.nextInt(0x20); // controls, DEL
        case 2 -> cp = 0x20 + random.nextInt(0x5f);
        case 3 -> cp = 0x80 + random.nextInt(0x780);
        case 4 -> {
          do {
            cp = 0x800 + random.nextInt(0x10000 - 0x800);
          } while (cp >= 0xd800 && cp <= 0xdfff);
        }
        case 5 -> cp = 0x10000 + random.nextInt(0x110000 - 0x10000);
        default -> cp = new int[] {0x2028, 0x2029, 0xfeff, 0xfffd, 0x1f600}[random.nextInt(5)];
      }
      if (!allowColon && cp == ':') {
        continue;
      }
      text.appendCodePoint(cp);
      codePoints++;
    }
    return text.toString();
  }

  private static JsonNode readPlain(byte[] json) {
    try {
      return PLAIN.readTree(json);
    } catch (Exception e) {
      throw new AssertionError("plain Jackson cannot read the encoded bytes", e);
    }
  }

  private static void forEachCase(LongConsumer body) {
    Random master = new Random(MASTER_SEED);
    for (int i = 0; i < CASES; i++) {
      long seed = i == 0 && CASES == 1 ? MASTER_SEED : master.nextLong();
      try {
        body.accept(seed);
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError(
            "case "
                + i
                + " failed; run it alone with -Ddockerconfig.seed="
                + seed
                + " -Ddockerconfig.cases=1 (master seed "
                + MASTER_SEED
                + "): "
                + e.getMessage(),
            e);
      }
    }
  }
}
