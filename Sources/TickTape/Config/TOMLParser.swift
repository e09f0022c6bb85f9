/// A strict TOML 1.0 parser that remembers where everything was written.
///
/// It covers what a configuration file needs: comments, bare, quoted and dotted keys,
/// `[table]` and `[[array-of-tables]]` headers, basic and literal strings (single- and
/// multi-line), integers (decimal, hex, octal, binary, with `_` separators), floats,
/// booleans, arrays and inline tables. Dates and times are rejected with a message, since
/// the configuration writes durations as strings like `"5m"`.
///
/// It is written to be fuzzed: it works on the UTF-8 bytes with bounds-checked access only,
/// and every recursion (nested values, dotted keys, header paths) is bounded by
/// `maximumNesting`, so no input can trap it or exhaust the stack.
struct TOMLParser {
    /// The deepest nesting of tables and arrays a document may have; configuration files
    /// need three levels at most.
    static let maximumNesting = 32

    private typealias Key = (name: String, line: Int, column: Int)

    private let bytes: [UInt8]
    private let file: String
    private var position = 0
    private var line = 1
    private var lineStart = 0
    private var columnCachePosition = 0
    private var columnCacheValue = 1
    private var root = TOMLTable(origin: .root, line: 1, column: 1)
    private var currentPath: [String] = []

    init(text: String, file: String) {
        self.bytes = Array(text.utf8)
        self.file = file
    }

    // MARK: - Document

