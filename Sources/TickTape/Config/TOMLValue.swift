/// A TOML value together with the place it was written.
///
/// Keeping the position on every value is what lets the typed configuration layer say
/// `ticktape.toml:12: ...` for a bad value long after parsing has finished.
struct TOMLValue: Sendable, Equatable {
    /// The TOML data types this parser supports (dates and times are rejected).
    enum Kind: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    var kind: Kind
    /// 1-based line of the value's first character.
    var line: Int
    /// 1-based column (in Unicode scalars) of the value's first character.
    var column: Int
    /// True only for arrays built by `[[name]]` headers: those, and no others, may be
    /// extended by a later `[[name]]` header.
    var isTableArray = false

    init(_ kind: Kind, line: Int, column: Int, isTableArray: Bool = false) {
        self.kind = kind
        self.line = line
        self.column = column
        self.isTableArray = isTableArray
    }

    /// The value's type with an article, for messages like "got a table".
    var typeDescription: String {
        switch kind {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a float"
        case .boolean: return "a boolean"
        case .array: return isTableArray ? "an array of tables" : "an array"
        case .table: return "a table"
        }
    }

    /// A short TOML-like rendering of the value for error messages ("got 0", "got \"4\"").
    var shortDescription: String {
        let limit = 60
        var text: String
        switch kind {
        case .string(let string):
            text = Self.quoted(string)
        case .integer(let integer):
            text = String(integer)
        case .float(let float):
            text = String(float)
        case .boolean(let boolean):
            text = boolean ? "true" : "false"
        case .array(let elements):
            if isTableArray || elements.contains(where: { if case .table = $0.kind { true } else { false } }) {
                return typeDescription
            }
            text = "[" + elements.prefix(8).map(\.shortDescription).joined(separator: ", ")
            text += elements.count > 8 ? ", ...]" : "]"
        case .table:
            return typeDescription
        }
        if text.count > limit {
            text = String(text.prefix(limit)) + "..."
        }
        return text
    }

    /// A string as a TOML basic string, escaping what would be confusing in a message.
    static func quoted(_ string: String) -> String {
        var result = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
