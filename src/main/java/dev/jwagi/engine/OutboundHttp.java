package dev.jwagi.engine;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Predicate;

/**
 * Outbound HTTP for guests: the host module {@code wasi_experimental_http} with the ABI of
 * deislabs/wasi-experimental-http 0.10.0, the one WAGI links ({@code req}, {@code close}, {@code
 * header_get}, {@code headers_get_all}, {@code body_read}; every function returns one of the error
 * codes below, 0 for success). Like WASI, the functions are linked once at start-up (only into
 * modules that import them) and act on the state of the guest run on the calling thread: its open
 * responses live as long as that run.
 *
 * <p>A request goes out only to a host its route allows (checked before anything connects), with
 * the route's timeout; its body streams to the guest as body_read asks for it (through the HTTP
 * client's bounded buffer: the server never holds a whole response), and the bodies and headers a
 * run receives count against its output cap (past it the guest is stopped, as for stdout).
 */
public final class OutboundHttp {
  static final String MODULE = "wasi_experimental_http";

  // The ABI's error codes.
  static final int OK = 0;
  static final int INVALID_HANDLE = 1;
  static final int MEMORY_NOT_FOUND = 2;
  static final int MEMORY_ACCESS = 3;
  static final int BUFFER_TOO_SMALL = 4;
  static final int HEADER_NOT_FOUND = 5;
  static final int UTF8 = 6;
  static final int DESTINATION_NOT_ALLOWED = 7;
  static final int INVALID_METHOD = 8;
  static final int INVALID_ENCODING = 9;
  static final int INVALID_URL = 10;
  static final int REQUEST_ERROR = 11;
  static final int RUNTIME_ERROR = 12;
  static final int TOO_MANY_SESSIONS = 13;

  /**
   * A request's own timeout is the route's plus this: the route's deadline (which stops the guest:
   * 504) decides first; the client's timeout is a backstop where no deadline runs (_routes).
   */
  private static final Duration BACKSTOP = Duration.ofSeconds(1);

  /** Headers the JDK client sets itself and refuses from callers: left out of a guest's request. */
  private static final Set<String> CLIENT_MANAGED =
      Set.of("connection", "content-length", "expect", "host", "upgrade");

  /**
   * What one route's guests may do.
   *
   * @param allowed whether a request may go to an absolute http(s) URL (config's AllowedHosts)
   * @param maxOpen open responses per run (WAGI's http_max_concurrency); 0: no limit of its own
   * @param timeout the route's timeout: no request waits longer for its response
   */
  public record Policy(Predicate<URI> allowed, int maxOpen, Duration timeout) {
    /** Every host denied (also for guests that serve no route, such as wat2wasm). */
    public static final Policy DENY_ALL = new Policy(url -> false, 0, Duration.ofSeconds(30));
  }

  private OutboundHttp() {}

  private static FunctionType i32s(int params) {
    return FunctionType.of(Collections.nCopies(params, ValType.I32), List.of(ValType.I32));
  }

  private interface Call {
    int call(Session session, Memory memory, long[] args);
  }

  private static final Map<String, HostFunction> FUNCTIONS = new HashMap<>();

  static {
    add("req", 10, (s, m, a) -> s.req(m, a));
    add("close", 1, (s, m, a) -> s.close((int) a[0]));
    add("header_get", 6, (s, m, a) -> s.headerGet(m, a));
    add("headers_get_all", 4, (s, m, a) -> s.headersGetAll(m, a));
    add("body_read", 4, (s, m, a) -> s.bodyRead(m, a));
  }

  private static void add(String name, int params, Call call) {
    FUNCTIONS.put(
        name,
        new HostFunction(
            MODULE,
            name,
            i32s(params),
            (Instance instance, long... args) -> {
              Memory memory = instance.memory();
              int result =
                  memory == null
                      ? MEMORY_NOT_FOUND
                      : call.call(WasiLink.current().outbound(), memory, args);
              return new long[] {result};
            }));
  }

  /** The host function for an import of this module, or null if the ABI has no such function. */
  static HostFunction function(String name) {
    return FUNCTIONS.get(name);
  }

  static Set<String> names() {
    return FUNCTIONS.keySet();
  }

  /** One shared client: connection pooling across runs; HTTP/1.1, redirects not followed. */
  private static final class Client {
    static final HttpClient INSTANCE =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** Thrown into the guest when its responses exceed the run's output cap: stops it (502). */
  private static BoundedOutput.LimitExceeded overCap(long cap) {
    return new BoundedOutput.LimitExceeded(
        "outbound HTTP responses exceeded " + cap + " bytes (max_output)");
  }

  /** A memory access outside the guest's memory: the call fails with {@link #MEMORY_ACCESS}. */
  private static final class OutOfBounds extends Exception {
    OutOfBounds() {
      super(null, null, false, false);
    }
  }

