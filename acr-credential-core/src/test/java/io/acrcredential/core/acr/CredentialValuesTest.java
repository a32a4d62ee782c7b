package io.acrcredential.core.acr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.aliyuncs.auth.AlibabaCloudCredentials;
import com.aliyuncs.auth.BasicSessionCredentials;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import io.acrcredential.testing.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** Unit tests of the credential values, the session cache and the scrubber. */
class CredentialValuesTest {

  @Test
  void toStringNeverShowsSecrets() {
    assertThat(AlibabaCredentials.accessKey("LTAIid", "topSecretValue").toString())
        .contains("LTAIid")
        .doesNotContain("topSecretValue");
    assertThat(
            AlibabaCredentials.stsToken("STS.id", "topSecretValue", "stsTokenValue")
                .assumeRole("acs:ram::1:role/r")
                .toString())
        .doesNotContain("topSecretValue")
        .doesNotContain("stsTokenValue");
    assertThat(
            AlibabaCredentials.defaultChain(Map.of("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "envSecret"))
                .toString())
        .doesNotContain("envSecret");
    assertThat(
            AlibabaCredentials.oidcRole(
                    "acs:ram::1:role/r", "acs:ram::1:oidc-provider/p", Path.of("/t"), null)
                .describe())
        .isEqualTo("RAM role acs:ram::1:role/r (RRSA/OIDC)");
  }

  static final class CountingProvider extends RefreshingProvider {
    final AtomicInteger calls = new AtomicInteger();
    final FakeClock clock;
    Duration lifetime = Duration.ofHours(1);
    boolean fail;

    CountingProvider(FakeClock clock) {
      super(clock);
      this.clock = clock;
    }

    @Override
    Session fetchSession() {
      calls.incrementAndGet();
      if (fail) {
        throw new TokenException(Reason.SERVICE_UNAVAILABLE, null, "down");
      }
      return session(
          new BasicSessionCredentials("STS." + calls.get(), "s", "t"),
          clock.instant().plus(lifetime));
    }

    @Override
    public String identity() {
      return "test identity";
    }
  }

  @Test
  void sessionsAreRenewedAheadOfExpiryAndKeptWhileRenewalFails() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
    CountingProvider p = new CountingProvider(clock);

    AlibabaCloudCredentials first = p.getCredentials();
    clock.advance(Duration.ofMinutes(44));
    assertThat(p.getCredentials()).isSameAs(first);
    assertThat(p.calls).hasValue(1);

    clock.advance(Duration.ofMinutes(1)); // 15 minutes before expiry
    p.fail = true;
    assertThat(p.getCredentials()).isSameAs(first);
    assertThat(p.calls).hasValue(2);

    clock.advance(Duration.ofMinutes(14).plusSeconds(1)); // less than a minute left
    TokenException e = catchThrowableOfType(TokenException.class, p::getCredentials);
    assertThat(e.reason()).isEqualTo(Reason.SERVICE_UNAVAILABLE);

    p.fail = false;
    assertThat(p.getCredentials().getAccessKeyId()).isEqualTo("STS.4");
  }

  @Test
  void shortSessionsRenewAfterTwoThirds() {
    FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
    CountingProvider p = new CountingProvider(clock);
    p.lifetime = Duration.ofMinutes(15);
    p.getCredentials();
    clock.advance(Duration.ofMinutes(9));
    p.getCredentials();
    assertThat(p.calls).hasValue(1);
    clock.advance(Duration.ofMinutes(1));
    p.getCredentials();
    assertThat(p.calls).hasValue(2);
  }

  @Test
  void scrubRemovesQueriesSignStringsAndOpaqueTokens() {
    String scrubbed =
        Redaction.scrub(
            "failed http://h:1/?SecurityToken=abc&Signature=x then token "
                + "CAISabcdefghijklmnopqrstuvwxyz0123 and string to sign is: GET&x");
    assertThat(scrubbed)
        .contains("http://h:1/?<redacted>")
        .doesNotContain("SecurityToken=abc")
        .doesNotContain("CAISabcdef")
        .doesNotContain("GET&x");
    assertThat(Redaction.scrub(null)).isEmpty();
  }

  @Test
  void unknownRegionNetworkFailureSuggestsTheClosestRegion() {
    OkHttpClient offline =
        new OkHttpClient.Builder()
            .addInterceptor(
                chain -> {
                  throw new java.net.UnknownHostException(chain.request().url().host());
                })
            .build();
    try (AcrTokenProvider p =
        AcrTokenProvider.builder()
            .credentials(AlibabaCredentials.accessKey("LTAIid", "secret"))
            .httpClient(offline)
            .build()) {
      TokenException e =
          catchThrowableOfType(
              TokenException.class, () -> p.fetch(RegistryTarget.personal("cn-hangzou")));
      assertThat(e.reason()).isEqualTo(Reason.NETWORK);
      assertThat(e.getMessage()).contains("cn-hangzhou");
    }
  }
}
