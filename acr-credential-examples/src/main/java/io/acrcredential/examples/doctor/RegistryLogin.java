package io.acrcredential.examples.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/**
 * A registry API login with a pull Secret's username and password, the way a container runtime does
 * it: {@code GET /v2/}, and on 401 either HTTP Basic or the Docker token flow (a token from the
 * {@code realm} of {@code WWW-Authenticate: Bearer}, asked with Basic authentication), then {@code
 * HEAD} of the image's manifest. HTTPS only, except for loopback hosts (127.0.0.0/8, {@code
 * localhost}, {@code [::1]}), which fall back to plain HTTP as container runtimes do. Redirects are
 * not followed; answers are read up to {@link #MAX_BODY} bytes; every request has a time limit.
 * Nothing it returns contains the password or a token.
 */
final class RegistryLogin {

  static final int MAX_BODY = 64 * 1024;
  private static final Duration LOOPBACK_TLS_TRY = Duration.ofMillis(500);
  private static final Pattern PARAM = Pattern.compile("([A-Za-z_]+)=\"([^\"]*)\"");
  private static final String ACCEPT =
      "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json,"
          + " application/vnd.docker.distribution.manifest.list.v2+json,"
          + " application/vnd.docker.distribution.manifest.v2+json";

  /** What the registry said. */
  enum Kind {
    /** The login worked and the image's manifest is there. */
    ACCEPTED,
    /** The registry refused the username and password (401). */
    REJECTED,
    /** Logged in, but the repository or tag does not exist (404). */
    NOT_FOUND,
    /** Logged in, but not allowed to pull this repository (401/403 on the manifest). */
    DENIED,
    /** The registry could not be reached or answered something unexpected. */
    UNREACHABLE
  }

  /**
   * The outcome, with a log-safe detail.
   *
   * @param kind what happened
   * @param detail one line: the HTTP statuses and the scheme used
   */
  record Result(Kind kind, String detail) {}

  private final HttpClient http;
  private final Duration timeout;

