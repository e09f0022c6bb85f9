/// Errors the simulator reports while being configured or started.
package enum SimulatorError: Error, Sendable, Equatable {
    /// The recording file could not be read.
    case recordingUnreadable(path: String, reason: String)
    /// A recording line is not `<local_recv_ns> <frame>`; `line` is 1-based.
    case malformedRecordingLine(path: String, line: Int)
    /// The recording holds no stream message at all.
    case emptyRecording(path: String)
    /// The synthetic source has no symbols or a rate that is not a positive finite number.
    case invalidSyntheticSource
    /// ``ExchangeSimulator/start()`` was called on a simulator that is running or was stopped.
    case alreadyStarted
    /// The listener was bound but reports no local port.
    case noBoundPort
    /// The `openssl` command that ``TestCertificateAuthority`` runs failed.
    case certificateGenerationFailed(command: String, status: Int32)
    /// ``ExchangeSimulator/writeSendLog(to:)`` on a simulator not configured with
    /// ``SimulatorConfiguration/recordsFirstSendTimes``.
    case sendLogNotRecorded
}
