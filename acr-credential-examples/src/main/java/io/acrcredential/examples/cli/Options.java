package io.acrcredential.examples.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * A small command-line option parser: {@code --name value}, {@code --name=value}, repeatable
 * options, flags, and an environment variable as fallback for an option's value. Kept hand-written
 * so that start-up loads a handful of classes only.
 */
public final class Options {

  /**
   * One option.
   *
   * @param name long name without dashes
   * @param valueName placeholder in the help, or null for a flag
   * @param repeatable whether it may be given several times
   * @param env environment variable used when the option is absent, or null
   * @param help one-line description
   */
  record Option(String name, String valueName, boolean repeatable, String env, String help) {
    boolean takesValue() {
      return valueName != null;
    }
  }

  private final String command;
  private final Map<String, Option> options = new LinkedHashMap<>();

  public Options(String command) {
    this.command = command;
    flag("help", "show this help and exit");
  }

  public Options flag(String name, String help) {
    options.put(name, new Option(name, null, false, null, help));
    return this;
  }

  public Options value(String name, String valueName, String env, String help) {
    options.put(name, new Option(name, valueName, false, env, help));
    return this;
  }

  public Options repeatable(String name, String valueName, String help) {
    options.put(name, new Option(name, valueName, true, null, help));
    return this;
  }

  /**
   * Adds options that several commands share, here in the help's order.
   *
   * @param group adds them, e.g. {@link ClusterOptions#endpoints}
   * @return these options
   */
  public Options with(UnaryOperator<Options> group) {
    return group.apply(this);
  }

  /** The option lines of a help text. */
  public String describe() {
    StringBuilder out = new StringBuilder();
    for (Option o : options.values()) {
      String left = "  --" + o.name() + (o.takesValue() ? " " + o.valueName() : "");
      out.append(left);
      out.append(" ".repeat(Math.max(2, 34 - left.length())));
      out.append(o.help());
      if (o.repeatable()) {
        out.append(" (repeatable)");
      }
      if (o.env() != null) {
        out.append(" [env ").append(o.env()).append(']');
      }
      out.append('\n');
    }
    return out.toString();
  }

  /**
   * Parses the arguments.
   *
   * @throws CliException (usage) naming the unknown option or the missing value
   */
  public Parsed parse(List<String> args, Invocation io) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) {
        positional.addAll(args.subList(i + 1, args.size()));
        break;
      }
      if (arg.equals("-h")) {
        arg = "--help";
      }
      if (!arg.startsWith("--") || arg.length() == 2) {
        positional.add(arg);
        continue;
      }
      String name = arg.substring(2);
      String inline = null;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        inline = name.substring(eq + 1);
        name = name.substring(0, eq);
      }
      Option o = options.get(name);
      if (o == null) {
        throw CliException.usage(
            "unknown option '--" + name + "' for '" + command + "'; see '" + command + " --help'");
      }
      String value;
      if (!o.takesValue()) {
        if (inline != null) {
          throw CliException.usage("option '--" + name + "' takes no value");
        }
        value = "true";
      } else if (inline != null) {
        value = inline;
      } else if (i + 1 < args.size()) {
        value = args.get(++i);
      } else {
        throw CliException.usage("option '--" + name + "' needs a value (" + o.valueName() + ")");
      }
      List<String> list = values.computeIfAbsent(name, k -> new ArrayList<>());
      if (!list.isEmpty() && !o.repeatable()) {
        throw CliException.usage("option '--" + name + "' is given more than once");
      }
      list.add(value);
    }
    return new Parsed(values, positional, io);
  }

  /** The result of parsing. */
  public final class Parsed {
    private final Map<String, List<String>> values;
    private final List<String> positional;
    private final Invocation io;

    private Parsed(Map<String, List<String>> values, List<String> positional, Invocation io) {
      this.values = values;
      this.positional = List.copyOf(positional);
      this.io = io;
    }

    public boolean flag(String name) {
      return values.containsKey(name);
    }

    /** The option's value, else its environment variable's, else empty. */
    public Optional<String> value(String name) {
      List<String> v = values.get(name);
      if (v != null) {
        String s = v.get(0).trim();
        if (s.isEmpty()) {
          throw CliException.usage("option '--" + name + "' has an empty value");
        }
        return Optional.of(s);
      }
      Option o = options.get(name);
      return o != null && o.env() != null ? Optional.ofNullable(io.get(o.env())) : Optional.empty();
    }

    public String required(String name) {
      return value(name)
          .orElseThrow(
              () ->
                  CliException.usage(
                      "option '--" + name + "' is required; see '" + command + " --help'"));
    }

    public List<String> all(String name) {
      return values.getOrDefault(name, List.of());
    }

    public List<String> positional() {
      return positional;
    }

    /** Refuses positional arguments, for commands that take none. */
    public void requireNoPositional() {
      if (!positional.isEmpty()) {
        throw CliException.usage("unexpected argument '" + positional.get(0) + "'");
      }
    }

    /**
     * True for {@code --output json}, false for {@code text} or none; anything else is a usage
     * error.
     */
    public boolean jsonOutput() {
      String output = value("output").orElse("text");
      if (!output.equals("text") && !output.equals("json")) {
        throw CliException.usage("invalid --output '" + output + "': use text or json");
      }
      return output.equals("json");
    }
  }
}
