package io.acrcredential.testing;

import com.aliyuncs.AcsRequest;
import com.aliyuncs.DefaultAcsClient;
import com.aliyuncs.auth.AlibabaCloudCredentials;
import com.aliyuncs.auth.BasicCredentials;
import com.aliyuncs.auth.BasicSessionCredentials;
import com.aliyuncs.auth.StaticCredentialsProvider;
import com.aliyuncs.exceptions.ClientException;
import com.aliyuncs.http.HttpResponse;
import com.aliyuncs.http.ProtocolType;
import com.aliyuncs.profile.DefaultProfile;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Test helpers around the real Alibaba SDK. */
final class Sdk {
  static final ObjectMapper JSON = new ObjectMapper();

  private Sdk() {}

  static DefaultAcsClient client(String accessKeyId, String secret) {
    return client(new BasicCredentials(accessKeyId, secret));
  }

  static DefaultAcsClient client(SessionCredentials sts) {
    return client(
        new BasicSessionCredentials(sts.accessKeyId(), sts.accessKeySecret(), sts.securityToken()));
  }

  static DefaultAcsClient client(AlibabaCloudCredentials credentials) {
    DefaultProfile profile = DefaultProfile.getProfile("cn-hangzhou");
    return new DefaultAcsClient(profile, new StaticCredentialsProvider(credentials));
  }

  /** Sends the request to the fake and returns status + parsed body. */
  static Answer call(DefaultAcsClient client, AcsRequest<?> request, FakeService fake) {
    request.setSysEndpoint(fake.endpoint());
    request.setSysProtocol(ProtocolType.HTTP);
    try {
      HttpResponse response = client.doAction(request);
      String body = response.getHttpContent() == null ? "" : response.getHttpContentString();
      return new Answer(response.getStatus(), body);
    } catch (ClientException e) {
      throw new IllegalStateException("SDK call failed: " + e.getErrCode(), e);
    }
  }

  /** An HTTP answer. */
  record Answer(int status, String body) {
    JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        throw new UncheckedIOException("not JSON: " + body, e);
      }
    }

    String code() {
      JsonNode json = json();
      return json.has("Code") ? json.get("Code").asText() : json.path("code").asText(null);
    }
  }
}
