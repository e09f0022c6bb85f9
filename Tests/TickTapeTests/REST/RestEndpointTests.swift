import Testing

@testable import TickTape

@Suite("REST base URL: verified https, http only on loopback")
struct RestEndpointTests {
    @Test("https hosts and ports")
    func https() throws {
        let endpoint = try RestEndpoint.parse("https://fapi.binance.com")
        #expect(endpoint.useTLS && endpoint.host == "fapi.binance.com" && endpoint.port == 443)
        #expect(endpoint.hostHeader == "fapi.binance.com")
        let custom = try RestEndpoint.parse("https://127.0.0.1:8443/")
        #expect(custom.port == 8443 && custom.hostHeader == "127.0.0.1:8443" && custom.isIPLiteral)
        #expect(try RestEndpoint.parse("http://[::1]:9443").host == "::1")
    }

    @Test("plain http to a non-loopback host, paths and other schemes are refused with a reason")
    func refusals() {
        #expect(throws: ConfigValueError.self) { try RestEndpoint.parse("http://fapi.binance.com") }
        #expect(throws: ConfigValueError.self) { try RestEndpoint.parse("http://10.0.0.1:80") }
        #expect(throws: ConfigValueError.self) { try RestEndpoint.parse("https://fapi.binance.com/fapi/v1") }
        #expect(throws: ConfigValueError.self) { try RestEndpoint.parse("ws://127.0.0.1") }
        #expect(throws: ConfigValueError.self) { try RestEndpoint.parse("https://host:99999") }
        do {
            _ = try RestEndpoint.parse("http://example.com")
        } catch {
            #expect(error.message.contains("only allowed for a loopback host"))
        }
    }
}
