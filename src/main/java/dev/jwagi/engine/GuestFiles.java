package dev.jwagi.engine;

import com.dylibso.chicory.runtime.Memory;
import dev.jwagi.engine.VolumePaths.Target;
import dev.jwagi.engine.VolumePaths.Volume;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest run's files: the WASI descriptors from 3 on (its volumes, preopened, and what it opens
 * through them) and every WASI function on them and on paths. jwagi answers these itself rather
 * than through Chicory's WASI, which checks a path and then opens it following symlinks: every path
 * is resolved by {@link VolumePaths}, and every file and directory is opened relative to an open
 * directory without following a symlink, so nothing a concurrent guest does can take a call outside
 * its volume. Descriptors 0-2 (stdio) stay with {@link Stdio} and Chicory. Made on a run's first
 * call that needs it; closed with the run.
 */
final class GuestFiles implements Closeable {
  /** The first descriptor that is ours: 0-2 are stdio. */
  static final int FIRST_FD = 3;

  // WASI preview1 values.
  private static final int FILETYPE_DIRECTORY = 3;
  private static final int FILETYPE_REGULAR = 4;
  private static final int FILETYPE_SYMLINK = 7;
  private static final int FILETYPE_UNKNOWN = 0;
  private static final int LOOKUP_SYMLINK_FOLLOW = 1;
  private static final int O_CREAT = 1;
  private static final int O_DIRECTORY = 2;
  private static final int O_EXCL = 4;
  private static final int O_TRUNC = 8;
  private static final int FDFLAG_APPEND = 1;
  private static final long RIGHT_FD_READ = 1L << 1;
  private static final long RIGHT_FD_WRITE = 1L << 6;
  private static final long ALL_RIGHTS = (1L << 30) - 1;
  private static final int FST_ATIM = 1;
  private static final int FST_ATIM_NOW = 2;
  private static final int FST_MTIM = 4;
  private static final int FST_MTIM_NOW = 8;
  private static final int DIRENT_SIZE = 24;

  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  private static final Pattern FILE_KEY = Pattern.compile("\\(dev=(\\p{XDigit}+),ino=(\\d+)\\)");

  /** A WASI call on our descriptors: its wasm arguments in, an errno out. */
  @FunctionalInterface
  private interface Call {
    int call(GuestFiles files, Memory memory, long[] a) throws IOException, Errno.Failure;
  }

