package dev.jwagi.config;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * jwagi's command-line parser: a table of options bound to the fields they set, no reflection. It
 * takes {@code --name VALUE}, {@code --name=VALUE}, {@code -n VALUE}, {@code -nVALUE} and {@code
 * -n=VALUE}, boolean flags (also clustered: {@code -hV}), repeatable options, options whose value
 * is optional ({@code --trust-proxy[=A,B]}: the next argument is its value unless it starts with
 * {@code -}), one positional argument, and {@code --} to end the options. A bad command line throws
 * {@link UsageException} naming the argument. It also writes the help text.
 *
 * <p>It is our own rather than picocli because picocli's class files are Java 5's: neither CDS nor
 * the AOT cache keeps them, and building its model by reflection cost 75-156 ms of every start.
 */
public final class CommandLine {
  /** Where a description wants the option's default value (its field before parsing). */
  public static final String DEFAULT = "${DEFAULT}";

  private static final int WIDTH = 80;
  private static final int DESCRIPTION_COLUMN = 28;

  /** How an option takes its value. */
  public enum Arity {
    /** A boolean flag: no value. */
    NONE,
    /** Exactly one value: the rest of the argument after {@code =}, or the next argument. */
    ONE,
    /**
     * A value after {@code =}, or the next argument unless it starts with {@code -}, or none (the
     * setter gets "").
     */
    OPTIONAL
  }

  /**
   * One option of a table such as {@link Flags#OPTIONS}: its names, value label, description, how
   * it takes a value and how it sets its field on a {@code T}.
   */
  public static final class Option<T> {
    final List<String> names;
    final String label;
    final Arity arity;
    final boolean repeatable;
    final boolean hidden;
    final String description;
    final BiConsumer<T, String> setter;
    final Function<T, Object> defaultValue;

    private Option(
        List<String> names,
        String label,
        Arity arity,
        boolean repeatable,
        boolean hidden,
        String description,
        BiConsumer<T, String> setter,
        Function<T, Object> defaultValue) {
      this.names = names;
      this.label = label;
      this.arity = arity;
      this.repeatable = repeatable;
      this.hidden = hidden;
      this.description = description;
      this.setter = setter;
      this.defaultValue = defaultValue;
    }

    /** An option with one value, called LABEL in the help. */
    public static <T> Option<T> value(String label, BiConsumer<T, String> setter, String... names) {
      return new Option<>(List.of(names), label, Arity.ONE, false, false, "", setter, t -> null);
    }

    /** A boolean flag: the setter runs (with null) when it is given. */
    public static <T> Option<T> flag(Consumer<T> setter, String... names) {
      return new Option<>(
          List.of(names),
          null,
          Arity.NONE,
          false,
          false,
          "",
          (t, v) -> setter.accept(t),
          t -> null);
    }

    /** This option with its help text; {@link #DEFAULT} in it is replaced by the default. */
    public Option<T> help(String text) {
      return new Option<>(names, label, arity, repeatable, hidden, text, setter, defaultValue);
    }

    /** This option with the default that {@link #DEFAULT} shows: the field before parsing. */
    public Option<T> shows(Function<T, Object> field) {
      return new Option<>(names, label, arity, repeatable, hidden, description, setter, field);
    }

    /** This option, allowed more than once (each value goes to the setter). */
    public Option<T> repeatable() {
      return new Option<>(names, label, arity, true, hidden, description, setter, defaultValue);
    }

    /** This option with an optional value (see {@link Arity#OPTIONAL}); repeatable. */
    public Option<T> optionalValue() {
      return new Option<>(
          names, label, Arity.OPTIONAL, true, hidden, description, setter, defaultValue);
    }

    /** This option, parsed but left out of the help. */
    public Option<T> hidden() {
      return new Option<>(names, label, arity, repeatable, true, description, setter, defaultValue);
    }

    /** The option's names, e.g. [-c, --config]. */
    public List<String> names() {
      return names;
    }

    /** Its first long name (--config), else its first name. */
    public String name() {
      return names.stream().filter(n -> n.startsWith("--")).findFirst().orElse(names.get(0));
    }
  }

