/// The ticktape release, reported in the User-Agent, logs and `--version`.
package enum TickTapeVersion {
    package static let current = "0.1.0"
}