  private static final Map<String, Call> CALLS =
      Map.ofEntries(
          Map.entry("fd_advise", (f, m, a) -> f.exists(fd(a[0]))),
          Map.entry("fd_allocate", (f, m, a) -> f.allocate(fd(a[0]), a[1], a[2])),
          Map.entry("fd_close", (f, m, a) -> f.close(fd(a[0]))),
          Map.entry("fd_datasync", (f, m, a) -> f.sync(fd(a[0]), false)),
          Map.entry("fd_sync", (f, m, a) -> f.sync(fd(a[0]), true)),
          Map.entry("fd_fdstat_get", (f, m, a) -> f.fdstat(m, fd(a[0]), (int) a[1])),
          Map.entry("fd_fdstat_set_flags", (f, m, a) -> f.setFlags(fd(a[0]), (int) a[1])),
          Map.entry("fd_fdstat_set_rights", (f, m, a) -> f.setRights(fd(a[0]), a[1], a[2])),
          Map.entry("fd_filestat_get", (f, m, a) -> f.fileStat(m, fd(a[0]), (int) a[1])),
          Map.entry("fd_filestat_set_size", (f, m, a) -> f.setSize(fd(a[0]), a[1])),
          Map.entry(
              "fd_filestat_set_times", (f, m, a) -> f.fdSetTimes(fd(a[0]), a[1], a[2], (int) a[3])),
          Map.entry(
              "fd_pread",
              (f, m, a) -> f.read(m, fd(a[0]), (int) a[1], (int) a[2], offset(a[3]), (int) a[4])),
          Map.entry(
              "fd_pwrite",
              (f, m, a) -> f.write(m, fd(a[0]), (int) a[1], (int) a[2], offset(a[3]), (int) a[4])),
          Map.entry(
              "fd_read", (f, m, a) -> f.read(m, fd(a[0]), (int) a[1], (int) a[2], -1, (int) a[3])),
          Map.entry(
              "fd_write",
              (f, m, a) -> f.write(m, fd(a[0]), (int) a[1], (int) a[2], -1, (int) a[3])),
          Map.entry("fd_prestat_get", (f, m, a) -> f.prestat(m, fd(a[0]), (int) a[1])),
          Map.entry(
              "fd_prestat_dir_name",
              (f, m, a) -> f.prestatDirName(m, fd(a[0]), (int) a[1], (int) a[2])),
          Map.entry(
              "fd_readdir",
              (f, m, a) -> f.readdir(m, fd(a[0]), (int) a[1], (int) a[2], a[3], (int) a[4])),
          Map.entry("fd_renumber", (f, m, a) -> f.renumber(fd(a[0]), fd(a[1]))),
          Map.entry("fd_seek", (f, m, a) -> f.seek(m, fd(a[0]), a[1], (int) a[2], (int) a[3])),
          Map.entry("fd_tell", (f, m, a) -> f.seek(m, fd(a[0]), 0, 1, (int) a[1])),
          Map.entry(
              "path_create_directory",
              (f, m, a) -> f.createDirectory(fd(a[0]), string(m, a[1], a[2]))),
          Map.entry(
              "path_filestat_get",
              (f, m, a) -> f.pathStat(m, fd(a[0]), (int) a[1], string(m, a[2], a[3]), (int) a[4])),
          Map.entry(
              "path_filestat_set_times",
              (f, m, a) ->
                  f.pathSetTimes(
                      fd(a[0]), (int) a[1], string(m, a[2], a[3]), a[4], a[5], (int) a[6])),
          Map.entry(
              "path_link",
              (f, m, a) ->
                  f.link(
                      fd(a[0]),
                      (int) a[1],
                      string(m, a[2], a[3]),
                      fd(a[4]),
                      string(m, a[5], a[6]))),
          Map.entry(
              "path_open",
              (f, m, a) ->
                  f.open(
                      m,
                      fd(a[0]),
                      (int) a[1],
                      string(m, a[2], a[3]),
                      (int) a[4],
                      a[5],
                      a[6],
                      (int) a[7],
                      (int) a[8])),
          Map.entry(
              "path_readlink",
              (f, m, a) ->
                  f.readlink(
                      m, fd(a[0]), string(m, a[1], a[2]), (int) a[3], (int) a[4], (int) a[5])),
          Map.entry(
              "path_remove_directory",
              (f, m, a) -> f.remove(fd(a[0]), string(m, a[1], a[2]), true)),
          Map.entry(
              "path_unlink_file", (f, m, a) -> f.remove(fd(a[0]), string(m, a[1], a[2]), false)),
          Map.entry(
              "path_rename",
              (f, m, a) ->
                  f.rename(fd(a[0]), string(m, a[1], a[2]), fd(a[3]), string(m, a[4], a[5]))),
          Map.entry(
              "path_symlink",
              (f, m, a) -> f.symlink(string(m, a[0], a[1]), fd(a[2]), string(m, a[3], a[4]))));

  /** Whether jwagi answers {@code function} itself (for descriptors from {@link #FIRST_FD}). */
  static boolean handles(String function) {
    return CALLS.containsKey(function);
  }

  /**
   * Which calls of {@code function} are ours, decided once at link time: every path call (whatever
   * its descriptor), else those on a descriptor from {@link #FIRST_FD} (a renumber: if either is).
   */
  static Predicate<long[]> selector(String function) {
    if (function.startsWith("path_")) {
      return args -> true;
    }
    if (function.equals("fd_renumber")) {
      return args -> mine((int) args[0]) || mine((int) args[1]);
    }
    return args -> mine((int) args[0]);
  }

  private static boolean mine(int fd) {
    return fd >= FIRST_FD || fd < 0;
  }

  /** Runs {@code function}, a call {@link #selector} says is ours: its errno. */
  int call(String function, Memory memory, long[] args) {
    try {
      return CALLS.get(function).call(this, memory, args);
    } catch (Errno.Failure e) {
      return e.errno;
    } catch (IOException e) {
      return Errno.of(e);
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return Errno.INVAL;
    }
  }

  /** A pread/pwrite offset: an unsigned 64-bit value, so one past Long.MAX_VALUE is invalid. */
  private static long offset(long arg) throws Errno.Failure {
    if (arg < 0) {
      throw new Errno.Failure(Errno.INVAL);
    }
    return arg;
  }

  private static int fd(long arg) {
    return (int) arg;
  }

  private static String string(Memory memory, long address, long length) {
    return memory.readString((int) address, (int) length);
  }

  /** A descriptor: an open directory or an open file. */
  private abstract static class Descriptor implements Closeable {}

  private static final class Dir extends Descriptor {
    final Volume volume;

