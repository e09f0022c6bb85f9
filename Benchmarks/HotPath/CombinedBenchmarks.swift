import Benchmark
import TickTape

/// The hot path of issue #7, per unique message arriving on 4 connections: 4 ring pushes and
/// pops, 4 scans + UTF-8 checks, the merge decision for each copy, and the winner appended to
/// the write buffer (filled buffers go to the segment writer's thread, which write(2)s them).
/// All of it on the benchmark thread, so the figure is the instructions' cost without
/// cross-core traffic; "Ring/push+pop across two threads" shows what the ring hand-off adds.
/// Target: ≤ 250 ns and 0 mallocs per message in the steady state.
func registerCombinedBenchmarks() {
    for telemetry in [false, true] {
        let rig = Holder<MergerRig>()
        Benchmark(
            telemetry ? "HotPath/scan+ring+merge+append, 4 copies, telemetry on" : "HotPath/scan+ring+merge+append, 4 copies",
            closure: { benchmark in rig.value!.hotPathBatch(benchmark) },
            setup: { rig.value = try MergerRig(telemetry: telemetry) },
            teardown: {
                await rig.value?.finish()
                rig.value = nil
            })
    }
}