    mutating func parseDocument() throws -> TOMLTable {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            position = 3
            lineStart = 3
            columnCachePosition = 3
        }
        while true {
            skipSpaces()
            guard let byte = peek() else { break }
            switch byte {
            case UInt8(ascii: "#"):
                try skipComment()
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
            case UInt8(ascii: "["):
                try parseHeader()
                try expectEndOfLine(after: "table header")
            default:
                try parseKeyValueLine()
                try expectEndOfLine(after: "value")
            }
        }
        return root
    }

    private mutating func expectEndOfLine(after what: String) throws {
        skipSpaces()
        if peek() == UInt8(ascii: "#") {
            try skipComment()
        }
        guard let byte = peek() else { return }
        if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
            try consumeNewline()
            return
        }
        throw error("expected the end of the line after the \(what), found \(describeCurrent()) (one key = value per line)")
    }

    // MARK: - Headers

    private mutating func parseHeader() throws {
        let startLine = line
        let startColumn = currentColumn()
        position += 1
        var isArray = false
        if peek() == UInt8(ascii: "[") {
            isArray = true
            position += 1
        }
        let keys = try parseKey(depth: 0)
        skipSpaces()
        guard peek() == UInt8(ascii: "]") else {
            throw error("expected '\(isArray ? "]]" : "]")' to close the table header, found \(describeCurrent())")
        }
        position += 1
        if isArray {
            guard peek() == UInt8(ascii: "]") else {
                throw error("expected ']]' to close the array-of-tables header, found \(describeCurrent())")
            }
            position += 1
        }
        let name = "[" + (isArray ? "[" : "") + keys.map { Self.displayKey($0.name) }.joined(separator: ".")
            + (isArray ? "]]" : "]")
        try Self.defineHeader(
            in: &root, keys: keys[...], isArray: isArray, name: name,
            line: startLine, column: startColumn, file: file)
        currentPath = keys.map(\.name)
    }

    /// Creates the table (or appends to the array of tables) a header names, walking and
    /// creating its parents. Recursion depth is the key count, bounded by `maximumNesting`.
    private static func defineHeader(
        in table: inout TOMLTable, keys: ArraySlice<Key>, isArray: Bool, name: String,
        line: Int, column: Int, file: String
    ) throws {
        guard let key = keys.first else { return }
        let isLast = keys.count == 1
        let rest = keys.dropFirst()
        func fail(_ message: String) -> ConfigError {
            ConfigError(file: file, line: key.line, column: key.column, message: message)
        }
        guard let index = table.index(of: key.name) else {
            if isLast {
                let newTable = TOMLValue(
                    .table(TOMLTable(origin: .header, line: line, column: column)), line: line, column: column)
                let value = isArray
                    ? TOMLValue(.array([newTable]), line: line, column: column, isTableArray: true)
                    : newTable
                table.append(TOMLTable.Entry(key: key.name, line: key.line, column: key.column, value: value))
            } else {
                var child = TOMLTable(origin: .implicit, line: line, column: column)
                try defineHeader(
                    in: &child, keys: rest, isArray: isArray, name: name, line: line, column: column, file: file)
                table.append(
                    TOMLTable.Entry(
                        key: key.name, line: key.line, column: key.column,
                        value: TOMLValue(.table(child), line: line, column: column)))
            }
            return
        }
        let existingLine = table.entries[index].value.line
        try table.modifyValue(at: index) { value in
            switch value.kind {
            case .table(var child):
                if child.origin == .inline {
                    throw fail("\(name) cannot extend \(displayKey(key.name)), an inline table defined at line \(existingLine)")
                }
                if isLast {
                    if isArray {
                        throw fail("\(name) conflicts with the table \(displayKey(key.name)) defined at line \(existingLine)")
                    }
                    guard child.origin == .implicit else {
                        throw fail("table \(name) is already defined at line \(existingLine)")
                    }
                    value.kind = .boolean(false)
                    child.origin = .header
                    child.line = line
                    child.column = column
                    value.kind = .table(child)
                    value.line = line
                    value.column = column
                    return
                }
                value.kind = .boolean(false)
                defer { value.kind = .table(child) }
                try defineHeader(
                    in: &child, keys: rest, isArray: isArray, name: name, line: line, column: column, file: file)
            case .array(var elements) where value.isTableArray:
                if isLast {
                    guard isArray else {
                        throw fail("\(name) conflicts with the array of tables [[\(displayKey(key.name))]] defined at line \(existingLine)")
                    }
                    value.kind = .boolean(false)
                    elements.append(
                        TOMLValue(.table(TOMLTable(origin: .header, line: line, column: column)), line: line, column: column))
                    value.kind = .array(elements)
                    return
                }
                guard let lastIndex = elements.indices.last, case .table(var child) = elements[lastIndex].kind else {
                    throw fail("\(displayKey(key.name)) is not a table")
                }
                value.kind = .boolean(false)
                elements[lastIndex].kind = .boolean(false)
                defer {
                    elements[lastIndex].kind = .table(child)
                    value.kind = .array(elements)
                }
                try defineHeader(
                    in: &child, keys: rest, isArray: isArray, name: name, line: line, column: column, file: file)
            default:
                throw fail("\(name) conflicts with key \(displayKey(key.name)), already set to \(value.typeDescription) at line \(existingLine)")
            }
        }
    }

    // MARK: - Key/value pairs

    private mutating func parseKeyValueLine() throws {
        let keys = try parseKey(depth: currentPath.count)
        skipSpaces()
        guard peek() == UInt8(ascii: "=") else {
            throw error("expected '=' after the key \(keys.map { Self.displayKey($0.name) }.joined(separator: ".")), found \(describeCurrent())")
        }
        position += 1
        skipSpaces()
        let value = try parseValue(depth: currentPath.count + keys.count)
        try Self.insertIntoCurrentTable(
            in: &root, path: currentPath[...], keys: keys[...], value: value, file: file)
    }

    /// Walks from the root to the table the last header opened (the last element of an
    /// array of tables), then inserts the key/value there.
    private static func insertIntoCurrentTable(
        in table: inout TOMLTable, path: ArraySlice<String>, keys: ArraySlice<Key>, value: TOMLValue, file: String
    ) throws {
        guard let name = path.first else {
            try insert(value, keys: keys, into: &table, file: file)
            return
        }
        guard let index = table.index(of: name) else { return }
        try table.modifyValue(at: index) { container in
            switch container.kind {
            case .table(var child):
                container.kind = .boolean(false)
                defer { container.kind = .table(child) }
                try insertIntoCurrentTable(in: &child, path: path.dropFirst(), keys: keys, value: value, file: file)
            case .array(var elements):
                guard let lastIndex = elements.indices.last, case .table(var child) = elements[lastIndex].kind else {
                    return
                }
                container.kind = .boolean(false)
                elements[lastIndex].kind = .boolean(false)
                defer {
                    elements[lastIndex].kind = .table(child)
                    container.kind = .array(elements)
                }
                try insertIntoCurrentTable(in: &child, path: path.dropFirst(), keys: keys, value: value, file: file)
            default:
                return
            }
        }
    }

    /// Inserts `value` under a (possibly dotted) key, creating the dotted parent tables.
    private static func insert(
        _ value: TOMLValue, keys: ArraySlice<Key>, into table: inout TOMLTable, file: String
    ) throws {
        guard let key = keys.first else { return }
        let fullKey = keys.map { displayKey($0.name) }.joined(separator: ".")
        guard let index = table.index(of: key.name) else {
            if keys.count == 1 {
                table.append(TOMLTable.Entry(key: key.name, line: key.line, column: key.column, value: value))
            } else {
                var child = TOMLTable(origin: .dotted, line: key.line, column: key.column)
                try insert(value, keys: keys.dropFirst(), into: &child, file: file)
                table.append(
                    TOMLTable.Entry(
                        key: key.name, line: key.line, column: key.column,
                        value: TOMLValue(.table(child), line: key.line, column: key.column)))
            }
            return
        }
        let existing = table.entries[index]
        if keys.count == 1 {
            throw ConfigError(
                file: file, line: key.line, column: key.column,
                message: "duplicate key \(displayKey(key.name)) (first set at line \(existing.line))")
        }
        try table.modifyValue(at: index) { container in
            guard case .table(var child) = container.kind, child.origin == .dotted else {
                let what = if case .table(let child) = container.kind {
                    child.origin == .inline ? "an inline table" : "a table defined by a header"
                } else {
                    container.typeDescription
                }
                throw ConfigError(
                    file: file, line: key.line, column: key.column,
                    message: "cannot set \(fullKey): \(displayKey(key.name)) is already \(what) (line \(existing.line))")
            }
            container.kind = .boolean(false)
            defer { container.kind = .table(child) }
            try insert(value, keys: keys.dropFirst(), into: &child, file: file)
        }
    }

    /// Parses `a`, `"a b"`, `'a'` or `a.b.c`; `depth` is the nesting already used.
    private mutating func parseKey(depth: Int) throws -> [Key] {
        var keys: [Key] = []
        while true {
            skipSpaces()
            if depth + keys.count >= Self.maximumNesting {
                throw error("keys and tables are nested more than \(Self.maximumNesting) levels deep")
            }
            keys.append(try parseSimpleKey())
            skipSpaces()
            guard peek() == UInt8(ascii: ".") else { return keys }
            position += 1
        }
    }

    private mutating func parseSimpleKey() throws -> Key {
        let keyLine = line
        let keyColumn = currentColumn()
        guard let byte = peek() else {
            throw error("expected a key, found the end of the file")
        }
        switch byte {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                throw error("a multi-line string cannot be a key")
            }
            return (try parseBasicString(), keyLine, keyColumn)
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                throw error("a multi-line string cannot be a key")
            }
            return (try parseLiteralString(), keyLine, keyColumn)
        default:
            let start = position
            while let byte = peek(), Self.isBareKeyByte(byte) {
                position += 1
            }
            guard position > start else {
                throw error("expected a key (letters, digits, '_' or '-', or a quoted string), found \(describeCurrent())")
            }
            return (String(decoding: bytes[start..<position], as: UTF8.self), keyLine, keyColumn)
        }
    }

    // MARK: - Values

    private mutating func parseValue(depth: Int) throws -> TOMLValue {
        let valueLine = line
        let valueColumn = currentColumn()
        func make(_ kind: TOMLValue.Kind) -> TOMLValue {
            TOMLValue(kind, line: valueLine, column: valueColumn)
        }
        guard let byte = peek() else {
            throw error("expected a value, found the end of the file")
        }
        switch byte {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                return make(.string(try parseMultilineBasicString()))
            }
            return make(.string(try parseBasicString()))
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                return make(.string(try parseMultilineLiteralString()))
            }
            return make(.string(try parseLiteralString()))
        case UInt8(ascii: "["):
            guard depth < Self.maximumNesting else {
                throw error("values are nested more than \(Self.maximumNesting) levels deep")
            }
            return make(.array(try parseArray(depth: depth + 1)))
        case UInt8(ascii: "{"):
            guard depth < Self.maximumNesting else {
                throw error("values are nested more than \(Self.maximumNesting) levels deep")
            }
            return make(.table(try parseInlineTable(depth: depth + 1)))
        default:
            return make(try parseScalarToken())
        }
    }

    private mutating func parseArray(depth: Int) throws -> [TOMLValue] {
        position += 1
        var elements: [TOMLValue] = []
        while true {
            try skipSpacesNewlinesAndComments()
            guard let byte = peek() else {
                throw error("unterminated array: expected a value or ']', found the end of the file")
            }
            if byte == UInt8(ascii: "]") {
                position += 1
                return elements
            }
            elements.append(try parseValue(depth: depth))
            try skipSpacesNewlinesAndComments()
            switch peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "]"):
                position += 1
                return elements
            case nil:
                throw error("unterminated array: expected ',' or ']', found the end of the file")
            default:
                throw error("expected ',' or ']' after an array element, found \(describeCurrent())")
            }
        }
    }

    private mutating func parseInlineTable(depth: Int) throws -> TOMLTable {
        var table = TOMLTable(origin: .inline, line: line, column: currentColumn())
        position += 1
        skipSpaces()
        if peek() == UInt8(ascii: "}") {
            position += 1
            return table
        }
        while true {
            skipSpaces()
            if peek() == UInt8(ascii: "}") {
                throw error("a trailing comma is not allowed in an inline table")
            }
            if peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r") {
                throw error("an inline table must be written on one line (use a [table] header for longer tables)")
            }
            let keys = try parseKey(depth: depth)
            skipSpaces()
            guard peek() == UInt8(ascii: "=") else {
                throw error("expected '=' after the key in the inline table, found \(describeCurrent())")
            }
            position += 1
            skipSpaces()
            let value = try parseValue(depth: depth + keys.count)
            try Self.insert(value, keys: keys[...], into: &table, file: file)
            skipSpaces()
            switch peek() {
            case UInt8(ascii: ","):
                position += 1
            case UInt8(ascii: "}"):
                position += 1
                return table
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("an inline table must be written on one line (use a [table] header for longer tables)")
            default:
                throw error("expected ',' or '}' in the inline table, found \(describeCurrent())")
            }
        }
    }

    // MARK: - Scalars

    /// Booleans, numbers, `inf`/`nan`; recognises dates to reject them with a message.
    private mutating func parseScalarToken() throws -> TOMLValue.Kind {
        let start = position
        while let byte = peek(), Self.isScalarTokenByte(byte) {
            position += 1
        }
        guard position > start else {
            throw error("expected a value (a \"string\", number, true/false, [array] or {inline table}), found \(describeCurrent())")
        }
        let token = Array(bytes[start..<position])
        let text = String(decoding: token, as: UTF8.self)
        func fail(_ message: String) -> ConfigError {
            position = start
            return error(message)
        }
        switch text {
        case "true": return .boolean(true)
        case "false": return .boolean(false)
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if Self.looksLikeDateOrTime(token) {
            throw fail("dates and times are not supported; write durations as strings like \"5m\"")
        }
        guard let first = token.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || Self.isDigit(first) else {
            if token.allSatisfy(Self.isBareKeyByte) {
                throw fail("expected a value, found \(text); strings must be quoted: \"\(text)\"")
            }
            throw fail("expected a value, found \(text)")
        }
        if let integer = try Self.parseInteger(token, fail: fail) {
            return .integer(integer)
        }
        return .float(try Self.parseFloat(token, text: text, fail: fail))
    }

    /// Returns nil if the token is not integer-shaped (it may be a float).
    private static func parseInteger(_ token: [UInt8], fail: (String) -> ConfigError) throws -> Int? {
        let text = String(decoding: token, as: UTF8.self)
        if token.count > 2, token[0] == UInt8(ascii: "0") {
            let radix: Int?
            switch token[1] {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: radix = nil
            }
            if let radix {
                let digits = token[2...]
                guard hasValidUnderscores(digits, isDigit: { isDigit($0, radix: radix) }),
                    let value = Int(String(decoding: digits.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self), radix: radix)
                else {
                    throw fail("invalid integer \(text)")
                }
                return value
            }
        }
        var digits = token[...]
        if let first = digits.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            digits = digits.dropFirst()
        }
        guard digits.allSatisfy({ isDigit($0) || $0 == UInt8(ascii: "_") }) else { return nil }
        guard hasValidUnderscores(digits, isDigit: { isDigit($0) }) else {
            throw fail("invalid integer \(text): '_' must sit between two digits")
        }
        if digits.count > 1, digits.first == UInt8(ascii: "0") {
            throw fail("invalid integer \(text): leading zeros are not allowed")
        }
        guard let value = Int(String(decoding: token.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self)) else {
            throw fail("integer \(text) is out of range")
        }
        return value
    }

    private static func parseFloat(_ token: [UInt8], text: String, fail: (String) -> ConfigError) throws -> Double {
        var rest = token[...]
        if let first = rest.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            rest = rest.dropFirst()
        }
        let exponentIndex = rest.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = rest[rest.startIndex..<(exponentIndex ?? rest.endIndex)]
        let dotIndex = mantissa.firstIndex(of: UInt8(ascii: "."))
        let integerPart = mantissa[mantissa.startIndex..<(dotIndex ?? mantissa.endIndex)]
        let digitCheck: (UInt8) -> Bool = { isDigit($0) }
        var valid = hasValidUnderscores(integerPart, isDigit: digitCheck)
            && !(integerPart.count > 1 && integerPart.first == UInt8(ascii: "0"))
        if let dotIndex {
            valid = valid && hasValidUnderscores(mantissa[(dotIndex + 1)...], isDigit: digitCheck)
        }
        if let exponentIndex {
            var exponent = rest[(exponentIndex + 1)...]
            if let sign = exponent.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                exponent = exponent.dropFirst()
            }
            valid = valid && hasValidUnderscores(exponent, isDigit: digitCheck)
        }
        valid = valid && (dotIndex != nil || exponentIndex != nil)
        guard valid, let value = Double(String(decoding: token.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self))
        else {
            throw fail("invalid number \(text)")
        }
        guard value.isFinite else {
            throw fail("number \(text) is out of range")
        }
        return value
    }

    /// Non-empty, only digits and `_`, each `_` between two digits.
    private static func hasValidUnderscores(_ digits: ArraySlice<UInt8>, isDigit: (UInt8) -> Bool) -> Bool {
        guard let first = digits.first, let last = digits.last, isDigit(first), isDigit(last) else { return false }
        var previousWasUnderscore = false
        for byte in digits {
            if byte == UInt8(ascii: "_") {
                if previousWasUnderscore { return false }
                previousWasUnderscore = true
            } else if isDigit(byte) {
                previousWasUnderscore = false
            } else {
                return false
            }
        }
        return true
    }

    private static func looksLikeDateOrTime(_ token: [UInt8]) -> Bool {
        // 1979-05-27 or 07:32:00
        if token.count >= 10, token.prefix(4).allSatisfy({ isDigit($0) }), token[4] == UInt8(ascii: "-"),
            token[7] == UInt8(ascii: "-")
        {
            return true
        }
        return token.count >= 5 && token.prefix(2).allSatisfy({ isDigit($0) }) && token[2] == UInt8(ascii: ":")
    }

    // MARK: - Strings

    private mutating func parseBasicString() throws -> String {
        position += 1
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("unterminated string: expected a closing '\"'")
            }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                return String(decoding: result, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &result)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("unterminated string: a \"...\" string cannot span lines (use \"\"\"...\"\"\" for multi-line text)")
            default:
                try checkNotControl(byte)
                result.append(byte)
                position += 1
            }
        }
    }

    private mutating func parseMultilineBasicString() throws -> String {
        position += 3
        try skipOneNewlineIfPresent()
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("unterminated multi-line string: expected a closing '\"\"\"'")
            }
            switch byte {
            case UInt8(ascii: "\""):
                if try closeMultiline(quote: byte, into: &result) {
                    return String(decoding: result, as: UTF8.self)
                }
            case UInt8(ascii: "\\"):
                // A backslash at the end of a line swallows the newline and following whitespace.
                var lookahead = 1
                while let next = peek(lookahead), next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") {
                    lookahead += 1
                }
                if let next = peek(lookahead), next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r") {
                    position += lookahead
                    try skipSpacesAndNewlines()
                } else {
                    try parseEscape(into: &result)
                }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
                result.append(UInt8(ascii: "\n"))
            default:
                try checkNotControl(byte)
                result.append(byte)
                position += 1
            }
        }
    }

    private mutating func parseLiteralString() throws -> String {
        position += 1
        let start = position
        while true {
            guard let byte = peek() else {
                throw error("unterminated string: expected a closing \"'\"")
            }
            switch byte {
            case UInt8(ascii: "'"):
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                position += 1
                return text
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("unterminated string: a '...' string cannot span lines (use '''...''' for multi-line text)")
            default:
                try checkNotControl(byte)
                position += 1
            }
        }
    }

    private mutating func parseMultilineLiteralString() throws -> String {
        position += 3
        try skipOneNewlineIfPresent()
        var result: [UInt8] = []
        while true {
            guard let byte = peek() else {
                throw error("unterminated multi-line string: expected a closing \"'''\"")
            }
            switch byte {
            case UInt8(ascii: "'"):
                if try closeMultiline(quote: byte, into: &result) {
                    return String(decoding: result, as: UTF8.self)
                }
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try consumeNewline()
                result.append(UInt8(ascii: "\n"))
            default:
                try checkNotControl(byte)
                result.append(byte)
                position += 1
            }
        }
    }

    /// At a quote inside a multi-line string: a run of three to five quotes closes it (the
    /// extra one or two belong to the content); fewer are content.
    private mutating func closeMultiline(quote: UInt8, into result: inout [UInt8]) throws -> Bool {
        var count = 0
        while peek(count) == quote {
            count += 1
        }
        if count < 3 {
            result.append(contentsOf: repeatElement(quote, count: count))
            position += count
            return false
        }
        if count > 5 {
            position += 5
            throw error("too many quotes at the end of a multi-line string")
        }
        result.append(contentsOf: repeatElement(quote, count: count - 3))
        position += count
        return true
    }

    private mutating func skipOneNewlineIfPresent() throws {
        if peek() == UInt8(ascii: "\n") || peek() == UInt8(ascii: "\r") {
            try consumeNewline()
        }
    }

    private mutating func parseEscape(into result: inout [UInt8]) throws {
        guard let code = peek(1) else {
            throw error("unterminated string: expected an escape after '\\'")
        }
        let simple: UInt8?
        switch code {
        case UInt8(ascii: "b"): simple = 0x08
        case UInt8(ascii: "t"): simple = 0x09
        case UInt8(ascii: "n"): simple = 0x0A
        case UInt8(ascii: "f"): simple = 0x0C
        case UInt8(ascii: "r"): simple = 0x0D
        case UInt8(ascii: "\""): simple = 0x22
        case UInt8(ascii: "\\"): simple = 0x5C
        default: simple = nil
        }
        if let simple {
            result.append(simple)
            position += 2
            return
        }
        let digitCount: Int
        switch code {
        case UInt8(ascii: "u"): digitCount = 4
        case UInt8(ascii: "U"): digitCount = 8
        default:
            throw error("invalid escape '\\\(Self.describeByte(code))' (valid: \\\" \\\\ \\b \\f \\n \\r \\t \\u + 4 hex digits, \\U + 8 hex digits)")
        }
        var scalarValue: UInt32 = 0
        for offset in 0..<digitCount {
            guard let digit = peek(2 + offset), let nibble = Self.hexValue(digit) else {
                throw error("invalid escape: \\\(Self.describeByte(code)) needs \(digitCount) hexadecimal digits")
            }
            scalarValue = scalarValue << 4 | UInt32(nibble)
        }
        guard let scalar = Unicode.Scalar(scalarValue) else {
            throw error("invalid escape: U+\(String(scalarValue, radix: 16, uppercase: true)) is not a Unicode scalar value")
        }
        UTF8.encode(scalar) { result.append($0) }
        position += 2 + digitCount
    }

    private func checkNotControl(_ byte: UInt8) throws {
        if (byte < 0x20 && byte != 0x09) || byte == 0x7F {
            throw error("control character U+00\(String(format2Hex: byte)) is not allowed here (escape it)")
        }
    }

    // MARK: - Whitespace, comments, newlines

    private mutating func skipSpaces() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            position += 1
        }
    }

    private mutating func skipSpacesAndNewlines() throws {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                position += 1
            } else if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                try consumeNewline()
            } else {
                return
            }
        }
    }

    private mutating func skipSpacesNewlinesAndComments() throws {
        while true {
            try skipSpacesAndNewlines()
            guard peek() == UInt8(ascii: "#") else { return }
            try skipComment()
        }
    }

    /// Skips from `#` to (not including) the end of the line.
    private mutating func skipComment() throws {
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r") {
                if peek(1) == UInt8(ascii: "\n") { return }
            }
            try checkNotControl(byte)
            position += 1
        }
    }

    private mutating func consumeNewline() throws {
        if peek() == UInt8(ascii: "\r") {
            guard peek(1) == UInt8(ascii: "\n") else {
                throw error("a carriage return must be followed by a line feed")
            }
            position += 1
        }
        position += 1
        line += 1
        lineStart = position
    }

    // MARK: - Positions and errors

    private func peek(_ offset: Int = 0) -> UInt8? {
        let index = position + offset
        return index >= 0 && index < bytes.count ? bytes[index] : nil
    }

    /// The 1-based column of `position`, counted in Unicode scalars. Cached so that a long
    /// line costs linear time overall.
    private mutating func currentColumn() -> Int {
        if columnCachePosition < lineStart || columnCachePosition > position {
            columnCachePosition = lineStart
            columnCacheValue = 1
        }
        var index = columnCachePosition
        let end = min(position, bytes.count)
        while index < end {
            if bytes[index] & 0xC0 != 0x80 {
                columnCacheValue += 1
            }
            index += 1
        }
        columnCachePosition = max(columnCachePosition, end)
        return columnCacheValue
    }

    private func error(_ message: String) -> ConfigError {
        var column = 1
        var index = lineStart
        let end = min(position, bytes.count)
        while index < end {
            if bytes[index] & 0xC0 != 0x80 {
                column += 1
            }
            index += 1
        }
        return ConfigError(file: file, line: line, column: column, message: message)
    }

    private func describeCurrent() -> String {
        guard let byte = peek() else { return "the end of the file" }
        switch byte {
        case UInt8(ascii: "\n"), UInt8(ascii: "\r"): return "the end of the line"
        default:
            if byte >= 0x80 {
                let end = min(bytes.count, position + 4)
                let scalar = String(decoding: bytes[position..<end], as: UTF8.self).unicodeScalars.first
                return scalar.map { "'\($0)' (U+\(String($0.value, radix: 16, uppercase: true)))" } ?? "a non-UTF-8 byte"
            }
            return "'\(Self.describeByte(byte))'"
        }
    }

    private static func describeByte(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F {
            return String(UnicodeScalar(byte))
        }
        return "U+00" + String(format2Hex: byte)
    }

    private static func displayKey(_ key: String) -> String {
        if !key.isEmpty, key.utf8.allSatisfy(isBareKeyByte) {
            return key
        }
        return TOMLValue.quoted(key)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isDigit(_ byte: UInt8, radix: Int) -> Bool {
        guard let value = hexValue(byte) else { return false }
        return Int(value) < radix
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    private static func isScalarTokenByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":")
    }
}

extension String {
    /// Two (or more) uppercase hexadecimal digits, for naming bytes in messages.
    fileprivate init(format2Hex byte: UInt8) {
        let hex = String(byte, radix: 16, uppercase: true)
        self = hex.count < 2 ? "0" + hex : hex
    }
}
