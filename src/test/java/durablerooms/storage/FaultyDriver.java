package durablerooms.storage;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;

/**
 * A JDBC driver for {@code jdbc:faulty:<h2 url>} that passes everything to H2 until it is armed;
 * then the next commit throws an Error, as a driver may (out of memory, a linkage or stack error):
 * the fault that kills the thread that called it.
 */
public final class FaultyDriver implements Driver {
  public static final String PREFIX = "jdbc:faulty:";
  private static final AtomicBoolean ARMED = new AtomicBoolean();

  static {
    try {
      DriverManager.registerDriver(new FaultyDriver());
    } catch (SQLException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Registers the driver (loading the class does) and returns the URL for {@code h2Url}. */
  public static String url(String h2Url) {
    return PREFIX + h2Url.substring("jdbc:".length());
  }

  /** The next commit through this driver throws an Error. */
  public static void arm() {
    ARMED.set(true);
  }

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    if (!acceptsURL(url)) {
      return null;
    }
    Connection h2 = DriverManager.getConnection("jdbc:" + url.substring(PREFIX.length()), info);
    InvocationHandler handler = (proxy, method, args) -> {
      if (method.getName().equals("commit") && ARMED.compareAndSet(true, false)) {
        throw new InternalError("injected: the driver failed beyond an SQLException");
      }
      try {
        return method.invoke(h2, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    };
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, handler);
  }

  @Override
  public boolean acceptsURL(String url) {
    return url != null && url.startsWith(PREFIX);
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
    return new DriverPropertyInfo[0];
  }

  @Override
  public int getMajorVersion() {
    return 1;
  }

  @Override
  public int getMinorVersion() {
    return 0;
  }

  @Override
  public boolean jdbcCompliant() {
    return false;
  }

  @Override
  public Logger getParentLogger() {
    return Logger.getGlobal();
  }
}
