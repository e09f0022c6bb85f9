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
        guard case .open = machine.state else { return }
        let retryIn: Duration
        if !rotationGate.tryAcquire(index) {
            retryIn = urgent ? .milliseconds(Int64.random(in: 50...250)) : .milliseconds(Int64.random(in: 1000...3000))
        } else if let wait = budget.acquire() {
            rotationGate.release(index)
            retryIn = wait + Self.spread(wait)
        } else {
            _ = machine.beginRotation()
            rotationReason = reason
            logger.info("rotating connection (make-before-break)", metadata: ["reason": "\(reason)"])
            openLink(.replacement)
            testObserver?(.rotationStarted)
            let limit = config.connectTimeout + config.staleAfter
            rotationDeadline = eventLoop.scheduleTask(in: .nanoseconds(limit.nanoseconds)) { [self] in
                rotationFailed(
                    machine.replacement, reason: "the replacement delivered nothing within \(HumanDuration.formatForLog(limit))",
                    refusal: nil)
            }
            return
        }
        rotationTimer?.cancel()
        rotationTimer = eventLoop.scheduleTask(in: .nanoseconds(retryIn.nanoseconds)) { [self] in
            beginRotation(reason: reason, urgent: urgent)
        }
    }

    func replacementOpened(_ link: (any Channel)?) {
        guard let link else { return }
        // The upgrade's completion runs after the reads that came with the 101 response: when
        // the stream needs no SUBSCRIBE, its first frame may already have promoted this link.
        switch machine.replacementUpgraded(link) {
        case .alreadyPromoted:
            return
        case .close:
            link.close(promise: nil)
        case .ready(let link):
            if !config.subscribe.isEmpty { sendSubscribe(link) }
            testObserver?(.replacementReady)
        }
    }

    /// Makes `next` the session's link (the machine already has); the old one (if still open)
    /// feeds the ring for ``rotationOverlap`` more, then closes with 1000.
    func promote(_ next: any Channel, closingOld old: (any Channel)?) {
        rotationDeadline?.cancel()
        rotationDeadline = nil
        openedAt = WallClock.monotonicNanos()
        lastProgressAt = openedAt
        // Not a new connection for the merger's outage accounting: the old link delivered until now.
        statistics.rotations.bump()
        rotationGate.release(index)
        logger.info("rotated connection", metadata: ["reason": "\(rotationReason)"])
        let nextHandler = NIOLoopBound(Self.frameHandler(of: next)?.handler, eventLoop: eventLoop)
        if let old {
            old.closeFuture.hop(to: eventLoop).whenComplete { _ in nextHandler.value?.releaseHeld() }
            eventLoop.scheduleTask(in: Self.rotationOverlap) {
                if let (handler, context) = Self.frameHandler(of: old) { handler.initiateClose(context: context, code: 1000) }
            }
            eventLoop.scheduleTask(in: Self.rotationOverlap + .milliseconds(500)) { old.close(promise: nil) }
        } else {
            nextHandler.value?.releaseHeld()
        }
        scheduleAgeRotation()
        testObserver?(.promoted)
    }

    /// The rotation's replacement `link` failed (nil: whichever it is); the session keeps its
    /// link and tries again later. `alreadyOver`: the machine already ended the rotation (the
    /// replacement closed).
    func rotationFailed(_ link: (any Channel)?, reason: String, refusal: UpgradeRefusal?, alreadyOver: Bool = false) {
        if !alreadyOver {
            let (kept, close) = machine.rotationFailed(link)
            if let close { Self.close(close) }
            guard kept != nil else { return }
        }
        endRotation(closing: nil)
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

    /// Cancels the rotation's timers and gives back the gate, closing `replacement` if the
    /// rotation had one. Closing here, not in each caller, is what keeps an upgraded
    /// replacement from outliving its rotation: once the deadline is cancelled nothing else
    /// would ever close it, and its frame handler would hold frames for good.
    func endRotation(closing replacement: (any Channel)?) {
        rotationTimer?.cancel()
        rotationTimer = nil
        rotationDeadline?.cancel()
        rotationDeadline = nil
        rotationGate.release(index)
        if let replacement { Self.close(replacement) }
    }

    /// Closes a link now, sending a close frame first when it has a frame handler.
    static func close(_ link: any Channel) {
        if let (handler, context) = frameHandler(of: link) { handler.initiateClose(context: context, code: 1000) }
        link.close(promise: nil)
    }
}
