package durablerooms.support;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

/**
 * A real PostgreSQL server for a test (the zonky binaries, unpacked and started by the test; no
 * Docker), with a database and an owner role of their own, as an operator would create them for
 * the nodes: the nodes create their tables as that role, not as a superuser.
 */
public final class PostgresServer implements AutoCloseable {
  private static final String DATABASE = "rooms";
  private static final String ROLE = "rooms";
  private static final String PASSWORD = "rooms-test-password";

  private final EmbeddedPostgres server;

  private PostgresServer(EmbeddedPostgres server) {
    this.server = server;
  }

  public static PostgresServer start() {
    EmbeddedPostgres server;
    try {
      server = EmbeddedPostgres.builder().start();
    } catch (IOException e) {
      throw new AssertionError("PostgreSQL did not start: " + e, e);
    }
    try (Connection c = server.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE ROLE " + ROLE + " LOGIN PASSWORD '" + PASSWORD + "'");
      st.execute("CREATE DATABASE " + DATABASE + " OWNER " + ROLE);
    } catch (SQLException e) {
      close(server);
      throw new AssertionError("could not create the nodes' database: " + e, e);
    }
    return new PostgresServer(server);
  }

  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + server.getPort() + "/" + DATABASE;
  }

  /** ROOMS_STORE_URL, _USER and _PASSWORD of a node that uses this server. */
  public Map<String, String> settings() {
    return Map.of("ROOMS_STORE_URL", jdbcUrl(), "ROOMS_STORE_USER", ROLE, "ROOMS_STORE_PASSWORD", PASSWORD);
  }

  /** A connection as the nodes' role, to read what they stored. */
  public Connection connect() throws SQLException {
    return java.sql.DriverManager.getConnection(jdbcUrl(), ROLE, PASSWORD);
  }

  @Override
  public void close() {
    close(server);
  }

  private static void close(EmbeddedPostgres server) {
    try {
      server.close();
    } catch (IOException e) {
      throw new AssertionError("PostgreSQL did not stop: " + e, e);
    }
  }
}
