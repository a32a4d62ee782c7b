package io.acrcredential.examples.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The streaming reader and writer give the mapper's trees and bytes. */
class JsonTreeTest {

  static final List<String> SAMPLES =
      List.of(
          "{}",
          "[]",
          "\"text \\u00e9 \\\" \\\\ \\n\"",
          "{\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"kind\":\"Credential"
              + "ProviderRequest\",\"image\":\"r.cn-hangzhou.aliyuncs.com/a/b:1\","
              + "\"serviceAccountAnnotations\":{\"k\":\"v\",\"e\":\"\"}}",
          "{\"version\":1,\"big\":12345678901234,\"huge\":123456789012345678901234567890,"
              + "\"f\":1.5,\"t\":true,\"n\":null,\"domains\":[\"a\",\"b\",[],{}],\"u\":\"\\u2603\"}",
          "  {\"nested\":{\"deeper\":{\"x\":[1,-2,3.25e10]}}}  ");

  @Test
  void readsTheSameTreesAsTheMapper() throws Exception {
    for (String sample : SAMPLES) {
      byte[] bytes = sample.getBytes(StandardCharsets.UTF_8);
      assertThat(JsonTree.read(bytes)).as(sample).isEqualTo(Json.MAPPER.readTree(bytes));
    }
  }

  @Test
  void writesTheSameBytesAsTheMapper() throws Exception {
    for (String sample : SAMPLES) {
      JsonNode tree = Json.MAPPER.readTree(sample);
      assertThat(new String(JsonTree.write(tree), StandardCharsets.UTF_8))
          .as(sample)
          .isEqualTo(Json.MAPPER.writeValueAsString(tree));
    }
  }

  @Test
  void emptyInputIsMissingAndDuplicateKeysAreRejected() throws Exception {
    assertThat(JsonTree.read(new byte[0]).isMissingNode()).isTrue();
    assertThatThrownBy(() -> JsonTree.read("{\"a\":1,\"a\":2}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JsonProcessingException.class)
        .hasMessageContaining("Duplicate field 'a'");
    assertThatThrownBy(() -> JsonTree.read("{\"a\":".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(JsonProcessingException.class);
  }
}
