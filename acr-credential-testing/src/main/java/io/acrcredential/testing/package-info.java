/**
 * In-process fakes of the Alibaba Cloud services this project talks to: Container Registry's
 * OpenAPI ({@link io.acrcredential.testing.FakeAcr}), STS ({@link
 * io.acrcredential.testing.FakeSts}) and the ECS metadata service ({@link
 * io.acrcredential.testing.FakeEcsMetadata}) and a credentials URI ({@link
 * io.acrcredential.testing.FakeCredentialsUri}), sharing one {@link
 * io.acrcredential.testing.FakeIdentities} store. {@link io.acrcredential.testing.FakeAlibabaCloud}
 * starts the first three at once.
 *
 * <p>The fakes listen on 127.0.0.1 ephemeral ports over plain HTTP, verify request signatures the
 * way the real gateway does, answer with the real response shapes, and can be told to fail ({@link
 * io.acrcredential.testing.Failure}).
 */
package io.acrcredential.testing;
