package io.acrcredential.core.acr;

import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import okhttp3.FormBody;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;

/**
 * STS {@code AssumeRoleWithOIDC} (RRSA): exchanges an OIDC token for role credentials. The call is
 * not signed. A token file is re-read on every renewal because the kubelet rotates it; a token
 * given in memory is used as is.
 */
final class OidcRoleProvider extends RefreshingProvider {

  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

  private final String roleArn;
  private final String providerArn;
  private final Path tokenFile;
  private final String inlineToken;
  private final String sessionName;
  private final Duration duration;
  private final Endpoint sts;
  private final OkHttpClient http;

  OidcRoleProvider(CredentialSpec.Oidc spec, Duration duration, Transport transport) {
    super(transport.clock());
    this.roleArn = spec.roleArn();
    this.providerArn = spec.oidcProviderArn();
    this.tokenFile = spec.tokenFile();
    this.inlineToken = null;
    this.sessionName = spec.sessionName();
    this.duration = duration;
    this.sts = transport.stsEndpoint();
    this.http = transport.http();
  }

  OidcRoleProvider(CredentialSpec.OidcToken spec, Duration duration, Transport transport) {
    super(transport.clock());
    this.roleArn = spec.roleArn();
    this.providerArn = spec.oidcProviderArn();
    this.tokenFile = null;
    this.inlineToken = spec.token();
    this.sessionName = spec.sessionName();
    this.duration = duration;
    this.sts = transport.stsEndpoint();
    this.http = transport.http();
  }

  @Override
  Session fetchSession() throws TokenException {
    CallContext ctx =
        new CallContext(
            Operation.ASSUME_ROLE_WITH_OIDC, identity(), "RAM role " + roleArn, sts.hostPort());
    String token = readToken();
    HttpUrl url =
        HttpUrl.get(sts.baseUrl() + "/")
            .newBuilder()
            .addQueryParameter("Action", "AssumeRoleWithOIDC")
            .addQueryParameter("Format", "JSON")
            .addQueryParameter("Version", "2015-04-01")
            .addQueryParameter(
                "Timestamp", TIMESTAMP.format(clock().instant().truncatedTo(ChronoUnit.SECONDS)))
            .build();
    FormBody form =
        new FormBody.Builder(StandardCharsets.UTF_8)
            .add("RoleArn", roleArn)
            .add("OIDCProviderArn", providerArn)
            .add("OIDCToken", token)
            .add("RoleSessionName", sessionName)
            .add("DurationSeconds", Long.toString(duration.toSeconds()))
            .build();
    Request request = new Request.Builder().url(url).post(form).build();
    PlainHttp.Answer answer = PlainHttp.execute(http, request, ctx);
    JsonNode json = OpenApi.read(ctx, answer.status(), answer.contentType(), answer.body());
    StsSessions.Parsed parsed = StsSessions.read(ctx, json, "Credentials.");
    return session(parsed.credentials(), parsed.expiration());
  }

  private String readToken() {
    if (inlineToken != null) {
      return inlineToken;
    }
    String token;
    try {
      token = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
    } catch (NoSuchFileException e) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The OIDC token file "
              + tokenFile
              + " does not exist: check ALIBABA_CLOUD_OIDC_TOKEN_FILE and that RRSA is enabled for"
              + " the pod (the ack-pod-identity-webhook mounts the token).");
    } catch (IOException e) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The OIDC token file " + tokenFile + " cannot be read: " + e.getClass().getSimpleName());
    }
    if (token.isEmpty()) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "The OIDC token file " + tokenFile + " is empty: check the RRSA token mount.");
    }
    return token;
  }

  @Override
  public String identity() {
    return "RAM role " + roleArn + " (RRSA/OIDC)";
  }
}
