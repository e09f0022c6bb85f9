// libFuzzer target for the merger's frame scanner (built by scripts/fuzz.sh, not by SwiftPM).
//
// The scanner reads untrusted exchange bytes through raw pointers on the hot path, so it must
// never trap or read out of bounds, whatever arrives. Besides "no crash" (AddressSanitizer
// watches every read), each run checks what the merger relies on: every range the scanner
// reports lies inside the frame, and the UTF-8 check agrees exactly with the standard library's
// validating decoder (a differential test of the fast path).

@_cdecl("LLVMFuzzerTestOneInput")
public func frameScannerFuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data.map(UnsafeRawPointer.init), count: data == nil ? 0 : size)
    let frame = FrameScanner.scan(bytes)
    for range in [frame.stream, frame.eventType, frame.symbol] {
        if let range, range.lowerBound < 0 || range.upperBound > bytes.count { fatalError("range \(range) outside \(bytes.count) bytes") }
    }
    if frame.kind == .data {
        let rule = SequenceRule.classify(frame, in: bytes)
        if rule != .content, rule.sequenceID(of: frame) == nil { fatalError("rule \(rule) without its id") }
    }
    let fast = UTF8Validation.isValid(bytes)
    let reference = String(validating: bytes, as: UTF8.self) != nil
    if fast != reference { fatalError("UTF-8 validation disagrees with the standard library: \(fast) vs \(reference)") }
    return 0
}
