import Testing

@testable import TickTape

@Suite struct StorageRetentionConfigTests {
    let capture = #"[[capture]]\#nname = "t"\#nurl = "ws://127.0.0.1:1/ws/btcusdt@bookTicker"\#nconnections = 1"#

    @Test func retentionIsOffByDefaultAndReadsAgeAndSize() throws {
        #expect(try makeConfig(dataDir: "/tmp", captures: capture).storage.retention == RetentionPolicy())
        let config = try makeConfig(dataDir: "/tmp", storage: "retain_age = \"30d\"\nretain_size = \"500GiB\"", captures: capture)
        #expect(config.storage.retainAge == .seconds(30 * 86_400))
        #expect(config.storage.retainSize == 500 << 30)
        let never = try makeConfig(dataDir: "/tmp", storage: "retain_age = \"never\"\nretain_size = \"never\"", captures: capture)
        #expect(!never.storage.retention.isEnabled)
    }

    @Test func retentionValuesOutOfRangeAreErrorsNamingTheKey() {
        for (text, key) in [("retain_age = \"10s\"", "retain_age"), ("retain_size = \"1KiB\"", "retain_size"), ("retain_size = true", "retain_size")] {
            do {
                _ = try makeConfig(dataDir: "/tmp", storage: text, captures: capture)
                Issue.record("\(text) was accepted")
            } catch {
                #expect("\(error)".contains(key), "\(error)")
            }
        }
    }
}
