import Histogram

/// The merger's current `hole_wait`: fixed, or derived from how far the connections trail the
/// first arrival.
///
/// `auto` records every duplicate's lag behind the copy that won (the same figure telemetry
/// reports, but kept here so it works with telemetry off) in one HdrHistogram per connection,
/// µs at two significant digits. Every second it takes each connection's p99.9, keeps the
/// largest, and the wait becomes the largest of the last five seconds' values × 1.5 + 1 ms,
/// clamped to ``HoleWait/autoRange``: a hole waits about as long as the slowest connection
/// still delivering could plausibly take to fill it, and no longer.
struct HoleWaitEstimator {
    private(set) var setting: HoleWait
    /// The wait in force, ns.
    private(set) var nanos: Int64
    private var lags: [Histogram<UInt64>] = []
    private var recent: [Int64] = []
    private var nextRollAt: Int64 = 0
    private static let rollNanos: Int64 = 1_000_000_000
    private static let windows = 5

    init(_ setting: HoleWait) {
        self.setting = setting
        self.nanos = Self.initial(setting)
    }

    private static func initial(_ setting: HoleWait) -> Int64 {
        switch setting {
        case .auto: return HoleWait.autoInitial.nanoseconds
        case .fixed(let d): return d.nanoseconds
        }
    }

    mutating func update(_ setting: HoleWait) {
        guard setting != self.setting else { return }
        self.setting = setting
        nanos = Self.initial(setting)
        recent.removeAll()
    }

    /// Records a losing copy's lag behind the winner (ns) on connection `index`.
    @inline(__always)
    mutating func record(lagNanos: Int64, connection index: Int) {
        guard case .auto = setting, lagNanos >= 0 else { return }
        if index >= lags.count { grow(to: index + 1) }
        lags[index].record(UInt64(min(lagNanos / 1_000, 10_000_000)))
    }

    private mutating func grow(to n: Int) {
        while lags.count < n {
            lags.append(Histogram(lowestDiscernibleValue: 1, highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: .two))
        }
    }

    /// Once a second: folds the window's lags into the wait.
    mutating func rollIfDue(now: Int64) {
        guard now >= nextRollAt else { return }
        nextRollAt = now + Self.rollNanos
        guard case .auto = setting else { return }
        var worst: Int64 = -1
        for k in lags.indices where lags[k].totalCount > 0 {
            worst = max(worst, Int64(lags[k].valueAtPercentile(99.9)) * 1_000)
            lags[k].reset()
        }
        guard worst >= 0 else { return }
        recent.append(worst)
        if recent.count > Self.windows { recent.removeFirst(recent.count - Self.windows) }
        let lag = recent.max() ?? worst
        let range = HoleWait.autoRange
        nanos = min(max(lag + lag / 2 + 1_000_000, range.lowerBound.nanoseconds), range.upperBound.nanoseconds)
    }
}
