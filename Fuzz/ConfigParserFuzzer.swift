// libFuzzer target for the configuration reader (built by scripts/fuzz.sh, not by SwiftPM).
//
// `ticktape check-config` and the daemon read operator-written TOML; a typo must become a
// precise error, never a crash or a hang. Each input is parsed as a whole file; a file that is
// accepted must describe itself, and an error must name its file.

@_cdecl("LLVMFuzzerTestOneInput")
public func configParserFuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data.map(UnsafeRawPointer.init), count: data == nil ? 0 : size)
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let config = try TickTapeConfig.parse(text, file: "fuzz.toml")
        if config.describe().isEmpty { fatalError("an accepted configuration must describe itself") }
    } catch {
        if !"\(error)".contains("fuzz.toml") { fatalError("error without its file name: \(error)") }
    }
    return 0
}