    /** The names from the volume root to this directory, as it was opened. */
    final List<String> names;

    /** The volume's guest path if this is a preopened volume, else null. */
    final String preopen;

    /** Null for a preopened volume until first used: then its root ({@link Volume#stream}). */
    private SecureDirectoryStream<Path> stream;

    Dir(Volume volume, List<String> names, String preopen, SecureDirectoryStream<Path> stream) {
      this.volume = volume;
      this.names = names;
      this.preopen = preopen;
      this.stream = stream;
    }

    SecureDirectoryStream<Path> stream() throws IOException {
      if (stream == null) {
        stream = volume.stream();
      }
      return stream;
    }

    @Override
    public void close() throws IOException {
      if (preopen == null && stream != null) {
        stream.close(); // a volume's root is the run's, closed with it
      }
    }
  }

  private static final class OpenFile extends Descriptor {
    final FileChannel channel;
    final Volume volume;

    /** Where it was opened, to find its attributes again (inside the volume, never following). */
    final List<String> names;

    final String name;
    long rights;
    boolean append;

    OpenFile(
        FileChannel channel,
        Volume volume,
        List<String> names,
        String name,
        long rights,
        boolean append) {
      this.channel = channel;
      this.volume = volume;
      this.names = names;
      this.name = name;
      this.rights = rights;
      this.append = append;
    }

    boolean readable() {
      return (rights & RIGHT_FD_READ) != 0;
    }

    boolean writable() {
      return (rights & RIGHT_FD_WRITE) != 0;
    }

    @Override
    public void close() throws IOException {
      channel.close();
    }
  }

  /** The most descriptors a run may hold open (each holds one of the server's). */
  static final int MAX_OPEN = 1024;

  private int open;
  private final List<Volume> volumes = new ArrayList<>();
  private final List<Descriptor> table = new ArrayList<>(); // index: fd - FIRST_FD

  /**
   * @param hostVolumes guest path → host directory (a real path), in preopen order
   * @param readOnly the guest paths of those the guest may only read
   */
  GuestFiles(Map<String, Path> hostVolumes, Set<String> readOnly) {
    hostVolumes.forEach(
        (guest, host) -> {
          Volume volume = new Volume(guest, host, readOnly.contains(guest));
          volumes.add(volume);
          table.add(new Dir(volume, List.of(), guest, null));
          open++;
        });
  }

  private Descriptor any(int fd) throws Errno.Failure {
    int i = fd - FIRST_FD;
    if (i < 0 || i >= table.size() || table.get(i) == null) {
      throw new Errno.Failure(Errno.BADF);
    }
    return table.get(i);
  }

  /** fd_advise: advice is only advice; the descriptor must exist. */
  private int exists(int fd) throws Errno.Failure {
    any(fd);
    return Errno.SUCCESS;
  }

  private Dir dir(int fd) throws Errno.Failure {
    Descriptor d = any(fd);
    if (!(d instanceof Dir)) {
      throw new Errno.Failure(Errno.NOTDIR);
    }
    return (Dir) d;
  }

  private OpenFile file(int fd) throws Errno.Failure {
    Descriptor d = any(fd);
    if (!(d instanceof OpenFile)) {
      throw new Errno.Failure(d instanceof Dir ? Errno.ISDIR : Errno.BADF);
    }
    return (OpenFile) d;
  }

  private int allocate(Descriptor d) throws IOException, Errno.Failure {
    if (open >= MAX_OPEN) {
      d.close();
      throw new Errno.Failure(Errno.MFILE);
    }
    open++;
    for (int i = 0; i < table.size(); i++) {
      if (table.get(i) == null) {
        table.set(i, d);
        return FIRST_FD + i;
      }
    }
    table.add(d);
    return FIRST_FD + table.size() - 1;
  }

  private Target walk(int fd, String path, boolean followLast) throws IOException, Errno.Failure {
    Dir dir = dir(fd);
    return VolumePaths.walk(volumes, dir.volume, dir.stream(), dir.names, path, followLast);
  }

  // --- descriptors ---

  private int close(int fd) throws IOException, Errno.Failure {
    Descriptor d = any(fd);
    table.set(fd - FIRST_FD, null);
    open--;
    d.close();
    return Errno.SUCCESS;
  }

  private int renumber(int from, int to) throws IOException, Errno.Failure {
    if (from < FIRST_FD || to < FIRST_FD) {
      return Errno.NOTSUP; // stdio and files are kept apart (Stdio, Chicory's WASI)
    }
    Descriptor d = any(from);
    Descriptor old = any(to);
    if (from != to) {
      old.close();
      open--;
      table.set(to - FIRST_FD, d);
      table.set(from - FIRST_FD, null);
    }
    return Errno.SUCCESS;
  }

