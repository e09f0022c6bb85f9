/// A parsed TOML document: the root table with every key and value's position.
///
/// We parse TOML ourselves rather than wrap a C++ library so that every error, syntactic
/// or semantic, can name its line, and so the parser is plain Swift that can be fuzzed.
struct TOMLDocument: Sendable, Equatable {
    var root: TOMLTable

    /// Parses `text`; `file` is only used to name the file in errors.
    ///
    /// Throws `ConfigError` (with line and column) on any syntax error, duplicate key or
    /// table redefinition. Never traps on any input.
    static func parse(_ text: String, file: String) throws(ConfigError) -> TOMLDocument {
        var parser = TOMLParser(text: text, file: file)
        do {
            return TOMLDocument(root: try parser.parseDocument())
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(file: file, line: nil, message: "cannot parse: \(error)")
        }
    }
}
