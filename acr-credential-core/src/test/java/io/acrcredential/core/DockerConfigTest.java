package io.acrcredential.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DockerConfigTest {

  private static final Instant EXPIRY = Instant.parse("2030-01-01T00:00:00Z");
  private static final String SECRET = "S3cr3tPassw0rd";

  private static RegistryCredential credential(String user, String password, String... domains) {
    return new RegistryCredential(user, password, EXPIRY, List.of(domains));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(UTF_8);
  }

  // --- encoding: golden bytes ----------------------------------------------------------------

  @Test
  void encodesOneCredentialToExactBytesWithDomainsSorted() {
    byte[] json =
        DockerConfig.encode(
            credential(
                "cr_temp_user",
                "p@ss",
                "registry.cn-hangzhou.aliyuncs.com",
                "registry-vpc.cn-hangzhou.aliyuncs.com"));

    assertThat(new String(json, UTF_8))
        .isEqualTo(
            "{\"auths\":{"
                + "\"registry-vpc.cn-hangzhou.aliyuncs.com\":{\"username\":\"cr_temp_user\","
                + "\"password\":\"p@ss\",\"auth\":\"Y3JfdGVtcF91c2VyOnBAc3M=\"},"
                + "\"registry.cn-hangzhou.aliyuncs.com\":{\"username\":\"cr_temp_user\","
                + "\"password\":\"p@ss\",\"auth\":\"Y3JfdGVtcF91c2VyOnBAc3M=\"}}}");
  }

  @Test
  void encodesSeveralCredentialsIndependentlyOfTheirOrder() {
    RegistryCredential ee =
        credential("cr_temp_user", "s3cret", "my-ee-registry.cn-beijing.cr.aliyuncs.com");
    RegistryCredential other = credential("other", "pw2", "10.0.0.5:5000", "[fd00::1]:443");
    String expected =
        "{\"auths\":{"
            + "\"10.0.0.5:5000\":{\"username\":\"other\",\"password\":\"pw2\","
            + "\"auth\":\"b3RoZXI6cHcy\"},"
            + "\"[fd00::1]:443\":{\"username\":\"other\",\"password\":\"pw2\","
            + "\"auth\":\"b3RoZXI6cHcy\"},"
            + "\"my-ee-registry.cn-beijing.cr.aliyuncs.com\":{\"username\":\"cr_temp_user\","
            + "\"password\":\"s3cret\",\"auth\":\"Y3JfdGVtcF91c2VyOnMzY3JldA==\"}}}";

    assertThat(new String(DockerConfig.encode(List.of(ee, other)), UTF_8)).isEqualTo(expected);
    assertThat(DockerConfig.encode(List.of(other, ee)))
        .isEqualTo(DockerConfig.encode(List.of(ee, other)));
  }

  @Test
  void escapesOnlyWhatJsonRequiresAndWritesUtf8() {
    // password: a " b \ c newline tab U+0001 é 😀 : x
    String password = "a\"b\\c\n\t\u0001\u00e9\ud83d\ude00:x";
    byte[] json = DockerConfig.encode(credential("u", password, "r.example.com"));

    byte[] expected =
        concat(
            bytes(
                "{\"auths\":{\"r.example.com\":{\"username\":\"u\","
                    + "\"password\":\"a\\\"b\\\\c\\n\\t\\u0001"),
            new byte[] {
              (byte) 0xc3, (byte) 0xa9, (byte) 0xf0, (byte) 0x9f, (byte) 0x98, (byte) 0x80
            },
            bytes(":x\",\"auth\":\"dTphImJcYwoJAcOp8J+YgDp4\"}}}"));
    assertThat(json).isEqualTo(expected);
  }

  @Test
  void writesControlCharactersAsShortOrUnicodeEscapes() {
    String password = "\b\f\r\u0000\u001f\u007f";
    String json = new String(DockerConfig.of(credential("u", password, "h")).toJson(), UTF_8);

    assertThat(json).contains("\"password\":\"\\b\\f\\r\\u0000\\u001f\u007f\"");
  }

  @Test
  void encodesNoCredentialsAsEmptyAuths() {
    assertThat(new String(DockerConfig.encode(List.of()), UTF_8)).isEqualTo("{\"auths\":{}}");
  }

  @Test
  void normalisesDomainsAndWritesADomainListedTwiceOnce() {
    DockerConfig config =
        DockerConfig.of(
            credential(
                "u",
                "p",
                " Registry.CN-Hangzhou.aliyuncs.com ",
                "registry.cn-hangzhou.aliyuncs.com"));

    assertThat(config.auths()).containsOnlyKeys("registry.cn-hangzhou.aliyuncs.com");
  }

  @Test
  void rejectsTwoCredentialsClaimingOneDomainWithoutShowingPasswords() {
    RegistryCredential a = credential("user-a", SECRET, "registry.cn-hangzhou.aliyuncs.com");
    RegistryCredential b = credential("user-b", SECRET + "2", "REGISTRY.cn-hangzhou.aliyuncs.com");

    IllegalArgumentException e =
        catchThrowableOfType(IllegalArgumentException.class, () -> DockerConfig.of(List.of(a, b)));

    assertThat(e)
        .hasMessageContaining("'registry.cn-hangzhou.aliyuncs.com'")
        .hasMessageContaining("credential #0 and credential #1")
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void rejectsAnInvalidDomainNamingIt() {
    RegistryCredential bad = credential("u", SECRET, "https://registry.example.com/v2/");

    assertThatThrownBy(() -> DockerConfig.of(List.of(credential("x", "y", "ok.example"), bad)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("credential #1")
        .hasMessageContaining("'https://registry.example.com/v2/'")
        .hasMessageContaining("scheme")
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void rejectsAUsernameWithAColon() {
    assertThatThrownBy(() -> DockerConfig.encode(credential("a:b", SECRET, "h")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("credential #0")
        .hasMessageContaining("username contains ':'")
        .hasMessageNotContaining(SECRET);
  }

  @Test
  void rejectsAPasswordThatIsNotWellFormedUnicode() {
    String broken = SECRET + "\ud800";
    assertThatThrownBy(() -> DockerConfig.encode(credential("u", broken, "h")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("password is not well-formed Unicode")
        .hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> DockerConfig.encode(credential("u", "\udc00" + SECRET, "h")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unpaired surrogate");
  }

  @Test
  void rejectsNullInputsWithAMessage() {
    List<RegistryCredential> withNull = new ArrayList<>();
    withNull.add(null);
    assertThatThrownBy(() -> DockerConfig.of(withNull))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("credential #0 is missing");
    assertThatThrownBy(() -> DockerConfig.of((List<RegistryCredential>) null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DockerConfig.decode(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
  }

  // --- decoding ------------------------------------------------------------------------------

  @Test
  void decodesWhatItEncodedAndReencodesToTheSameBytes() {
    byte[] json =
        DockerConfig.encode(
            List.of(
                credential("cr_temp_user", "p:w\"\\", "a.example.com", "b.example.com:5000"),
                credential("z", "\ud83d\ude00", "[::1]")));

    DockerConfig config = DockerConfig.decode(json);

    assertThat(config.auths())
        .containsExactly(
            Map.entry("[::1]", new DockerConfig.Auth("z", "\ud83d\ude00")),
            Map.entry("a.example.com", new DockerConfig.Auth("cr_temp_user", "p:w\"\\")),
            Map.entry("b.example.com:5000", new DockerConfig.Auth("cr_temp_user", "p:w\"\\")));
    assertThat(config.toJson()).isEqualTo(json);
    assertThat(config).isEqualTo(DockerConfig.decode(json.clone()));
    assertThat(config.hashCode()).isEqualTo(DockerConfig.decode(json).hashCode());
  }

  @Test
  void decodesAnAuthOnlyEntrySplittingAtTheFirstColon() {
    DockerConfig config =
        DockerConfig.decode(bytes("{\"auths\":{\"h\":{\"auth\":\"dXNlcjpwYTpzczp3b3Jk\"}}}"));

    assertThat(config.auth("h")).contains(new DockerConfig.Auth("user", "pa:ss:word"));
  }

  @Test
  void decodesUsernameAndPasswordWithoutAuth() {
    DockerConfig config =
        DockerConfig.decode(bytes("{\"auths\":{\"h\":{\"username\":\"u\",\"password\":\"p\"}}}"));

    assertThat(config.auth("h")).contains(new DockerConfig.Auth("u", "p"));
    assertThat(config.auth("other")).isEmpty();
  }

  @Test
  void acceptsAuthWithOnlyAMatchingUsernameAndTreatsEmptyStringsAsAbsent() {
    DockerConfig config =
        DockerConfig.decode(
            bytes(
                "{\"auths\":{\"h\":{\"username\":\"user\",\"password\":\"\","
                    + "\"auth\":\"dXNlcjpwYTpzczp3b3Jk\"}}}"));

    assertThat(config.auth("h")).contains(new DockerConfig.Auth("user", "pa:ss:word"));
  }

  @Test
  void ignoresUnknownTopLevelAndEntryMembersAndKeepsKeysAsWritten() {
    DockerConfig config =
        DockerConfig.decode(
            bytes(
                "{\"credHelpers\":{\"x\":\"acr\"},\"credsStore\":\"desktop\","
                    + "\"HttpHeaders\":{\"User-Agent\":\"t\"},"
                    + "\"auths\":{\"https://Index.example.com/v1/\":{\"username\":\"u\","
                    + "\"password\":\"p\",\"email\":\"a@b.c\",\"identitytoken\":\"\"}},"
                    + "\"Auths\":7}"));

    assertThat(config.auths())
        .containsOnlyKeys("https://Index.example.com/v1/")
        .containsValue(new DockerConfig.Auth("u", "p"));
  }

  @Test
  void acceptsWhitespaceAroundAndInsideTheJson() {
    DockerConfig config =
        DockerConfig.decode(
            bytes("\n  { \"auths\" : {\n \"h\" : { \"auth\" : \"dXNlcjpwYTpzczp3b3Jk\" } } }\n"));

    assertThat(config.auth("h")).isPresent();
  }

  @Test
  void decodesALegacyDockercfgBody() {
    DockerConfig config =
        DockerConfig.decodeLegacy(
            bytes(
                "{\"h1\":{\"auth\":\"dXNlcjpwYTpzczp3b3Jk\",\"email\":\"x\"},"
                    + "\"h2\":{\"username\":\"u\",\"password\":\"p\"}}"));

    assertThat(config.auths())
        .containsExactly(
            Map.entry("h1", new DockerConfig.Auth("user", "pa:ss:word")),
            Map.entry("h2", new DockerConfig.Auth("u", "p")));
  }

  @Test
  void pointsAtTheOtherFormatWhenTheWrongDecoderIsUsed() {
    byte[] modern = DockerConfig.encode(credential("u", "p", "h"));
    byte[] legacy = bytes("{\"h\":{\"username\":\"u\",\"password\":\"p\"}}");

    assertThatThrownBy(() -> DockerConfig.decodeLegacy(modern))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("looks like a config.json body");
    assertThatThrownBy(() -> DockerConfig.decode(legacy))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("\"auths\" object is missing")
        .hasMessageContaining("legacy .dockercfg");
  }

  static Stream<Arguments> malformed() {
    String pw = SECRET;
    String auth = java.util.Base64.getEncoder().encodeToString(bytes("user:" + pw));
    return Stream.of(
        Arguments.of("empty", "", "the input is empty"),
        Arguments.of("whitespace only", "  \n", "holds no JSON value"),
        Arguments.of("not JSON", "auths: " + pw, "not valid JSON at line 1, column"),
        Arguments.of("unquoted secret", "{\"auths\":{\"h\":{\"password\":" + pw + "}}}", "line 1"),
        Arguments.of(
            "single quotes", "{'auths':{'h':{'password':'" + pw + "'}}}", "not valid JSON"),
        Arguments.of(
            "truncated", "{\"auths\":{\"h\":{\"password\":\"" + pw, "ends inside a JSON value"),
        Arguments.of(
            "raw newline in string",
            "{\"auths\":{\"h\":{\"username\":\"u\",\"password\":\"" + pw + "\n\"}}}",
            "not valid JSON at line 1"),
        Arguments.of(
            "bad escape",
            "{\"auths\":{\"h\":{\"username\":\"u\",\"password\":\"" + pw + "\\q\"}}}",
            "not valid JSON"),
        Arguments.of(
            "trailing garbage",
            "{\"auths\":{\"h\":{\"auth\":\"" + auth + "\"}}} " + pw,
            "unexpected data after the JSON value at line 1"),
        Arguments.of(
            "second value",
            "{\"auths\":{\"h\":{\"auth\":\"" + auth + "\"}}}\n{}",
            "unexpected data after the JSON value at line 2, column"),
        Arguments.of(
            "duplicate key",
            "{\"auths\":{\"h\":{\"auth\":\"" + auth + "\",\"auth\":\"" + auth + "\"}}}",
            "a key appears twice"),
        Arguments.of("top-level array", "[\"" + pw + "\"]", "found an array"),
        Arguments.of("top-level string", "\"" + pw + "\"", "found a string"),
        Arguments.of(
            "missing auths", "{\"credsStore\":\"" + pw + "\"}", "\"auths\" object is missing"),
        Arguments.of(
            "auths is null", "{\"auths\":null}", "\"auths\" must be an object, found null"),
        Arguments.of("auths is array", "{\"auths\":[]}", "found an array"),
        Arguments.of(
            "entry is string",
            "{\"auths\":{\"h\":\"" + pw + "\"}}",
            "auths[\"h\"]: an entry must be an object, found a string"),
        Arguments.of(
            "username is number",
            "{\"auths\":{\"h\":{\"username\":5,\"password\":\"" + pw + "\"}}}",
            "auths[\"h\"].username: must be a string, found a number"),
        Arguments.of(
            "password is null",
            "{\"auths\":{\"h\":{\"username\":\"u\",\"password\":null}}}",
            "auths[\"h\"].password: must be a string, found null"),
        Arguments.of(
            "auth is object",
            "{\"auths\":{\"h\":{\"auth\":{\"x\":\"" + pw + "\"}}}}",
            "auths[\"h\"].auth: must be a string, found an object"),
        Arguments.of(
            "auth not base64",
            "{\"auths\":{\"h\":{\"auth\":\"" + pw + "!\"}}}",
            "auths[\"h\"].auth: is not valid Base64"),
        Arguments.of(
            "auth without padding",
            "{\"auths\":{\"h\":{\"auth\":\"" + auth.replace("=", "") + "\"}}}",
            "is not canonical Base64"),
        Arguments.of(
            "auth with non-zero trailing bits",
            "{\"auths\":{\"h\":{\"auth\":\"YR==\"}}}",
            "is not canonical Base64"),
        Arguments.of(
            "auth not UTF-8",
            "{\"auths\":{\"h\":{\"auth\":\"//46eA==\"}}}",
            "does not decode to UTF-8"),
        Arguments.of(
            "auth without colon", "{\"auths\":{\"h\":{\"auth\":\"bm9jb2xvbg==\"}}}", "no ':'"),
        Arguments.of(
            "auth with empty user",
            "{\"auths\":{\"h\":{\"auth\":\""
                + java.util.Base64.getEncoder().encodeToString(bytes(":" + pw))
                + "\"}}}",
            "auths[\"h\"]: the username is empty"),
        Arguments.of(
            "username disagrees with auth",
            "{\"auths\":{\"h\":{\"username\":\"other\",\"auth\":\"" + auth + "\"}}}",
            "\"username\" does not match"),
        Arguments.of(
            "password disagrees with auth",
            "{\"auths\":{\"h\":{\"username\":\"user\",\"password\":\""
                + pw
                + "x\",\"auth\":\""
                + auth
                + "\"}}}",
            "\"password\" does not match"),
        Arguments.of(
            "password only",
            "{\"auths\":{\"h\":{\"password\":\"" + pw + "\"}}}",
            "a \"password\" but no \"username\""),
        Arguments.of(
            "username only",
            "{\"auths\":{\"h\":{\"username\":\"u\"}}}",
            "a \"username\" but no \"password\""),
        Arguments.of("empty entry", "{\"auths\":{\"h\":{}}}", "the entry has no login"),
        Arguments.of(
            "empty key",
            "{\"auths\":{\"\":{\"auth\":\"" + auth + "\"}}}",
            "the registry key is empty"),
        Arguments.of(
            "unpaired surrogate in password",
            "{\"auths\":{\"h\":{\"username\":\"u\",\"password\":\"" + pw + "\\ud800\"}}}",
            "password is not well-formed Unicode"),
        Arguments.of(
            "colon in username",
            "{\"auths\":{\"h\":{\"username\":\"a:b\",\"password\":\"" + pw + "\"}}}",
            "username contains ':'"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void rejectsMalformedInputSayingWhatAndWhereWithoutTheSecret(
      String name, String input, String expected) {
    IllegalArgumentException e =
        catchThrowableOfType(
            IllegalArgumentException.class, () -> DockerConfig.decode(bytes(input)));

    assertThat(e).as(name).isNotNull();
    assertThat(e.getMessage()).startsWith("Docker config: ").contains(expected);
    assertThat(e.getMessage())
        .doesNotContain(SECRET)
        .doesNotContain(java.util.Base64.getEncoder().encodeToString(bytes("user:" + SECRET)));
    assertThat(e.getCause()).as("no cause that might quote the input").isNull();
  }

  @Test
  void rejectsBytesThatAreNotUtf8NamingTheOffset() {
    byte[] input =
        concat(bytes("{\"auths\":{\"h\":{\"password\":\""), new byte[] {(byte) 0xc3, 0x28});

    assertThatThrownBy(() -> DockerConfig.decode(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Docker config: the input is not valid UTF-8 at byte offset 27");
  }

  @Test
  void rejectsAByteOrderMark() {
    byte[] input =
        concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, bytes("{\"auths\":{}}"));

    assertThatThrownBy(() -> DockerConfig.decode(input))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("byte-order mark");
  }

  @Test
  void rejectsMalformedLegacyBodies() {
    assertThatThrownBy(() -> DockerConfig.decodeLegacy(bytes("[]")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("found an array");
    assertThatThrownBy(() -> DockerConfig.decodeLegacy(bytes("{\"h\":{\"auth\":\"x\"}}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[\"h\"].auth: is not valid Base64");
  }

  @Test
  void quotesOddRegistryKeysSafelyInMessages() {
    assertThatThrownBy(
            () -> DockerConfig.decode(bytes("{\"auths\":{\"a\\\"b\\nc\":{\"username\":\"u\"}}}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auths[\"a\\\"b\\u000ac\"]");
  }

  // --- values --------------------------------------------------------------------------------

  @Test
  void toStringNeverShowsPasswordsOrAuth() {
    DockerConfig config = DockerConfig.of(credential("cr_temp_user", SECRET, "h.example.com"));
    DockerConfig.Auth auth = config.auth("h.example.com").orElseThrow();

    assertThat(config.toString())
        .isEqualTo("DockerConfig[h.example.com=cr_temp_user]")
        .doesNotContain(SECRET);
    assertThat(auth.toString())
        .isEqualTo("Auth[username=cr_temp_user, password=<redacted>]")
        .doesNotContain(auth.auth());
  }

  @Test
  void authsAreUnmodifiable() {
    DockerConfig config = DockerConfig.of(credential("u", "p", "h"));

    assertThatThrownBy(() -> config.auths().clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void authValidatesItsValues() {
    assertThatThrownBy(() -> new DockerConfig.Auth(null, "p"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("username is missing");
    assertThatThrownBy(() -> new DockerConfig.Auth("u", ""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("password is empty");
  }

  // --- Secret names --------------------------------------------------------------------------

  @Test
  void secretNameIsThePrefixAndTheMd5OfTheDomain() {
    // md5 values computed outside Java (md5sum) for the lower-case domains
    assertThat(DockerConfig.secretName("registry.cn-shanghai.aliyuncs.com"))
        .isEqualTo("acr-credential-d8cb8c4195a48ca6dbefe56f6399ef1f");
    assertThat(DockerConfig.secretName("registry-vpc.cn-hangzhou.aliyuncs.com"))
        .isEqualTo("acr-credential-90a511cb8249950d96ce0336cae093f0");
    assertThat(DockerConfig.secretName("my-ee-registry.cn-beijing.cr.aliyuncs.com"))
        .isEqualTo("acr-credential-57e5b09c604e7f622a2f8a7461a9372e");
  }

  @Test
  void secretNameNormalisesTheDomainFirst() {
    assertThat(DockerConfig.secretName(" Registry.CN-Shanghai.aliyuncs.com\n"))
        .isEqualTo(DockerConfig.secretName("registry.cn-shanghai.aliyuncs.com"));
    assertThat(DockerConfig.secretName("registry.cn-shanghai.aliyuncs.com"))
        .hasSize(47)
        .matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  }

  @Test
  void secretNameRejectsAnInvalidDomain() {
    assertThatThrownBy(() -> DockerConfig.secretName("registry.cn-shanghai.aliyuncs.com/ns"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'registry.cn-shanghai.aliyuncs.com/ns'")
        .hasMessageContaining("path");
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] out = new byte[length];
    int offset = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, out, offset, part.length);
      offset += part.length;
    }
    return out;
  }
}
