import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The training run behind the image's AOT cache (deploy/Dockerfile), written in Java because the
 * runtime image has no shell and no curl. It starts the server command given after {@code --},
 * waits for its first 200, sends every request a real start-up and first requests make (so their
 * classes land in the cache), stops the server with SIGTERM, as Knative does, and fails unless the
 * server exits 0 and wrote the cache.
 *
 * <p>Usage: {@code java AotTraining PORT ROUNDS CACHE_FILE PATH... -- COMMAND...}; a PATH of the
 * form {@code POST:/echo} is sent as a POST with a small body.
 */
public final class AotTraining {
  public static void main(String[] args) throws Exception {
    int split = Arrays.asList(args).indexOf("--");
    if (split < 4 || split == args.length - 1) {
      throw new IllegalArgumentException(
          "usage: AotTraining PORT ROUNDS CACHE_FILE PATH... -- COMMAND...");
    }
    int port = Integer.parseInt(args[0]);
    int rounds = Integer.parseInt(args[1]);
    java.nio.file.Path cacheFile = java.nio.file.Path.of(args[2]);
    List<String> paths = List.of(args).subList(3, split);
    List<String> command = List.of(args).subList(split + 1, args.length);

    Process server = new ProcessBuilder(command).inheritIO().start();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      String base = "http://127.0.0.1:" + port;
      String first = paths.get(0).replaceFirst("^POST:", "");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (status(client, base, first) != 200) {
        if (!server.isAlive()) {
          throw new IllegalStateException("the server exited with " + server.exitValue());
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no 200 from " + first + " within 120 s");
        }
        Thread.sleep(20);
      }
      List<String> answers = new ArrayList<>();
      for (int round = 0; round < rounds; round++) {
        for (String path : paths) {
          int code = status(client, base, path);
          if (round == 0) {
            answers.add(path + " " + code);
          }
        }
      }
      System.out.println("AotTraining: " + rounds + " rounds of " + answers);
    } finally {
      server.destroy(); // SIGTERM
    }
    if (!server.waitFor(120, TimeUnit.SECONDS)) {
      server.destroyForcibly();
      throw new IllegalStateException("the server did not stop within 120 s of SIGTERM");
    }
    if (server.exitValue() != 0) {
      throw new IllegalStateException("the server exited with " + server.exitValue());
    }
    if (!java.nio.file.Files.isRegularFile(cacheFile)) {
      throw new IllegalStateException("the server wrote no AOT cache at " + cacheFile);
    }
    System.out.println(
        "AotTraining: " + cacheFile + " " + java.nio.file.Files.size(cacheFile) + " bytes");
  }

  private static int status(HttpClient client, String base, String path) throws Exception {
    boolean post = path.startsWith("POST:");
    URI uri = URI.create(base + (post ? path.substring(5) : path));
    HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30));
    if (post) {
      request.POST(HttpRequest.BodyPublishers.ofString("training body"));
    }
    try {
      return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1; // not listening yet
    }
  }
}