  private int prestat(Memory memory, int fd, int buf) throws Errno.Failure {
    Descriptor d = any(fd);
    if (!(d instanceof Dir) || ((Dir) d).preopen == null) {
      return Errno.BADF;
    }
    memory.writeI32(buf, 0); // tag: directory
    memory.writeI32(buf + 4, utf8(((Dir) d).preopen).length);
    return Errno.SUCCESS;
  }

  private int prestatDirName(Memory memory, int fd, int path, int length) throws Errno.Failure {
    Descriptor d = any(fd);
    if (!(d instanceof Dir) || ((Dir) d).preopen == null) {
      return Errno.BADF;
    }
    byte[] name = utf8(((Dir) d).preopen);
    memory.write(path, name, 0, Math.min(length, name.length));
    return Errno.SUCCESS;
  }

  private int fdstat(Memory memory, int fd, int buf) throws Errno.Failure {
    Descriptor d = any(fd);
    memory.writeLong(buf, 0); // file type, flags and padding
    if (d instanceof Dir) {
      memory.writeByte(buf, (byte) FILETYPE_DIRECTORY);
      memory.writeLong(buf + 8, ALL_RIGHTS);
      memory.writeLong(buf + 16, ALL_RIGHTS);
    } else {
      OpenFile f = (OpenFile) d;
      memory.writeByte(buf, (byte) FILETYPE_REGULAR);
      memory.writeShort(buf + 2, (short) (f.append ? FDFLAG_APPEND : 0));
      memory.writeLong(buf + 8, f.rights);
      memory.writeLong(buf + 16, 0);
    }
    return Errno.SUCCESS;
  }

  private int setFlags(int fd, int flags) throws Errno.Failure {
    Descriptor d = any(fd);
    if (d instanceof OpenFile) {
      ((OpenFile) d).append = (flags & FDFLAG_APPEND) != 0;
    }
    return Errno.SUCCESS; // the sync and nonblock flags change nothing for a host file
  }

  private int setRights(int fd, long base, long inheriting) throws Errno.Failure {
    Descriptor d = any(fd);
    if (d instanceof OpenFile) {
      ((OpenFile) d).rights &= base; // rights only narrow
    }
    return Errno.SUCCESS;
  }

  private int sync(int fd, boolean metadata) throws IOException, Errno.Failure {
    Descriptor d = any(fd);
    if (d instanceof OpenFile) {
      ((OpenFile) d).channel.force(metadata);
    }
    return Errno.SUCCESS;
  }

  // --- file contents ---

  private int read(Memory memory, int fd, int iovs, int iovsLen, long offset, int nreadPtr)
      throws IOException, Errno.Failure {
    OpenFile f = file(fd);
    if (!f.readable()) {
      return Errno.BADF;
    }
    byte[] piece = Stdio.piece();
    long total = 0;
    long at = offset;
    iovecs:
    for (int i = 0; i < iovsLen; i++) {
      int base = memory.readInt(iovs + i * 8);
      int length = memory.readInt(iovs + i * 8 + 4);
      for (int done = 0; done < length; ) {
        ByteBuffer buffer = ByteBuffer.wrap(piece, 0, Math.min(piece.length, length - done));
        int n = at < 0 ? f.channel.read(buffer) : f.channel.read(buffer, at);
        if (n <= 0) {
          break iovecs;
        }
        memory.write(base + done, piece, 0, n);
        done += n;
        total += n;
        if (at >= 0) {
          at += n;
        }
      }
    }
    memory.writeI32(nreadPtr, (int) total);
    return Errno.SUCCESS;
  }

  private int write(Memory memory, int fd, int iovs, int iovsLen, long offset, int nwrittenPtr)
      throws IOException, Errno.Failure {
    OpenFile f = file(fd);
    if (!f.writable()) {
      return Errno.BADF;
    }
    if (offset < 0 && f.append) {
      f.channel.position(f.channel.size());
    }
    byte[] piece = Stdio.piece();
    long total = 0;
    long at = offset;
    for (int i = 0; i < iovsLen; i++) {
      int base = memory.readInt(iovs + i * 8);
      int length = memory.readInt(iovs + i * 8 + 4);
      for (int done = 0; done < length; ) {
        int n = Math.min(piece.length, length - done);
        Stdio.copyOut(memory, base + done, piece, n);
        ByteBuffer buffer = ByteBuffer.wrap(piece, 0, n);
        while (buffer.hasRemaining()) {
          if (at < 0) {
            f.channel.write(buffer);
          } else {
            at += f.channel.write(buffer, at);
          }
        }
        done += n;
        total += n;
      }
    }
    memory.writeI32(nwrittenPtr, (int) total);
    return Errno.SUCCESS;
  }

