package dev.jwagi.engine.split;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The bytecode length of the JVM method Chicory 1.7.5 compiled each wasm function to, read from the
 * jar it hands its {@code Cache}: its {@code *FuncGroup_*} classes hold one static method {@code
 * func_<index>} per function (a Chicory internal, named in docs/architecture.md and guarded by
 * JvmMethodSizeTest). A method over HotSpot's {@link #HUGE_METHOD_BYTES} is never JIT-compiled, so
 * a hot function there runs in the JVM's bytecode interpreter for good, and nothing else says so:
 * jwagi's CompiledModule warns of each.
 */
public final class JvmMethodSizes {
  /**
   * HotSpot's HugeMethodLimit: a method of more bytecode is never JIT-compiled while
   * DontCompileHugeMethods is on (its default).
   */
  public static final int HUGE_METHOD_BYTES = 8_000;

  private JvmMethodSizes() {}

  /** Wasm function index to the bytecode length of its method, from a jar of Chicory's classes. */
  public static Map<Integer, Integer> of(byte[] jar) throws IOException {
    Map<Integer, Integer> sizes = new TreeMap<>();
    try (var in = new ZipInputStream(new ByteArrayInputStream(jar))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        if (e.getName().contains("FuncGroup_")) {
          readMethods(in.readAllBytes(), sizes);
        }
      }
    }
    return sizes;
  }

  /**
   * Whether this JVM leaves methods over {@link #HUGE_METHOD_BYTES} to its interpreter (the
   * default; {@code -XX:-DontCompileHugeMethods} turns it off).
   */
  public static boolean hugeMethodsStayInterpreted() {
    try {
      var hotspot =
          ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      return hotspot == null
          || !"false".equals(hotspot.getVMOption("DontCompileHugeMethods").getValue());
    } catch (RuntimeException e) { // not HotSpot: assume the rule holds
      return true;
    }
  }

  /** The code_length of each {@code func_N} method of a class file (JVMS 4.1, 4.6, 4.7.3). */
  private static void readMethods(byte[] classFile, Map<Integer, Integer> sizes)
      throws IOException {
    var in = new DataInputStream(new ByteArrayInputStream(classFile));
    in.skipNBytes(8); // magic, versions
    int constants = in.readUnsignedShort();
    String[] utf8 = new String[constants];
    for (int i = 1; i < constants; i++) {
      int tag = in.readUnsignedByte();
      switch (tag) {
        case 1 -> utf8[i] = in.readUTF();
        case 5, 6 -> { // long, double: two entries
          in.skipNBytes(8);
          i++;
        }
        case 7, 8, 16, 19, 20 -> in.skipNBytes(2);
        case 15 -> in.skipNBytes(3);
        case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipNBytes(4);
        default -> throw new IOException("constant pool tag " + tag);
      }
    }
    in.skipNBytes(6); // access, this, super
    in.skipNBytes(2L * in.readUnsignedShort()); // interfaces
    int fields = in.readUnsignedShort();
    for (int i = 0; i < fields; i++) {
      in.skipNBytes(6);
      int attributes = in.readUnsignedShort();
      for (int a = 0; a < attributes; a++) {
        in.skipNBytes(2);
        in.skipNBytes(in.readInt());
      }
    }
    int methods = in.readUnsignedShort();
    for (int i = 0; i < methods; i++) {
      in.skipNBytes(2);
      String name = utf8[in.readUnsignedShort()];
      in.skipNBytes(2);
      int attributes = in.readUnsignedShort();
      for (int a = 0; a < attributes; a++) {
        String attribute = utf8[in.readUnsignedShort()];
        byte[] body = in.readNBytes(in.readInt());
        if (attribute.equals("Code") && name.startsWith("func_")) {
          int length = new DataInputStream(new ByteArrayInputStream(body, 4, 4)).readInt();
          sizes.put(Integer.parseInt(name.substring("func_".length())), length);
        }
      }
    }
  }
}
