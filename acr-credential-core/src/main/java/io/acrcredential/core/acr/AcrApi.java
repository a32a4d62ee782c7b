package io.acrcredential.core.acr;

import com.aliyuncs.AcsRequest;
import com.aliyuncs.IAcsClient;
import com.fasterxml.jackson.databind.JsonNode;
import io.acrcredential.core.RegistryCredential;
import io.acrcredential.core.RegistryHosts;
import io.acrcredential.core.RegistryTarget;
import io.acrcredential.core.TokenException;
import io.acrcredential.core.TokenException.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The four ACR OpenAPI calls, each with its strict answer parsing. */
final class AcrApi {

  static final int PAGE_SIZE = 50;
  static final int MAX_PAGES = 200;

  private final IAcsClient client;
  private final IdentityProvider identity;
  private final Optional<Endpoint> override;

  AcrApi(IAcsClient client, IdentityProvider identity, Optional<Endpoint> override) {
    this.client = client;
    this.identity = identity;
    this.override = override;
  }

  Endpoint endpoint(String regionId) {
    return override.orElseGet(() -> Endpoint.https(Domains.acrApiHost(regionId)));
  }

  private <R extends AcsRequest<?>> R prepare(R request, String regionId) {
    Endpoint ep = endpoint(regionId);
    request.setSysEndpoint(ep.hostPort());
    request.setSysProtocol(ep.protocol());
    request.setSysRegionId(regionId);
    return request;
  }

  private CallContext ctx(Operation op, String subject, String regionId) {
    return new CallContext(op, identity.identity(), subject, endpoint(regionId).hostPort());
  }

  /** A credential without domains resolved yet: the caller adds them. */
  record Token(String username, String password, Instant expiresAt) {
    @Override
    public String toString() {
      return "Token[username=" + username + ", password=<redacted>, expiresAt=" + expiresAt + "]";
    }

    RegistryCredential withDomains(List<String> domains) {
      return new RegistryCredential(username, password, expiresAt, domains);
    }
  }

  com.aliyuncs.cr.model.v20160607.GetAuthorizationTokenRequest personalRequest(String regionId) {
    return prepare(new com.aliyuncs.cr.model.v20160607.GetAuthorizationTokenRequest(), regionId);
  }

  Token personalToken(RegistryTarget target) {
    String region = target.regionId();
    CallContext ctx = ctx(Operation.PERSONAL_TOKEN, target.describe(), region);
    JsonNode root = OpenApi.call(client, personalRequest(region), ctx);
    if (root.get("data") == null) {
      JsonNode code = root.has("code") ? root.get("code") : root.get("Code");
      if (code != null && code.isTextual()) {
        JsonNode message = root.has("message") ? root.get("message") : root.get("Message");
        throw AcrErrors.fromError(
            ctx, 200, code.asText(), message == null ? null : message.asText(), null);
      }
    }
    return new Token(
        OpenApi.requireText(ctx, root, "data.tempUserName"),
        OpenApi.requireText(ctx, root, "data.authorizationToken"),
        Instant.ofEpochMilli(OpenApi.requireEpochMillis(ctx, root, "data.expireDate")));
  }

  com.aliyuncs.cr.model.v20181201.GetAuthorizationTokenRequest enterpriseRequest(
      String regionId, String instanceId) {
    var request =
        prepare(new com.aliyuncs.cr.model.v20181201.GetAuthorizationTokenRequest(), regionId);
    request.setInstanceId(instanceId);
    return request;
  }

  Token enterpriseToken(RegistryTarget target) {
    String region = target.regionId();
    String instanceId = target.instanceId().orElseThrow();
    CallContext ctx = ctx(Operation.ENTERPRISE_TOKEN, target.describe(), region);
    JsonNode root = OpenApi.call(client, enterpriseRequest(region, instanceId), ctx);
    return new Token(
        OpenApi.requireText(ctx, root, "TempUsername"),
        OpenApi.requireText(ctx, root, "AuthorizationToken"),
        Instant.ofEpochMilli(OpenApi.requireEpochMillis(ctx, root, "ExpireTime")));
  }

