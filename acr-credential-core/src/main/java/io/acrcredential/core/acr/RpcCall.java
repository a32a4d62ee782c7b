package io.acrcredential.core.acr;

import com.aliyuncs.AcsResponse;
import com.aliyuncs.RpcAcsRequest;
import com.aliyuncs.http.FormatType;
import com.aliyuncs.http.MethodType;
import com.aliyuncs.transform.UnmarshallerContext;

/**
 * A signed RPC request for an API that has no request class in the SDK jars this library uses (STS
 * {@code AssumeRole}). The answer is read from the raw body, never through the SDK's unmarshaller.
 */
final class RpcCall extends RpcAcsRequest<RpcCall.RawResponse> {

  RpcCall(String product, String version, String action, Endpoint endpoint) {
    super(product, version, action);
    setSysMethod(MethodType.POST);
    setSysAcceptFormat(FormatType.JSON);
    setSysEndpoint(endpoint.hostPort());
    setSysProtocol(endpoint.protocol());
  }

  RpcCall param(String name, String value) {
    putQueryParameter(name, value);
    return this;
  }

  @Override
  public Class<RawResponse> getResponseClass() {
    return RawResponse.class;
  }

  /** Placeholder response type; never instantiated. */
  static final class RawResponse extends AcsResponse {
    @Override
    public AcsResponse getInstance(UnmarshallerContext context) {
      return this;
    }
  }
}
