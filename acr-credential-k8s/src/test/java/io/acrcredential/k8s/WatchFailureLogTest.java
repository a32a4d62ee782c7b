package io.acrcredential.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.kubernetes.client.openapi.ApiException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class WatchFailureLogTest {

  private final Logger logger = (Logger) LoggerFactory.getLogger("WatchFailureLogTest");
  private final ListAppender<ILoggingEvent> events = new ListAppender<>();
  private Level before;

  @BeforeEach
  void capture() {
    before = logger.getLevel();
    logger.setLevel(Level.DEBUG);
    events.start();
    logger.addAppender(events);
  }

  @AfterEach
  void release() {
    logger.detachAppender(events);
    logger.setLevel(before);
  }

  @Test
  void aForbiddenListIsWarnedOnceAndOtherFailuresGoToDebug() {
    WatchFailureLog log = new WatchFailureLog();
    ApiException forbidden = new ApiException(403, "Forbidden");
    log.failed(logger, forbidden, "cannot watch {} (HTTP 403)", "informer for {}: {}", "ns-a");
    log.failed(logger, forbidden, "cannot watch {} (HTTP 403)", "informer for {}: {}", "ns-a");
    log.failed(
        logger,
        new IOException("reset"),
        "cannot watch {} (HTTP 403)",
        "informer for {}: {}",
        "ns-a");

    List<String> lines =
        events.list.stream().map(e -> e.getLevel() + " " + e.getFormattedMessage()).toList();
    assertThat(lines)
        .containsExactly(
            "WARN cannot watch ns-a (HTTP 403)",
            "DEBUG informer for ns-a: java.io.IOException: reset");
  }

  @Test
  void eachInformerWarnsForItself() {
    ApiException forbidden = new ApiException(403, "Forbidden");
    new WatchFailureLog().failed(logger, forbidden, "cannot watch {}", "other {}: {}", "ns-a");
    new WatchFailureLog().failed(logger, forbidden, "cannot watch {}", "other {}: {}", "ns-b");
    assertThat(events.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly("cannot watch ns-a", "cannot watch ns-b");
  }
}
