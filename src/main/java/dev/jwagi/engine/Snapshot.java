package dev.jwagi.engine;

import com.dylibso.chicory.runtime.JwagiInstanceTemplate;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A pre-initialised module's starting point: an instance's state after its init export ran once at
 * start-up. Every run of the module then starts from it: {@code memory} is the copy-on-write image
 * (its size the memory's size after init), {@code state} the globals, tables and segments. Shared,
 * immutable.
 *
 * <p>Kept in the module cache ({@link DiskCache#write}, HMAC-verified like compiled classes) under
 * a {@link #key} naming everything the init's result depends on that does not change by itself: the
 * bytes it ran (their digest), the export, the memory's maximum (a {@code memory.grow} past it
 * fails, which the init can see) and {@link #VERSION}. What the init sees besides is fixed by jwagi
 * (no argv, environment, stdin, volumes or outbound HTTP), or real and different at every run
 * anyway (the clock, random bytes: a cached snapshot has those of the run that made it).
 */
record Snapshot(JwagiInstanceTemplate.State state, CowMemory.Image memory) {
  /**
   * The format of a stored snapshot and of what an init sees: bump it when either changes (what
   * jwagi's WASI answers an init, how state is written), so that no older snapshot is used.
   */
  static final int VERSION = 1;

  private static final int MAGIC = 0x4a57534e; // "JWSN"

  /**
   * The module cache key of the snapshot of {@code moduleDigest}'s {@code export}, made with the
   * memory maximum and the volumes (guest path, host directory; in order) given, whose files were
   * as {@code stamp} says ({@link VolumePaths#stamp}). Without volumes the key is what it was
   * before inits saw volumes, so entries made then stay valid.
   */
  static String key(
      String moduleDigest,
      String export,
      int maxPages,
      List<Map.Entry<String, Path>> volumes,
      String stamp) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(moduleDigest.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(export.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(Integer.toString(maxPages).getBytes(StandardCharsets.UTF_8));
      for (var volume : volumes) {
        sha.update((byte) 0);
        sha.update(volume.getKey().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(volume.getValue().toString().getBytes(StandardCharsets.UTF_8));
      }
      if (!volumes.isEmpty()) {
        sha.update((byte) 0);
        sha.update(stamp.getBytes(StandardCharsets.UTF_8));
      }
      return "snapshot" + VERSION + "-" + HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes this snapshot of {@code template}'s module: a header naming the module and export, the
   * state, then the memory (only its chunks that hold data). Throws IllegalStateException if the
   * state cannot be written (see {@link JwagiInstanceTemplate#writeState}).
   */
  void writeTo(
      JwagiInstanceTemplate template, String moduleDigest, String export, DataOutputStream out)
      throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(VERSION);
    writeString(out, moduleDigest);
    writeString(out, export);
    template.writeState(state, out);
    memory.writeTo(out);
  }

  /**
   * A snapshot {@link #writeTo} wrote for the same module and export, its memory at most {@code
   * maxPages}; an IOException for anything else.
   */
  static Snapshot readFrom(
      JwagiInstanceTemplate template,
      String moduleDigest,
      String export,
      int maxPages,
      DataInputStream in)
      throws IOException {
    if (in.readInt() != MAGIC || in.readInt() != VERSION) {
      throw new IOException("not a jwagi snapshot of format " + VERSION);
    }
    if (!readString(in).equals(moduleDigest) || !readString(in).equals(export)) {
      throw new IOException("the snapshot of another module or export");
    }
    var state = template.readState(in);
    var memory = CowMemory.Image.readFrom(in, maxPages);
    if (in.read() != -1) {
      throw new IOException("bytes after the snapshot");
    }
    return new Snapshot(state, memory);
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  private static String readString(DataInputStream in) throws IOException {
    int length = in.readInt();
    if (length < 0 || length > 1 << 16) {
      throw new IOException("a string of " + length + " bytes");
    }
    return new String(in.readNBytes(length), StandardCharsets.UTF_8);
  }
}
