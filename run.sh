#!/usr/bin/env bash
# Durable Rooms: build and run (./run.sh --help lists the commands).
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

usage() {
  cat <<'USAGE'
usage: ./run.sh [COMMAND [ARGS]]
  run                   (the default) build target/durable-rooms.jar if missing, start one node:
                        http://127.0.0.1:8080/ (ROOMS_HTTP_PORT and the other ROOMS_* settings apply)
  cluster [N]           start N local nodes (default 3) one after another, each once it is ready:
                        HTTP ports ROOMS_HTTP_PORT (8080), +1, ...; logs in logs/node-I.log; cores / N
                        event loops each (at least one). A node that does not start stops the others,
                        with the end of its log (exit 1). Ctrl-C stops the nodes, newest first
  build                 (re)build target/durable-rooms.jar
  test                  run the tests (mvn test)
  token [--pattern] ROOM NAME [TTL_SECONDS]
                        print a private-room token, signed with ROOMS_JWT_SECRET
  bench [OPTIONS]       the load generator (./run.sh bench --help); builds the jar if missing
  baseline [PORT] [EVENT_LOOPS]
                        the benchmarks' ceiling: the seed chat protocol on bare Vert.x,
                        ws://127.0.0.1:PORT/chat/{room} (default 8090); see docs/benchmarks.md
  help, -h, --help      print this help
USAGE
}

# Sets NODE_CMD, the command that starts a node (words). RUN_SH_NODE_COMMAND replaces it: the tests
# run this script on their compiled classes, without a jar.
node_command() {
  if [ -n "${RUN_SH_NODE_COMMAND:-}" ]; then
    NODE_CMD=$RUN_SH_NODE_COMMAND
  else
    [ -f "$JAR" ] || build
    NODE_CMD="$NODE_JAVA $JAVA_OPTS -jar $JAR"
  fi
}

case "${1:-run}" in
  run)
    node_command
    # shellcheck disable=SC2086 # the command is words
    exec $NODE_CMD
    ;;
  cluster)
    n=${2:-3}
    case "$n" in
      '' | *[!0-9]* | 0) echo "./run.sh cluster N: N is a number of nodes, 1 or more (got '$n')" >&2; usage >&2; exit 2 ;;
    esac
    node_command
    mkdir -p logs
    pids=()
    # newest first, each once the one before has gone: a node then leaves a cluster whose others
    # are all up, and none of them logs a lost connection to one that went at the same moment
    stop_all() {
      trap - INT TERM
      echo "stopping ${#pids[@]} nodes..."
      for ((j = ${#pids[@]} - 1; j >= 0; j--)); do
        kill -TERM "${pids[j]}" 2>/dev/null || true
        wait "${pids[j]}" 2>/dev/null || true
      done
      exit "${1:-0}"
    }
    trap stop_all INT TERM
    base=${ROOMS_HTTP_PORT:-8080}
    # the nodes share this machine's cores: cores / N event loops each (at least one), not one
    # per core in every node (docs/cluster.md, "One machine")
    loops=$(($(nproc) / n))
    loops=${ROOMS_EVENT_LOOPS:-$((loops > 0 ? loops : 1))}
    timeout=${RUN_SH_START_TIMEOUT:-120}
    for ((i = 0; i < n; i++)); do
      log="logs/node-$i.log"
      : > "$log"
      # shellcheck disable=SC2086 # the command is words
      ROOMS_EVENT_LOOPS=$loops ROOMS_HTTP_PORT=$((base + i)) $NODE_CMD > "$log" 2>&1 &
      pid=$!
      pids+=("$pid")
      # one at a time: nodes that start together race for Hazelcast's ports and join while the
      # partitions are first being assigned. Ready = the start line (it follows /ready turning 200)
      waited=0
      until grep -q "Durable Rooms serving" "$log"; do
        if ! kill -0 "$pid" 2>/dev/null; then
          wait "$pid" && status=0 || status=$?
          unset 'pids[i]'
          echo "node $i did not start (exit status $status); the end of $log:" >&2
          tail -n 20 "$log" >&2
          stop_all 1
        fi
        if ((waited >= timeout * 10)); then
          echo "node $i was not ready within $timeout s; the end of $log:" >&2
          tail -n 20 "$log" >&2
          stop_all 1
        fi
        sleep 0.1
        waited=$((waited + 1))
      done
      # the address as the node prints it: https:// when it serves TLS (ROOMS_TLS_CERT, or tlsCert in the file)
      url=$(grep -o "Durable Rooms serving [^ ]*" "$log" | head -n 1)
      echo "node $i: ${url#Durable Rooms serving }  (pid $pid, log $log)"
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
  help | -h | --help)
    usage
    ;;
  *)
    echo "./run.sh: unknown command '$1'" >&2
    usage >&2
    exit 2
    ;;
esac
