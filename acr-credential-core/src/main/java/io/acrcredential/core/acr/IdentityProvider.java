package io.acrcredential.core.acr;

import com.aliyuncs.auth.AlibabaCloudCredentials;
import com.aliyuncs.auth.AlibabaCloudCredentialsProvider;
import io.acrcredential.core.TokenException;

/**
 * An SDK credentials provider that can say, without secrets, what kind of identity it is. Failures
 * are thrown as {@link TokenException}, which passes unchanged through the SDK's {@code doAction}.
 */
interface IdentityProvider extends AlibabaCloudCredentialsProvider {

  @Override
  AlibabaCloudCredentials getCredentials() throws TokenException;

  /** A log-safe description such as "ECS RAM role 'worker'". */
  String identity();
}