  RegistryLogin(Duration timeout) {
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  Result check(ImageReference image, String username, String password) {
    boolean loopback = isLoopback(image.hostName());
    try {
      // a plain-HTTP loopback server may never answer a TLS hello: try HTTPS only briefly there
      return check("https", image, username, password, loopback ? LOOPBACK_TLS_TRY : timeout);
    } catch (IOException e) {
      if (loopback) {
        try {
          return check("http", image, username, password, timeout);
        } catch (IOException e2) {
          return unreachable(image, e2);
        }
      }
      return unreachable(image, e);
    }
  }

  private Result unreachable(ImageReference image, IOException e) {
    String why = e instanceof SSLException ? "TLS failed" : e.getClass().getSimpleName();
    return new Result(
        Kind.UNREACHABLE,
        "cannot reach "
            + image.host()
            + " ("
            + why
            + (e.getMessage() == null ? "" : ": " + Text.bounded(e.getMessage(), 120))
            + ")");
  }

  private Result check(
      String scheme, ImageReference image, String username, String password, Duration limit)
      throws IOException {
    String base = scheme + "://" + image.host();
    String basic =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    Reply probe = send(get(base + "/v2/").timeout(min(limit)).build());
    String authorization;
    String how;
    if (probe.status == 200) {
      authorization = null;
      how = "anonymous";
    } else if (probe.status == 401) {
      String challenge = probe.header("WWW-Authenticate").orElse("");
      String lower = challenge.toLowerCase(Locale.ROOT);
      if (lower.startsWith("basic")) {
        Reply r = send(get(base + "/v2/").header("Authorization", basic).build());
        if (r.status == 401) {
          return new Result(Kind.REJECTED, scheme + " Basic login: 401 at /v2/");
        }
        if (r.status != 200) {
          return new Result(Kind.UNREACHABLE, scheme + " Basic login: HTTP " + r.status);
        }
        authorization = basic;
        how = "Basic";
      } else if (lower.startsWith("bearer")) {
        Map<String, String> params = params(challenge);
        String realm = params.get("realm");
        if (realm == null || !allowedRealm(realm)) {
          return new Result(
              Kind.UNREACHABLE,
              "the registry's token realm is missing or not HTTPS: "
                  + Text.bounded(String.valueOf(realm), 120));
        }
        StringBuilder url = new StringBuilder(realm);
        url.append(realm.contains("?") ? '&' : '?');
        url.append("scope=")
            .append(enc("repository:" + image.repository() + ":pull"))
            .append(params.containsKey("service") ? "&service=" + enc(params.get("service")) : "");
        Reply t = send(get(url.toString()).header("Authorization", basic).build());
        if (t.status == 401 || t.status == 403) {
          return new Result(
              Kind.REJECTED, scheme + " token login at " + host(realm) + ": HTTP " + t.status);
        }
        if (t.status != 200) {
          return new Result(
              Kind.UNREACHABLE, scheme + " token login at " + host(realm) + ": HTTP " + t.status);
        }
        String token;
        try {
          JsonNode n = new ObjectMapper().readTree(t.body);
          token = n.path("token").asText(n.path("access_token").asText(""));
        } catch (IOException e) {
          token = "";
        }
        if (token.isEmpty()) {
          return new Result(Kind.UNREACHABLE, "the token service answered no token");
        }
        authorization = "Bearer " + token;
        how = "token";
      } else {
        return new Result(
            Kind.UNREACHABLE, "unknown authentication scheme: " + Text.bounded(challenge, 60));
      }
    } else {
      return new Result(Kind.UNREACHABLE, scheme + " GET /v2/: HTTP " + probe.status);
    }
    HttpRequest.Builder head =
        HttpRequest.newBuilder(
                URI.create(base + "/v2/" + image.repository() + "/manifests/" + image.reference()))
            .timeout(timeout)
            .method("HEAD", HttpRequest.BodyPublishers.noBody())
            .header("Accept", ACCEPT);
    if (authorization != null) {
      head.header("Authorization", authorization);
    }
    Reply m = send(head.build());
    String what = scheme + " " + how + " login, manifest " + image.repository();
    return switch (m.status) {
      case 200 -> new Result(Kind.ACCEPTED, what + ": 200");
      case 404 -> new Result(Kind.NOT_FOUND, what + ": 404 (no such repository or tag)");
      case 401, 403 ->
          new Result(authorization == null ? Kind.REJECTED : Kind.DENIED, what + ": " + m.status);
      default -> new Result(Kind.UNREACHABLE, what + ": HTTP " + m.status);
    };
  }

  private boolean allowedRealm(String realm) {
    try {
      URI u = URI.create(realm);
      return "https".equals(u.getScheme())
          || ("http".equals(u.getScheme()) && u.getHost() != null && isLoopback(u.getHost()));
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String host(String url) {
    try {
      return String.valueOf(URI.create(url).getAuthority());
    } catch (IllegalArgumentException e) {
      return "?";
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static Map<String, String> params(String challenge) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = PARAM.matcher(challenge);
    while (m.find()) {
      out.putIfAbsent(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
    }
    return out;
  }

  /** Whether a host name (without port) is a loopback literal; never resolves names. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost")
        || h.equals("[::1]")
        || h.equals("::1")
        || h.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
  }

  private Duration min(Duration limit) {
    return limit.compareTo(timeout) < 0 ? limit : timeout;
  }

  private HttpRequest.Builder get(String url) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET();
  }

  private record Reply(int status, HttpResponse<?> response, byte[] body) {
    Optional<String> header(String name) {
      return response.headers().firstValue(name);
    }
  }

  private Reply send(HttpRequest request) throws IOException {
    try {
      HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      byte[] body;
      try (InputStream in = r.body()) {
        body = readBounded(in, MAX_BODY, timeout);
      }
      return new Reply(r.statusCode(), r, body);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (IllegalArgumentException e) {
      throw new IOException("invalid URL", e);
    }
  }

  /**
   * Reads at most {@code max} bytes, giving up after {@code timeout}: an HTTP client's request
   * timeout covers the headers only, so a body that stalls is cut off by closing the stream.
   */
  static byte[] readBounded(InputStream in, int max, Duration timeout) throws IOException {
    AtomicBoolean done = new AtomicBoolean();
    CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .execute(
            () -> {
              if (!done.get()) {
                try {
                  in.close();
                } catch (IOException ignored) {
                  // closing only to end the read
                }
              }
            });
    try {
      return in.readNBytes(max);
    } finally {
      done.set(true);
    }
  }
}
