package dev.jwagi.config;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The certificate chain and private key jwagi serves HTTPS with ({@code --tls-cert}, {@code
 * --tls-key}), read from PEM and checked to belong together at start-up, so a bad pair fails before
 * listening with a message naming the flag.
 *
 * @param chain the server certificate first, then any intermediates
 */
public record TlsIdentity(PrivateKey key, List<X509Certificate> chain) {
  /** The TLS versions served: 1.2 and 1.3 only. */
  public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

  /**
   * The cipher suites served (Mozilla's "intermediate" policy): TLS 1.3's, and for TLS 1.2 only
   * ECDHE key exchange (forward secrecy) with an AEAD cipher (AES-GCM, ChaCha20-Poly1305).
   */
  public static final List<String> CIPHERS =
      List.of(
          "TLS_AES_128_GCM_SHA256",
          "TLS_AES_256_GCM_SHA384",
          "TLS_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
          "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
          "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
          "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

  private static final Pattern PEM =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);

  /** DER of the AlgorithmIdentifier {rsaEncryption, NULL}, for wrapping a PKCS#1 key. */
  private static final byte[] RSA_ALGORITHM = {
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    (byte) 0x86,
    0x48,
    (byte) 0x86,
    (byte) 0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00
  };

  public TlsIdentity {
    chain = List.copyOf(chain);
  }

  /** Reads and checks the pair; either path null means the other flag is missing. */
  static TlsIdentity load(Path certFile, Path keyFile) throws ConfigException {
    if (certFile == null || keyFile == null) {
      throw new ConfigException(
          (certFile == null ? "--tls-key" : "--tls-cert")
              + " needs "
              + (certFile == null ? "--tls-cert" : "--tls-key")
              + " too: HTTPS takes a certificate chain and its private key (PEM files)");
    }
    List<X509Certificate> chain = certificates(certFile);
    PrivateKey key = privateKey(keyFile, chain.get(0).getPublicKey().getAlgorithm());
    requireMatch(key, chain.get(0), certFile, keyFile);
    return new TlsIdentity(key, chain);
  }

  /** A private key others may read is no longer private: refused, as ssh refuses one. */
  private static void requirePrivate(Path file) throws ConfigException {
    Set<PosixFilePermission> permissions;
    try {
      permissions = Files.getPosixFilePermissions(file);
    } catch (UnsupportedOperationException | IOException e) {
      return; // no POSIX modes to check
    }
    if (permissions.contains(PosixFilePermission.OTHERS_READ)) {
      throw new ConfigException(
          "--tls-key "
              + file
              + ": other users may read it (mode "
              + PosixFilePermissions.toString(permissions)
              + "); make it private: chmod 600 "
              + file);
    }
  }

  private static String read(Path file, String flag) throws ConfigException {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(flag + " " + file + ": no such file");
    }
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new ConfigException(flag + " " + file + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static List<X509Certificate> certificates(Path file) throws ConfigException {
    String text = read(file, "--tls-cert");
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigException(
          "--tls-cert "
              + file
              + ": no PEM certificate in it (expected \"-----BEGIN CERTIFICATE-----\")");
    }
    List<X509Certificate> chain = new ArrayList<>();
    try {
      for (Certificate c :
          CertificateFactory.getInstance("X.509")
              .generateCertificates(
                  new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)))) {
        chain.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new ConfigException(
          "--tls-cert " + file + ": not a valid PEM certificate chain: " + e.getMessage(), e);
    }
    if (chain.isEmpty()) {
      throw new ConfigException("--tls-cert " + file + ": no certificate in it");
    }
    return chain;
  }

  private static PrivateKey privateKey(Path file, String algorithm) throws ConfigException {
    String text = read(file, "--tls-key");
    requirePrivate(file);
    Matcher pem = PEM.matcher(text);
    if (!pem.find()) {
      throw new ConfigException(
          "--tls-key "
              + file
              + ": no PEM private key in it (expected \"-----BEGIN PRIVATE KEY-----\")");
    }
    String type = pem.group(1);
    String body = pem.group(2);
    String convert = "; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8";
    if (body.contains("ENCRYPTED") || type.equals("ENCRYPTED PRIVATE KEY")) {
      throw new ConfigException(
          "--tls-key " + file + ": the key is encrypted; jwagi takes an unencrypted key" + convert);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(body.strip());
    } catch (IllegalArgumentException e) {
      throw new ConfigException("--tls-key " + file + ": bad base64 in the PEM block", e);
    }
    if (type.equals("RSA PRIVATE KEY")) {
      der = pkcs8FromPkcs1Rsa(der);
    } else if (!type.equals("PRIVATE KEY")) {
      throw new ConfigException(
          "--tls-key "
              + file
              + ": \""
              + type
              + "\" keys are not accepted, only PKCS#8 \"PRIVATE KEY\" and PKCS#1 \"RSA PRIVATE"
              + " KEY\""
              + convert);
    }
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new ConfigException(
          "--tls-key "
              + file
              + ": not a valid "
              + algorithm
              + " private key (the certificate's key type): "
              + e.getMessage(),
          e);
    }
  }

  /** PKCS#8 PrivateKeyInfo {version 0, rsaEncryption, OCTET STRING pkcs1}. */
  private static byte[] pkcs8FromPkcs1Rsa(byte[] pkcs1) {
    ByteArrayOutputStream inner = new ByteArrayOutputStream();
    inner.writeBytes(new byte[] {0x02, 0x01, 0x00});
    inner.writeBytes(RSA_ALGORITHM);
    inner.write(0x04);
    derLength(inner, pkcs1.length);
    inner.writeBytes(pkcs1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x30);
    derLength(out, inner.size());
    out.writeBytes(inner.toByteArray());
    return out.toByteArray();
  }

  private static void derLength(ByteArrayOutputStream out, int length) {
    if (length < 0x80) {
      out.write(length);
      return;
    }
    int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
    out.write(0x80 | bytes);
    for (int i = bytes - 1; i >= 0; i--) {
      out.write(length >>> (8 * i));
    }
  }

  /** Signs with the key and verifies with the certificate: a key of another pair fails here. */
  private static void requireMatch(
      PrivateKey key, X509Certificate cert, Path certFile, Path keyFile) throws ConfigException {
    String algorithm =
        switch (key.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "EdDSA", "Ed25519" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null;
        };
    if (algorithm == null) {
      return; // a key type we cannot check here; the TLS handshake still needs a matching pair
    }
    byte[] probe = "jwagi tls key check".getBytes(StandardCharsets.US_ASCII);
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(cert.getPublicKey());
      verifier.update(probe);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      matches = false;
    }
    if (!matches) {
      throw new ConfigException(
          "--tls-key "
              + keyFile
              + " is not the private key of the certificate in --tls-cert "
              + certFile
              + " ("
              + cert.getSubjectX500Principal().getName()
              + ")");
    }
  }
}
