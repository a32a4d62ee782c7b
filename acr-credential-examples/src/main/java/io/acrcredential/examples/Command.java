package io.acrcredential.examples;

import java.util.List;

/**
 * A subcommand of the program. New subcommands (for example {@code sync}, {@code demo}) implement
 * this and are added to {@link Main#commands()}.
 */
interface Command {

  /** The word that selects the command, e.g. {@code token}. */
  String name();

  /** One line for the command list. */
  String summary();

  /** The full {@code --help} text. */
  String help();

  /**
   * Runs the command.
   *
   * @param args the arguments after the command name (global {@code --debug} removed)
   * @param io the environment and streams
   * @return the exit code
   * @throws CliException for a failure reported as one line
   */
  int run(List<String> args, Invocation io);
}
