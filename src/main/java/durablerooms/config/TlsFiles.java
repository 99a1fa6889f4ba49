package durablerooms.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;

import javax.net.ssl.X509KeyManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.util.Collection;

/**
 * Checks the PEM certificate and key of the HTTPS port before the node starts: a file that cannot
 * be read, that holds no certificate or key, or a key of another certificate is a
 * {@link ConfigException} naming the setting. Without this, Vert.x would bind the port and every
 * TLS handshake would fail, or the start would fail with a message that names no setting.
 */
final class TlsFiles {
  private TlsFiles() {}

  /** {@code certName} and {@code keyName}: where each path was set, for the error. */
  static void check(Path cert, String certName, Path key, String keyName) {
    byte[] certPem = read(cert, certName);
    byte[] keyPem = read(key, keyName);
    checkCertificate(certPem, cert, certName);
    PemKeyCertOptions pair = new PemKeyCertOptions()
        .setCertValue(Buffer.buffer(certPem))
        .setKeyValue(Buffer.buffer(keyPem));
    KeyStore store;
    X509KeyManager keys;
    try {
      // with values instead of paths, Vert.x reads no file and needs no Vertx instance
      store = pair.loadKeyStore(null);
      keys = (X509KeyManager) pair.getKeyManagerFactory(null).getKeyManagers()[0];
    } catch (Exception e) {
      // the certificate parsed above: what Vert.x rejects now is the key, or the pair (an EC key
      // with an RSA certificate fails here, in the JDK's KeyStore, rather than in belongTogether)
      if (String.valueOf(e.getMessage()).contains("does not match")) {
        throw notItsKey(cert, certName, key, keyName);
      }
      throw new ConfigException(keyName + "=" + key + ": not an unencrypted PEM private key ("
          + firstLine(e.getMessage()) + ")");
    }
    String alias;
    try {
      alias = store.aliases().nextElement();
    } catch (GeneralSecurityException e) {
      throw new ConfigException(keyName + "=" + key + ": could not be loaded (" + e + ")");
    }
    PrivateKey privateKey = keys.getPrivateKey(alias);
    PublicKey publicKey = keys.getCertificateChain(alias)[0].getPublicKey();
    if (!belongTogether(privateKey, publicKey)) {
      throw notItsKey(cert, certName, key, keyName);
    }
  }

  private static ConfigException notItsKey(Path cert, String certName, Path key, String keyName) {
    return new ConfigException(keyName + "=" + key + ": is not the private key of the certificate in "
        + certName + "=" + cert);
  }

  private static byte[] read(Path file, String name) {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException(name + "=" + file + ": no such file");
    } catch (AccessDeniedException e) {
      throw new ConfigException(name + "=" + file + ": cannot be read (permission denied)");
    } catch (IOException e) {
      throw new ConfigException(name + "=" + file + ": cannot be read (" + firstLine(e.getMessage()) + ")");
    }
  }

  private static void checkCertificate(byte[] pem, Path file, String name) {
    Collection<? extends java.security.cert.Certificate> certs;
    try {
      certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
    } catch (GeneralSecurityException e) {
      throw new ConfigException(name + "=" + file + ": not a PEM certificate (" + firstLine(e.getMessage()) + ")");
    }
    if (certs.isEmpty() || !new String(pem, java.nio.charset.StandardCharsets.US_ASCII).contains("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigException(name + "=" + file + ": holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
  }

  /**
   * Whether the key signs what the certificate's public key verifies. A key type this does not
   * know is let through: the TLS handshake is then the judge.
   */
  private static boolean belongTogether(PrivateKey privateKey, PublicKey publicKey) {
    String algorithm;
    switch (privateKey.getAlgorithm()) {
      case "RSA" -> algorithm = "SHA256withRSA";
      case "EC" -> algorithm = "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> algorithm = "Ed25519";
      default -> {
        return true;
      }
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(privateKey);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      // e.g. an EC key against an RSA certificate
      return false;
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no detail";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
