package durablerooms.support;

import io.vertx.core.net.PemTrustOptions;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made at test time with the JDK's keytool
 * (so the tests need no openssl), written as the PEM certificate and key files a node is given,
 * with what a client needs to trust it. The address is in the certificate, so clients verify the
 * host name as they would in production.
 */
public final class TestCertificate {
  private static final String PASSWORD = "test-only-password";

  public final Path certFile;
  public final Path keyFile;
  private final Certificate certificate;

  private TestCertificate(Path certFile, Path keyFile, Certificate certificate) {
    this.certFile = certFile;
    this.keyFile = keyFile;
    this.certificate = certificate;
  }

  /** Generates a key pair and its certificate into {@code dir}: cert.pem and key.pem. */
  public static TestCertificate create(Path dir) {
    try {
      Files.createDirectories(dir);
      Path store = dir.resolve("node.p12");
      Files.deleteIfExists(store);
      Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
      run(List.of(keytool.toString(), "-genkeypair", "-keystore", store.toString(), "-storetype", "PKCS12",
          "-storepass", PASSWORD, "-alias", "node", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
          "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1"));
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        ks.load(in, PASSWORD.toCharArray());
      }
      PrivateKey key = (PrivateKey) ks.getKey("node", PASSWORD.toCharArray());
      Certificate cert = ks.getCertificate("node");
      Path certFile = dir.resolve("cert.pem");
      Path keyFile = dir.resolve("key.pem");
      Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
      Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded())); // PKCS#8
      return new TestCertificate(certFile, keyFile, cert);
    } catch (Exception e) {
      throw new AssertionError("could not make a test certificate in " + dir + ": " + e, e);
    }
  }

  /** The node's settings that turn TLS on with this certificate. */
  public Map<String, String> settings() {
    return Map.of("ROOMS_TLS_CERT", certFile.toString(), "ROOMS_TLS_KEY", keyFile.toString());
  }

  /** For a Vert.x client: trust this certificate alone. */
  public PemTrustOptions trustOptions() {
    return new PemTrustOptions().addCertPath(certFile.toString());
  }

  /** For java.net.http: a TLS context that trusts this certificate alone. */
  public SSLContext sslContext() {
    try {
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("node", certificate);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (Exception e) {
      throw new AssertionError("no TLS context for the test certificate: " + e, e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static void run(List<String> command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command.subList(0, 2)) + " failed: " + out);
    }
  }
}
