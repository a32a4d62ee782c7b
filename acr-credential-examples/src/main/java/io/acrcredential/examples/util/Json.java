package io.acrcredential.examples.util;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one JSON mapper: duplicate keys are an error, as the kubelet's own decoder treats them. */
public final class Json {

  public static final JsonMapper MAPPER =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  private Json() {}
}
