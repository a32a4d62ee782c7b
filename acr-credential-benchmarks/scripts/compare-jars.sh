#!/usr/bin/env bash
# Compares program jars (not JVM options) side by side on one HeapBenchmark cluster: the packaged
# refresher from each jar in turn (A B C A B C ...), the shipped options for all, every Secret of
# the instance deleted before each run (HeapBenchmark's --more-from rounds), and drift samples
# (drift-samples.py) against each running refresher. HeapBenchmark must run with
# --refresher-only true --program-jar "$RUN_JAR" --more-from "$MORE" and its output in "$LOG".
#
#   compare-jars.sh REPEATS KUBECONFIG name=jar [name=jar ...]
#
# KUBECONFIG: the benchmark cluster's admin kubeconfig (its LocalKubeApiServer directory, printed
# by HeapBenchmark). Env: RUN_JAR (the jar path given to HeapBenchmark), MORE (its --more-from
# file), LOG (its output), OUT (where the per-run notes, GC logs and drift figures go), NAMESPACES
# (the benchmark's last stage, 10000 by default: the drift samples are spread over them).
set -euo pipefail
repeats=$1 kubeconfig=$2
shift 2
: "${RUN_JAR:?}" "${MORE:?}" "${LOG:?}" "${OUT:?}"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
for ((r = 1; r <= repeats; r++)); do
  for spec in "$@"; do
    name=${spec%%=*} jar=${spec#*=}
    before=$(grep -c "medians over" "$LOG" || true)
    cp "$jar" "$RUN_JAR.tmp" && mv "$RUN_JAR.tmp" "$RUN_JAR" # the next run starts this jar
    echo "$(date -u +%T) repeat $r $name; load $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/runs.log"
    python3 "$here/drift-samples.py" "$kubeconfig" "$RUN_JAR" "$OUT/drift-$name.txt" \
      "${NAMESPACES:-10000}" >"$OUT/drift-$r-$name.log" 2>&1 &
    printf 'variants: %s=-Xlog:gc:file=%s/gc-%s-%s-%%p.log\nrepeats: 1\nnmt: false\n' \
      "$name" "$OUT" "$name" "$r" >"$MORE.tmp"
    mv "$MORE.tmp" "$MORE"
    while [ "$(grep -c "medians over" "$LOG" || true)" = "$before" ]; do sleep 2; done
    wait
    echo "$(date -u +%T) repeat $r $name done; load $(cut -d' ' -f1-3 /proc/loadavg);" \
      "$(tail -1 "$OUT/drift-$r-$name.log")" >>"$OUT/runs.log"
  done
done
