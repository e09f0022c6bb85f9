/// The merger's current `hole_wait`: fixed, or derived from how far the connections trail the
/// first arrival.
///
/// `auto` notes every duplicate's lag behind the copy that won (the same figure telemetry
/// reports, but kept here so it works with telemetry off): only the largest per connection, a
/// compare and a store on the per-copy path. Every 250 ms it takes the largest lag any connection showed,
/// and the wait becomes the largest of the last five seconds' values × 1.5 + 1 ms, clamped to
/// ``HoleWait/autoRange``: a hole waits as long as the slowest connection still delivering
/// was recently seen to trail, and no longer.
///
/// The maximum, not a p99.9: lag comes in spells (a connection's loop descheduled for 10 ms
/// delays everything it reads), and a quantile over a window misses a spell that covers less
/// than 0.1 % of its copies, exactly when holes filled by that connection come late (on the
/// completeness tests with p99.9 × 1.5 + 1 ms, about 4 % of the expired holes were in fact
/// filled afterwards).
struct HoleWaitEstimator {
    private(set) var setting: HoleWait
    /// The wait in force, ns.
    private(set) var nanos: Int64
    /// The largest lag per connection index in the current 250 ms window, ns (-1: none).
    private var lags: [Int64] = []
    private var recent: [Int64] = []
    private var nextRollAt: Int64 = 0
    private static let rollNanos: Int64 = 250_000_000
    private static let windows = 20

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
        if index >= lags.count { lags.append(contentsOf: repeatElement(-1, count: index + 1 - lags.count)) }
        if lagNanos > lags[index] { lags[index] = lagNanos }
    }

    /// How long the newest lines are kept back from the writer for late copies: four times the
    /// wait, at least 20 ms (nothing with a zero wait). It costs no live latency, only that
    /// much more time before lines reach the disk, so it is generous.
    var placementNanos: Int64 {
        nanos == 0 ? 0 : max(4 * nanos, 20_000_000)
    }

    /// Every 250 ms: folds the window's lags into the wait.
    mutating func rollIfDue(now: Int64) {
        guard now >= nextRollAt else { return }
        nextRollAt = now + Self.rollNanos
        guard case .auto = setting else { return }
        var worst: Int64 = -1
        for k in lags.indices where lags[k] >= 0 {
            worst = max(worst, lags[k])
            lags[k] = -1
        }
        guard worst >= 0 else { return }
        recent.append(worst)
        if recent.count > Self.windows { recent.removeFirst(recent.count - Self.windows) }
        let lag = recent.max() ?? worst
        let range = HoleWait.autoRange
        nanos = min(max(lag + lag / 2 + 1_000_000, range.lowerBound.nanoseconds), range.upperBound.nanoseconds)
    }
}