  private int seek(Memory memory, int fd, long offset, int whence, int resultPtr)
      throws IOException, Errno.Failure {
    Descriptor d = any(fd);
    if (!(d instanceof OpenFile)) {
      return d instanceof Dir ? Errno.ISDIR : Errno.SPIPE;
    }
    FileChannel channel = ((OpenFile) d).channel;
    long from =
        switch (whence) {
          case 0 -> 0;
          case 1 -> channel.position();
          case 2 -> channel.size();
          default -> throw new Errno.Failure(Errno.INVAL);
        };
    long position = from + offset;
    if (position < 0) {
      return Errno.INVAL;
    }
    if (offset != 0 || whence != 1) {
      channel.position(position);
    }
    memory.writeLong(resultPtr, position);
    return Errno.SUCCESS;
  }

  private int setSize(int fd, long size) throws IOException, Errno.Failure {
    OpenFile f = file(fd);
    if (!f.writable()) {
      return Errno.BADF;
    }
    resize(f.channel, size, true);
    return Errno.SUCCESS;
  }

  private int allocate(int fd, long offset, long length) throws IOException, Errno.Failure {
    OpenFile f = file(fd);
    if (!f.writable()) {
      return Errno.BADF;
    }
    resize(f.channel, offset + length, false);
    return Errno.SUCCESS;
  }

  /** Truncates (if {@code shrink}) or extends with zeros to {@code size}, keeping the position. */
  private static void resize(SeekableByteChannel channel, long size, boolean shrink)
      throws IOException, Errno.Failure {
    if (size < 0) {
      throw new Errno.Failure(Errno.INVAL);
    }
    long current = channel.size();
    if (size < current && shrink) {
      long position = channel.position();
      channel.truncate(size);
      channel.position(position);
    } else if (size > current) {
      ((FileChannel) channel).write(ByteBuffer.wrap(new byte[1]), size - 1);
    }
  }

  // --- attributes ---

  private int fileStat(Memory memory, int fd, int buf) throws IOException, Errno.Failure {
    Descriptor d = any(fd);
    if (d instanceof Dir) {
      writeStat(
          memory,
          buf,
          ((Dir) d).stream().getFileAttributeView(BasicFileAttributeView.class).readAttributes(),
          -1);
      return Errno.SUCCESS;
    }
    OpenFile f = (OpenFile) d;
    BasicFileAttributes attributes = null;
    try (Target at = reopen(f)) {
      attributes = at.attributes();
    } catch (IOException | Errno.Failure e) {
      // moved or removed since it was opened: what the channel itself knows
    }
    writeStat(memory, buf, attributes, f.channel.size());
    return Errno.SUCCESS;
  }

  /** Where an open file was opened, walked again (no symlink followed). */
  private Target reopen(OpenFile f) throws IOException, Errno.Failure {
    List<String> path = new ArrayList<>(f.names);
    path.add(f.name);
    return VolumePaths.walk(
        volumes, f.volume, f.volume.stream(), List.of(), String.join("/", path), false);
  }

  private int pathStat(Memory memory, int fd, int flags, String path, int buf)
      throws IOException, Errno.Failure {
    try (Target at = walk(fd, path, (flags & LOOKUP_SYMLINK_FOLLOW) != 0)) {
      BasicFileAttributes attributes = at.attributes();
      if (attributes == null) {
        return Errno.NOENT;
      }
      writeStat(memory, buf, attributes, -1);
      return Errno.SUCCESS;
    }
  }

