/// Why a sink could not make progress; every case says what to do about it.
package enum SinkError: Error, CustomStringConvertible, Sendable {
    /// The cursor could not be read or written.
    case cursor(String)
    /// The segment files could not be read.
    case segments(String)
    /// The target refused or failed (connect, authentication, rights, a query).
    case target(String)
    /// The configuration cannot work (a password file that cannot be read, …).
    case configuration(String)

    package var description: String {
        switch self {
        case .cursor(let m): "cursor: \(m)"
        case .segments(let m): "segments: \(m)"
        case .target(let m): m
        case .configuration(let m): "configuration: \(m)"
        }
    }
}
