import TickTape

#if canImport(Glibc)
import Glibc
#endif

/// Renders an ``ArrivalsTable`` as an SVG a person looks at: per connection, the latency
/// against `E` and the lag behind the first arrival as percentile curves (x: 0 % to 99.99 %
/// on a "nines" scale, so the tail gets as much room as the body), with p50/p99/max and win
/// share in the legend.
///
/// Percentile curves rather than histograms because races are decided in the tail and a
/// percentile plot shows every connection's tail on one axis without binning choices.
package enum LatencyChart {
    static let colors = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]
    static let width = 1120.0
    static let plotLeft = 90.0
    static let plotWidth = 700.0
    static let panelHeight = 330.0
    static let maxNines = 4.0

    /// The SVG document for `table`, titled with `title` (usually the input file's name).
    package static func svg(_ table: ArrivalsTable, title: String) -> String {
        var panels: [(String, String, [LatencyDistribution], Double)] = [
            (
                "Latency against the exchange's event time E (ms)",
                "arrival − E: network + exchange queueing + host clock error",
                zip(table.series, table.latency).map { LatencyDistribution(label: $0, samples: $1) }, 0.1
            )
        ]
        if table.isArrivals {
            panels.append(
                (
                    "Lag behind the first arrival (µs)",
                    "arrival − earliest copy of the same message: no clock sync needed",
                    zip(table.series, table.lag).map { LatencyDistribution(label: $0, samples: $1) }, 1
                ))
        }
        let height = 90 + Double(panels.count) * (panelHeight + 90)
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(plotLeft)" y="34" font-size="20" font-weight="bold">\(escape(title))</text>
            <text x="\(plotLeft)" y="58" font-size="13" fill="#444">\(table.messages) messages, \
            \(table.series.count) \(table.isArrivals ? "connections" : "series (capture file: merged stream only)")</text>

            """
        for (i, panel) in panels.enumerated() {
            let top = 90 + Double(i) * (panelHeight + 90)
            out += renderPanel(
                title: panel.0, subtitle: panel.1, series: panel.2, linearBelow: panel.3,
                wins: table.isArrivals ? table.wins : nil, messages: table.messages, top: top)
        }
        out += "</svg>\n"
        return out
    }

    private static func renderPanel(
        title: String, subtitle: String, series: [LatencyDistribution], linearBelow: Double, wins: [Int]?,
        messages: Int, top: Double
    ) -> String {
        let plotTop = top + 40
        let bottom = plotTop + panelHeight
        let lows = series.compactMap { $0.quantile(0) }
        let highs = series.compactMap { $0.quantile(1 - pow10(-maxNines)) }
        var low = lows.min() ?? 0
        var high = highs.max() ?? 1
        // A tail far beyond the body (stalls of 100s of ms over a sub-ms body) would flatten the
        // body into one line: then the axis is symmetric-logarithmic (linear within ±linearBelow).
        let body = series.compactMap { d in d.quantile(0.9).flatMap { p90 in d.quantile(0).map { p90 - $0 } } }.max() ?? 0
        let logarithmic = (high - low) > 20 * max(body, linearBelow)
        func t(_ v: Double) -> Double {
            logarithmic ? (v < 0 ? -1 : 1) * log10(1 + abs(v) / linearBelow) : v
        }
        var ticks: [Double] = []
        if logarithmic {
            // Ticks at 0 and each decade of linearBelow; the axis ends on the decade past the data.
            var up = linearBelow
            while up < high { up *= 10 }
            var down = linearBelow
            while down < -low { down *= 10 }
            ticks = [0]
            var m = linearBelow * 10
            while m <= max(high > 0 ? up : 0, low < 0 ? down : 0) {
                if high > 0 && m <= up { ticks.append(m) }
                if low < 0 && m <= down { ticks.append(-m) }
                m *= 10
            }
            low = t(low < 0 ? -down : 0) - 0.05
            high = t(high > 0 ? up : 0) + 0.05
        } else {
            if high - low < 1e-9 {
                low -= 1
                high += 1
            }
            let pad = (high - low) * 0.05
            let nonNegative = low >= 0
            low -= pad
            high += pad
            let step = niceStep((high - low) / 6)
            low = (low / step).rounded(.down) * step
            if nonNegative { low = max(low, 0) }
            high = (high / step).rounded(.up) * step
            var v = low
            while v <= high + step / 2 {
                ticks.append(abs(v) < step / 1000 ? 0 : v)
                v += step
            }
        }
        func y(_ v: Double) -> Double { bottom - (t(v) - low) / (high - low) * panelHeight }
        func x(_ nines: Double) -> Double { plotLeft + nines / maxNines * plotWidth }
        let zeroInRange = t(0) >= low && t(0) <= high
        let topValue = logarithmic ? untransform(high, linearBelow) : high

        var s = """
            <text x="\(plotLeft)" y="\(top + 16)" font-size="16" font-weight="bold">\(escape(title))</text>
            <text x="\(plotLeft)" y="\(top + 33)" font-size="12" fill="#555">\(escape(subtitle))\(logarithmic ? " (logarithmic axis)" : "")</text>
            <rect x="\(plotLeft)" y="\(plotTop)" width="\(plotWidth)" height="\(panelHeight)" fill="#fafafa" stroke="#999"/>

            """
        for v in ticks {
            let yy = y(v)
            guard yy >= plotTop - 0.5 && yy <= bottom + 0.5 else { continue }
            let zero = v == 0
            s += """
                <line x1="\(plotLeft)" y1="\(yy)" x2="\(plotLeft + plotWidth)" y2="\(yy)" stroke="\(zero ? "#333" : "#ddd")" \
                stroke-width="\(zero ? 1.5 : 1)"/>
                <text x="\(plotLeft - 8)" y="\(yy + 4)" font-size="12" text-anchor="end">\(format(v))</text>

                """
        }
        for (nines, label) in [(0.0, "0%"), (0.30103, "50%"), (1.0, "90%"), (2.0, "99%"), (3.0, "99.9%"), (4.0, "99.99%")] {
            let xx = x(nines)
            s += """
                <line x1="\(xx)" y1="\(plotTop)" x2="\(xx)" y2="\(bottom)" stroke="#ddd"/>
                <text x="\(xx)" y="\(bottom + 18)" font-size="12" text-anchor="middle">\(label)</text>

                """
        }
        s += "<text x=\"\(plotLeft + plotWidth / 2)\" y=\"\(bottom + 38)\" font-size=\"12\" text-anchor=\"middle\" fill=\"#555\">percentile</text>\n"
        if (lows.min() ?? 0) < 0 && title.hasPrefix("Latency") {
            let noteY = zeroInRange && topValue > 0 ? y(0) + (y(0) < bottom - 20 ? 16 : -6) : plotTop + 18
            let note = topValue > 0 ? "below 0" : "every value is below 0"
            s += "<text x=\"\(plotLeft + 8)\" y=\"\(noteY)\" font-size=\"12\" fill=\"#a00\">\(note): the host clock is behind the exchange's</text>\n"
        }
        for (k, d) in series.enumerated() where d.count > 0 {
            let color = colors[k % colors.count]
            var points: [String] = []
            var nines = 0.0
            while nines <= maxNines + 1e-9 {
                if let q = d.quantile(1 - pow10(-nines)) { points.append("\(r(x(nines))),\(r(min(max(y(q), plotTop), bottom)))") }
                nines += 0.02
            }
            s += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2.2\" points=\"\(points.joined(separator: " "))\"/>\n"
            let ly = plotTop + 14 + Double(k) * 46
            let lx = plotLeft + plotWidth + 20
            var legend = "p50 \(format(d.quantile(0.5) ?? 0))  p99 \(format(d.quantile(0.99) ?? 0))  max \(format(d.maximum ?? 0))"
            if let wins, k < wins.count, messages > 0 {
                legend = "first \(format(Double(wins[k]) * 100 / Double(messages)))%  " + legend
            }
            s += """
                <rect x="\(lx)" y="\(ly - 10)" width="14" height="14" fill="\(color)"/>
                <text x="\(lx + 20)" y="\(ly + 2)" font-size="13" font-weight="bold">\(escape(d.label)) (\(d.count))</text>
                <text x="\(lx + 20)" y="\(ly + 19)" font-size="11" fill="#333">\(escape(legend))</text>

                """
        }
        return s
    }

    static func pow10(_ x: Double) -> Double { pow(10, x) }

    /// The value whose symmetric-log position is `t`.
    static func untransform(_ t: Double, _ c: Double) -> Double {
        (t < 0 ? -1 : 1) * (pow10(abs(t)) - 1) * c
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0 else { return 1 }
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        while magnitude > raw { magnitude /= 10 }
        for m in [1.0, 2.0, 5.0, 10.0] where magnitude * m >= raw { return magnitude * m }
        return magnitude * 10
    }

    static func format(_ v: Double) -> String {
        let a = abs(v)
        let digits = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (v * scale).rounded() / scale
        if digits == 0 { return String(Int(rounded)) }
        return String(rounded)
    }

    private static func r(_ v: Double) -> String { String((v * 10).rounded() / 10) }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
