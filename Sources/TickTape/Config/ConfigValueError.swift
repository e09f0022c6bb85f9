/// A value that could not be understood, before it is known where it came from.
///
/// The value parsers (`HumanDuration`, `ByteSize`, `StreamEndpoint`) are usable on their
/// own (command-line flags, tests), so they do not know the file and line; the configuration
/// loader wraps their message into a `ConfigError` that does.
package struct ConfigValueError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What is wrong with the value and which forms are accepted.
    package var message: String

    /// Makes an error from its message.
    package init(_ message: String) {
        self.message = message
    }

    /// The message alone: the caller adds where the value came from.
    package var description: String { message }
}