  /** The domains of every enabled endpoint of an instance, in the order ACR lists them. */
  List<String> instanceDomains(String regionId, String instanceId) {
    CallContext ctx =
        ctx(
            Operation.LIST_INSTANCE_ENDPOINT,
            "enterprise " + instanceId + " in " + regionId,
            regionId);
    var request =
        prepare(new com.aliyuncs.cr.model.v20181201.ListInstanceEndpointRequest(), regionId);
    request.setInstanceId(instanceId);
    request.setModuleName("Registry");
    JsonNode root = OpenApi.call(client, request, ctx);
    JsonNode endpoints = root.get("Endpoints");
    if (endpoints == null || !endpoints.isArray()) {
      throw OpenApi.invalid(ctx, "answered without an Endpoints list");
    }
    Set<String> domains = new LinkedHashSet<>();
    int i = 0;
    for (JsonNode endpoint : endpoints) {
      String at = "Endpoints[" + i++ + "]";
      if (!endpoint.isObject()) {
        throw OpenApi.invalid(ctx, "answered a " + at + " that is not an object");
      }
      JsonNode enable = endpoint.get("Enable");
      if (enable == null || !enable.isBoolean()) {
        throw OpenApi.invalid(ctx, "answered a " + at + " without a boolean Enable");
      }
      if (!enable.booleanValue()) {
        continue;
      }
      JsonNode list = endpoint.get("Domains");
      if (list == null || !list.isArray()) {
        throw OpenApi.invalid(ctx, "answered a " + at + " without a Domains list");
      }
      for (JsonNode domain : list) {
        JsonNode name = domain.get("Domain");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
          throw OpenApi.invalid(ctx, "answered a domain in " + at + " without a Domain name");
        }
        String host = name.asText().trim().toLowerCase(Locale.ROOT);
        if (!RegistryHosts.isValid(host)) {
          throw OpenApi.invalid(ctx, "answered a domain in " + at + " that is not a registry host");
        }
        domains.add(host);
      }
    }
    if (domains.isEmpty()) {
      throw new TokenException(
          Reason.INVALID_CONFIGURATION,
          null,
          "ACR Enterprise Edition instance "
              + instanceId
              + " in "
              + regionId
              + " has no enabled registry endpoint: enable its internet or VPC access in the ACR"
              + " console, or configure the registry domains explicitly.");
    }
    return List.copyOf(domains);
  }

  /** The id of the instance with exactly this name, searching every page of ListInstance. */
  String findInstanceId(String regionId, String instanceName) {
    CallContext ctx =
        ctx(
            Operation.LIST_INSTANCE,
            "instance name '" + instanceName + "' in " + regionId,
            regionId);
    List<String> seen = new ArrayList<>();
    long total = -1;
    for (int page = 1; page <= MAX_PAGES; page++) {
      var request = prepare(new com.aliyuncs.cr.model.v20181201.ListInstanceRequest(), regionId);
      request.setInstanceName(instanceName);
      request.setPageNo(page);
      request.setPageSize(PAGE_SIZE);
      JsonNode root = OpenApi.call(client, request, ctx);
      JsonNode instances = root.get("Instances");
      if (instances == null || !instances.isArray()) {
        throw OpenApi.invalid(ctx, "answered without an Instances list");
      }
      JsonNode totalNode = root.get("TotalCount");
      if (totalNode != null && !totalNode.isNull()) {
        if (!totalNode.canConvertToLong() || !totalNode.isIntegralNumber()) {
          throw OpenApi.invalid(ctx, "answered a TotalCount that is not a whole number");
        }
        total = totalNode.asLong();
      }
      int i = 0;
      for (JsonNode instance : instances) {
        String at = "Instances[" + i++ + "]";
        JsonNode name = instance.get("InstanceName");
        JsonNode id = instance.get("InstanceId");
        if (name == null || !name.isTextual() || id == null || !id.isTextual()) {
          throw OpenApi.invalid(ctx, "answered an " + at + " without InstanceName and InstanceId");
        }
        if (name.asText().equals(instanceName)) {
          return id.asText();
        }
        seen.add(name.asText());
      }
      if (instances.isEmpty() || (total >= 0 && seen.size() >= total)) {
        break;
      }
    }
    throw new TokenException(
        Reason.NOT_FOUND,
        null,
        "No ACR Enterprise Edition instance named '"
            + instanceName
            + "' in region "
            + regionId
            + " is visible to the "
            + identity.identity()
            + " (checked "
            + seen.size()
            + " instance(s)): check the name and region, and that the identity may call"
            + " cr:ListInstance.");
  }
}
