package io.acrcredential.examples;

import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;

/**
 * The fake ACR as a standalone process, for measuring the launchers (see src/test/bench). Prints
 * {@code http://127.0.0.1:PORT} and serves until killed; the AccessKey is {@link CliHarness#AK} /
 * {@link CliHarness#SECRET}; the instance {@code cri-bench0001} answers for any mapped domain.
 */
public final class FakeCloudServer {

  private FakeCloudServer() {}

  /**
   * Starts the fake and waits.
   *
   * @param args ignored
   * @throws InterruptedException when interrupted
   */
  public static void main(String[] args) throws InterruptedException {
    FakeAlibabaCloud cloud = FakeAlibabaCloud.start();
    cloud.identities().addAccessKey(CliHarness.AK, CliHarness.SECRET);
    cloud.acr().addInstance(AcrInstance.of("cri-bench0001", "bench", "cn-hangzhou"));
    Runtime.getRuntime().addShutdownHook(new Thread(cloud::close));
    System.out.println("http://" + cloud.acr().endpoint());
    System.out.flush();
    Thread.currentThread().join();
  }
}
