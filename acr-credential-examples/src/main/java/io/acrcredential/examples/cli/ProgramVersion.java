package io.acrcredential.examples.cli;

/**
 * The build's version ({@code --version}, the first log line, {@code build_info}, the User-Agent
 * towards the API server): from the resource Maven fills in at build time, so also when the program
 * does not run from its jar; the jar manifest's Implementation-Version only when that resource is
 * missing; else "unknown".
 */
public final class ProgramVersion {

  private static final String VERSION = read();

  private ProgramVersion() {}

  /** The version, read once. */
  public static String get() {
    return VERSION;
  }

  static String read() {
    try (java.io.InputStream in =
        ProgramVersion.class.getResourceAsStream("/io/acrcredential/examples/version.properties")) {
      if (in != null) {
        java.util.Properties p = new java.util.Properties();
        p.load(in);
        String v = p.getProperty("version", "").strip();
        if (v.matches("[0-9A-Za-z.+_-]{1,64}")) { // not an unfiltered ${...}
          return v;
        }
      }
    } catch (java.io.IOException e) {
      // fall through to the manifest
    }
    String v = ProgramVersion.class.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }
}
