package durablerooms.cluster;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.JavaSerializationFilterConfig;

/**
 * The classes Hazelcast may rebuild with Java deserialization on this node: the rooms' own records
 * and the JDK types they hold, nothing else. Anyone who reaches a Hazelcast port can send a member
 * bytes to deserialize (Hazelcast's open-source edition authenticates no one), and Hazelcast's
 * default whitelist admits every {@code java*} class, gadget chains included.
 *
 * <p>What crosses Hazelcast as Java-serialized objects: the values of rooms.owners ({@code Lease})
 * and rooms.members ({@code MemberSet}: a {@code LinkedHashMap} of {@code Member}), the entry
 * processors and their results ({@code Processors}: {@code Set.copyOf}, {@code List.copyOf} and
 * {@code ArrayList}), the {@code HeldLeases} aggregator, and the exception of a failed operation,
 * which travels back to its caller (a Hazelcast one during a partition migration, or a JDK one).
 * Vert.x's own maps (__vertx.subs, __vertx.nodeInfo, __vertx.haInfo) hold strings and
 * {@code DataSerializable} objects, which Hazelcast reads without Java deserialization.
 */
public final class DeserializationFilter {
  private DeserializationFilter() {}

  public static JavaSerializationFilterConfig config() {
    ClassFilter allowed = new ClassFilter()
        .addPrefixes("durablerooms.", "com.hazelcast.")
        .addClasses(
            // inside the rooms' records
            "java.util.ArrayList", "java.util.HashMap", "java.util.LinkedHashMap",
            "java.util.CollSer", "[Ljava.lang.Object;",
            "java.lang.Number", "java.lang.Long", "java.lang.Integer", "java.lang.Boolean",
            // a failed operation's exception, with its stack trace and suppressed list
            "java.lang.Throwable", "java.lang.Exception", "java.lang.RuntimeException", "java.lang.Error",
            "java.lang.IllegalStateException", "java.lang.IllegalArgumentException",
            "java.lang.NullPointerException", "java.lang.UnsupportedOperationException",
            "java.lang.ClassCastException", "java.lang.ArithmeticException", "java.lang.SecurityException",
            "java.lang.IndexOutOfBoundsException", "java.lang.ArrayIndexOutOfBoundsException",
            "java.util.NoSuchElementException", "java.util.ConcurrentModificationException",
            "java.util.concurrent.CancellationException", "java.util.concurrent.CompletionException",
            "java.util.concurrent.ExecutionException", "java.util.concurrent.TimeoutException",
            "java.io.IOException", "java.io.UncheckedIOException",
            "java.lang.StackTraceElement", "[Ljava.lang.StackTraceElement;",
            "java.util.Collections$EmptyList", "java.util.Collections$UnmodifiableCollection",
            "java.util.Collections$UnmodifiableList", "java.util.Collections$UnmodifiableRandomAccessList");
    return new JavaSerializationFilterConfig().setDefaultsDisabled(true).setWhitelist(allowed);
  }
}
