package io.acrcredential.examples.cli;

/**
 * A subcommand of the program. New subcommands (for example {@code sync}, {@code demo}) extend
 * {@link BasicCommand} and are added to the entry point's list ({@code
 * io.acrcredential.examples.Main}, which no command refers to).
 */
public interface Command {

  /** The word that selects the command, e.g. {@code token}. */
  String name();

  /** One line for the command list. */
  String summary();

  /** The full {@code --help} text. */
  String help();

  /** The command's options; the entry point parses them and answers {@code --help} itself. */
  Options options();

  /**
   * Runs the command.
   *
   * @param p the parsed arguments after the command name (global {@code --debug} removed), without
   *     {@code --help}
   * @param io the environment and streams
   * @return the exit code
   * @throws CliException for a failure reported as one line
   */
  int run(Options.Parsed p, Invocation io);
}
