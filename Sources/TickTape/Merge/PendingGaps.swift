/// A stream's ledger gaps (`sequence` and `disconnect`) not yet written, kept while a late copy
/// could still be placed inside them.
///
/// Why they wait: a gap is declared when the merger has to move on (a hole's wait expired, the
/// first connection back after an outage delivered), but a slower connection may still deliver
/// messages from inside it. With `late_policy = "place"` those are put in their place as long
/// as the lines around them are in memory, and a ledger written at once would call them lost
/// while the file holds them. So each gap is cut around every message placed inside it, and a
/// piece is written once no copy can be placed into it any more: once the lines after it are
/// handed to the writer (``StreamSequencer/writtenThrough`` reached its end), or at stop.
struct PendingGaps {
    /// One still-missing run of ids.
    struct Piece: Equatable {
        var ids: ClosedRange<Int64>
        var cause: String
        var connectionsUp: Int
        /// `disconnect` gaps: the receive stamps of the lines around the run.
        var afterReceivedAt: Int64?
        var beforeReceivedAt: Int64?
    }

    private(set) var pieces: [Piece] = []

    var isEmpty: Bool { pieces.isEmpty }

    mutating func add(_ piece: Piece) {
        pieces.append(piece)
    }

    /// A message covering `ids` (a trade's id; a depth diff's update ids), received at
    /// `receivedAt`, is in the capture after all: cut it out of every piece.
    mutating func fill(_ ids: ClosedRange<Int64>, receivedAt: Int64) {
        guard pieces.contains(where: { $0.ids.overlaps(ids) }) else { return }
        var cut: [Piece] = []
        for piece in pieces {
            guard piece.ids.overlaps(ids) else {
                cut.append(piece)
                continue
            }
            if piece.ids.lowerBound < ids.lowerBound {
                var below = piece
                below.ids = piece.ids.lowerBound...(ids.lowerBound - 1)
                if below.beforeReceivedAt != nil { below.beforeReceivedAt = receivedAt }
                cut.append(below)
            }
            if piece.ids.upperBound > ids.upperBound {
                var above = piece
                above.ids = (ids.upperBound + 1)...piece.ids.upperBound
                if above.afterReceivedAt != nil { above.afterReceivedAt = receivedAt }
                cut.append(above)
            }
        }
        pieces = cut
    }

    /// Removes and returns the pieces no placed copy can reach any more: those ending at or
    /// below `writtenThrough` (every piece with `all`).
    mutating func takeSettled(writtenThrough: Int64, all: Bool = false) -> [Piece] {
        var settled: [Piece] = []
        pieces.removeAll { piece in
            guard all || piece.ids.upperBound <= writtenThrough else { return false }
            settled.append(piece)
            return true
        }
        return settled
    }
}
