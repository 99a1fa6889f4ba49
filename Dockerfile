# A Durable Rooms node: the fat jar that `mvn package` builds (target/durable-rooms.jar) on a Java 17
# JRE. Build the jar first, then the image (docs/kubernetes.md):
#   mvn -B package -DskipTests && docker build -t durable-rooms:0.1.0 .
FROM eclipse-temurin:17-jre

# a user of its own: the node needs no privilege (its ports are above 1024)
RUN groupadd --system --gid 10001 rooms \
 && useradd --system --uid 10001 --gid rooms --home-dir /app --shell /usr/sbin/nologin rooms \
 && mkdir -p /app /data \
 && chown rooms:rooms /data

WORKDIR /app
COPY target/durable-rooms.jar /app/durable-rooms.jar

# the node's journal (and the embedded store without ROOMS_STORE_URL): a folder the node creates
# itself inside /data, so that it can make it private also when a volume owned by root is mounted there
ENV ROOMS_DATA_DIR=/data/node \
    ROOMS_HTTP_HOST=0.0.0.0 \
    ROOMS_PLUGINS_DIR=/app/plugins \
    JAVA_OPTS="-XX:MaxRAMPercentage=60 -XX:G1PeriodicGCInterval=15000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"

USER 10001:10001
# HTTP and WebSockets (ROOMS_HTTP_PORT); Hazelcast (ROOMS_CLUSTER_PORT); the clustered event bus
# takes a random port on ROOMS_CLUSTER_HOST
EXPOSE 8080 5701

# exec: java is PID 1's replacement and gets SIGTERM itself, which starts the node's graceful stop;
# -XX:+ExitOnOutOfMemoryError ends a node out of heap, so that the cluster takes its rooms over
ENTRYPOINT ["sh", "-c", "exec java -XX:+ExitOnOutOfMemoryError $JAVA_OPTS -jar /app/durable-rooms.jar \"$@\"", "durable-rooms"]
