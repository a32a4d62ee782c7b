package io.acrcredential.core.acr;

/**
 * What an error message needs to know about the failed call.
 *
 * @param operation the call
 * @param identity a log-safe description of the Alibaba identity, e.g. "RAM user (AccessKey)"
 * @param subject what the call was about, e.g. "enterprise cri-abc in cn-hangzhou" or a role ARN
 * @param endpoint the host (and port) called
 */
record CallContext(Operation operation, String identity, String subject, String endpoint) {

  String where() {
    return operation.service() + " " + operation.callName();
  }
}
