/// The file names of one segment through its life, all derived from one base name
/// `<capture>-<UTC start>-<nnn>`:
///
/// | name | state |
/// |---|---|
/// | `base.tape.open` | being written (plain text) |
/// | `base.tape` | closed, waiting for the sealer (plain text) |
/// | `base.tape.gz` + `base.manifest.json` | sealed: the manifest's presence is the seal |
/// | `base.tape.recovered` | the untouched source of a segment sealed by crash recovery |
/// | `*.tmp` | a sealer's work in progress; never a complete file |
///
/// A name says what a file is without opening it, which is what lets recovery, retention and
/// `ticktape verify` treat a directory correctly after any crash.
package enum SegmentName {
    package static let openSuffix = ".tape.open"
    package static let closedSuffix = ".tape"
    package static let sealedSuffix = ".tape.gz"
    package static let manifestSuffix = ".manifest.json"
    package static let recoveredSuffix = ".tape.recovered"
    package static let temporarySuffix = ".tmp"

    /// The base name of any segment file (nil if `file` is not one).
    package static func base(of file: String) -> String? {
        for suffix in [openSuffix, sealedSuffix, manifestSuffix, recoveredSuffix, closedSuffix] where file.hasSuffix(suffix) {
            return String(file.dropLast(suffix.count))
        }
        return nil
    }

    /// The UTC start stamp in a base name (`…-20261121T053012.123Z-000`) as `CLOCK_REALTIME` ns.
    package static func startNanos(of base: String) -> Int64? {
        let parts = base.split(separator: "-")
        guard parts.count >= 3 else { return nil }
        let stamp = Array(parts[parts.count - 2].utf8)
        // yyyymmddThhmmss.mmmZ
        guard stamp.count == 20, stamp[8] == UInt8(ascii: "T"), stamp[15] == UInt8(ascii: "."),
            stamp[19] == UInt8(ascii: "Z")
        else { return nil }
        func number(_ from: Int, _ count: Int) -> Int64? {
            var v: Int64 = 0
            for b in stamp[from..<from + count] {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                v = v * 10 + Int64(b - 0x30)
            }
            return v
        }
        guard let y = number(0, 4), let mo = number(4, 2), let d = number(6, 2), let h = number(9, 2),
            let mi = number(11, 2), let s = number(13, 2), let ms = number(16, 3), (1...12).contains(mo)
        else { return nil }
        let days = UTCInstant.days(year: y, month: mo, day: d)
        return ((days * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms) * 1_000_000
    }
}

extension SegmentName {
    /// `20261121T053012.123Z`, the stamp used in names, for reports.
    package static func utcStamp(nanos: Int64) -> String { SegmentFile.utcStamp(nanos: nanos) }
}
