import BinanceWire
import Foundation

/// ticktape's own control messages on a replay socket, in Binance's request shape
/// (`{"method":"REPLAY.SEEK","params":["2024-08-08T23:54:30Z"],"id":7}`) and answered in
/// Binance's reply shape (`{"result":null,"id":7}`, errors `{"error":{"code":…,"msg":…},"id":…}`).
///
/// Everything else a client sends is Binance's own (``ControlMessage``: SUBSCRIBE and the
/// rest), answered exactly as the relay answers it. The `REPLAY.` prefix cannot collide with a
/// Binance method.
enum ReplayControl: Equatable {
    case pause(id: ControlMessage.RequestID)
    case resume(id: ControlMessage.RequestID)
    case speed(ReplaySpeed, id: ControlMessage.RequestID)
    /// Receive-stamp ns: continue from the first line received at or after it.
    case seek(Int64, id: ControlMessage.RequestID)
    /// `{"result":{"state":…,"speed":…,"position_ns":…},"id":…}`.
    case status(id: ControlMessage.RequestID)
    case invalid(code: Int, message: String, id: ControlMessage.RequestID)

    /// Parses `text` if it is a `REPLAY.*` request; nil for anything else (Binance's requests).
    init?(text: String) {
        guard text.contains("REPLAY."),
            let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let method = object["method"] as? String, method.hasPrefix("REPLAY.")
        else { return nil }
        let id: ControlMessage.RequestID
        switch object["id"] {
        case let string as String: id = .string(string)
        case let number as NSNumber: id = .number(number.stringValue)
        default: id = .null
        }
        let params = object["params"] as? [Any] ?? []
        func string(_ value: Any?) -> String? {
            switch value {
            case let s as String: s
            case let n as NSNumber: n.stringValue
            default: nil
            }
        }
        switch method {
        case "REPLAY.PAUSE": self = .pause(id: id)
        case "REPLAY.RESUME": self = .resume(id: id)
        case "REPLAY.STATUS": self = .status(id: id)
        case "REPLAY.SPEED":
            guard params.count == 1, let value = string(params[0]), let speed = ReplaySpeed(value) else {
                self = .invalid(code: 2, message: "Invalid request: REPLAY.SPEED takes one param, a positive factor or \"max\"", id: id)
                return
            }
            self = .speed(speed, id: id)
        case "REPLAY.SEEK":
            guard params.count == 1, let value = string(params[0]), let nanos = ReplayInstant.nanos(value) else {
                self = .invalid(
                    code: 2, message: "Invalid request: REPLAY.SEEK takes one param, epoch ms, epoch ns or UTC ISO 8601", id: id)
                return
            }
            self = .seek(nanos, id: id)
        default:
            self = .invalid(
                code: 2,
                message: "Invalid request: unknown variant `\(method)`, expected one of `REPLAY.PAUSE`, `REPLAY.RESUME`, "
                    + "`REPLAY.SPEED`, `REPLAY.SEEK`, `REPLAY.STATUS`",
                id: id)
        }
    }
}
