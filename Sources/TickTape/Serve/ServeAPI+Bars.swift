/// `GET /api/v1/bars?symbol=&interval=&from=&to=&capture=`: the closed OHLC bars kept in
/// memory (``BookService/recentBars(capture:symbol:interval:)``, the newest 1,440 per symbol
/// and interval), oldest first. `from` (inclusive) and `to` (exclusive) bound the bars' open
/// time, like `ticktape bars`; `capture` is needed only when several captures build bars of the
/// symbol at that interval. Figures are decimal strings, exactly as `bars.csv` writes them.
extension ServeAPI {
    func bars(_ view: ServeAPIView, _ request: ServeRequest) throws(ServeAPIError) -> JSONValue {
        let symbol = try ServeAPIParameters.symbol(request)
        let intervalText = request.query["interval"] ?? "1m"
        // Checked before `BarInterval` parses it: a huge count would overflow its milliseconds.
        guard intervalText.utf8.count <= 6, intervalText.utf8.dropLast().allSatisfy({ (48...57).contains($0) }),
            let interval = BarInterval(intervalText)
        else {
            throw ServeAPIError(
                400, "parameter 'interval' must look like 1s, 1m, 15m, 1h or 1d, got '\(ServeAPIParameters.printable(intervalText))'")
        }
        let from = try ServeAPIParameters.time(request, "from")
        let to = try ServeAPIParameters.time(request, "to")
        if let from, let to, from > to {
            throw ServeAPIError(400, "parameter 'from' (\(from)) is after 'to' (\(to))")
        }
        let carried = try view.carrying(symbol)
        let building = carried.filter { !$0.bars.isEmpty }
        guard !building.isEmpty else {
            throw ServeAPIError(404, "no bars are built of '\(symbol)': no capture carries its trades with bars on")
        }
        var candidates = building.filter { $0.bars.contains { $0.milliseconds == interval.milliseconds } }
        guard !candidates.isEmpty else {
            let offered = Set(building.flatMap { $0.bars.map(\.description) }).sorted()
            throw ServeAPIError(
                400, "parameter 'interval': bars of '\(symbol)' are built at \(offered.joined(separator: ", ")), not \(intervalText)")
        }
        if let name = request.query["capture"] {
            candidates = candidates.filter { $0.capture == name }
            guard !candidates.isEmpty else {
                throw ServeAPIError(
                    404, "capture '\(ServeAPIParameters.printable(name))' builds no \(intervalText) bars of '\(symbol)'")
            }
        } else if candidates.count > 1 {
            throw ServeAPIError(
                400,
                "parameter 'capture' is required: \(candidates.map(\.capture).joined(separator: ", ")) all build "
                    + "\(intervalText) bars of '\(symbol)'")
        }
        let source = candidates[0]
        // Bars are kept under the interval as the capture wrote it (`60s` and `1m` are one length).
        let kept = source.bars.first { $0.milliseconds == interval.milliseconds } ?? interval
        let bars = (view.books?.recentBars(capture: source.capture, symbol: symbol, interval: kept) ?? []).filter { bar in
            (from.map { bar.openTime >= $0 } ?? true) && (to.map { bar.openTime < $0 } ?? true)
        }
        let d = ServeAPIJSON.decimal
        return .object([
            ("symbol", .string(symbol)), ("capture", .string(source.capture)), ("interval", .string(kept.description)),
            (
                "bars",
                .array(
                    bars.map { bar in
                        .object([
                            ("openTime", .int(bar.openTime)), ("closeTime", .int(bar.closeTime - 1)), ("open", d(bar.open)),
                            ("high", d(bar.high)), ("low", d(bar.low)), ("close", d(bar.close)),
                            ("volume", .string(Bar.text(bar.volume, scale: bar.volumeScale))),
                            ("quoteVolume", .string(Bar.text(bar.quoteVolume, scale: bar.quoteScale))),
                            ("takerBuyVolume", .string(Bar.text(bar.takerBuyVolume, scale: bar.volumeScale))),
                            ("trades", .int(Int64(bar.trades))), ("vwap", bar.vwap.isEmpty ? .null : .string(bar.vwap)),
                            ("firstTradeId", .int(bar.firstTradeID)), ("lastTradeId", .int(bar.lastTradeID)),
                        ])
                    })
            ),
        ])
    }
}
