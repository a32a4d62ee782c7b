package io.acrcredential.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.aliyuncs.auth.AlibabaCloudCredentials;
import com.aliyuncs.auth.BasicSessionCredentials;
import com.aliyuncs.auth.URLCredentialsProvider;
import com.aliyuncs.exceptions.ClientException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The credentials-URI fake read by the SDK's own {@code URLCredentialsProvider}. */
class FakeCredentialsUriSdkTest {
  static final String ROLE = "acs:ram::1234567890:role/broker";

  FakeClock clock;
  FakeIdentities identities;
  FakeCredentialsUri uri;

  @BeforeEach
  void start() {
    clock = FakeClock.atSystemTime();
    identities = new FakeIdentities();
    uri = FakeCredentialsUri.start(identities, clock).serveRole(ROLE);
  }

  @AfterEach
  void stop() {
    uri.close();
  }

  @Test
  void sdkReadsTheServedCredentials() throws ClientException {
    URLCredentialsProvider sdk = URLCredentialsProvider.builder().credentialsURI(uri.url()).build();
    AlibabaCloudCredentials got = sdk.getCredentials();

    SessionCredentials served = uri.currentCredentials().orElseThrow();
    assertThat(got).isInstanceOf(BasicSessionCredentials.class);
    assertThat(got.getAccessKeyId()).isEqualTo(served.accessKeyId());
    assertThat(got.getAccessKeySecret()).isEqualTo(served.accessKeySecret());
    assertThat(((BasicSessionCredentials) got).getSessionToken()).isEqualTo(served.securityToken());
    assertThat(uri.callCount(FakeApi.CREDENTIALS_URI)).isEqualTo(1);
    assertThat(served.roleArn()).isEqualTo(ROLE);
  }

  @Test
  void credentialsAreReplacedOnlyNearExpiry() throws ClientException {
    uri.setCredentialLifetime(Duration.ofHours(1));
    URLCredentialsProvider sdk = URLCredentialsProvider.builder().credentialsURI(uri.url()).build();
    String first = sdk.getCredentials().getAccessKeyId();
    clock.advance(Duration.ofMinutes(40));
    assertThat(sdk.getCredentials().getAccessKeyId()).isEqualTo(first);
    clock.advance(Duration.ofMinutes(6));
    assertThat(sdk.getCredentials().getAccessKeyId()).isNotEqualTo(first);
  }

  @Test
  void sdkRejectsInjectedFailures() {
    URLCredentialsProvider sdk = URLCredentialsProvider.builder().credentialsURI(uri.url()).build();
    uri.failNext(FakeApi.CREDENTIALS_URI, 1, Failure.notSuccess("Failed"));
    assertThatThrownBy(sdk::getCredentials)
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("Failed");
    uri.failNext(FakeApi.CREDENTIALS_URI, 1, Failure.serverError(500));
    assertThatThrownBy(sdk::getCredentials)
        .isInstanceOf(ClientException.class)
        .hasMessageContaining("HttpCode=500");
  }

  @Test
  void otherPathsAreNotFound() {
    URLCredentialsProvider sdk =
        URLCredentialsProvider.builder().credentialsURI(uri.url() + "/other").build();
    assertThatThrownBy(sdk::getCredentials).isInstanceOf(ClientException.class);
    assertThat(uri.callCount(FakeApi.CREDENTIALS_URI)).isZero();
    assertThat(uri.totalCalls()).isEqualTo(1);
  }
}
