import Testing
import TickTapeSimulator

@testable import ticktape

@Suite("ticktape simulate: book fault kinds")
struct SimulateBookFlagsTests {
    @Test("skip, break-chain and the REST faults parse to their actions")
    func faults() throws {
        #expect(try Simulate.parseFault("1:5s:skip=3").action == .live(.skip(count: 3)))
        let all = try Simulate.parseFault("all:10s:break-chain")
        #expect(all.action == .breakChain(symbol: nil) && all.connection == nil && all.at == .seconds(10))
        #expect(try Simulate.parseFault("all:10s:break-chain=ethusdt").action == .breakChain(symbol: "ethusdt"))
        #expect(try Simulate.parseFault("all:1s:rest-delay=2s").action == .rest(.delay(.seconds(2))))
        #expect(try Simulate.parseFault("all:1s:rest-status=503").action == .rest(.status(code: 503, retryAfter: nil)))
        #expect(try Simulate.parseFault("all:1s:rest-malformed").action == .rest(.malformedBody))
        #expect(throws: (any Error).self) { try Simulate.parseFault("all:1s:rest-status=200") }
        #expect(throws: (any Error).self) { try Simulate.parseFault("0:1s:skip") }
    }
}
