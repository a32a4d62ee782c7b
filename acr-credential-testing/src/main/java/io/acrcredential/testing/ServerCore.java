package io.acrcredential.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTP plumbing shared by the fakes: server, routing, counting, recording and failure injection.
 */
final class ServerCore implements FakeService {
  private static final Logger LOG = LoggerFactory.getLogger(ServerCore.class);
  static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_RECORDED = 200;

  /** A parsed incoming request. */
  record Request(
      String method,
      String path,
      Map<String, String> headers,
      Map<String, String> query,
      Map<String, String> params,
      String requestId) {
    String header(String name) {
      return headers.get(name);
    }
  }

  /** An answer to write. {@code json} is set for JSON answers so failures can mutate it. */
  record Reply(int status, String contentType, byte[] body, ObjectNode json) {
    static Reply json(int status, ObjectNode node) {
      return new Reply(status, "application/json;charset=utf-8", null, node);
    }

    static Reply text(int status, String contentType, String body) {
      return new Reply(status, contentType, body.getBytes(StandardCharsets.UTF_8), null);
    }

    byte[] bytes() {
      if (body != null) {
        return body;
      }
      try {
        return JSON.writeValueAsBytes(json);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** What a concrete fake supplies. */
  interface Service {
    /** The operation a request is for, or null if the fake does not serve it. */
    FakeApi route(Request request);

    /** The normal answer. */
    Reply serve(FakeApi api, Request request);

    /** An error answer in the operation's error shape. */
    Reply error(FakeApi api, Request request, int status, String code, String message);

    /** A 200 answer saying the call did not succeed. */
    Reply notSuccess(FakeApi api, Request request, String code, String message);
  }

  private record Injection(Failure failure, int[] remaining) {}

  private final String name;
  private final Clock clock;
  private final Service service;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicInteger total = new AtomicInteger();
  private final Map<FakeApi, AtomicInteger> counts = new EnumMap<>(FakeApi.class);
  private final Map<FakeApi, Deque<RecordedRequest>> recorded = new EnumMap<>(FakeApi.class);
  private final Map<FakeApi, Deque<Injection>> queued = new EnumMap<>(FakeApi.class);
  private final Map<FakeApi, Failure> always = new EnumMap<>(FakeApi.class);

  ServerCore(String name, Clock clock, Service service) {
    this.name = name;
    this.clock = clock;
    this.service = service;
    for (FakeApi api : FakeApi.values()) {
      counts.put(api, new AtomicInteger());
      recorded.put(api, new ArrayDeque<>());
      queued.put(api, new ArrayDeque<>());
    }
    AtomicInteger threads = new AtomicInteger();
    ThreadFactory factory =
        r -> {
          Thread t = new Thread(r, name + "-" + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        };
    this.executor = Executors.newCachedThreadPool(factory);
    try {
      this.server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      executor.shutdownNow();
      throw new UncheckedIOException("Cannot bind " + name + " to 127.0.0.1", e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    LOG.debug("{} listening on {}", name, endpoint());
  }

  Clock clock() {
    return clock;
  }

  @Override
  public String endpoint() {
    return "127.0.0.1:" + port();
  }

  @Override
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public int callCount(FakeApi api) {
    return counts.get(api).get();
  }

  @Override
  public int totalCalls() {
    return total.get();
  }

  @Override
  public void resetCalls() {
    synchronized (recorded) {
      total.set(0);
      counts.values().forEach(c -> c.set(0));
      recorded.values().forEach(Deque::clear);
    }
  }

  @Override
  public Optional<RecordedRequest> lastRequest(FakeApi api) {
    synchronized (recorded) {
      return Optional.ofNullable(recorded.get(api).peekLast());
    }
  }

  @Override
  public List<RecordedRequest> requests(FakeApi api) {
    synchronized (recorded) {
      return List.copyOf(recorded.get(api));
    }
  }

  @Override
  public void failNext(FakeApi api, int times, Failure failure) {
    java.util.Objects.requireNonNull(api, "api");
    java.util.Objects.requireNonNull(failure, "failure");
    if (times < 1) {
      throw new IllegalArgumentException("times must be at least 1, got " + times);
    }
    synchronized (queued) {
      queued.get(api).addLast(new Injection(failure, new int[] {times}));
    }
  }

  @Override
  public void failAlways(FakeApi api, Failure failure) {
    java.util.Objects.requireNonNull(api, "api");
    java.util.Objects.requireNonNull(failure, "failure");
    synchronized (queued) {
      always.put(api, failure);
    }
  }

  @Override
  public void clearFailures() {
    synchronized (queued) {
      queued.values().forEach(Deque::clear);
      always.clear();
    }
  }

  private Failure takeFailure(FakeApi api) {
    synchronized (queued) {
      Deque<Injection> q = queued.get(api);
      Injection head = q.peekFirst();
      if (head != null) {
        if (--head.remaining()[0] <= 0) {
          q.removeFirst();
        }
        return head.failure();
      }
      return always.get(api);
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
      executor.shutdownNow();
      LOG.debug("{} stopped", name);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      total.incrementAndGet();
      Request request = parse(exchange);
      FakeApi api = service.route(request);
      if (api == null) {
        LOG.debug("{}: no operation for {} {}", name, request.method(), request.path());
        write(
            exchange,
            service.error(
                null,
                request,
                404,
                "InvalidAction.NotFound",
                "Specified api is not found, please check your url and method."));
        return;
      }
      counts.get(api).incrementAndGet();
      record(api, request);
      Failure failure = takeFailure(api);
      Reply reply = answer(api, request, failure);
      if (reply == null) {
        LOG.debug("{}: {} dropped the connection (injected)", name, api);
        return;
      }
      LOG.debug("{}: {} -> {}", name, api, reply.status());
      write(exchange, reply);
    } catch (RuntimeException e) {
      LOG.warn("{}: internal error of the fake: {}", name, e.toString());
      throw e;
    }
  }

  private Reply answer(FakeApi api, Request request, Failure failure) {
    if (failure == null) {
      return service.serve(api, request);
    }
    switch (failure.kind()) {
      case ERROR:
        return service.error(api, request, failure.status(), failure.code(), failure.message());
      case RAW:
        return Reply.text(failure.status(), failure.contentType(), failure.body());
      case DISCONNECT:
        return null;
      case NOT_SUCCESS:
        return service.notSuccess(api, request, failure.code(), failure.message());
      case DELAY:
        try {
          Thread.sleep(failure.delay().toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
        return service.serve(api, request);
      case MISSING_FIELD:
      case WRONG_TYPE:
        Reply normal = service.serve(api, request);
        if (normal.status() != 200 || normal.json() == null) {
          return normal;
        }
        ObjectNode copy = normal.json().deepCopy();
        mutate(copy, failure.field(), failure.kind() == Failure.Kind.MISSING_FIELD);
        return Reply.json(200, copy);
      default:
        throw new IllegalStateException("Unhandled failure kind " + failure.kind());
    }
  }

  private static void mutate(ObjectNode root, String path, boolean remove) {
    String[] parts = path.split("\\.");
    JsonNode parent = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode next = parent.isArray() ? parent.path(index(parts[i])) : parent.path(parts[i]);
      if (next.isMissingNode() || !next.isContainerNode()) {
        throw new IllegalArgumentException(
            "Injected failure names field '" + path + "', which the response body does not have");
      }
      parent = next;
    }
    String last = parts[parts.length - 1];
    JsonNode current = parent.isArray() ? parent.path(index(last)) : parent.path(last);
    if (current.isMissingNode()) {
      throw new IllegalArgumentException(
          "Injected failure names field '" + path + "', which the response body does not have");
    }
    JsonNode replacement;
    if (current.isTextual()) {
      replacement = JSON.getNodeFactory().numberNode(12345);
    } else if (current.isNumber() || current.isBoolean()) {
      replacement = JSON.getNodeFactory().textNode("not-a-" + current.getNodeType().name());
    } else {
      replacement = JSON.getNodeFactory().textNode("not-an-object");
    }
    if (parent instanceof ObjectNode obj) {
      if (remove) {
        obj.remove(last);
      } else {
        obj.set(last, replacement);
      }
    } else if (parent instanceof ArrayNode arr) {
      if (remove) {
        arr.remove(index(last));
      } else {
        arr.set(index(last), replacement);
      }
    }
  }

  private static int index(String part) {
    try {
      return Integer.parseInt(part);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private void record(FakeApi api, Request request) {
    RecordedRequest r =
        new RecordedRequest(
            api,
            request.method(),
            request.path(),
            request.headers(),
            request.params(),
            clock.instant());
    synchronized (recorded) {
      Deque<RecordedRequest> q = recorded.get(api);
      q.addLast(r);
      while (q.size() > MAX_RECORDED) {
        q.removeFirst();
      }
    }
  }

  private static Request parse(HttpExchange exchange) throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    exchange
        .getRequestHeaders()
        .forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.isEmpty() ? "" : v.get(0)));
    Map<String, String> query = decodeForm(exchange.getRequestURI().getRawQuery());
    Map<String, String> params = new LinkedHashMap<>(query);
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes();
    }
    String contentType = headers.getOrDefault("content-type", "");
    if (body.length > 0 && contentType.startsWith("application/x-www-form-urlencoded")) {
      params.putAll(decodeForm(new String(body, StandardCharsets.UTF_8)));
    }
    return new Request(
        exchange.getRequestMethod(),
        exchange.getRequestURI().getRawPath(),
        headers,
        query,
        params,
        UUID.randomUUID().toString().toUpperCase(Locale.ROOT));
  }

  static Map<String, String> decodeForm(String raw) {
    Map<String, String> out = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      out.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return out;
  }

  private static void write(HttpExchange exchange, Reply reply) throws IOException {
    byte[] bytes = reply.bytes();
    exchange.getResponseHeaders().set("Content-Type", reply.contentType());
    exchange.sendResponseHeaders(reply.status(), bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** The gateway's error body. */
  static ObjectNode popError(Request request, String hostId, String code, String message) {
    ObjectNode node = JSON.createObjectNode();
    node.put("RequestId", request.requestId());
    node.put("HostId", hostId);
    node.put("Code", code);
    node.put("Message", message);
    node.put(
        "Recommend",
        "https://api.aliyun.com/troubleshoot?q="
            + code
            + "&product=fake&requestId="
            + request.requestId());
    return node;
  }
}
