package io.acrcredential.examples;

import io.acrcredential.core.TokenException;
import io.acrcredential.examples.cli.CliException;
import io.acrcredential.examples.cli.Command;
import io.acrcredential.examples.cli.Invocation;
import io.acrcredential.examples.cli.Options;
import io.acrcredential.examples.cli.ProgramVersion;
import io.acrcredential.examples.doctor.DoctorCommand;
import io.acrcredential.examples.doctor.StatusCommand;
import io.acrcredential.examples.logging.LazyLog;
import io.acrcredential.examples.logging.LogSetup;
import io.acrcredential.examples.node.CdsTraining;
import io.acrcredential.examples.node.DockerCredentialCommand;
import io.acrcredential.examples.node.KubeletCommand;
import io.acrcredential.examples.node.TokenCommand;
import io.acrcredential.examples.sync.JdkHttpServers;
import io.acrcredential.examples.sync.SyncCommand;
import io.acrcredential.examples.util.TokenFailures;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code acr-credential} program: {@code acr-credential <command> [options]}. Only the entry
 * point: it picks the command ({@code token}, {@code kubelet-credential-provider}, {@code
 * docker-credential} from {@code …examples.node}, {@code sync} from {@code …examples.sync}, {@code
 * doctor} and {@code status} from {@code …examples.doctor}), parses its options and turns failures
 * into one line (never a bare stack trace; {@code --debug} adds it) and an exit code: 2 for usage
 * errors, 1 otherwise. No other package of the program uses this class.
 */
public final class Main {

  private Main() {}

  /**
   * Runs the program and exits with its exit code.
   *
   * @param args the command and its arguments
   */
  public static void main(String[] args) {
    exit(args, List.of());
  }

  /**
   * Runs the program with more commands than the program jar holds (the demo jar adds {@code demo})
   * and exits with its exit code.
   */
  static void exit(String[] args, List<Command> extra) {
    LogSetup.selectProvider(args);
    JdkHttpServers.preferNoDelay(); // before the demo's fakes create a server
    boolean debug = List.of(args).contains("--debug");
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", debug ? "debug" : "warn");
    System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
    System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
    int code = run(List.of(args), Invocation.system(), extra);
    System.out.flush();
    System.exit(code);
  }

  /**
   * The commands, in help order, then the extra ones. The demo ({@code acr-credential-demo}) is not
   * part of the program jar: it carries the fakes and the test harness.
   */
  static Map<String, Command> commands(List<Command> extra) {
    Map<String, Command> commands = new LinkedHashMap<>();
    for (Command c :
        List.of(
            new TokenCommand(),
            new KubeletCommand(),
            new DockerCredentialCommand(),
            new SyncCommand(),
            new DoctorCommand(),
            new StatusCommand())) {
      commands.put(c.name(), c);
    }
    extra.forEach(c -> commands.put(c.name(), c));
    return commands;
  }

  static Map<String, Command> commands() {
    return commands(List.of());
  }

  /**
   * One command by name, making only that one: a helper call (the kubelet plugin, the Docker
   * helper) does not build the other commands' options. Null when there is no such command.
   */
  static Command command(String name, List<Command> extra) {
    switch (name) {
      case "token":
        return new TokenCommand();
      case "kubelet-credential-provider":
        return new KubeletCommand();
      case "docker-credential":
        return new DockerCredentialCommand();
      case "sync":
        return new SyncCommand();
      case "doctor":
        return new DoctorCommand();
      case "status":
        return new StatusCommand();
      default:
        for (Command c : extra) {
          if (c.name().equals(name)) {
            return c;
          }
        }
        return null;
    }
  }

  /** Runs one command of the program jar in-process (also the in-process tests' way in). */
  public static int run(List<String> arguments, Invocation io) {
    return run(arguments, io, List.of());
  }

  /**
   * Runs one command in-process, among the program's commands and {@code extra}.
   *
   * @return the exit code
   */
  static int run(List<String> arguments, Invocation io, List<Command> extra) {
    List<String> args = new ArrayList<>(arguments);
    boolean debug = args.remove("--debug");
    if (debug) {
      LazyLog.enableDebug();
    }
    if (args.isEmpty()
        || args.get(0).equals("--help")
        || args.get(0).equals("-h")
        || args.get(0).equals("help")) {
      Map<String, Command> commands = commands(extra);
      if (args.size() > 1 && commands.containsKey(args.get(1))) {
        io.out().print(commands.get(args.get(1)).help());
      } else {
        io.out().print(usage(commands));
      }
      return args.isEmpty() ? CliException.USAGE : 0;
    }
    if (args.get(0).equals("--version") || args.get(0).equals("version")) {
      io.out().println("acr-credential " + version());
      return 0;
    }
    if (args.get(0).equals("__cds-training")) {
      return CdsTraining.run(Main::run);
    }
    Command command = command(args.get(0), extra);
    if (command == null && args.get(0).equals("demo")) {
      io.err()
          .println(
              "error: the demo is not part of the program jar; run ./demo.sh from the source tree"
                  + " (java -jar acr-credential-demo/target/acr-credential-demo.jar demo)");
      return CliException.USAGE;
    }
    if (command == null) {
      io.err()
          .println(
              "error: unknown command '"
                  + args.get(0)
                  + "'; commands: "
                  + String.join(", ", commands(extra).keySet())
                  + " (see 'acr-credential --help')");
      return CliException.USAGE;
    }
    try {
      Options.Parsed p = command.options().parse(args.subList(1, args.size()), io);
      if (p.flag("help")) {
        io.out().print(command.help());
        return 0;
      }
      return command.run(p, io);
    } catch (CliException e) {
      return fail(io, debug, e.getMessage(), e, e.exitCode());
    } catch (TokenException e) {
      return fail(io, debug, TokenFailures.describe(e), e, CliException.FAILURE);
    } catch (IllegalArgumentException e) {
      return fail(io, debug, e.getMessage(), e, CliException.FAILURE);
    } catch (RuntimeException e) {
      return fail(
          io,
          debug,
          "unexpected "
              + e.getClass().getSimpleName()
              + ": "
              + e.getMessage()
              + (debug ? "" : " (run with --debug for details)"),
          e,
          CliException.FAILURE);
    }
  }

  private static int fail(Invocation io, boolean debug, String message, Throwable e, int code) {
    io.err().println("error: " + message);
    if (debug) {
      e.printStackTrace(io.err());
    }
    return code;
  }

  private static String usage(Map<String, Command> commands) {
    StringBuilder out =
        new StringBuilder(
            "Usage: acr-credential <command> [options]   (--debug anywhere shows details)\n\n"
                + "Commands:\n");
    commands
        .values()
        .forEach(c -> out.append(String.format("  %-30s %s%n", c.name(), c.summary())));
    out.append("\nRun 'acr-credential <command> --help' for a command's options.\n");
    return out.toString();
  }

  /** The build's version; see {@link ProgramVersion}. */
  static String version() {
    return ProgramVersion.get();
  }
}
