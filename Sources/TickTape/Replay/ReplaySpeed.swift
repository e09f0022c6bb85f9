/// How fast a replay session releases the recording: a factor of the recorded pace (`1` is
/// the pace the receive stamps show, `10` ten times faster, `0.5` half), or `max`, as fast as
/// the client reads.
enum ReplaySpeed: Equatable, Sendable, CustomStringConvertible {
    case factor(Double)
    case max

    /// `max`, or a positive finite number up to 1,000,000; nil otherwise.
    init?(_ text: String) {
        if text == "max" {
            self = .max
            return
        }
        guard text.utf8.count <= 16, let value = Double(text), value.isFinite, value > 0, value <= 1_000_000 else {
            return nil
        }
        self = .factor(value)
    }

    var description: String {
        switch self {
        case .max: "max"
        case .factor(let f): f == f.rounded() ? String(Int64(f)) : String(f)
        }
    }
}
