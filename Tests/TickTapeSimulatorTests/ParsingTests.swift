import BinanceWire
import Testing

@testable import TickTapeSimulator

@Suite("Route and control-message parsing")
struct ParsingTests {
    @Test("URL forms map to raw/combined and their stream lists")
    func routes() {
        #expect(StreamRequestPath(uri: "/ws/btcusdt@bookTicker")?.combined == false)
        #expect(StreamRequestPath(uri: "/ws/btcusdt@bookTicker")?.streams == ["btcusdt@bookTicker"])
        #expect(StreamRequestPath(uri: "/public/ws/a@depth/b@depth")?.streams == ["a@depth", "b@depth"])
        #expect(StreamRequestPath(uri: "/market/stream?streams=a@aggTrade/b@markPrice")?.combined == true)
        #expect(
            StreamRequestPath(uri: "/market/stream?streams=a@aggTrade/b@markPrice")?.streams == ["a@aggTrade", "b@markPrice"]
        )
        #expect(StreamRequestPath(uri: "/stream")?.streams == [])
        #expect(StreamRequestPath(uri: "/ws")?.combined == false)
        #expect(StreamRequestPath(uri: "/private/ws/x") == nil)
        #expect(StreamRequestPath(uri: "/") == nil)
        #expect(StreamRequestPath(uri: "/wsx/btcusdt@trade") == nil)
    }

    @Test("connection index comes from `conn/<k>` in the User-Agent")
    func connectionIndex() {
        #expect(BinanceWebSocketUpgrader.connectionIndex(userAgent: "ticktape/1.2.0 conn/3") == 3)
        #expect(BinanceWebSocketUpgrader.connectionIndex(userAgent: "ticktape/1.2.0 conn/12 linux") == 12)
        #expect(BinanceWebSocketUpgrader.connectionIndex(userAgent: "curl/8") == nil)
        #expect(BinanceWebSocketUpgrader.connectionIndex(userAgent: nil) == nil)
    }

    @Test("request ids are echoed verbatim: integers, strings and null")
    func requestIDs() {
        #expect(
            ControlMessage(text: #"{"method":"LIST_SUBSCRIPTIONS","id":57410069201}"#)
                == .listSubscriptions(id: .number("57410069201"))
        )
        #expect(
            ControlMessage(text: #"{"method":"LIST_SUBSCRIPTIONS","id":"abc"}"#) == .listSubscriptions(id: .string("abc"))
        )
        #expect(ControlMessage(text: #"{"method":"LIST_SUBSCRIPTIONS"}"#) == .listSubscriptions(id: .null))
        #expect(ControlMessage.listResult(["a\"b"], id: .string("x")) == #"{"result":["a\"b"],"id":"x"}"#)
    }

    @Test("SET_PROPERTY needs a Boolean, like Binance")
    func setProperty() {
        #expect(
            ControlMessage(text: #"{"method":"SET_PROPERTY","params":["combined",false],"id":1}"#)
                == .setCombined(false, id: .number("1"))
        )
        #expect(
            ControlMessage(text: #"{"method":"SET_PROPERTY","params":["combined",1],"id":1}"#)
                == .invalid(code: 1, message: "Invalid value type: expected Boolean", id: .number("1"))
        )
    }

    @Test("synthetic payloads have the exact USD-M bookTicker shape")
    func syntheticShape() throws {
        let schedule = try MessageSchedule(source: .synthetic(SyntheticBookTicker(rate: 1_000)), seed: 7)
        let text = schedule.text(0, combined: false, wallClockBaseNanos: 1_723_161_256_299_000_000)
        let pattern = try Regex(
            #"\{"e":"bookTicker","u":\d+,"s":"BTCUSDT","b":"\d+\.\d{2}","B":"\d+\.\d{3}","#
                + #""a":"\d+\.\d{2}","A":"\d+\.\d{3}","T":1723161256299,"E":1723161256299\}"#
        )
        #expect(text.wholeMatch(of: pattern) != nil, "\(text)")
        let again = try MessageSchedule(source: .synthetic(SyntheticBookTicker(rate: 1_000)), seed: 7)
        #expect(
            schedule.text(5, combined: true, wallClockBaseNanos: 0) == again.text(5, combined: true, wallClockBaseNanos: 0),
            "payloads depend only on index, seed and time"
        )
    }
}