  /** A WASI filestat; {@code size} ≥ 0 overrides the attributes' (which may be null). */
  private static void writeStat(Memory memory, int buf, BasicFileAttributes a, long size) {
    long dev = 0;
    long ino = 0;
    if (a != null && a.fileKey() != null) {
      Matcher m = FILE_KEY.matcher(a.fileKey().toString());
      if (m.matches()) {
        dev = Long.parseUnsignedLong(m.group(1), 16);
        ino = Long.parseUnsignedLong(m.group(2));
      }
    }
    memory.writeLong(buf, dev);
    memory.writeLong(buf + 8, ino);
    memory.writeLong(buf + 16, 0);
    memory.writeByte(buf + 16, (byte) (a == null ? FILETYPE_REGULAR : fileType(a)));
    memory.writeLong(buf + 24, 1); // nlink: not in the JDK's portable attributes
    memory.writeLong(buf + 32, size >= 0 ? size : a.size());
    memory.writeLong(buf + 40, a == null ? 0 : nanos(a.lastAccessTime()));
    memory.writeLong(buf + 48, a == null ? 0 : nanos(a.lastModifiedTime()));
    memory.writeLong(buf + 56, a == null ? 0 : nanos(a.lastModifiedTime()));
  }

  private static int fileType(BasicFileAttributes a) {
    if (a.isDirectory()) {
      return FILETYPE_DIRECTORY;
    }
    if (a.isRegularFile()) {
      return FILETYPE_REGULAR;
    }
    return a.isSymbolicLink() ? FILETYPE_SYMLINK : FILETYPE_UNKNOWN;
  }

  private static long nanos(FileTime time) {
    return time.to(TimeUnit.NANOSECONDS);
  }

  private int fdSetTimes(int fd, long atim, long mtim, int flags)
      throws IOException, Errno.Failure {
    Descriptor d = any(fd);
    if ((d instanceof Dir ? ((Dir) d).volume : ((OpenFile) d).volume).readOnly) {
      return Errno.ROFS;
    }
    if (d instanceof Dir) {
      setTimes(
          ((Dir) d).stream().getFileAttributeView(BasicFileAttributeView.class), atim, mtim, flags);
      return Errno.SUCCESS;
    }
    try (Target at = reopen((OpenFile) d)) {
      setTimes(
          at.dir.getFileAttributeView(at.entry(), BasicFileAttributeView.class, NOFOLLOW),
          atim,
          mtim,
          flags);
    }
    return Errno.SUCCESS;
  }

  private int pathSetTimes(int fd, int lookup, String path, long atim, long mtim, int flags)
      throws IOException, Errno.Failure {
    try (Target at = walk(fd, path, (lookup & LOOKUP_SYMLINK_FOLLOW) != 0)) {
      at.writable();
      BasicFileAttributeView view =
          at.name == null
              ? at.dir.getFileAttributeView(BasicFileAttributeView.class)
              : at.dir.getFileAttributeView(at.entry(), BasicFileAttributeView.class, NOFOLLOW);
      setTimes(view, atim, mtim, flags);
    }
    return Errno.SUCCESS;
  }

  private static void setTimes(BasicFileAttributeView view, long atim, long mtim, int flags)
      throws IOException, Errno.Failure {
    if (((flags & FST_ATIM) != 0 && (flags & FST_ATIM_NOW) != 0)
        || ((flags & FST_MTIM) != 0 && (flags & FST_MTIM_NOW) != 0)) {
      return; // both a time and "now"
    }
    FileTime now = FileTime.fromMillis(System.currentTimeMillis());
    FileTime access =
        (flags & FST_ATIM_NOW) != 0
            ? now
            : (flags & FST_ATIM) != 0 ? FileTime.from(atim, TimeUnit.NANOSECONDS) : null;
    FileTime modified =
        (flags & FST_MTIM_NOW) != 0
            ? now
            : (flags & FST_MTIM) != 0 ? FileTime.from(mtim, TimeUnit.NANOSECONDS) : null;
    if (access != null || modified != null) {
      view.setTimes(modified, access, null);
    }
  }

  // --- directories ---

