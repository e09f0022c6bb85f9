/// An error in the configuration file, pointing at the line that caused it.
///
/// Every problem the configuration layer finds (a syntax error, an unknown key, a value out
/// of range, a missing file) is reported as a `ConfigError`, so that `ticktape check-config`
/// and the daemon's startup can print one line an operator can act on:
/// `ticktape.toml:7: capture "btcusdt-book": connections must be an integer from 1 to 64, got 0`.
package struct ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The configuration file, as it was named to the loader.
    package var file: String
    /// The 1-based line the problem is on, or nil when it concerns the whole file
    /// (a missing required key, an unreadable file).
    package var line: Int?
    /// The 1-based column (in Unicode scalars) for syntax errors; nil for semantic errors.
    package var column: Int?
    /// What is wrong and, where it helps, what is expected instead.
    package var message: String

    /// Makes an error; `column` is only known for syntax errors.
    package init(file: String, line: Int?, column: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, leaving out the parts that are unknown.
    package var description: String {
        var location = file
        if let line {
            location += ":\(line)"
            if let column {
                location += ":\(column)"
            }
        }
        return "\(location): \(message)"
    }
}
