import Benchmark

#if canImport(Glibc)
import Glibc
#endif

/// Hot-path microbenchmarks (issue #7). Run with `make bench-micro`, or
/// `TICKTAPE_BENCHMARKS=1 swift package --scratch-path .build-bench benchmark`.
///
/// Every benchmark runs a batch of ``messagesPerIteration`` messages per iteration and sets
/// `scalingFactor: .kilo`, so the figures package-benchmark prints (marked `*`) are per
/// message: nanoseconds, mallocs and messages per second. Where a message arrives on four
/// connections, "per message" covers all four copies.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: hotPathMetrics,
        timeUnits: .nanoseconds,
        warmupIterations: 20,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )
    registerScannerBenchmarks()
    registerRingBenchmarks()
    registerMergerBenchmarks()
    registerWriteBenchmarks()
    registerCombinedBenchmarks()
    registerBookBenchmarks()
}

/// Messages per benchmark iteration; must equal `BenchmarkScalingFactor.kilo`.
let messagesPerIteration = 1_000

/// Wall clock, CPU, mallocs and throughput.
///
/// CPU is the custom ``processCPU`` metric rather than package-benchmark's `cpuTotal`, which
/// comes in 10 ms ticks on Linux and reads 0 or 10,000 ns for a 1,000-message batch.
/// `instructions` is left out: package-benchmark reads it from perf_events, which this VM kind
/// does not expose (`perf stat -e instructions` says "not supported"); use
/// `valgrind --tool=callgrind` for instruction counts.
let hotPathMetrics: [BenchmarkMetric] = [.wallClock, processCPU, .mallocCountTotal, .throughput]

/// CPU time of the whole process (every thread: the benchmark's, the segment writer's, the
/// ring producer's) during the measured region, from `CLOCK_PROCESS_CPUTIME_ID` (ns).
let processCPU = BenchmarkMetric.custom("CPU process (ns)", polarity: .prefersSmaller, useScalingFactor: true)

/// Runs `body` as the measured region of one iteration and records ``processCPU`` for it.
@inline(__always)
func measured(_ benchmark: Benchmark, _ body: () -> Void) {
    benchmark.startMeasurement()
    let cpu0 = processCPUNanos()
    body()
    let cpu1 = processCPUNanos()
    benchmark.stopMeasurement()
    benchmark.measurement(processCPU, cpu1 - cpu0)
}

func processCPUNanos() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
    return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}
