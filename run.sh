#!/usr/bin/env bash
# Durable Rooms: build and run.
#   ./run.sh               build the jar if missing, start one node (http://127.0.0.1:8080/)
#   ./run.sh test          run the tests
#   ./run.sh build         (re)build target/durable-rooms.jar
#   ./run.sh bench [opts]  the load generator (./run.sh bench --help); builds the jar if missing
set -euo pipefail
cd "$(dirname "$0")"
JAR=target/durable-rooms.jar
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx1g"}
BENCH_JAVA_OPTS=${BENCH_JAVA_OPTS:-"-Xms256m -Xmx1g"}

build() { mvn -B -q -DskipTests package; }

case "${1:-run}" in
  run)
    [ -f "$JAR" ] || build
    exec java $JAVA_OPTS -jar "$JAR"
    ;;
  build)
    build
    ;;
  test)
    exec mvn -B test
    ;;
  bench)
    shift
    [ -f "$JAR" ] || build
    exec java $BENCH_JAVA_OPTS -cp "$JAR" durablerooms.bench.LoadGenerator "$@"
    ;;
  *)
    echo "usage: ./run.sh [run|build|test|bench [options]]" >&2
    exit 2
    ;;
esac
