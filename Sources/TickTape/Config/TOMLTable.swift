/// A TOML table: keys in the order they were written, each with its position.
///
/// Order is kept so that error messages and `describe()` follow the file, and the key's
/// own line is kept (separately from its value's) so an unknown key can be pointed at.
struct TOMLTable: Sendable, Equatable {
    /// How the table came to exist; TOML's rules on redefinition depend on it.
    enum Origin: Sendable, Equatable {
        /// The document itself.
        case root
        /// Created as a parent of a header (`[a.b]` creates `a`); may still get its own header.
        case implicit
        /// Defined by a `[name]` or `[[name]]` header.
        case header
        /// Created by a dotted key (`a.b = 1` creates `a`).
        case dotted
        /// Written as `{ ... }`; closed to any later addition.
        case inline
    }

    /// One `key = value` of the table.
    struct Entry: Sendable, Equatable {
        var key: String
        /// 1-based line where the key was written.
        var line: Int
        /// 1-based column where the key was written.
        var column: Int
        var value: TOMLValue
    }

    private(set) var entries: [Entry] = []
    private var positions: [String: Int] = [:]
    var origin: Origin
    /// Where the table was defined (its header, its first dotted key, its opening brace).
    var line: Int
    var column: Int

    init(origin: Origin, line: Int, column: Int) {
        self.origin = origin
        self.line = line
        self.column = column
    }

    var isEmpty: Bool { entries.isEmpty }

    var keys: [String] { entries.map(\.key) }

    subscript(key: String) -> Entry? {
        guard let index = positions[key] else { return nil }
        return entries[index]
    }

    func index(of key: String) -> Int? {
        positions[key]
    }

    /// Adds a key that is not yet in the table (the parser checks for duplicates first,
    /// because only it knows how to word the error).
    mutating func append(_ entry: Entry) {
        guard positions[entry.key] == nil else { return }
        positions[entry.key] = entries.count
        entries.append(entry)
    }

    /// Changes a value in place, without copying the subtree under it.
    mutating func modifyValue<Result>(
        at index: Int,
        _ body: (inout TOMLValue) throws -> Result
    ) rethrows -> Result {
        try body(&entries[index].value)
    }
}