  private int readdir(Memory memory, int fd, int buf, int bufLen, long cookie, int bufUsedPtr)
      throws IOException, Errno.Failure {
    Dir dir = dir(fd);
    if (cookie < 0) {
      return Errno.INVAL;
    }
    // Listed afresh from the directory's own descriptor (a stream is read once); the cookie is an
    // entry's place in the listing, "." and ".." first.
    int used = 0;
    long index = 0;
    try (SecureDirectoryStream<Path> listing =
        dir.stream().newDirectoryStream(Path.of("."), NOFOLLOW)) {
      List<String> names = new ArrayList<>(List.of(".", ".."));
      var entries = listing.iterator();
      while (used < bufLen) {
        String name;
        if (index < names.size()) {
          name = names.get((int) index);
        } else if (entries.hasNext()) {
          name = entries.next().getFileName().toString();
        } else {
          break;
        }
        index++;
        if (index <= cookie) {
          continue;
        }
        BasicFileAttributes attributes = null;
        try {
          attributes =
              listing
                  .getFileAttributeView(Path.of(name), BasicFileAttributeView.class, NOFOLLOW)
                  .readAttributes();
        } catch (IOException e) {
          // gone since it was listed: still an entry, of unknown type
        }
        byte[] bytes = utf8(name);
        ByteBuffer entry = ByteBuffer.allocate(DIRENT_SIZE + bytes.length);
        entry.order(java.nio.ByteOrder.LITTLE_ENDIAN);
        entry.putLong(index); // the cookie of the next entry
        entry.putLong(attributes == null ? 0 : inode(attributes));
        entry.putInt(bytes.length);
        entry.put((byte) (attributes == null ? FILETYPE_UNKNOWN : fileType(attributes)));
        entry.position(DIRENT_SIZE);
        entry.put(bytes);
        int n = Math.min(entry.capacity(), bufLen - used); // the last one may be cut short
        memory.write(buf + used, entry.array(), 0, n);
        used += n;
      }
    }
    memory.writeI32(bufUsedPtr, used);
    return Errno.SUCCESS;
  }

  private static long inode(BasicFileAttributes a) {
    Matcher m = a.fileKey() == null ? null : FILE_KEY.matcher(a.fileKey().toString());
    return m != null && m.matches() ? Long.parseUnsignedLong(m.group(2)) : 0;
  }

  private int createDirectory(int fd, String path) throws IOException, Errno.Failure {
    try (Target at = walk(fd, path, false)) {
      at.writable();
      if (at.name == null) {
        return Errno.EXIST;
      }
      VolumePaths.exclusive(() -> Files.createDirectory(at.verifiedHostDir().resolve(at.name)));
    }
    return Errno.SUCCESS;
  }

  /**
   * Unlinks a file or removes an empty directory. A path that names the directory it starts from
   * ({@code .}, {@code sub/..}, a volume root) is no name in a directory and is never removed.
   */
  private int remove(int fd, String path, boolean directory) throws IOException, Errno.Failure {
    try (Target at = walk(fd, path, false)) {
      at.writable();
      if (at.name == null) {
        return directory ? Errno.BUSY : Errno.ISDIR;
      }
      BasicFileAttributes attributes = at.attributes();
      if (attributes == null) {
        return Errno.NOENT;
      }
      if (directory != attributes.isDirectory()) {
        return directory ? Errno.NOTDIR : Errno.ISDIR;
      }
      VolumePaths.shared(
          () -> {
            if (directory) {
              at.dir.deleteDirectory(at.entry());
            } else {
              at.dir.deleteFile(at.entry());
            }
          });
    }
    return Errno.SUCCESS;
  }

  private int rename(int fd, String from, int toFd, String to) throws IOException, Errno.Failure {
    try (Target source = walk(fd, from, false);
        Target target = walk(toFd, to, false)) {
      source.writable();
      target.writable();
      if (source.name == null || target.name == null) {
        return Errno.BUSY; // a volume root, "." or "..": no name to move
      }
      VolumePaths.shared(() -> source.dir.move(source.entry(), target.dir, target.entry()));
    }
    return Errno.SUCCESS;
  }

  private int symlink(String target, int fd, String path) throws IOException, Errno.Failure {
    try (Target at = walk(fd, path, false)) {
      at.writable();
      if (at.name == null) {
        return Errno.EXIST;
      }
      if (!VolumePaths.targetStaysInside(at.names, target)) {
        return Errno.NOTCAPABLE; // kept inside even for the host's own programs that follow it
      }
      VolumePaths.exclusive(
          () -> Files.createSymbolicLink(at.verifiedHostDir().resolve(at.name), Path.of(target)));
    }
    return Errno.SUCCESS;
  }

  private int link(int fd, int lookup, String from, int toFd, String to)
      throws IOException, Errno.Failure {
    try (Target source = walk(fd, from, (lookup & LOOKUP_SYMLINK_FOLLOW) != 0);
        Target target = walk(toFd, to, false)) {
      // Both: a second name in a writable volume would let the guest write a read-only file.
      source.writable();
      target.writable();
      if (source.name == null || target.name == null) {
        return source.name == null ? Errno.PERM : Errno.EXIST;
      }
      VolumePaths.exclusive(
          () ->
              Files.createLink(
                  target.verifiedHostDir().resolve(target.name),
                  source.verifiedHostDir().resolve(source.name)));
    }
    return Errno.SUCCESS;
  }

