package io.acrcredential.core.acr;

/** The remote calls this package makes, with the names users see in errors and RAM policies. */
enum Operation {
  PERSONAL_TOKEN("ACR", "GetAuthorizationToken (Personal Edition)", "cr:GetAuthorizationToken"),
  ENTERPRISE_TOKEN("ACR", "GetAuthorizationToken (Enterprise Edition)", "cr:GetAuthorizationToken"),
  LIST_INSTANCE_ENDPOINT("ACR", "ListInstanceEndpoint", "cr:ListInstanceEndpoint"),
  LIST_INSTANCE("ACR", "ListInstance", "cr:ListInstance"),
  ASSUME_ROLE("STS", "AssumeRole", "sts:AssumeRole"),
  ASSUME_ROLE_WITH_OIDC("STS", "AssumeRoleWithOIDC", "sts:AssumeRoleWithOIDC"),
  ECS_METADATA("ECS metadata service", "RAM role credentials", ""),
  CREDENTIALS_URI("Credentials URI", "endpoint", "");

  private final String service;
  private final String callName;
  private final String ramAction;

  Operation(String service, String callName, String ramAction) {
    this.service = service;
    this.callName = callName;
    this.ramAction = ramAction;
  }

  String service() {
    return service;
  }

  String callName() {
    return callName;
  }

  String ramAction() {
    return ramAction;
  }

  boolean isAcr() {
    return "ACR".equals(service);
  }

  boolean isSts() {
    return "STS".equals(service);
  }
}
