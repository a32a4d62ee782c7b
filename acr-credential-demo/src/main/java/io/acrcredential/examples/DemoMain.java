package io.acrcredential.examples;

import io.acrcredential.examples.sync.DemoCommand;
import io.acrcredential.examples.sync.DemoFixturesCommand;
import java.util.List;

/**
 * The demo jar's entry point: the {@code acr-credential} program plus the {@code demo} command,
 * which brings the fake Alibaba Cloud and the local Kubernetes API server. Kept out of the program
 * jar and the image, which carry only what runs in production.
 */
public final class DemoMain {

  private DemoMain() {}

  /**
   * Runs the program with the {@code demo} command and exits with its exit code.
   *
   * @param args the command and its arguments, e.g. {@code demo --verbose}
   */
  public static void main(String[] args) {
    Main.exit(args, List.of(new DemoCommand(), new DemoFixturesCommand()));
  }
}
