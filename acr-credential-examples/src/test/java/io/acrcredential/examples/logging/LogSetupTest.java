package io.acrcredential.examples.logging;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * {@code --log-format json}: logback's JsonEncoder, one object per line, MDC and key-values kept.
 */
class LogSetupTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  @AfterEach
  void reset() {
    MDC.clear();
    LogSetup.configure(LogSetup.Format.PLAIN, "warn", System.err);
  }

  List<JsonNode> lines() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(text).endsWith("\n");
    return text.lines().map(l -> read(mapper, l)).toList();
  }

  static JsonNode read(ObjectMapper mapper, String line) {
    try {
      return mapper.readTree(line);
    } catch (Exception e) {
      throw new AssertionError("not one JSON object: " + line, e);
    }
  }

  @Test
  void jsonLinesKeepMdcKeyValuesAndTheException() throws Exception {
    LogSetup.configure(LogSetup.Format.JSON, "info", out);
    Logger log = LoggerFactory.getLogger("io.acrcredential.examples.LogSetupTest");
    MDC.put("namespace", "team-a");
    log.atInfo()
        .addKeyValue("registry", "cri-abc@cn-hangzhou")
        .log("wrote {} pull Secrets\nin one pass", 3);
    MDC.clear();
    log.warn("refresh failed", new IllegalStateException("ACR answered 503"));
    log.debug("not at info");

    List<JsonNode> lines = lines();
    assertThat(lines).hasSize(2);
    JsonNode info = lines.get(0);
    assertThat(info.get("level").asText()).isEqualTo("INFO");
    assertThat(info.get("loggerName").asText()).isEqualTo("io.acrcredential.examples.LogSetupTest");
    assertThat(info.get("formattedMessage").asText())
        .isEqualTo("wrote 3 pull Secrets\nin one pass");
    assertThat(info.get("timestamp").asLong()).isPositive();
    assertThat(info.get("mdc").get("namespace").asText()).isEqualTo("team-a");
    assertThat(info.get("kvpList").toString()).contains("\"registry\"", "cri-abc@cn-hangzhou");
    assertThat(info.has("arguments")).as("the arguments are in the message only").isFalse();
    JsonNode warn = lines.get(1);
    assertThat(warn.get("level").asText()).isEqualTo("WARN");
    assertThat(warn.get("throwable").get("className").asText())
        .isEqualTo("java.lang.IllegalStateException");
    assertThat(warn.get("throwable").get("message").asText()).isEqualTo("ACR answered 503");
  }

  @Test
  void librariesStayAtWarn() throws Exception {
    LogSetup.configure(LogSetup.Format.JSON, "debug", out);
    LoggerFactory.getLogger("io.kubernetes.client.SomeLibrary").info("library chatter");
    LoggerFactory.getLogger("io.acrcredential.k8s.PullSecretSync").debug("project detail");
    List<JsonNode> lines = lines();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0).get("formattedMessage").asText()).isEqualTo("project detail");
  }
}
