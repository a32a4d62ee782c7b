package io.acrcredential.testing;

/**
 * The operations served by the fakes; used to count calls, read recorded requests and inject
 * failures.
 */
public enum FakeApi {
  /**
   * Personal Edition {@code GetAuthorizationToken}, version 2016-06-07, ROA {@code GET /tokens}.
   */
  PERSONAL_GET_AUTHORIZATION_TOKEN("cr:GetAuthorizationToken"),
  /** Enterprise Edition {@code GetAuthorizationToken}, version 2018-12-01, RPC. */
  GET_AUTHORIZATION_TOKEN("cr:GetAuthorizationToken"),
  /** Enterprise Edition {@code ListInstance}, version 2018-12-01, RPC. */
  LIST_INSTANCE("cr:ListInstance"),
  /** Enterprise Edition {@code ListInstanceEndpoint}, version 2018-12-01, RPC. */
  LIST_INSTANCE_ENDPOINT("cr:ListInstanceEndpoint"),
  /** STS {@code AssumeRole}, version 2015-04-01, RPC, signed. */
  ASSUME_ROLE("sts:AssumeRole"),
  /** STS {@code AssumeRoleWithOIDC}, version 2015-04-01, RPC, not signed. */
  ASSUME_ROLE_WITH_OIDC("sts:AssumeRoleWithOIDC"),
  /** ECS metadata {@code PUT /latest/api/token} (IMDSv2 session token). */
  METADATA_TOKEN("ecs:MetadataToken"),
  /** ECS metadata {@code GET /latest/meta-data/ram/security-credentials/} (the role name). */
  METADATA_ROLE_NAME("ecs:MetadataRoleName"),
  /** ECS metadata {@code GET /latest/meta-data/ram/security-credentials/<role>} (credentials). */
  METADATA_CREDENTIALS("ecs:MetadataCredentials"),
  /** Credentials URI {@code GET <path>} (session credentials from a credential broker). */
  CREDENTIALS_URI("credentials-uri:GetCredentials");

  private final String ramAction;

  FakeApi(String ramAction) {
    this.ramAction = ramAction;
  }

  /**
   * The RAM action that guards this operation, as used by {@link FakeIdentities#deny(String,
   * String)}, e.g. {@code cr:GetAuthorizationToken}.
   *
   * @return the RAM action name
   */
  public String ramAction() {
    return ramAction;
  }
}
