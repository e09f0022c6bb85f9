/// `GET /api/v1/symbols`: every symbol the captures carry, per capture and market, with its
/// streams, whether a local book is kept and which bar intervals are built, so a client knows
/// what `/latest`, `/book`, `/bars` and the relay can answer before asking.
extension ServeAPI {
    func symbols(_ view: ServeAPIView) -> JSONValue {
        let captures: [JSONValue] = view.config.captures.map { capture in
            let carried = view.carried.filter { $0.capture == capture.name }
            return .object([
                ("name", .string(capture.name)),
                ("market", .string(carried.first?.market.rawValue ?? (capture.books.market == .spot ? "spot" : "usdm"))),
                (
                    "symbols",
                    .array(
                        carried.map { c in
                            .object([
                                ("symbol", .string(c.symbol)), ("streams", ServeAPIJSON.strings(c.streams)), ("book", .bool(c.book)),
                                ("bars", ServeAPIJSON.strings(c.bars.map(\.description))),
                            ])
                        })
                ),
            ])
        }
        let all = Array(Set(view.carried.map(\.symbol))).sorted()
        return .object([("symbols", ServeAPIJSON.strings(all)), ("captures", .array(captures))])
    }
}
