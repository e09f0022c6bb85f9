import Testing

@testable import TickTape

/// The replay's pure parts: the session state machine, the deadline clock, and the parsing of
/// times, speeds, requests and control messages.
struct ReplaySessionTests {
    @Test func sessionStatesFollowIdlePlayingPausedFinished() {
        var s = ReplaySessionState.idle(paused: false)
        #expect(s.resume() == .none)
        #expect(s.streamsChosen() == .pump)
        #expect(s == .playing)
        #expect(s.pause() == .halt)
        #expect(s == .paused)
        #expect(s.pause() == .none)
        #expect(s.seek() == .none, "a paused seek repositions and stays paused")
        #expect(s.resume() == .pump)
        #expect(s.reachedEnd() == .halt)
        #expect(s == .finished)
        #expect(s.pause() == .reject("the replay is finished; REPLAY.SEEK to play again"))
        #expect(s.seek() == .pump)
        #expect(s == .playing)
        var early = ReplaySessionState.idle(paused: false)
        #expect(early.pause() == .none)
        #expect(early.streamsChosen() == .none, "paused before the first SUBSCRIBE: starts paused")
        #expect(early == .paused)
    }

    @Test func clockReleasesByAbsoluteDeadlinesAndReanchorsWithoutAJump() {
        var clock = ReplayClock(speed: .factor(1), stamp: 1_000, wall: 50_000)
        #expect(clock.deadline(of: 1_000) == 50_000)
        #expect(clock.deadline(of: 3_000_000_000) == 50_000 + 2_999_999_000, "no accumulated error an hour in")
        clock.change(speed: .factor(10), wall: 1_050_000, next: nil)
        #expect(clock.recordedTime(at: 1_050_000) == 1_001_000)
        #expect(clock.deadline(of: 1_011_000) == 1_051_000)
        clock.change(speed: .max, wall: 2_000_000, next: nil)
        #expect(clock.deadline(of: 9_999_999) == 2_000_000)
        clock.change(speed: .factor(1), wall: 3_000_000, next: 42_000_000)
        #expect(clock.deadline(of: 42_000_000) == 3_000_000, "after max, 1x continues from the next line")
    }

    @Test func instantsSpeedsAndRequestsParse() throws {
        #expect(ReplayInstant.nanos("1723161270000") == 1_723_161_270_000_000_000)
        #expect(ReplayInstant.nanos("1723161270000123456") == 1_723_161_270_000_123_456)
        #expect(ReplayInstant.nanos("2024-08-08T23:54:30Z") == 1_723_161_270_000_000_000)
        #expect(ReplayInstant.nanos("2024-08-08T23:54:30.250123456Z") == 1_723_161_270_250_123_456)
        #expect(ReplayInstant.nanos("2024-08-08T23:54:30.25+00:00") == 1_723_161_270_250_000_000)
        #expect(ReplayInstant.nanos("yesterday") == nil)
        #expect(ReplayInstant.iso(1_723_161_270_250_123_456) == "2024-08-08T23:54:30.250123456Z")
        #expect(ReplaySpeed("max") == .max)
        #expect(ReplaySpeed("0.5") == .factor(0.5))
        #expect(ReplaySpeed("0") == nil)
        #expect(ReplaySpeed("-1") == nil)
        #expect(ReplaySpeed("inf") == nil)
        let request = try #require(ReplayRequest.parse(uri: "/public/stream?streams=a@trade/b@trade&speed=10&from=1723161270000&gaps=true"))
        let parsed = try request.get()
        #expect(parsed.path.streams == ["a@trade", "b@trade"])
        #expect(parsed.path.combined)
        #expect(parsed.speed == .factor(10))
        #expect(parsed.from == 1_723_161_270_000_000_000)
        #expect(parsed.gaps && !parsed.snapshots && !parsed.keepOpen)
        #expect(ReplayRequest.parse(uri: "/nope") == nil)
        guard case .failure(let refusal)? = ReplayRequest.parse(uri: "/ws/a@trade?from=2&to=1") else {
            Issue.record("a reversed range is refused")
            return
        }
        #expect(refusal.reason.contains("is before"))
    }

    @Test func replayControlMessagesParseAndLeaveBinancesToControlMessage() {
        #expect(ReplayControl(text: #"{"method":"REPLAY.PAUSE","id":1}"#) == .pause(id: .number("1")))
        #expect(ReplayControl(text: #"{"method":"REPLAY.SPEED","params":[10],"id":"x"}"#) == .speed(.factor(10), id: .string("x")))
        #expect(ReplayControl(text: #"{"method":"REPLAY.SPEED","params":["max"],"id":2}"#) == .speed(.max, id: .number("2")))
        #expect(
            ReplayControl(text: #"{"method":"REPLAY.SEEK","params":["2024-08-08T23:54:30Z"],"id":3}"#)
                == .seek(1_723_161_270_000_000_000, id: .number("3")))
        if case .invalid(let code, _, _)? = ReplayControl(text: #"{"method":"REPLAY.SEEK","params":[],"id":4}"#) {
            #expect(code == 2)
        } else {
            Issue.record("a seek without a time is invalid")
        }
        #expect(ReplayControl(text: #"{"method":"SUBSCRIBE","params":["a@trade"],"id":1}"#) == nil)
    }
}
