package io.acrcredential.examples.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.acrcredential.examples.cli.CliException;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code sync --config FILE}: the file is bounded before it is parsed (a ConfigMap holds at most 1
 * MiB), and YAML errors do not echo pieces of it.
 */
class ConfigFileLimitsTest {

  static final String SHORT_SECRET = "pw9Xk2";

  @TempDir Path dir;

  @Test
  void aFiveMegabyteFileIsRefusedBeforeParsing() throws IOException {
    Path file = dir.resolve("config.yaml");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      w.write("kind: ConfigMap\ndata:\n  acr-registry-info: |\n");
      String line = "    - instanceId: cri-abcd1234\n      regionId: cn-hangzhou\n";
      for (long written = 0; written < 5L * 1024 * 1024; written += line.length()) {
        w.write(line);
      }
    }
    ConfigSource.FromFile source = new ConfigSource.FromFile(file);

    assertTimeoutPreemptively(
        Duration.ofSeconds(5),
        () ->
            assertThatThrownBy(source::load)
                .isInstanceOf(CliException.class)
                .hasMessageContaining("is larger than 1088 KiB")
                .hasMessageContaining("ConfigMap holds at most 1 MiB"));
  }

  @Test
  void aConfigMapOfFullSizeIsStillRead() throws IOException {
    Path file = dir.resolve("config.yaml");
    String value = "x".repeat(1000 * 1024);
    Files.writeString(file, "kind: ConfigMap\ndata:\n  notify-email: \"" + value + "\"\n");

    assertThat(ConfigSource.FromFile.parse(Files.readString(file), "f"))
        .containsKey("notify-email");
    // load() reads it (the size is within the bound); what the parser makes of it is its business
    try {
      new ConfigSource.FromFile(file).load();
    } catch (CliException e) {
      assertThat(e.getMessage()).doesNotContain("larger than");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "acr-registry-info: !SECRET x",
        "acr-registry-info: !a!SECRET x",
        "acr-registry-info: *SECRET",
        "acr-registry-info: [*SECRET]",
        "acr-registry-info: !!SECRET x"
      })
  void yamlErrorsDoNotEchoTagOrAliasNames(String line) throws IOException {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, line.replace("SECRET", SHORT_SECRET) + "\n");

    assertThatThrownBy(() -> new ConfigSource.FromFile(file).load())
        .isInstanceOf(CliException.class)
        .hasMessageContaining("is not valid YAML")
        .hasMessageNotContaining(SHORT_SECRET);
  }
}
