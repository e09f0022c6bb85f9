import NIOCore

/// The per-link silence watchdog, which also picks up rotation requests from the merger.
extension WebSocketSession {
    // MARK: Staleness

    func scheduleStaleCheck() {
        let period = max(config.staleAfter.nanoseconds / 4, 10_000_000)
        staleCheck = eventLoop.scheduleTask(in: .nanoseconds(period)) { [self] in checkStale() }
    }

    func checkStale() {
        guard state == .open, let channel else { return }
        if let reason = statistics.replacementRequest.withLock({ request in defer { request = nil }; return request }) {
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
            if let ctx = frameHandlerContext, let handler = try? channel.pipeline.syncOperations.handler(type: FrameHandler.self) {
                handler.initiateClose(context: ctx, code: 1000)
            }
            channel.close(promise: nil)
            return
        }
        scheduleStaleCheck()
    }
}
