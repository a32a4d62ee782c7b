package io.acrcredential.examples.cli;

import java.util.Objects;

/**
 * A {@link Command} whose name, summary, usage text and options are fixed when it is made: its
 * {@code --help} is the usage text followed by {@code Options:} and the option lines. A subclass
 * passes these to the constructor and writes {@link #run} only.
 */
public abstract class BasicCommand implements Command {

  private final String name;
  private final String summary;
  private final String usage;
  private final Options options;

  /**
   * Fixes what every command describes.
   *
   * @param name the word that selects the command
   * @param summary one line for the command list
   * @param usage the help above the option lines, ending with an empty line
   * @param options the command's options
   * @throws NullPointerException naming a missing value
   */
  protected BasicCommand(String name, String summary, String usage, Options options) {
    this.name = Objects.requireNonNull(name, "name");
    this.summary = Objects.requireNonNull(summary, "summary");
    this.usage = Objects.requireNonNull(usage, "usage");
    this.options = Objects.requireNonNull(options, "options");
  }

  @Override
  public final String name() {
    return name;
  }

  @Override
  public final String summary() {
    return summary;
  }

  @Override
  public final String help() {
    return usage + "Options:\n" + options.describe();
  }

  @Override
  public final Options options() {
    return options;
  }
}
