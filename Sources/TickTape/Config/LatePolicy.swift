/// What the merger does with a late copy: a message the faster connections skipped, arriving
/// after a later id of its stream was already merged.
package enum LatePolicy: String, Sendable, Equatable, CaseIterable {
    /// Put it in its id-ordered place while that place is still in memory (within `hole_wait`
    /// plus the flush interval of its neighbours); drop it, counted, otherwise. The capture stays
    /// strictly increasing per stream and holds every copy that came within the bound (default).
    case place
    /// Drop every late copy, counted: the capture holds first arrivals only.
    case drop
    /// Place it when possible, else write it out of order, marked late in the manifest: nothing
    /// received is lost, at the cost of order.
    case emit
}
