import NIOCore

/// Make-before-break rotation: a replacement opened beside the current link, promoted by its
/// first market-data frame, the old link retired after an overlap.
extension WebSocketSession {
    // MARK: Rotation (make-before-break)

    func scheduleAgeRotation() {
        rotationTimer?.cancel()
        let age = config.maxConnectionAge.nanoseconds
        let jitter = max(0, config.maxConnectionAgeJitter.nanoseconds)
        let due = max(age - Int64.random(in: 0...jitter), 1_000_000)
        rotationTimer = eventLoop.scheduleTask(in: .nanoseconds(due)) { [self] in
            beginRotation(reason: "connection age \(HumanDuration.formatForLog(.nanoseconds(due)))", urgent: false)
        }
    }

    /// Opens a replacement link; the current one keeps delivering until the replacement's first
    /// frame arrives. One connection per capture rotates at a time (``RotationGate``), and the
    /// replacement's attempt is drawn from the shared budget like any other.
    func beginRotation(reason: String, urgent: Bool) {
        guard state == .open, channel != nil, replacement == nil else { return }
        let retryIn: Duration
        if !rotationGate.tryAcquire(index) {
            retryIn = urgent ? .milliseconds(Int64.random(in: 50...250)) : .milliseconds(Int64.random(in: 1000...3000))
        } else if let wait = budget.acquire() {
            rotationGate.release(index)
            retryIn = wait + Self.spread(wait)
        } else {
            rotationReason = reason
            replacementReady = false
            logger.info("rotating connection (make-before-break)", metadata: ["reason": "\(reason)"])
            openLink(.replacement)
            testObserver?(.rotationStarted)
            let limit = config.connectTimeout + config.staleAfter
            rotationDeadline = eventLoop.scheduleTask(in: .nanoseconds(limit.nanoseconds)) { [self] in
                rotationFailed(replacement, reason: "the replacement delivered nothing within \(HumanDuration.formatForLog(limit))", refusal: nil)
            }
            return
        }
        rotationTimer?.cancel()
        rotationTimer = eventLoop.scheduleTask(in: .nanoseconds(retryIn.nanoseconds)) { [self] in
            beginRotation(reason: reason, urgent: urgent)
        }
    }

    func replacementOpened(_ link: (any Channel)?) {
        // The upgrade's completion runs after the reads that came with the 101 response: when
        // the stream needs no SUBSCRIBE, its first frame may already have promoted this link.
        if let link, link === channel, state == .open { return }
        guard let link, link === replacement, state == .open else {
            link?.close(promise: nil)
            return
        }
        replacementReady = true
        if !config.subscribe.isEmpty { sendSubscribe(link) }
        testObserver?(.replacementReady)
    }

    /// Makes `next` the session's link; the old one (if still open) feeds the ring for
    /// ``rotationOverlap`` more, then closes with 1000.
    func promote(_ next: any Channel, closingOld old: (any Channel)?) {
        rotationDeadline?.cancel()
        rotationDeadline = nil
        channel = next
        replacement = nil
        replacementReady = false
        frameHandlerContext = try? next.pipeline.syncOperations.context(handlerType: FrameHandler.self)
        openedAt = WallClock.monotonicNanos()
        lastProgressAt = openedAt
        // Not a new connection for the merger's outage accounting: the old link delivered until now.
        statistics.rotations.bump()
        rotationGate.release(index)
        logger.info("rotated connection", metadata: ["reason": "\(rotationReason)"])
        let nextHandler = NIOLoopBound(try? next.pipeline.syncOperations.handler(type: FrameHandler.self), eventLoop: eventLoop)
        if let old {
            retiring = old
            old.closeFuture.hop(to: eventLoop).whenComplete { [self] _ in
                if retiring === old { retiring = nil }
                nextHandler.value?.releaseHeld()
            }
            eventLoop.scheduleTask(in: Self.rotationOverlap) {
                let sync = old.pipeline.syncOperations
                if let context = try? sync.context(handlerType: FrameHandler.self),
                    let handler = try? sync.handler(type: FrameHandler.self)
                {
                    handler.initiateClose(context: context, code: 1000)
                }
            }
            eventLoop.scheduleTask(in: Self.rotationOverlap + .milliseconds(500)) { old.close(promise: nil) }
        } else {
            nextHandler.value?.releaseHeld()
        }
        scheduleAgeRotation()
        testObserver?(.promoted)
    }

    func rotationFailed(_ link: (any Channel)?, reason: String, refusal: UpgradeRefusal?) {
        guard state == .open, link == nil || link === replacement else {
            link?.close(promise: nil)
            return
        }
        abandonRotation()
        var retryIn = Duration.milliseconds(Int64.random(in: 500...2000))
        if let refusal, let wait = backOffDemanded(by: refusal) { retryIn = wait + Self.spread(wait) }
        logger.warning(
            "rotation failed; keeping the current connection",
            metadata: ["error": "\(reason)", "retry_in": "\(HumanDuration.formatForLog(retryIn))"])
        let rotateReason = rotationReason
        rotationTimer = eventLoop.scheduleTask(in: .nanoseconds(retryIn.nanoseconds)) { [self] in
            beginRotation(reason: rotateReason, urgent: true)
        }
    }

    /// Ends any rotation in progress and closes its replacement. Closing here, not in each
    /// caller, is what keeps an upgraded replacement from outliving its rotation: once the
    /// deadline is cancelled nothing else would ever close it, and its frame handler would hold
    /// frames for good.
    func abandonRotation() {
        rotationTimer?.cancel()
        rotationTimer = nil
        rotationDeadline?.cancel()
        rotationDeadline = nil
        let abandoned = replacement
        replacement = nil
        replacementReady = false
        rotationGate.release(index)
        if let abandoned { Self.close(abandoned) }
    }

    /// Closes a link now, sending a close frame first when it has a frame handler.
    static func close(_ link: any Channel) {
        let sync = link.pipeline.syncOperations
        if let context = try? sync.context(handlerType: FrameHandler.self),
            let handler = try? sync.handler(type: FrameHandler.self)
        {
            handler.initiateClose(context: context, code: 1000)
        }
        link.close(promise: nil)
    }
}
