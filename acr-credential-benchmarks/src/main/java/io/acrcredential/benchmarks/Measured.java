package io.acrcredential.benchmarks;

import java.time.Duration;
import java.util.List;

/** The figures {@link ScaleBenchmark} measured for the sync or one of its baselines. */
final class Measured {
  final String name;
  Duration firstSync;
  RequestCounter.Counts firstSyncCounts = RequestCounter.Counts.ZERO;
  int firstSyncAcrCalls;
  RequestCounter.Counts steady = RequestCounter.Counts.ZERO;
  double steadySeconds;
  int steadyAcrCalls;
  Duration rotation;
  RequestCounter.Counts rotationCounts = RequestCounter.Counts.ZERO;
  int rotationAcrCalls;
  List<Duration> newNamespaceLatencies = List.of();
  long heapAfterGc;
  long heapBefore;
  long rss;
  Duration patcherCycle;

  Measured(String name) {
    this.name = name;
  }
}
