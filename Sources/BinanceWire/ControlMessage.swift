import Foundation

/// A JSON request a client sends on a market-stream connection, and the reply Binance gives to it.
///
/// Shared by the simulator (playing Binance) and the relay (speaking Binance to local clients),
/// so both answer with the same documented replies and error codes.
///
/// Parsing uses Foundation: this is the control path, a few messages per second at most.
package enum ControlMessage: Equatable, Sendable {
    case subscribe([String], id: RequestID)
    case unsubscribe([String], id: RequestID)
    case listSubscriptions(id: RequestID)
    case setCombined(Bool, id: RequestID)
    case getCombined(id: RequestID)
    /// A request Binance answers with an error wrapper.
    case invalid(code: Int, message: String, id: RequestID)

    /// The `id` of a request, echoed verbatim in the reply (Binance accepts integers, strings and `null`).
    package enum RequestID: Equatable, Sendable {
        case number(String)
        case string(String)
        case null

        package var json: String {
            switch self {
            case .number(let digits): digits
            case .string(let text): ControlMessage.jsonString(text)
            case .null: "null"
            }
        }
    }

    private static let methods = "`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`"

    /// Parses one text frame.
    package init(text: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        else {
            self = .invalid(code: 3, message: "Invalid JSON: expected value at line 1 column 1", id: .null)
            return
        }
        guard let request = object as? [String: Any] else {
            self = .invalid(code: 3, message: "Invalid JSON: expected an object", id: .null)
            return
        }
        let id: RequestID
        switch request["id"] {
        case nil, is NSNull:
            id = .null
        case let string as String:
            id = .string(string)
        case let number as NSNumber where Self.isInteger(number):
            id = .number(number.stringValue)
        default:
            self = .invalid(code: 2, message: "Invalid request: request ID must be an unsigned integer", id: .null)
            return
        }
        guard let method = request["method"] as? String else {
            self = .invalid(code: 2, message: "Invalid request: missing field `method`", id: id)
            return
        }
        let params = request["params"] as? [Any] ?? []
        switch method {
        case "SUBSCRIBE", "UNSUBSCRIBE":
            let names = params.compactMap { $0 as? String }
            guard names.count == params.count else {
                self = .invalid(code: 2, message: "Invalid request: invalid stream", id: id)
                return
            }
            self = method == "SUBSCRIBE" ? .subscribe(names, id: id) : .unsubscribe(names, id: id)
        case "LIST_SUBSCRIPTIONS":
            self = .listSubscriptions(id: id)
        case "SET_PROPERTY":
            guard params.count == 2, params[0] as? String == "combined" else {
                self = .invalid(code: 0, message: "Unknown property", id: id)
                return
            }
            guard let value = params[1] as? NSNumber, Self.isBoolean(value) else {
                self = .invalid(code: 1, message: "Invalid value type: expected Boolean", id: id)
                return
            }
            self = .setCombined(value.boolValue, id: id)
        case "GET_PROPERTY":
            guard params.count == 1, params[0] as? String == "combined" else {
                self = .invalid(code: 0, message: "Unknown property", id: id)
                return
            }
            self = .getCombined(id: id)
        default:
            self = .invalid(
                code: 2,
                message: "Invalid request: unknown variant `\(method)`, expected one of \(Self.methods)",
                id: id
            )
        }
    }

    /// `{"result":null,"id":…}`.
    package static func nullResult(id: RequestID) -> String {
        #"{"result":null,"id":"# + id.json + "}"
    }

    /// `{"result":[…],"id":…}`.
    package static func listResult(_ names: [String], id: RequestID) -> String {
        #"{"result":["# + names.map(Self.jsonString).joined(separator: ",") + #"],"id":"# + id.json + "}"
    }

    /// `{"result":true|false,"id":…}`.
    package static func boolResult(_ value: Bool, id: RequestID) -> String {
        #"{"result":"# + (value ? "true" : "false") + #","id":"# + id.json + "}"
    }

    /// `{"error":{"code":…,"msg":"…"},"id":…}`, the wrapper Binance puts around request errors.
    package static func error(code: Int, message: String, id: RequestID) -> String {
        #"{"error":{"code":"# + String(code) + #","msg":"# + Self.jsonString(message) + #"},"id":"# + id.json + "}"
    }

    /// JSON `true`/`false` come back as `NSNumber`s whose Objective-C type is `char`, on Linux and Darwin alike.
    private static func isBoolean(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }

    private static func isInteger(_ number: NSNumber) -> Bool {
        !Self.isBoolean(number) && number.doubleValue.rounded() == number.doubleValue
    }

    package static func jsonString(_ text: String) -> String { JSONString.quoted(text) }
}
