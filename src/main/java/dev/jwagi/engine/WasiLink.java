package dev.jwagi.engine;

import com.dylibso.chicory.log.Logger;
import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.ImportFunction;
import com.dylibso.chicory.runtime.ImportValues;
import com.dylibso.chicory.runtime.Instance;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasi.WasiExitException;
import com.dylibso.chicory.wasi.WasiOptions;
import com.dylibso.chicory.wasi.WasiPreview1;
import com.dylibso.chicory.wasi.WasiPreview1_ModuleFactory;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.ExternalType;
import com.dylibso.chicory.wasm.types.FunctionImport;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.Import;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Links a module's WASI imports once, at start-up. Each linked function forwards to the WASI state
 * of the guest running on the calling thread (a guest runs start to end on one thread), so a
 * request creates no import objects and no linking happens while serving.
 */
final class WasiLink {
  static final String WASI_MODULE = "wasi_snapshot_preview1";

  /** Chicory's WASI log calls cost a check each; guests' WASI traffic is not worth logging. */
  static final Logger SILENT =
      new Logger() {
        @Override
        public void log(Level level, String msg, Throwable throwable) {}

        @Override
        public boolean isLoggable(Level level) {
          return false;
        }
      };

  /** Names and signatures of every WASI preview1 function Chicory implements, by name. */
  private static final Map<String, Integer> INDEX = new HashMap<>();

  private static final HostFunction[] SIGNATURES;

  static {
    SIGNATURES =
        WasiPreview1_ModuleFactory.toHostFunctions(
            WasiPreview1.builder().withLogger(SILENT).build());
    for (int i = 0; i < SIGNATURES.length; i++) {
      INDEX.put(SIGNATURES[i].name(), i);
    }
  }

  /**
   * The guest running on each thread, in a holder made once per thread (setting and removing the
   * thread-local itself would allocate an entry per run).
   */
  private static final ThreadLocal<Current> CURRENT = ThreadLocal.withInitial(Current::new);

  private static final class Current {
    GuestWasi guest;
  }

  private WasiLink() {}

  /**
   * The import values for a module: WASI functions forwarding to the current guest. Fails for any
   * import jwagi does not provide, naming it, so a module that cannot run never starts serving.
   */
  static ImportValues link(WasmModule module) throws ModuleLoadException {
    List<ImportFunction> functions = new ArrayList<>();
    var imports = module.importSection();
    for (int i = 0; i < imports.importCount(); i++) {
      Import imp = imports.getImport(i);
      if (imp.importType() == ExternalType.FUNCTION && OutboundHttp.MODULE.equals(imp.module())) {
        functions.add(outbound(module, (FunctionImport) imp));
        continue;
      }
      Integer index = INDEX.get(imp.name());
      if (imp.importType() != ExternalType.FUNCTION
          || !WASI_MODULE.equals(imp.module())
          || index == null) {
        throw new ModuleLoadException(
            "it imports "
                + imp.importType().name().toLowerCase()
                + " \""
                + imp.module()
                + "\".\""
                + imp.name()
                + "\", which jwagi does not provide (only "
                + WASI_MODULE
                + " and "
                + OutboundHttp.MODULE
                + " functions)");
      }
      functions.add(forwarding(index));
    }
    return ImportValues.builder().withFunctions(functions).build();
  }

  /** An outbound-HTTP function, checked against the ABI's signature now rather than per run. */
  private static HostFunction outbound(WasmModule module, FunctionImport imp)
      throws ModuleLoadException {
    HostFunction function = OutboundHttp.function(imp.name());
    if (function == null) {
      throw new ModuleLoadException(
          "it imports function \""
              + imp.module()
              + "\".\""
              + imp.name()
              + "\", which the "
              + OutboundHttp.MODULE
              + " ABI 0.10.0 does not have (it has "
              + String.join(", ", new java.util.TreeSet<>(OutboundHttp.names()))
              + ")");
    }
    FunctionType declared = module.typeSection().getType(imp.typeIndex());
    if (!declared.typesMatch(function.functionType())) {
      throw new ModuleLoadException(
          "it imports \""
              + imp.module()
              + "\".\""
              + imp.name()
              + "\" as "
              + declared
              + ", but the "
              + OutboundHttp.MODULE
              + " ABI 0.10.0 has "
              + function.functionType());
    }
    return function;
  }

