import ArgumentParser
import TickTape
import TickTapeTools

/// `ticktape stats`: what a set of segments holds, per capture and stream.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-stream counts, rates, time span, gaps and late copies of capture segments.",
        discussion: """
            PATH is a manifest, a sealed data file, a plain segment or a directory. Sealed segments are
            summarised from their manifests (run `ticktape verify` to check those against the data);
            segments not yet sealed are read line by line.
            """)

    @Argument(help: "Segments, manifests or directories.")
    var paths: [String]

    struct StreamTotals {
        var records = 0
        var firstReceivedAt = Int64.max
        var lastReceivedAt = Int64.min
        var firstID: Int64?
        var lastID: Int64?
        var lateLines = 0
        var lateCopies = 0
        var lateCopiesUnknown = false
        /// Holes and late copies summed over the segments that know them (nil: none does).
        var merge: StreamMergeReport?
    }

    struct CaptureTotals {
        var segments = 0
        var recovered = 0
        var unsealed = 0
        var rawBytes: Int64 = 0
        var compressedBytes: Int64 = 0
        var streams: [String: StreamTotals] = [:]
        var gaps: [GapRecord] = []
    }

    func run() throws {
        let found = SegmentLocator.find(paths)
        for problem in found.problems { printError(problem) }
        var captures: [String: CaptureTotals] = [:]
        let progress = TerminalProgress()
        for (i, path) in found.manifests.enumerated() {
            progress.show("[\(i + 1)/\(found.manifests.count)] \(SegmentReport.fileName(path))")
            let m: SegmentManifest
            do {
                m = try SegmentManifest.read(path: path)
            } catch {
                printError("\(path): \(error)")
                continue
            }
            var c = captures[m.capture, default: CaptureTotals()]
            c.segments += 1
            if m.recovered { c.recovered += 1 }
            c.rawBytes += m.rawBytes
            c.compressedBytes += m.compressedBytes
            for s in m.streams {
                var t = c.streams[s.name, default: StreamTotals()]
                add(&t, records: s.count, first: s.firstReceivedAt, last: s.lastReceivedAt, firstID: s.firstID, lastID: s.lastID)
                t.lateLines += s.lateLines
                if let late = s.lateCopies { t.lateCopies += late } else { t.lateCopiesUnknown = true }
                if let merge = s.merge {
                    var sum = t.merge ?? StreamMergeReport()
                    sum.add(merge)
                    t.merge = sum
                }
                c.streams[s.name] = t
            }
            c.gaps += m.gaps
            captures[m.capture] = c
        }
        for path in found.unsealed {
            progress.show("reading \(SegmentReport.fileName(path))")
            var tally = SegmentTally()
            var splitter = LineSplitter()
            do {
                try DurableFile.forEachChunk(path) { chunk in splitter.feed(chunk) { tally.add(line: $0) } }
            } catch {
                printError("\(path): \(error)")
                continue
            }
            let capture = Self.captureName(of: path)
            var c = captures[capture, default: CaptureTotals()]
            c.unsealed += 1
            c.rawBytes += tally.bytes
            for s in tally.streams {
                var t = c.streams[s.name, default: StreamTotals()]
                add(&t, records: s.count, first: s.firstReceivedAt, last: s.lastReceivedAt, firstID: s.firstID, lastID: s.lastID)
                t.lateLines += s.lateLines
                t.lateCopiesUnknown = true
                c.streams[s.name] = t
            }
            captures[capture] = c
        }
        progress.clear()
        guard !captures.isEmpty else {
            printError("no segments found under \(paths.joined(separator: " "))")
            throw ExitCode(1)
        }
        for name in captures.keys.sorted() {
            printCapture(name, captures[name]!)
        }
    }

    private func add(_ t: inout StreamTotals, records: Int, first: Int64, last: Int64, firstID: Int64?, lastID: Int64?) {
        guard records > 0 else { return }
        t.records += records
        if first < t.firstReceivedAt {
            t.firstReceivedAt = first
            t.firstID = firstID
        }
        if last > t.lastReceivedAt {
            t.lastReceivedAt = last
            t.lastID = lastID
        }
    }

    private func printCapture(_ name: String, _ c: CaptureTotals) {
        let first = c.streams.values.map(\.firstReceivedAt).min() ?? 0
        let last = c.streams.values.map(\.lastReceivedAt).max() ?? 0
        let records = c.streams.values.reduce(0) { $0 + $1.records }
        var head = "capture \(name): \(c.segments) sealed segment(s)"
        if c.recovered > 0 { head += " (\(c.recovered) recovered)" }
        if c.unsealed > 0 { head += ", \(c.unsealed) not sealed" }
        head += ", \(records) records"
        if records > 0 {
            head += ", \(SegmentName.utcStamp(nanos: first)) → \(SegmentName.utcStamp(nanos: last)) (\(SegmentReport.seconds(last - first)) s)"
        }
        if c.compressedBytes > 0 {
            let ratio = Double(c.rawBytes) / Double(c.compressedBytes)
            head += ", \(ByteSize.format(c.rawBytes)) raw, \(ByteSize.format(c.compressedBytes)) sealed (\((ratio * 10).rounded() / 10)×)"
        }
        print(head)
        let storageGaps = c.gaps.filter { $0.cause == "storage" }
        print("  stream                          records      msg/s  first id → last id                    late copies  gaps")
        for stream in c.streams.keys.sorted() {
            let t = c.streams[stream]!
            let span = Double(t.lastReceivedAt - t.firstReceivedAt) / 1e9
            let rate = span > 0 ? Double(t.records - 1) / span : 0
            let ids = "\(t.firstID.map(String.init) ?? "-") → \(t.lastID.map(String.init) ?? "-")"
            let late = "\(t.lateCopies)\(t.lateCopiesUnknown ? "+?" : "")" + (t.lateLines > 0 ? " (\(t.lateLines) written)" : "")
            let gaps = c.gaps.filter { $0.stream == stream || $0.streams.contains { $0.stream == stream } }.count
            print(
                "  " + pad(stream, 30) + lpad(String(t.records), 9) + lpad(String((rate * 10).rounded() / 10), 11) + "  "
                    + pad(ids, 38) + lpad(late, 11) + lpad(String(gaps), 6))
        }
        let merged = c.streams.filter { $0.value.merge.map { !$0.counts.isEmpty } ?? false }
        if !merged.isEmpty {
            print("  stream                          holes filled  expired  fill p50/p99/max (ms)   late placed  dropped")
            for stream in merged.keys.sorted() {
                let r = merged[stream]!.merge!
                let m = r.counts
                func ms(_ v: Int64?) -> String { v.map { String((Double($0) / 1e5).rounded() / 10) } ?? "-" }
                let fill = "\(ms(r.fillDelayP50))/\(ms(r.fillDelayP99))/\(ms(r.fillDelayMax))"
                print(
                    "  " + pad(stream, 30) + lpad(String(m.holesFilled), 14) + lpad(String(m.holesExpired), 9) + "  "
                        + pad(fill, 22) + lpad(String(m.latePlaced), 12) + lpad(String(m.lateDropped), 9))
            }
            print("  (fill p50/p99: the largest of the segments' own; max: exact)")
        }
        if !c.gaps.isEmpty {
            print("  gaps (\(c.gaps.count), \(storageGaps.count) storage):")
            for gap in c.gaps.sorted(by: { $0.detectedAt < $1.detectedAt }) { print("    \(gap.summary)") }
        }
    }

    private func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    private func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }

    /// The capture a plain segment belongs to: its file name without `-<stamp>-<nnn>.tape…`.
    static func captureName(of path: String) -> String {
        let name = SegmentReport.fileName(path)
        guard let base = SegmentName.base(of: name) else { return name }
        let parts = base.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count > 2 ? parts.dropLast(2).joined(separator: "-") : base
    }
}