  /** A response open for the guest: its body is read from the connection as body_read asks. */
  private static final class Response {
    final int status;
    final Map<String, List<String>> headers;
    final InputStream body;
    boolean ended;

    Response(int status, Map<String, List<String>> headers, InputStream body) {
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    void close() {
      try {
        body.close();
      } catch (IOException e) {
        // the connection goes; nothing else to do
      }
    }
  }

  /** What one body_read takes from the connection at most. */
  private static final int MAX_BODY_READ = 16384;

  /** One guest run's open responses. */
  static final class Session {
    private final Policy policy;
    private final long cap;
    private final Map<Integer, Response> open = new HashMap<>();
    private int nextHandle;
    private long received;

    /** cap: the bytes of responses (bodies and headers) the run may receive in all. */
    Session(Policy policy, long cap) {
      this.policy = policy;
      this.cap = cap;
    }

    int req(Memory memory, long[] a) {
      if (policy.maxOpen() > 0 && open.size() >= policy.maxOpen()) {
        return TOO_MANY_SESSIONS;
      }
      try {
        String url = utf8(read(memory, a[0], a[1]));
        if (url == null) {
          return UTF8;
        }
        URI uri = parseUrl(url);
        if (uri == null) {
          return INVALID_URL;
        }
        if (!policy.allowed().test(uri)) {
          return DESTINATION_NOT_ALLOWED;
        }
        String method = utf8(read(memory, a[2], a[3]));
        if (method == null) {
          return UTF8;
        }
        if (!isToken(method)) {
          return INVALID_METHOD;
        }
        byte[] body = read(memory, a[6], a[7]);
        String headerText = utf8(read(memory, a[4], a[5]));
        if (headerText == null) {
          return UTF8;
        }
        HttpRequest.Builder request;
        try {
          request = HttpRequest.newBuilder(uri).timeout(policy.timeout().plus(BACKSTOP));
        } catch (IllegalArgumentException e) {
          return INVALID_URL;
        }
        try {
          request.method(
              method,
              body.length == 0
                  ? HttpRequest.BodyPublishers.noBody()
                  : HttpRequest.BodyPublishers.ofByteArray(body));
        } catch (IllegalArgumentException e) {
          return INVALID_METHOD; // e.g. CONNECT, which the JDK client does not send
        }
        if (!addHeaders(request, headerText)) {
          return INVALID_ENCODING;
        }
        Response response;
        try {
          response = send(request.build());
        } catch (IOException | IllegalArgumentException e) {
          return REQUEST_ERROR;
        }
        // The status and handle are written last, as WAGI does: a failed write leaves no handle.
        int handle = freeHandle();
        if (handle < 0) {
          response.close();
          return TOO_MANY_SESSIONS;
        }
        try {
          checkWrite(memory, a[8], 2);
          checkWrite(memory, a[9], 4);
        } catch (OutOfBounds e) {
          response.close();
          throw e;
        }
        memory.writeShort((int) a[8], (short) response.status);
        memory.writeI32((int) a[9], handle);
        open.put(handle, response);
        return OK;
      } catch (OutOfBounds e) {
        return MEMORY_ACCESS;
      }
    }

    /** Handles as WAGI numbers them: from 0, the first free one at or after the last given. */
    private int freeHandle() {
      int start = nextHandle;
      while (open.containsKey(nextHandle)) {
        nextHandle++;
        if (nextHandle == start) {
          return -1;
        }
      }
      return nextHandle;
    }

    private Response send(HttpRequest request) throws IOException {
      CompletableFuture<HttpResponse<InputStream>> pending =
          Client.INSTANCE.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
      HttpResponse<InputStream> response;
      try {
        response = pending.get();
      } catch (InterruptedException e) {
        pending.cancel(true);
        throw new ChicoryInterruptedException("interrupted during an outbound HTTP request", e);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof IOException) {
          throw (IOException) e.getCause();
        }
        throw new IOException(e.getCause());
      }
      Map<String, List<String>> headers = new TreeMap<>();
      long headerBytes = 0;
      for (var header : response.headers().map().entrySet()) {
        String name = header.getKey().toLowerCase(Locale.ROOT);
        if (name.startsWith(":")) {
          continue;
        }
        headers.computeIfAbsent(name, n -> new ArrayList<>()).addAll(header.getValue());
        for (String value : header.getValue()) {
          headerBytes += name.length() + value.length() + 2;
        }
      }
      receive(headerBytes, response.body());
      // A body that says it is over the cap stops the guest now, before it reads any of it.
      long declared = response.headers().firstValueAsLong("content-length").orElse(0);
      if (received + declared > cap) {
        receive(declared, response.body());
      }
      return new Response(response.statusCode(), headers, response.body());
    }

    private void receive(long bytes, InputStream in) {
      received += bytes;
      if (received > cap) {
        try {
          in.close();
        } catch (IOException e) {
          // closing anyway
        }
        throw overCap(cap);
      }
    }