  /** A command line that cannot be parsed: the message names the argument. */
  public static final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }

  /** An option bound to the object it sets, with its help text filled in. */
  private record Bound(Option<?> option, Consumer<String> set, String help, boolean hidden) {}

  private record Section(String heading, List<Bound> options) {}

  /** What parsing found besides the values it set. */
  public record Parsed(boolean help, boolean version, Set<String> given) {
    public Parsed {
      given = Set.copyOf(given);
    }

    /** Whether the option with this name (any of its names) was on the command line. */
    public boolean given(String name) {
      return given.contains(name);
    }
  }

  private final String command;
  private final String description;
  private final List<Section> sections = new ArrayList<>();
  private final Map<String, Bound> byName = new LinkedHashMap<>();
  private final List<String[]> subcommands = new ArrayList<>();
  private final List<String> usage = new ArrayList<>();
  private String positionalLabel;
  private String positionalHelp;
  private Consumer<String> positional;
  private final Bound helpOption;
  private final Bound versionOption;

  /**
   * A command (e.g. "jwagi", "jwagi run") with -h/--help, and -V/--version if {@code withVersion}.
   */
  public CommandLine(String command, String description, boolean withVersion) {
    this.command = command;
    this.description = description;
    this.helpOption =
        bind(
            Option.<Void>flag(t -> {}, "-h", "--help").help("Show this help message and exit."),
            null,
            false);
    this.versionOption =
        withVersion
            ? bind(
                Option.<Void>flag(t -> {}, "-V", "--version")
                    .help("Print version information and exit."),
                null,
                false)
            : null;
  }

  /** Adds a usage line (after "Usage: "); without any, the usage is the command and [OPTIONS]. */
  public CommandLine usage(String line) {
    usage.add(line);
    return this;
  }

  /** Adds options that set fields of {@code target}, under a heading in the help (or none). */
  public <T> CommandLine options(String heading, List<Option<T>> options, T target) {
    return options(heading, options, target, false);
  }

  /** Adds options that are parsed (so that a command can refuse them) but not shown. */
  public <T> CommandLine hiddenOptions(List<Option<T>> options, T target) {
    return options(null, options, target, true);
  }

  private <T> CommandLine options(String heading, List<Option<T>> options, T target, boolean hide) {
    List<Bound> bound = new ArrayList<>();
    for (Option<T> option : options) {
      bound.add(bind(option, target, hide));
    }
    sections.add(new Section(heading, bound));
    return this;
  }

  private <T> Bound bind(Option<T> option, T target, boolean hide) {
    String help = option.description;
    if (help.contains(DEFAULT)) {
      help = help.replace(DEFAULT, String.valueOf(option.defaultValue.apply(target)));
    }
    Bound bound =
        new Bound(
            option, value -> option.setter.accept(target, value), help, hide || option.hidden);
    for (String name : option.names) {
      if (byName.putIfAbsent(name, bound) != null) {
        throw new IllegalStateException(command + ": option " + name + " defined twice");
      }
    }
    return bound;
  }

  /** The one positional argument (required), called LABEL in the help. */
  public CommandLine positional(String label, String help, Consumer<String> setter) {
    this.positionalLabel = label;
    this.positionalHelp = help;
    this.positional = setter;
    return this;
  }

  /** Lists a subcommand in the help (the caller dispatches it). */
  public CommandLine subcommand(String name, String help) {
    subcommands.add(new String[] {name, help});
    return this;
  }

  /**
   * Parses {@code args}, setting the bound fields. Stops at -h/--help or -V/--version (the result
   * says which); otherwise a required positional argument must be there.
   */
  public Parsed parse(String... args) {
    Set<String> given = new HashSet<>();
    boolean positionalSeen = false;
    boolean optionsEnded = false;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!optionsEnded && arg.equals("--")) {
        optionsEnded = true;
        continue;
      }
      if (optionsEnded || !arg.startsWith("-") || arg.equals("-")) {
        if (positional == null || positionalSeen) {
          boolean isCommand = subcommands.stream().anyMatch(sub -> sub[0].equals(arg));
          throw new UsageException(
              "unexpected argument \""
                  + arg
                  + "\""
                  + (isCommand ? " (a command comes first: " + command + " " + arg + " ...)" : ""));
        }
        positional.accept(arg);
        positionalSeen = true;
        continue;
      }
      if (arg.startsWith("--")) {
        int equals = arg.indexOf('=');
        String name = equals < 0 ? arg : arg.substring(0, equals);
        Bound bound = option(name);
        String value = equals < 0 ? null : arg.substring(equals + 1);
        if (bound.option.arity == Arity.NONE && value != null) {
          throw new UsageException(name + " takes no value (given \"" + value + "\")");
        }
        if (value == null && bound.option.arity != Arity.NONE) {
          value = next(args, i, bound);
          if (value != null || bound.option.arity == Arity.ONE) {
            i++;
          }
        }
        if (set(bound, name, value, given)) {
          return new Parsed(bound == helpOption, bound == versionOption, given);
        }
        continue;
      }
      // Short options: -c VALUE, -cVALUE, -c=VALUE, and flags clustered (-hV).
      for (int at = 1; at < arg.length(); at++) {
        String name = "-" + arg.charAt(at);
        Bound bound = option(at == 1 ? name : name + " (in " + arg + ")", name);
        String value = null;
        if (bound.option.arity != Arity.NONE) {
          String rest = arg.substring(at + 1);
          if (rest.startsWith("=")) {
            rest = rest.substring(1);
          }
          if (!rest.isEmpty() || at + 1 < arg.length()) {
            value = rest;
          } else {
            value = next(args, i, bound);
            if (value != null || bound.option.arity == Arity.ONE) {
              i++;
            }
          }
          at = arg.length();
        }
        if (set(bound, name, value, given)) {
          return new Parsed(bound == helpOption, bound == versionOption, given);
        }
      }
    }
    if (positional != null && !positionalSeen) {
      throw new UsageException("missing " + positionalLabel);
    }
    return new Parsed(false, false, given);
  }

  private Bound option(String name) {
    return option(name, name);
  }

  private Bound option(String shown, String name) {
    Bound bound = byName.get(name);
    if (bound == null) {
      String near = nearest(name);
      throw new UsageException(
          "unknown option " + shown + (near == null ? "" : " (did you mean " + near + "?)"));
    }
    return bound;
  }

  /** The value of the option at args[i] in the next argument, or null (none, for OPTIONAL). */
  private String next(String[] args, int i, Bound bound) {
    String next = i + 1 < args.length ? args[i + 1] : null;
    if (bound.option.arity == Arity.OPTIONAL) {
      return next == null || next.startsWith("-") ? null : next;
    }
    // Arity.ONE: anything but another option's name (a value may start with -, e.g. --body -).
    if (next == null || isOptionName(next)) {
      throw new UsageException(args[i] + " needs a value (" + bound.option.label + ")");
    }
    return next;
  }

  private boolean isOptionName(String arg) {
    if (arg.equals("--")) {
      return true;
    }
    int equals = arg.indexOf('=');
    String name = arg.startsWith("--") && equals > 0 ? arg.substring(0, equals) : arg;
    return byName.containsKey(name);
  }

  /** Sets the option's value; true if it was -h or -V (parsing stops there). */
  private boolean set(Bound bound, String name, String value, Set<String> given) {
    if (bound == helpOption || bound == versionOption) {
      return true;
    }
    if (!bound.option.repeatable && given.contains(bound.option.name())) {
      List<String> names = bound.option.names;
      throw new UsageException(
          name
              + " given twice"
              + (names.size() > 1 ? " (as " + String.join(" or ", names) + ")" : ""));
    }
    given.addAll(bound.option.names);
    if (bound.option.arity == Arity.OPTIONAL && value == null) {
      value = "";
    }
    try {
      bound.set.accept(value);
    } catch (IllegalArgumentException e) {
      throw new UsageException(name + " \"" + value + "\": " + e.getMessage());
    }
    return false;
  }

  /** An option name within two edits of a mistyped one, for the error. */
  private String nearest(String name) {
    String best = null;
    int bestDistance = 3;
    for (Map.Entry<String, Bound> entry : byName.entrySet()) {
      if (entry.getValue().hidden || entry.getKey().length() < 3) {
        continue;
      }
      int distance = distance(name, entry.getKey());
      if (distance < bestDistance) {
        best = entry.getKey();
        bestDistance = distance;
      }
    }
    return best;
  }

  private static int distance(String a, String b) {
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int change = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        current[j] =
            Math.min(Math.min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + change);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }

  /** An int option's value, or an error saying what it takes. */
  public static int integer(String value) {
    try {
      return Integer.parseInt(value.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a whole number");
    }
  }

  /** The help: usage, description, the positional argument, the options, the subcommands. */
  public String help() {
    StringBuilder out = new StringBuilder();
    List<String> lines =
        usage.isEmpty()
            ? List.of(
                command
                    + " [OPTIONS]"
                    + (positionalLabel == null ? "" : " " + positionalLabel)
                    + (subcommands.isEmpty() ? "" : " | " + command + " COMMAND ..."))
            : usage;
    for (int i = 0; i < lines.size(); i++) {
      out.append(i == 0 ? "Usage: " : "       ").append(lines.get(i)).append('\n');
    }
    out.append('\n');
    wrap(out, description, 0, 0, WIDTH);
    if (positionalLabel != null) {
      out.append('\n');
      row(out, "  " + positionalLabel, positionalHelp);
    }
    List<Bound> standard = new ArrayList<>(List.of(helpOption));
    if (versionOption != null) {
      standard.add(versionOption);
    }
    boolean first = true;
    for (Section section : sections) {
      List<Bound> shown = section.options.stream().filter(b -> !b.hidden).toList();
      if (shown.isEmpty()) {
        continue;
      }
      out.append('\n');
      if (section.heading != null) {
        out.append(section.heading).append('\n');
      } else if (first) {
        out.append("Options:\n");
      }
      first = false;
      for (Bound bound : shown) {
        row(out, names(bound.option), bound.help);
      }
    }
    out.append('\n');
    for (Bound bound : standard) {
      row(out, names(bound.option), bound.help);
    }
    if (!subcommands.isEmpty()) {
      out.append("\nCommands:\n");
      for (String[] sub : subcommands) {
        row(out, "  " + sub[0], sub[1]);
      }
    }
    return out.toString();
  }

  /** " -c, -f, --config, --from=FILE", " --log-dir=DIR", " --trust-proxy[=ADDR[,ADDR...]]". */
  private static String names(Option<?> option) {
    List<String> shortNames = option.names.stream().filter(n -> !n.startsWith("--")).toList();
    String shortName = shortNames.isEmpty() ? null : String.join(", ", shortNames);
    List<String> longNames = option.names.stream().filter(n -> n.startsWith("--")).toList();
    StringBuilder names = new StringBuilder(shortName == null ? "      " : "  " + shortName);
    if (!longNames.isEmpty()) {
      names.append(shortName == null ? "" : ", ").append(String.join(", ", longNames));
    }
    if (option.arity == Arity.ONE) {
      names.append('=').append(option.label);
    } else if (option.arity == Arity.OPTIONAL) {
      names.append("[=").append(option.label).append("[,").append(option.label).append("...]]");
    }
    return names.toString();
  }

  /** NAMES then the description in its column, on the next line when the names are too wide. */
  private static void row(StringBuilder out, String names, String description) {
    out.append(names);
    int column = names.length();
    if (column >= DESCRIPTION_COLUMN - 1) {
      out.append('\n');
      column = 0;
    }
    out.append(" ".repeat(DESCRIPTION_COLUMN - column));
    wrap(out, description, DESCRIPTION_COLUMN, DESCRIPTION_COLUMN + 2, WIDTH);
  }

  /** Appends text wrapped at spaces: the current line is at {@code column}; later lines indent. */
  private static void wrap(StringBuilder out, String text, int column, int indent, int width) {
    int at = column;
    boolean lineStart = true;
    for (String word : text.split(" ")) {
      if (word.isEmpty()) {
        continue;
      }
      if (!lineStart && at + 1 + word.length() > width) {
        out.append('\n').append(" ".repeat(indent));
        at = indent;
        lineStart = true;
      }
      if (!lineStart) {
        out.append(' ');
        at++;
      }
      out.append(word);
      at += word.length();
      lineStart = false;
    }
    out.append('\n');
  }
}
