import TickTape

#if canImport(Glibc)
import Glibc
#endif

/// What `ticktape report` reads: an arrivals file (every connection's arrival per message) or
/// a capture file (`<recv_ns> <frame>` per line, the merged stream only; `.gz` is read through
/// `gzip -dc`), reduced to the series a latency chart needs.
package struct ArrivalsTable: Sendable {
    /// Series names: `connection 0` … or `merged` for a capture file.
    package var series: [String]
    /// Arrival minus `E` per series, ms.
    package var latency: [[Double]]
    /// Arrival minus the message's first arrival per series, µs (arrivals files only).
    package var lag: [[Double]]
    /// Races won per series (arrivals files only).
    package var wins: [Int]
    /// Messages read.
    package var messages: Int
    /// Whether the input was an arrivals file (else a capture file).
    package var isArrivals: Bool

    /// Reads `path`, or throws a readable reason.
    package static func read(path: String) throws(ReportError) -> ArrivalsTable {
        let command = path.hasSuffix(".gz") ? "gzip -dc '\(path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''"))'" : nil
        guard let file = command.map({ popen($0, "r") }) ?? fopen(path, "r") else {
            throw ReportError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { if command != nil { pclose(file) } else { fclose(file) } }
        var table = ArrivalsTable(series: [], latency: [], lag: [], wins: [], messages: 0, isArrivals: false)
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var first = true
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line).trimmingSuffix("\n")
            if first {
                first = false
                if text.hasPrefix("stream,id,E") {
                    let n = text.split(separator: ",").count - 3
                    table.isArrivals = true
                    table.series = (0..<n).map { "connection \($0)" }
                    table.latency = Array(repeating: [], count: n)
                    table.lag = Array(repeating: [], count: n)
                    table.wins = Array(repeating: 0, count: n)
                    continue
                }
                table.series = ["merged"]
                table.latency = [[]]
                table.lag = [[]]
                table.wins = [0]
            }
            if table.isArrivals { table.addArrivals(text) } else { table.addCaptureLine(text) }
        }
        guard table.messages > 0 else { throw ReportError("\(path) holds no messages with an event time") }
        return table
    }

    private mutating func addArrivals(_ text: String) {
        let cells = text.split(separator: ",", omittingEmptySubsequences: false)
        guard cells.count == series.count + 3, let e = Int64(cells[2]) else { return }
        let arrivals = cells.dropFirst(3).map { Int64($0) }
        guard let first = arrivals.compactMap({ $0 }).min() else { return }
        messages += 1
        let exchangeNanos = Self.exchangeNanos(e)
        for (k, arrival) in arrivals.enumerated() {
            guard let arrival else { continue }
            if e > 0 { latency[k].append(Double(arrival - exchangeNanos) / 1e6) }
            lag[k].append(Double(arrival - first) / 1e3)
            if arrival == first { wins[k] += 1 }
        }
    }

    private mutating func addCaptureLine(_ text: String) {
        guard let space = text.firstIndex(of: " "), let ns = Int64(text[..<space]) else { return }
        let frame = Array(text.utf8[text.utf8.index(after: space)...])
        let e = frame.withUnsafeBytes { FrameScanner.scan($0).eventTime }
        guard let e else { return }
        messages += 1
        latency[0].append(Double(ns - Self.exchangeNanos(e)) / 1e6)
    }

    /// `E` in ns: ms epochs (~1.7e12) or µs epochs (~1.7e15, `timeUnit=MICROSECOND`).
    static func exchangeNanos(_ e: Int64) -> Int64 {
        e < 100_000_000_000_000 ? e * 1_000_000 : e * 1_000
    }
}

/// Why a report could not be made.
package struct ReportError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