    int close(int handle) {
      Response response = open.remove(handle);
      if (response == null) {
        return INVALID_HANDLE;
      }
      response.close();
      return OK;
    }

    /** The run is over: the responses it left open are closed. */
    void closeAll() {
      open.values().forEach(Response::close);
      open.clear();
    }

    int headerGet(Memory memory, long[] a) {
      Response response = open.get((int) a[0]);
      if (response == null) {
        return INVALID_HANDLE;
      }
      try {
        String name = utf8(read(memory, a[1], a[2]));
        if (name == null) {
          return UTF8;
        }
        List<String> values = response.headers.get(name.toLowerCase(Locale.ROOT));
        if (values == null || values.isEmpty()) {
          return HEADER_NOT_FOUND;
        }
        byte[] value = values.get(0).getBytes(StandardCharsets.ISO_8859_1);
        return writeOut(memory, value, a[3], a[4], a[5]);
      } catch (OutOfBounds e) {
        return MEMORY_ACCESS;
      }
    }

    int headersGetAll(Memory memory, long[] a) {
      Response response = open.get((int) a[0]);
      if (response == null) {
        return INVALID_HANDLE;
      }
      StringBuilder all = new StringBuilder();
      response.headers.forEach(
          (name, values) ->
              values.forEach(v -> all.append(name).append(':').append(v).append('\n')));
      try {
        return writeOut(
            memory, all.toString().getBytes(StandardCharsets.ISO_8859_1), a[1], a[2], a[3]);
      } catch (OutOfBounds e) {
        return MEMORY_ACCESS;
      }
    }

    int bodyRead(Memory memory, long[] a) {
      Response response = open.get((int) a[0]);
      if (response == null) {
        return INVALID_HANDLE;
      }
      int want = (int) Math.min(a[2] & 0xffffffffL, MAX_BODY_READ);
      try {
        checkWrite(memory, a[1], want);
        checkWrite(memory, a[3], 4);
      } catch (OutOfBounds e) {
        return MEMORY_ACCESS;
      }
      int n = 0;
      if (want > 0 && !response.ended) {
        byte[] buffer = new byte[want];
        try {
          n = response.body.read(buffer);
        } catch (IOException e) {
          if (Thread.interrupted()) {
            throw new ChicoryInterruptedException("interrupted during an outbound HTTP request", e);
          }
          return REQUEST_ERROR;
        }
        if (n < 0) {
          response.ended = true;
          n = 0;
        } else {
          receive(n, response.body);
          memory.write((int) a[1], buffer, 0, n);
        }
      }
      memory.writeI32((int) a[3], n);
      return OK;
    }

    /** Writes {@code value} into the guest's buffer (ptr, len) and its length at writtenPtr. */
    private static int writeOut(Memory memory, byte[] value, long ptr, long len, long writtenPtr)
        throws OutOfBounds {
      if (value.length > (len & 0xffffffffL)) {
        return BUFFER_TOO_SMALL;
      }
      checkWrite(memory, ptr, value.length);
      checkWrite(memory, writtenPtr, 4);
      memory.write((int) ptr, value);
      memory.writeI32((int) writtenPtr, value.length);
      return OK;
    }
  }

  private static void checkWrite(Memory memory, long ptr, long len) throws OutOfBounds {
    long start = ptr & 0xffffffffL;
    if (start + len > (long) memory.pages() * Memory.PAGE_SIZE) {
      throw new OutOfBounds();
    }
  }

  private static byte[] read(Memory memory, long ptr, long len) throws OutOfBounds {
    long length = len & 0xffffffffL;
    checkWrite(memory, ptr, length);
    return memory.readBytes((int) ptr, (int) length);
  }

  /** Strict UTF-8, or null. */
  private static String utf8(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** An absolute http(s) URL with a host, or null. */
  private static URI parseUrl(String url) {
    try {
      URI uri = new URI(url);
      String scheme = uri.getScheme();
      if (scheme == null
          || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
          || uri.getHost() == null) {
        return null;
      }
      return uri;
    } catch (URISyntaxException e) {
      return null;
    }
  }

  private static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > 126 || c <= 32 || "\"(),/:;<=>?@[\\]{}".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Adds the guest's "name:value" lines (WAGI's encoding); false if one is not a valid header.
   * Headers the client sets itself (Host, Content-Length, ...) are left out.
   */
  private static boolean addHeaders(HttpRequest.Builder request, String text) {
    for (String line : text.split("\r?\n")) {
      if (line.isEmpty()) {
        continue;
      }
      int colon = line.indexOf(':');
      if (colon < 0) {
        return false;
      }
      String name = line.substring(0, colon);
      String value = line.substring(colon + 1).strip();
      if (!isToken(name) || !value.chars().allMatch(c -> c == '\t' || (c >= 32 && c != 127))) {
        return false;
      }
      if (CLIENT_MANAGED.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      try {
        request.header(name, value);
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    return true;
  }
}
