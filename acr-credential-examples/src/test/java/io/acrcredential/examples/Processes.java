package io.acrcredential.examples;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs external programs (the launchers, skopeo) for the integration tests. */
public final class Processes {

  /** The outcome of a process. */
  public record Result(int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
    }
  }

  private Processes() {}

  public static Result run(List<String> command, Map<String, String> env, String stdin) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().clear();
    pb.environment().putAll(env);
    try {
      Process p = pb.start();
      CompletableFuture<byte[]> out =
          CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
      CompletableFuture<byte[]> err =
          CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
      try (OutputStream in = p.getOutputStream()) {
        in.write(stdin.getBytes(StandardCharsets.UTF_8));
      } catch (IOException e) {
        // the program may not read its input
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("timed out: " + command);
      }
      return new Result(
          p.exitValue(),
          new String(out.join(), StandardCharsets.UTF_8),
          new String(err.join(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static byte[] drain(InputStream in) {
    try (in) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toByteArray();
    } catch (IOException e) {
      return new byte[0];
    }
  }

  /** Whether a program is on the PATH. */
  static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (Files.isExecutable(Path.of(dir, program))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Skips the calling test when a program is missing, or fails it when {@code
   * ACR_E2E_REQUIRED=true} (CI).
   */
  static void require(String... programs) {
    for (String program : programs) {
      boolean present = onPath(program);
      String message =
          program
              + " is not installed; run: apt-get update && apt-get install -y docker-registry"
              + " skopeo apache2-utils";
      if (!present && "true".equalsIgnoreCase(System.getenv("ACR_E2E_REQUIRED"))) {
        throw new AssertionError(message + " (ACR_E2E_REQUIRED=true)");
      }
      Assumptions.assumeTrue(present, message);
    }
  }

  /** The launchers' directory, target/bin, set by the build. */
  static Path binDir() {
    String dir = System.getProperty("acr.bin.dir");
    Assumptions.assumeTrue(dir != null, "acr.bin.dir is not set: run through mvn verify");
    Path bin = Path.of(dir);
    if (!Files.isExecutable(bin.resolve("docker-credential-acr"))) {
      throw new AssertionError(bin + " has no launchers: run mvn package first");
    }
    return bin;
  }
}