  /** A WASI call made straight on the guest's state, creating nothing per call. */
  @FunctionalInterface
  private interface DirectCall {
    long call(GuestWasi guest, Memory memory, long[] args);
  }

  /**
   * The calls a typical CGI guest makes on every request (start-up, args, env, stdio, exit), made
   * directly; args and environ are served from the request's encoded blocks. Any other WASI call
   * goes through Chicory's generated bindings, created on first use in a run.
   */
  private static final Map<String, DirectCall> DIRECT =
      Map.ofEntries(
          Map.entry("args_get", (g, m, a) -> strings(m, g.argv, (int) a[0], (int) a[1])),
          Map.entry("args_sizes_get", (g, m, a) -> sizes(m, g.argv, (int) a[0], (int) a[1])),
          Map.entry("environ_get", (g, m, a) -> strings(m, g.env, (int) a[0], (int) a[1])),
          Map.entry("environ_sizes_get", (g, m, a) -> sizes(m, g.env, (int) a[0], (int) a[1])),
          Map.entry("fd_fdstat_get", (g, m, a) -> g.fdFdstatGet(m, (int) a[0], (int) a[1])),
          Map.entry("fd_prestat_get", (g, m, a) -> g.fdPrestatGet(m, (int) a[0], (int) a[1])),
          Map.entry(
              "fd_prestat_dir_name",
              (g, m, a) -> g.fdPrestatDirName(m, (int) a[0], (int) a[1], (int) a[2])),
          Map.entry(
              "fd_read",
              (g, m, a) -> g.wasi().fdRead(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3])),
          Map.entry(
              "fd_write",
              (g, m, a) -> g.wasi().fdWrite(m, (int) a[0], (int) a[1], (int) a[2], (int) a[3])),
          Map.entry(
              "fd_seek", (g, m, a) -> g.wasi().fdSeek(m, (int) a[0], a[1], (int) a[2], (int) a[3])),
          Map.entry("fd_close", (g, m, a) -> g.wasi().fdClose((int) a[0])),
          Map.entry(
              "clock_time_get",
              (g, m, a) -> g.wasi().clockTimeGet(m, (int) a[0], a[1], (int) a[2])),
          Map.entry("random_get", (g, m, a) -> g.wasi().randomGet(m, (int) a[0], (int) a[1])));

  /**
   * {@code args_get}/{@code environ_get}: the pointer to each string at {@code pointers}, the
   * strings themselves, one copy of the block, at {@code buffer}.
   */
  private static long strings(Memory memory, StringBlock block, int pointers, int buffer) {
    for (int i = 0; i < block.count(); i++) {
      memory.writeI32(pointers + 4 * i, buffer + block.start(i));
    }
    memory.write(buffer, block.bytes(), 0, block.byteLength());
    return Errno.SUCCESS;
  }

  /** {@code args_sizes_get}/{@code environ_sizes_get}: how many strings, and their bytes. */
  private static long sizes(Memory memory, StringBlock block, int count, int bufferSize) {
    memory.writeI32(count, block.count());
    memory.writeI32(bufferSize, block.byteLength());
    return Errno.SUCCESS;
  }

  /**
   * A WASI function: jwagi's file layer ({@link GuestFiles}) for every path call and for
   * descriptors from 3 on, else what the standard streams need. A descriptor call checks its
   * descriptor first in its own body (one comparison; wrapping the streams' functions in another
   * made their results escape, an allocation per call on the hottest path).
   */
  private static HostFunction forwarding(int index) {
    HostFunction signature = SIGNATURES[index];
    String name = signature.name();
    boolean files = GuestFiles.handles(name);
    if (files && (name.startsWith("path_") || name.equals("fd_renumber"))) {
      var ours = GuestFiles.selector(name);
      var standard = standardStreams(index, false).handle();
      return new HostFunction(
          WASI_MODULE,
          name,
          signature.functionType(),
          (instance, args) ->
              ours.test(args)
                  ? new long[] {current().files().call(name, instance.memory(), args)}
                  : standard.apply(instance, args));
    }
    return standardStreams(index, files);
  }

  /**
   * A descriptor call's errno from {@link GuestFiles} when its descriptor (the first argument) is
   * one of 3 on, else -1: the standard streams' handling goes ahead.
   */
  private static int onFile(String name, Instance instance, long[] args) {
    int fd = (int) args[0];
    if (fd >= GuestFiles.FIRST_FD || fd < 0) {
      return current().onDescriptor(name, instance.memory(), fd, args);
    }
    return -1;
  }

  /** {@code files}: the call's descriptors from 3 on go to {@link GuestFiles} ({@link #onFile}). */
  private static HostFunction standardStreams(int index, boolean files) {
    HostFunction signature = SIGNATURES[index];
    String name = signature.name();
    if (name.equals("fd_read") || name.equals("fd_write")) {
      boolean write = name.equals("fd_write");
      DirectCall chicory = DIRECT.get(name);
      return new HostFunction(
          WASI_MODULE,
          name,
          signature.functionType(),
          (instance, args) -> {
            int file = files ? onFile(name, instance, args) : -1;
            if (file >= 0) {
              return new long[] {file};
            }
            GuestWasi guest = current();
            int fd = (int) args[0];
            if (!guest.stdio.handles(fd, write)) {
              return new long[] {chicory.call(guest, instance.memory(), args)};
            }
            Memory memory = instance.memory();
            return new long[] {
              write
                  ? guest.stdio.write(memory, fd, (int) args[1], (int) args[2], (int) args[3])
                  : guest.stdio.read(memory, (int) args[1], (int) args[2], (int) args[3])
            };
          });
    }
    if (name.equals("fd_close") || name.equals("fd_renumber")) {
      return new HostFunction(
          WASI_MODULE,
          name,
          signature.functionType(),
          (instance, args) -> {
            int file = files ? onFile(name, instance, args) : -1;
            if (file >= 0) {
              return new long[] {file};
            }
            GuestWasi guest = current();
            guest.stdio.descriptorChanged((int) args[0]);
            if (name.equals("fd_renumber")) {
              guest.stdio.descriptorChanged((int) args[1]);
            }
            return guest.function(index).handle().apply(instance, args);
          });
    }
    DirectCall direct = DIRECT.get(name);
    if (direct != null) {
      return new HostFunction(
          WASI_MODULE,
          name,
          signature.functionType(),
          (instance, args) -> {
            int file = files ? onFile(name, instance, args) : -1;
            return new long[] {file >= 0 ? file : direct.call(current(), instance.memory(), args)};
          });
    }
    if (name.equals("proc_exit")) {
      return new HostFunction(
          WASI_MODULE,
          name,
          signature.functionType(),
          (instance, args) -> {
            // What Chicory's proc_exit does with throwOnExit0 (an exit code is the run's result),
            // without creating its WASI state.
            throw new WasiExitException((int) args[0]);
          });
    }
    return new HostFunction(
        WASI_MODULE,
        name,
        signature.functionType(),
        (instance, args) -> {
          int file = files ? onFile(name, instance, args) : -1;
          if (file >= 0) {
            return new long[] {file};
          }
          return current().function(index).handle().apply(instance, args);
        });
  }

  /** The state of the guest running on this thread. */
  static GuestWasi current() {
    GuestWasi guest = CURRENT.get().guest;
    if (guest == null) {
      throw new IllegalStateException("WASI call outside a guest run");
    }
    return guest;
  }

  /**
   * Makes {@code guest} the WASI state for calls on this thread until {@link #exit}; returns the
   * state it replaces (null unless a guest runs inside another's host call), to give to exit.
   */
  static GuestWasi enter(GuestWasi guest) {
    Current current = CURRENT.get();
    GuestWasi previous = current.guest;
    current.guest = guest;
    return previous;
  }

  /** Ends {@link #enter}: {@code previous} is what it returned. */
  static void exit(GuestWasi previous) {
    CURRENT.get().guest = previous;
  }

  /**
   * One guest run's host state: its standard streams, args, env, its files (volumes and what it
   * opened, {@link GuestFiles}), Chicory's WASI state (for the standard streams once the guest
   * closes or renumbers one, and the calls jwagi does not answer itself) and outbound HTTP (its
   * open responses); each but the streams created on first use. Nothing in it outlives the run.
   */
  static final class GuestWasi implements AutoCloseable {
    private static final int FILETYPE_UNKNOWN = 0;
    private static final long RIGHT_FD_READ = 1L << 1;
    private static final long RIGHT_FD_WRITE = 1L << 6;

    final StringBlock argv;
    final StringBlock env;
    final Stdio stdio;
    private final Map<String, Path> volumes;
    private final Set<String> readOnlyVolumes;
    private final OutboundHttp.Policy outboundPolicy;
    private final long outboundCap;
    private OutboundHttp.Session outbound;
    private WasiPreview1 wasi;
    private HostFunction[] functions;
    private GuestFiles files;

    GuestWasi(
        Map<String, Path> volumes,
        Set<String> readOnlyVolumes,
        StringBlock argv,
        StringBlock env,
        OutboundHttp.Policy outboundPolicy,
        long outboundCap,
        Stdio stdio) {
      this.volumes = volumes;
      this.readOnlyVolumes = readOnlyVolumes;
      this.argv = argv;
      this.env = env;
      this.outboundPolicy = outboundPolicy;
      this.outboundCap = outboundCap;
      this.stdio = stdio;
    }

    /**
     * Chicory's WASI state for this run, made on first use: most CGI guests never need it (their
     * args, env, stdio and exit are served directly). Its stdout and stderr go through {@link
     * Stdio#out}, so the output cap holds whichever side writes.
     */
    WasiPreview1 wasi() {
      if (wasi == null) {
        var options =
            WasiOptions.builder()
                .withStdin(stdio.stdin(), false)
                .withStdout(stdio.stream(1), false)
                .withStderr(stdio.stream(2), false)
                .withThrowOnExit0(true);
        wasi = WasiPreview1.builder().withLogger(SILENT).withOptions(options.build()).build();
      }
      return wasi;
    }

    /**
     * Whether {@code fd} is one of stdin, stdout, stderr as the run began, known without Chicory's
     * state: until that exists, nothing can have closed or renumbered a standard stream (those
     * calls create it).
     */
    private boolean pristineStdio(int fd) {
      return wasi == null && fd >= 0 && fd <= 2;
    }

    /**
     * A call on descriptor {@code fd} (from 3 on): EBADF at once for one that cannot exist, as
     * before the guest opened anything only the volumes do (every CGI guest asks for descriptor 3
     * onwards at start, to find its volumes: a route without volumes makes nothing for that).
     */
    int onDescriptor(String function, Memory memory, int fd, long[] args) {
      if (files == null && (fd < 0 || fd >= GuestFiles.FIRST_FD + volumes.size())) {
        return Errno.BADF;
      }
      return files().call(function, memory, args);
    }

    /** The run's files, made on first use. */
    GuestFiles files() {
      if (files == null) {
        files = new GuestFiles(volumes, readOnlyVolumes);
      }
      return files;
    }

    /**
     * fd_fdstat_get: for an untouched standard stream, what Chicory answers (not a tty: file type
     * unknown, no flags, read or write rights only), written directly.
     */
    int fdFdstatGet(Memory memory, int fd, int buf) {
      if (!pristineStdio(fd)) {
        return wasi().fdFdstatGet(memory, fd, buf);
      }
      memory.writeLong(buf, 0); // file type, flags and padding
      memory.writeByte(buf, (byte) FILETYPE_UNKNOWN);
      memory.writeLong(buf + 8, fd == 0 ? RIGHT_FD_READ : RIGHT_FD_WRITE);
      memory.writeLong(buf + 16, 0);
      return Errno.SUCCESS;
    }

    /** fd_prestat_get and fd_prestat_dir_name below 3: a standard stream is no volume. */
    int fdPrestatGet(Memory memory, int fd, int buf) {
      return Errno.BADF;
    }

    int fdPrestatDirName(Memory memory, int fd, int path, int pathLen) {
      return Errno.BADF;
    }

    OutboundHttp.Session outbound() {
      if (outbound == null) {
        outbound = new OutboundHttp.Session(outboundPolicy, outboundCap);
      }
      return outbound;
    }

    HostFunction function(int index) {
      if (functions == null) {
        functions = WasiPreview1_ModuleFactory.toHostFunctions(wasi());
      }
      return functions[index];
    }

    /**
     * Closes the files the guest left open, Chicory's WASI state and the outbound responses the
     * guest left open, if there are any.
     */
    @Override
    public void close() {
      if (files != null) {
        files.close();
      }
      if (wasi != null) {
        wasi.close();
      }
      if (outbound != null) {
        outbound.closeAll();
      }
    }
  }
}
