/// The ticktape release, reported in the User-Agent, logs and `--version`.
public enum TickTapeVersion {
    public static let current = "0.1.0"
}
