package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WebhookCertificatesTest {

  static final WebhookCertificates.Lifetimes LIFE =
      new WebhookCertificates.Lifetimes(Duration.ofDays(360), Duration.ofDays(30));
  static final WebhookCertificates.Hosts SERVICE =
      WebhookCertificates.Hosts.ofService("kube-system", "acr-credential-webhook");
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void aFreshStateIsACaAndAServingCertificateForTheServiceNames() throws Exception {
    WebhookCertificates.State s = WebhookCertificates.next(Optional.empty(), SERVICE, LIFE, T0);
    X509Certificate ca = s.signingCa().orElseThrow();
    assertThat(s.trusted()).containsExactly(ca);
    assertThat(ca.getBasicConstraints()).isZero();
    assertThat(s.serving().getBasicConstraints()).isEqualTo(-1);
    assertThat(WebhookCertificates.signedBy(s.serving(), ca)).isTrue();
    assertThat(WebhookCertificates.covers(s.serving(), SERVICE)).isTrue();
    assertThat(s.serving().getSubjectAlternativeNames().stream().map(l -> (Object) l.get(1)))
        .containsExactly(
            "acr-credential-webhook.kube-system.svc",
            "acr-credential-webhook.kube-system.svc.cluster.local",
            "acr-credential-webhook.kube-system",
            "acr-credential-webhook");
    assertThat(s.serving().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(s.serving().getNotAfter().toInstant()).isEqualTo(T0.plus(Duration.ofDays(30)));
    assertThat(s.serving().getNotBefore().toInstant()).isBefore(T0);
    assertThat(s.servingKey().getAlgorithm()).isEqualTo("EC");
  }

  @Test
  void anIpHostBecomesAnIpSanAndANameADnsSan() throws Exception {
    WebhookCertificates.State s =
        WebhookCertificates.next(
            Optional.empty(), WebhookCertificates.Hosts.ofHost("127.0.0.1"), LIFE, T0);
    assertThat(s.serving().getSubjectAlternativeNames()).containsExactly(List.of(7, "127.0.0.1"));
    WebhookCertificates.State d =
        WebhookCertificates.next(
            Optional.empty(), WebhookCertificates.Hosts.ofHost("dev.example.test"), LIFE, T0);
    assertThat(d.serving().getSubjectAlternativeNames())
        .containsExactly(List.of(2, "dev.example.test"));
    assertThat(WebhookCertificates.Hosts.ofHost("[::1]").ips()).containsExactly("::1");
  }

  @Test
  void theSecretDataReadsBackAndNoKeyIsInAToString() {
    WebhookCertificates.State s = WebhookCertificates.next(Optional.empty(), SERVICE, LIFE, T0);
    Map<String, byte[]> data = s.toData();
    assertThat(data).containsOnlyKeys("ca.crt", "ca.key", "tls.crt", "tls.key");
    WebhookCertificates.State back = WebhookCertificates.parse(data).orElseThrow();
    assertThat(back.trusted()).isEqualTo(s.trusted());
    assertThat(back.serving()).isEqualTo(s.serving());
    assertThat(back.servingKey().getEncoded()).isEqualTo(s.servingKey().getEncoded());
    // nothing due: the very same state, so no write
    assertThat(WebhookCertificates.next(Optional.of(back), SERVICE, LIFE, T0.plusSeconds(60)))
        .isSameAs(back);
    String key = Base64.getEncoder().encodeToString(s.servingKey().getEncoded());
    assertThat(s.toString()).doesNotContain(key.substring(0, 40)).doesNotContain("PRIVATE");
    // damaged content starts afresh instead of failing
    assertThat(
            WebhookCertificates.parse(Map.of("tls.key", "x".getBytes(StandardCharsets.US_ASCII))))
        .isEmpty();
    Map<String, byte[]> swapped = new java.util.HashMap<>(data);
    swapped.put("tls.key", data.get("ca.key"));
    assertThat(WebhookCertificates.parse(swapped)).as("a key that does not fit").isEmpty();
  }

  @Test
  void theServingCertificateIsRenewedWithAThirdOfItsLifeLeftOrWhenTheHostsChange() {
    WebhookCertificates.State s = WebhookCertificates.next(Optional.empty(), SERVICE, LIFE, T0);
    assertThat(
            WebhookCertificates.next(Optional.of(s), SERVICE, LIFE, T0.plus(Duration.ofDays(19))))
        .isSameAs(s);
    WebhookCertificates.State renewed =
        WebhookCertificates.next(Optional.of(s), SERVICE, LIFE, T0.plus(Duration.ofDays(21)));
    assertThat(renewed.serving()).isNotEqualTo(s.serving());
    assertThat(renewed.trusted()).isEqualTo(s.trusted());
    assertThat(WebhookCertificates.signedBy(renewed.serving(), s.signingCa().orElseThrow()))
        .isTrue();
    WebhookCertificates.Hosts other = WebhookCertificates.Hosts.ofHost("127.0.0.1");
    WebhookCertificates.State moved =
        WebhookCertificates.next(Optional.of(s), other, LIFE, T0.plusSeconds(1));
    assertThat(WebhookCertificates.covers(moved.serving(), other)).isTrue();
    assertThat(WebhookCertificates.covers(s.serving(), other)).isFalse();
  }

  /**
   * The CA rotates in two steps so that every replica's certificate stays trusted: the successor is
   * trusted first, signs later, and the old CA stays in the bundle until it expires.
   */
  @Test
  void theCaIsTrustedBeforeItSignsAndTheOldOneStaysTrustedUntilItExpires() {
    WebhookCertificates.State s = WebhookCertificates.next(Optional.empty(), SERVICE, LIFE, T0);
    X509Certificate oldCa = s.signingCa().orElseThrow();
    // walk through the year as the replicas would, every day
    WebhookCertificates.State at = s;
    Instant now = T0;
    X509Certificate successor = null;
    Instant trustedAt = null;
    Instant signsAt = null;
    while (now.isBefore(T0.plus(Duration.ofDays(400)))) {
      now = now.plus(Duration.ofDays(1));
      WebhookCertificates.State next =
          WebhookCertificates.next(Optional.of(at), SERVICE, LIFE, now);
      // invariant: the served certificate is always signed by a CA in the bundle and valid
      WebhookCertificates.State check = next;
      assertThat(check.trusted())
          .as("on %s", now)
          .anyMatch(ca -> WebhookCertificates.signedBy(check.serving(), ca));
      assertThat(check.serving().getNotAfter().toInstant()).isAfter(now);
      if (successor == null && next.next().isPresent()) {
        successor = next.next().get().certificate();
        trustedAt = now;
        assertThat(next.trusted()).containsExactly(successor, oldCa);
        assertThat(WebhookCertificates.signedBy(next.serving(), oldCa)).isTrue();
      }
      if (successor != null
          && signsAt == null
          && WebhookCertificates.signedBy(next.serving(), successor)) {
        signsAt = now;
        assertThat(next.trusted()).as("the old CA still trusted").contains(oldCa, successor);
      }
      at = next;
    }
    assertThat(trustedAt).isEqualTo(T0.plus(Duration.ofDays(241)));
    assertThat(signsAt).isEqualTo(T0.plus(Duration.ofDays(301)));
    assertThat(at.trusted()).as("the old CA dropped after it expired").doesNotContain(oldCa);
  }

  @Test
  void lifetimesAreBounded() {
    assertThatThrownBy(
            () -> new WebhookCertificates.Lifetimes(Duration.ofDays(10), Duration.ofDays(5)))
        .hasMessageContaining("four times");
    assertThatThrownBy(
            () -> new WebhookCertificates.Lifetimes(Duration.ofSeconds(60), Duration.ofSeconds(5)))
        .hasMessageContaining("at least");
    assertThat(LIFE.checkEvery()).isEqualTo(Duration.ofMinutes(1));
    assertThat(
            new WebhookCertificates.Lifetimes(Duration.ofSeconds(60), Duration.ofSeconds(15))
                .checkEvery())
        .isEqualTo(Duration.ofMillis(1500));
  }
}
