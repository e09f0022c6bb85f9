import Synchronization

/// Indices of the data messages written to one connection index, across all its TCP sessions.
///
/// The pump appends a whole batch under one lock acquisition, after the batch has been handed to the
/// channel; tests read it to compare with what the client actually received.
final class SentMessageLog: Sendable {
    private let indices = Mutex<[Int]>([])

    func append(contentsOf batch: [Int]) {
        self.indices.withLock { $0.append(contentsOf: batch) }
    }

    var snapshot: [Int] {
        self.indices.withLock { $0 }
    }
}
