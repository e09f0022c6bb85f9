/// What one capture's directory holds on disk, as its sealer last listed it (the status API
/// and page show it; listing happens on the sealer's low-priority thread, never per request).
package struct CaptureDiskFigures: Sendable, Equatable {
    /// Every file of the capture: segments (open, closed, sealed), manifests, temporaries.
    package var bytes: Int64 = 0
    /// Sealed segments (data file with its manifest).
    package var sealedSegments = 0
    /// Sealed segments whose data ends on the UTC day of ``listedAt``.
    package var sealedToday = 0
    /// When the directory was listed, ns since the epoch (0: not yet).
    package var listedAt: Int64 = 0

    package init() {}

    init(sealed: [RetentionPolicy.Segment], totalBytes: Int64, at now: Int64) {
        let nanosPerDay: Int64 = 86_400 * 1_000_000_000
        let today = now / nanosPerDay
        bytes = totalBytes
        sealedSegments = sealed.count
        sealedToday = sealed.filter { $0.endedAt / nanosPerDay == today }.count
        listedAt = now
    }
}
