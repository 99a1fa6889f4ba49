#!/usr/bin/env bash
# Durable Rooms: build and run.
#   ./run.sh               build the jar if missing, start one node (http://127.0.0.1:8080/)
#   ./run.sh test          run the tests
#   ./run.sh cluster N     start N local nodes (HTTP 8080, 8081, ...; logs in logs/node-I.log; cores / N
#                          event loops each, at least one); Ctrl-C stops all
#   ./run.sh build         (re)build target/durable-rooms.jar
#   ./run.sh token [--pattern] ROOM NAME [TTL_SECONDS]   print a private-room token (signed with ROOMS_JWT_SECRET)
#   ./run.sh bench [opts]  the load generator (./run.sh bench --help); builds the jar if missing
#   ./run.sh baseline [PORT] [EVENT_LOOPS]   the benchmarks' ceiling: the seed chat protocol on bare Vert.x,
#                          ws://127.0.0.1:PORT/chat/{room} (default 8090, one event loop per core); docs/benchmarks.md
set -euo pipefail
cd "$(dirname "$0")"
JAR=target/durable-rooms.jar
# G1 gives unused heap back to the OS (periodic collection when idle, at most 30% free): an idle
# node with many quiet sockets keeps a small footprint
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx1g -XX:G1PeriodicGCInterval=15000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=30"}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-"-Xms256m -Xmx1g"}
BASELINE_JAVA_OPTS=${BASELINE_JAVA_OPTS:-"-Xms256m -Xmx2g"}
# whatever JAVA_OPTS says: a node out of heap ends, so that the cluster takes its rooms over,
# instead of staying up with its threads dying one by one
NODE_JAVA="java -XX:+ExitOnOutOfMemoryError"

build() { mvn -B -q -DskipTests package; }

case "${1:-run}" in
  run)
    [ -f "$JAR" ] || build
    exec $NODE_JAVA $JAVA_OPTS -jar "$JAR"
    ;;
  cluster)
    n=${2:-3}
    [ -f "$JAR" ] || build
    mkdir -p logs
    pids=()
    stop_all() {
      trap - INT TERM
      echo "stopping ${#pids[@]} nodes..."
      kill -TERM "${pids[@]}" 2>/dev/null || true
      wait "${pids[@]}" 2>/dev/null || true
      exit 0
    }
    trap stop_all INT TERM
    base=${ROOMS_HTTP_PORT:-8080}
    # the nodes share this machine's cores: cores / N event loops each (at least one), not one
    # per core in every node (docs/cluster.md, "One machine")
    loops=$(($(nproc) / n))
    loops=${ROOMS_EVENT_LOOPS:-$((loops > 0 ? loops : 1))}
    for ((i = 0; i < n; i++)); do
      ROOMS_EVENT_LOOPS=$loops ROOMS_HTTP_PORT=$((base + i)) $NODE_JAVA $JAVA_OPTS -jar "$JAR" > "logs/node-$i.log" 2>&1 &
      pids+=($!)
      echo "node $i: http://127.0.0.1:$((base + i))/  (pid $!, log logs/node-$i.log)"
    done
    echo "Ctrl-C stops all nodes"
    wait
    ;;
  build)
    build
    ;;
  test)
    exec mvn -B test
    ;;
  token)
    [ -f "$JAR" ] || build
    shift
    exec java -cp "$JAR" durablerooms.TokenTool "$@"
    ;;
  bench)
    shift
    [ -f "$JAR" ] || build
    exec java $BENCH_JAVA_OPTS -cp "$JAR" durablerooms.bench.LoadGenerator "$@"
    ;;
  baseline)
    shift
    [ -f "$JAR" ] || build
    exec java $BASELINE_JAVA_OPTS -cp "$JAR" durablerooms.bench.BaselineServer "$@"
    ;;
  *)
    echo "usage: ./run.sh [run|cluster N|build|test|bench [options]|baseline [PORT] [EVENT_LOOPS]|token [--pattern] ROOM NAME [TTL_SECONDS]]" >&2
    exit 2
    ;;
esac
