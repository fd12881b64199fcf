package dev.jwagi.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jwagi.config.ConfigException;
import java.io.FileInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheme a module sees: HTTPS served by jwagi itself (--tls-cert/--tls-key, a certificate made
 * here with the JDK's keytool, a real TLS client trusting only it), and a forwarded scheme believed
 * only from trusted proxies (--trust-proxy).
 */
@Timeout(120)
class SchemeIT {
  @TempDir static Path dir;
  static Path cert;
  static Path key;
  static Path rsaKey;
  static Path otherKey;
  static HttpClient tlsClient;
  static TestServer tls;
  static TestServer proxied;

  @BeforeAll
  static void start() throws Exception {
    Path store = dir.resolve("server.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "jwagi",
                "-keyalg",
                "RSA",
                "-keysize",
                "2048",
                "-dname",
                "CN=localhost",
                "-ext",
                "SAN=ip:127.0.0.1,dns:localhost",
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                "changeit")
            .redirectErrorStream(true)
            .start();
    String keytoolOutput = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(keytoolOutput).isZero();
    KeyStore keyStore = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(store.toFile())) {
      keyStore.load(in, "changeit".toCharArray());
    }
    X509Certificate certificate = (X509Certificate) keyStore.getCertificate("jwagi");
    PrivateKey privateKey = (PrivateKey) keyStore.getKey("jwagi", "changeit".toCharArray());
    cert = write("cert.pem", pem("CERTIFICATE", certificate.getEncoded()));
    key = write("key.pem", pem("PRIVATE KEY", privateKey.getEncoded()));
    rsaKey = write("key-rsa.pem", pem("RSA PRIVATE KEY", pkcs1Of(privateKey.getEncoded())));
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    otherKey =
        write(
            "other.pem", pem("PRIVATE KEY", generator.generateKeyPair().getPrivate().getEncoded()));

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("jwagi", certificate);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    tlsClient =
        HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1).build();

    String modules = TestServer.module("/env/...", TestServer.example("env"));
    tls =
        TestServer.start(
            Files.createDirectories(dir.resolve("tls")),
            modules,
            "--tls-cert",
            cert.toString(),
            "--tls-key",
            key.toString());
    proxied =
        TestServer.start(
            Files.createDirectories(dir.resolve("proxied")),
            modules,
            "--trust-proxy",
            "10.0.0.0/8");
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.closeAll(tls, proxied);
  }

  /** A PEM file as an operator keeps it: readable by its owner only. */
  private static Path write(String name, String text) throws Exception {
    Path file = Files.writeString(dir.resolve(name), text);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  /** The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo: its OCTET STRING's content. */
  private static byte[] pkcs1Of(byte[] pkcs8) {
    int[] at = {0};
    header(pkcs8, at, 0x30); // PrivateKeyInfo: step into it
    int version = header(pkcs8, at, 0x02);
    at[0] += version;
    int algorithm = header(pkcs8, at, 0x30);
    at[0] += algorithm;
    int length = header(pkcs8, at, 0x04);
    return Arrays.copyOfRange(pkcs8, at[0], at[0] + length);
  }

  /**
   * Reads a DER tag (which must be {@code tag}) and length at at[0]; leaves at[0] at the content.
   */
  private static int header(byte[] der, int[] at, int tag) {
    assertThat(der[at[0]] & 0xff).isEqualTo(tag);
    int first = der[at[0] + 1] & 0xff;
    at[0] += 2;
    if (first < 0x80) {
      return first;
    }
    int length = 0;
    for (int i = 0; i < (first & 0x7f); i++) {
      length = (length << 8) | (der[at[0]++] & 0xff);
    }
    return length;
  }

  private static HttpResponse<byte[]> https(
      TestServer server, String pathAndQuery, String... headers) throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port() + pathAndQuery));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return tlsClient.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void tlsServesHttpsAndTheModuleSeesIt() throws Exception {
    var response = https(tls, "/env/secret?q=1");
    assertThat(response.statusCode()).isEqualTo(200);
    var env = TestServer.env(response).env();
    assertThat(env)
        .containsEntry("X_FULL_URL", "https://127.0.0.1:" + tls.port() + "/env/secret?q=1")
        .containsEntry("HTTPS", "on")
        .containsEntry("SERVER_PORT", Integer.toString(tls.port()))
        .containsEntry("PATH_INFO", "/secret");
  }

  @Test
  void overTlsAForwardedHttpDoesNotDowngrade() throws Exception {
    var env = TestServer.env(https(tls, "/env/x", "X-Forwarded-Proto", "http")).env();
    assertThat(env).containsEntry("HTTPS", "on");
    assertThat(env.get("X_FULL_URL")).startsWith("https://");
  }

  @Test
  void plainHttpToTheTlsPortGetsNoResponse() {
    assertThatThrownBy(() -> tls.get("/env/x")).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void aClientThatDoesNotTrustTheCertificateIsRefused() {
    var request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + tls.port() + "/env/x"));
    assertThatThrownBy(
            () ->
                HttpClient.newHttpClient()
                    .send(request.build(), HttpResponse.BodyHandlers.ofByteArray()))
        .isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void aKeyOthersMayReadIsRefused() throws Exception {
    Path shared = write("shared-key.pem", Files.readString(key));
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-r--r--"));
    startupFails(
        "--tls-key " + shared + ": other users may read it (mode rw-r--r--); make it private",
        "--tls-cert",
        cert.toString(),
        "--tls-key",
        shared.toString());
  }

  /** TLS 1.2 and 1.3 only; on 1.2 only forward-secret AEAD suites (TlsIdentity.CIPHERS). */
  @Test
  void onlyStrongProtocolsAndCiphersAreServed() throws Exception {
    assertThat(handshake("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")).isTrue();
    assertThat(handshake("TLSv1.3", "TLS_AES_128_GCM_SHA256")).isTrue();
    // RSA key exchange (no forward secrecy) and CBC: both enabled in the JDK by default.
    assertThat(handshake("TLSv1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256")).isFalse();
    assertThat(handshake("TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256")).isFalse();
  }

  /** Whether a TLS client offering only this protocol and cipher suite gets a session. */
  private static boolean handshake(String protocol, String cipher) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry(
        "jwagi",
        CertificateFactory.getInstance("X.509").generateCertificate(Files.newInputStream(cert)));
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket socket =
        (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", tls.port())) {
      socket.setEnabledProtocols(new String[] {protocol});
      socket.setEnabledCipherSuites(new String[] {cipher});
      socket.startHandshake();
      return true;
    } catch (SSLException e) {
      return false;
    }
  }

  @Test
  void aPkcs1RsaKeyIsAcceptedToo() throws Exception {
    try (var server =
        TestServer.start(
            Files.createDirectories(dir.resolve("pkcs1")),
            TestServer.module("/env/...", TestServer.example("env")),
            "--tls-cert",
            cert.toString(),
            "--tls-key",
            rsaKey.toString())) {
      var response = https(server, "/env/one");
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(TestServer.env(response).env()).containsEntry("HTTPS", "on");
    }
  }

  private static void startupFails(String message, String... flags) {
    assertThatThrownBy(
            () ->
                TestServer.start(
                    Files.createDirectories(dir.resolve("bad")),
                    TestServer.module("/env/...", TestServer.example("env")),
                    flags))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  @Test
  void aKeyOfAnotherCertificateFailsStartUp() {
    startupFails(
        "--tls-key "
            + otherKey
            + " is not the private key of the certificate in --tls-cert "
            + cert,
        "--tls-cert",
        cert.toString(),
        "--tls-key",
        otherKey.toString());
  }

  @Test
  void missingFilesAndFlagsFailStartUp() {
    Path missing = dir.resolve("missing.pem");
    startupFails(
        "--tls-cert " + missing + ": no such file",
        "--tls-cert",
        missing.toString(),
        "--tls-key",
        key.toString());
    startupFails(
        "--tls-key " + missing + ": no such file",
        "--tls-cert",
        cert.toString(),
        "--tls-key",
        missing.toString());
    startupFails("--tls-cert needs --tls-key too", "--tls-cert", cert.toString());
    startupFails("--tls-key needs --tls-cert too", "--tls-key", key.toString());
  }

  @Test
  void unreadablePemFailsStartUpNamingTheFlag() throws Exception {
    Path garbage = write("garbage.pem", "not a pem file\n");
    startupFails(
        "--tls-cert " + garbage + ": no PEM certificate",
        "--tls-cert",
        garbage.toString(),
        "--tls-key",
        key.toString());
    startupFails(
        "--tls-key " + garbage + ": no PEM private key",
        "--tls-cert",
        cert.toString(),
        "--tls-key",
        garbage.toString());
    Path brokenCert = write("broken-cert.pem", pem("CERTIFICATE", new byte[] {1, 2, 3}));
    startupFails(
        "--tls-cert " + brokenCert + ": not a valid PEM certificate chain",
        "--tls-cert",
        brokenCert.toString(),
        "--tls-key",
        key.toString());
    Path sec1 = write("ec.pem", pem("EC PRIVATE KEY", new byte[] {1, 2, 3}));
    startupFails(
        "\"EC PRIVATE KEY\" keys are not accepted",
        "--tls-cert",
        cert.toString(),
        "--tls-key",
        sec1.toString());
    Path encrypted = write("enc.pem", pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
    startupFails(
        "the key is encrypted", "--tls-cert", cert.toString(), "--tls-key", encrypted.toString());
  }

  // --- behind a proxy ---

  @Test
  void aTrustedProxysForwardedSchemeIsBelieved() throws Exception {
    // --trust-proxy 10.0.0.0/8: loopback (this test's client) is trusted as well.
    for (String claim :
        List.of("X-Forwarded-Proto: https", "Forwarded: for=192.0.2.1;proto=https")) {
      try (var raw = proxied.raw()) {
        var response =
            raw.send("GET /env/p?x HTTP/1.1\r\nHost: app.example.com\r\n" + claim + "\r\n\r\n")
                .read();
        assertThat(EnvDump.parse(response.body()).env())
            .as(claim)
            .containsEntry("X_FULL_URL", "https://app.example.com:443/env/p?x")
            .containsEntry("SERVER_PORT", "443")
            .containsEntry("HTTPS", "on");
      }
    }
    try (var raw = proxied.raw()) {
      var response = raw.send("GET /env/p HTTP/1.1\r\nHost: app.example.com\r\n\r\n").read();
      assertThat(EnvDump.parse(response.body()).env())
          .containsEntry("X_FULL_URL", "http://app.example.com:80/env/p")
          .doesNotContainKey("HTTPS");
    }
  }

  /** Only what the trusted proxy appended, the last entry, counts: the client wrote the rest. */
  @Test
  void theClientsPartOfAForwardedListIsNotBelieved() throws Exception {
    for (String claim :
        List.of(
            "X-Forwarded-Proto: https, http",
            "Forwarded: proto=https, for=192.0.2.1;proto=http",
            "Forwarded: proto=https, for=192.0.2.1",
            "X-Forwarded-Proto: https\r\nX-Forwarded-Proto: http",
            "Forwarded: proto=https\r\nForwarded: for=192.0.2.1;proto=http")) {
      try (var raw = proxied.raw()) {
        var response =
            raw.send("GET /env/p HTTP/1.1\r\nHost: app.example.com\r\n" + claim + "\r\n\r\n")
                .read();
        assertThat(EnvDump.parse(response.body()).env())
            .as(claim)
            .containsEntry("X_FULL_URL", "http://app.example.com:80/env/p")
            .doesNotContainKey("HTTPS");
      }
    }
    for (String claim :
        List.of(
            "X-Forwarded-Proto: http, https",
            "Forwarded: proto=http, for=\"192.0.2.1, x\";proto=https",
            "X-Forwarded-Proto: http\r\nX-Forwarded-Proto: https")) {
      try (var raw = proxied.raw()) {
        var response =
            raw.send("GET /env/p HTTP/1.1\r\nHost: app.example.com\r\n" + claim + "\r\n\r\n")
                .read();
        assertThat(EnvDump.parse(response.body()).env()).as(claim).containsEntry("HTTPS", "on");
      }
    }
  }

  @Test
  void theBareFlagTrustsLoopback() throws Exception {
    // "--trust-proxy" without a value, followed by another flag (which it must not swallow).
    try (var server =
        TestServer.start(
            Files.createDirectories(dir.resolve("bare")),
            TestServer.module("/env/...", TestServer.example("env")),
            "--trust-proxy",
            "--timeout",
            "5s")) {
      try (var raw = server.raw()) {
        var response =
            raw.send("GET /env/b HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https\r\n\r\n").read();
        assertThat(EnvDump.parse(response.body()).env())
            .containsEntry("X_FULL_URL", "https://h:443/env/b")
            .containsEntry("HTTPS", "on");
      }
    }
  }

  @Test
  void trustProxyTakesOnlyAddresses() {
    startupFails(
        "--trust-proxy: \"proxy.example.com\" is not an IP address",
        "--trust-proxy",
        "proxy.example.com");
  }
}
