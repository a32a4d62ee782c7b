package io.acrcredential.examples.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class UtcInstantsTest {

  @Test
  void readsWhatInstantToStringWrites() {
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      long seconds = (long) (random.nextDouble() * 8_000_000_000L); // 1970 .. 2223
      int nanos =
          switch (i % 4) {
            case 0 -> 0;
            case 1 -> random.nextInt(1000) * 1_000_000;
            case 2 -> random.nextInt(1_000_000) * 1000;
            default -> random.nextInt(1_000_000_000);
          };
      Instant instant = Instant.ofEpochSecond(seconds, nanos);
      assertThat(UtcInstants.parse(instant.toString())).isEqualTo(instant);
    }
    assertThat(UtcInstants.parse("2024-02-29T23:59:59Z"))
        .isEqualTo(Instant.parse("2024-02-29T23:59:59Z"));
    assertThat(UtcInstants.parse("2000-03-01T00:00:00.5Z"))
        .isEqualTo(Instant.parse("2000-03-01T00:00:00.5Z"));
  }

  @Test
  void otherFormsAreLeftToTheJdk() {
    assertThat(UtcInstants.parse("1969-12-31T23:59:59Z")).isEqualTo(Instant.ofEpochSecond(-1));
    // the JDK's end-of-day form
    assertThat(UtcInstants.parse("2026-12-05T24:00:00Z"))
        .isEqualTo(Instant.parse("2026-12-06T00:00:00Z"));
    assertThat(UtcInstants.parse("+12026-01-01T00:00:00Z"))
        .isEqualTo(Instant.parse("+12026-01-01T00:00:00Z"));
    for (String bad :
        new String[] {
          "2023-02-29T00:00:00Z", // no leap day in 2023
          "2026-13-01T00:00:00Z",
          "2026-12-05T25:00:00Z",
          "2026-12-05T01:35:58",
          "2026-12-05T01:35:58.1234567890Z",
          "2026-12-05 01:35:58Z",
          "2026-1a-05T01:35:58Z",
          ""
        }) {
      assertThatThrownBy(() -> UtcInstants.parse(bad))
          .as(bad)
          .isInstanceOf(DateTimeParseException.class);
    }
  }
}
