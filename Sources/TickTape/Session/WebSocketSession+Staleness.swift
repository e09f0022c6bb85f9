import NIOCore

/// The per-link silence watchdog, which also picks up rotation requests from the merger.
extension WebSocketSession {
    // MARK: Staleness

    func scheduleStaleCheck() {
        let period = max(config.staleAfter.nanoseconds / 4, 10_000_000)
        staleCheck = eventLoop.scheduleTask(in: .nanoseconds(period)) { [self] in checkStale() }
    }

    func checkStale() {
        guard machine.isOpen, let channel = machine.current else { return }
        if let reason = control.takeReplacementRequest() {
            beginRotation(reason: reason, urgent: true)
        }
        let now = WallClock.monotonicNanos()
        let frames = statistics.framesReceived.load(ordering: .relaxed)
        if frames != framesAtLastCheck {
            framesAtLastCheck = frames
            lastProgressAt = now
        } else if now - lastProgressAt >= config.staleAfter.nanoseconds {
            statistics.staleEvents.bump()
            lastCloseReason = "no data for \(HumanDuration.formatForLog(config.staleAfter)) (stale)"
            logger.warning("connection is silent; closing it to reconnect", metadata: ["stale_after": "\(HumanDuration.formatForLog(config.staleAfter))"])
            Self.close(channel)
            return
        }
        scheduleStaleCheck()
    }
}
