package io.acrcredential.examples;

import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.testing.AcrInstance;
import io.acrcredential.testing.FakeAlibabaCloud;
import io.acrcredential.testing.FakeClock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs the program in-process against the fake Alibaba Cloud, with a private home directory. */
public final class CliHarness implements AutoCloseable {

  public static final String AK = "LTAI5tExamplesCli01";
  public static final String SECRET = "examplesCliSecret0123456789";
  public static final String REGION = "cn-hangzhou";
  public static final String INSTANCE_ID = "cri-golden01";
  public static final String INSTANCE_NAME = "myco";
  public static final String USER = "cr_temp_user";
  public static final String PASSWORD = "golden-password-0123";

  public final FakeClock clock;
  public final FakeAlibabaCloud cloud;
  public final Path home;
  public final Map<String, String> env = new HashMap<>();

  /** The outcome of one run. */
  public record Result(int exit, String stdout, String stderr) {}

  public CliHarness(Path home) {
    this.home = home;
    this.clock = FakeClock.at(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    this.cloud = FakeAlibabaCloud.start(clock);
    cloud.acr().setMaxClockSkew(Duration.ofDays(1));
    cloud.sts().setMaxClockSkew(Duration.ofDays(1));
    cloud.identities().addAccessKey(AK, SECRET);
    cloud.acr().addInstance(AcrInstance.of(INSTANCE_ID, INSTANCE_NAME, REGION));
    cloud.acr().useFixedToken(USER, PASSWORD);
    env.put("HOME", home.toString());
    env.put("ACR_CREDENTIAL_ACR_ENDPOINT", "http://" + cloud.acr().endpoint());
    env.put("ACR_CREDENTIAL_STS_ENDPOINT", "http://" + cloud.sts().endpoint());
    env.put("ACR_CREDENTIAL_METADATA_ENDPOINT", "http://" + cloud.metadata().endpoint());
    env.put("ALIBABA_CLOUD_ACCESS_KEY_ID", AK);
    env.put("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET);
  }

  public Result run(String stdin, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Invocation io =
        new Invocation(
            env,
            new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            clock,
            home);
    int exit = Main.run(List.of(args), io);
    return new Result(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  public Path cacheDir() {
    return home.resolve(".cache/acr-credential/tokens");
  }

  @Override
  public void close() {
    cloud.close();
  }
}