  private int readlink(Memory memory, int fd, String path, int buf, int bufLen, int bufUsedPtr)
      throws IOException, Errno.Failure {
    try (Target at = walk(fd, path, false)) {
      BasicFileAttributes attributes = at.name == null ? null : at.attributes();
      if (attributes == null || !attributes.isSymbolicLink()) {
        return attributes == null && at.name != null ? Errno.NOENT : Errno.INVAL;
      }
      byte[] target = utf8(VolumePaths.readLink(at.volume, at.dir, at.names, at.name));
      int n = Math.min(target.length, bufLen);
      memory.write(buf, target, 0, n);
      memory.writeI32(bufUsedPtr, n);
    }
    return Errno.SUCCESS;
  }

  // --- open ---

  private int open(
      Memory memory,
      int fd,
      int lookup,
      String path,
      int oflags,
      long rightsBase,
      long rightsInheriting,
      int fdflags,
      int fdPtr)
      throws IOException, Errno.Failure {
    boolean create = (oflags & O_CREAT) != 0;
    boolean exclusive = create && (oflags & O_EXCL) != 0;
    boolean follow = (lookup & LOOKUP_SYMLINK_FOLLOW) != 0 && !exclusive;
    boolean write = (rightsBase & RIGHT_FD_WRITE) != 0;
    boolean truncate = (oflags & O_TRUNC) != 0;
    Descriptor opened;
    try (Target at = walk(fd, path, follow)) {
      if (create || truncate || write || (fdflags & FDFLAG_APPEND) != 0) {
        at.writable();
      }
      boolean directoryOnly = (oflags & O_DIRECTORY) != 0 || at.directoryOnly;
      BasicFileAttributes attributes = at.attributes();
      if (attributes == null) {
        if (!create || directoryOnly) {
          return Errno.NOENT;
        }
      } else if (exclusive) {
        return Errno.EXIST;
      } else if (attributes.isSymbolicLink()) {
        return Errno.LOOP; // not followed (no SYMLINK_FOLLOW): as O_NOFOLLOW
      } else if (attributes.isDirectory()) {
        if (write || truncate) {
          return Errno.ISDIR;
        }
        SecureDirectoryStream<Path> stream =
            at.dir.newDirectoryStream(Path.of(at.name == null ? "." : at.name), NOFOLLOW);
        List<String> names = new ArrayList<>(at.names);
        if (at.name != null) {
          names.add(at.name);
        }
        opened = new Dir(at.volume, List.copyOf(names), null, stream);
        memory.writeI32(fdPtr, allocate(opened));
        return Errno.SUCCESS;
      } else if (directoryOnly) {
        return Errno.NOTDIR;
      } else if (!attributes.isRegularFile()) {
        return Errno.NOTSUP; // a device or FIFO a host put there: opening it could block
      }
      Set<OpenOption> options = new HashSet<>();
      options.add(LinkOption.NOFOLLOW_LINKS);
      boolean read = (rightsBase & RIGHT_FD_READ) != 0 || !write;
      if (read) {
        options.add(StandardOpenOption.READ);
      }
      if (write || create) {
        options.add(StandardOpenOption.WRITE); // the JDK creates only what it opens for writing
      }
      if (create) {
        options.add(exclusive ? StandardOpenOption.CREATE_NEW : StandardOpenOption.CREATE);
      }
      if (truncate && write) {
        options.add(StandardOpenOption.TRUNCATE_EXISTING);
      }
      SeekableByteChannel channel = at.dir.newByteChannel(at.entry(), options);
      if (!(channel instanceof FileChannel)) {
        channel.close();
        return Errno.NOTSUP;
      }
      long rights = rightsBase & ALL_RIGHTS;
      if (!read) {
        rights &= ~RIGHT_FD_READ;
      }
      opened =
          new OpenFile(
              (FileChannel) channel,
              at.volume,
              at.names,
              at.name,
              rights,
              (fdflags & FDFLAG_APPEND) != 0);
    }
    memory.writeI32(fdPtr, allocate(opened));
    return Errno.SUCCESS;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Whether {@code directory} can be opened for openat-style access; throws why not. */
  static void checkSupported(Path directory) throws IOException {
    try (DirectoryStream<Path> stream = VolumePaths.open(directory)) {
      // opened: supported
    }
  }

  /** Closes everything the run left open. */
  @Override
  public void close() {
    for (Descriptor d : table) {
      closeQuietly(d);
    }
    table.clear();
    for (Volume volume : volumes) {
      closeQuietly(volume);
    }
  }

  private static void closeQuietly(Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // nothing the guest could still be told
      }
    }
  }
}
