/// The streams one connection is subscribed to.
///
/// Keeps the names in subscription order for `LIST_SUBSCRIPTIONS`, and a flag per schedule stream so the
/// pump's per-message check is one array load. Names the schedule does not know (typos, uppercase symbols,
/// streams of another category) are kept and listed, but match nothing, exactly like Binance's silent ACK.
struct SubscriptionSet {
    private(set) var names: [String] = []
    private(set) var flags: [Bool]
    private let streamIDs: [String: Int]

    init(streamNames: [String]) {
        self.flags = Array(repeating: false, count: streamNames.count)
        var ids: [String: Int] = [:]
        for (id, name) in streamNames.enumerated() { ids[name] = id }
        self.streamIDs = ids
    }

    /// Adds names not yet subscribed.
    mutating func subscribe(_ newNames: [String]) {
        for name in newNames where !self.names.contains(name) {
            self.names.append(name)
            if let id = self.streamIDs[name] { self.flags[id] = true }
        }
    }

    /// Stops serving a name without unsubscribing it (the lost-subscription fault).
    mutating func mute(_ name: String) {
        if let id = self.streamIDs[name] { self.flags[id] = false }
    }

    /// Removes names; unknown or never-subscribed names are ignored.
    mutating func unsubscribe(_ oldNames: [String]) {
        for name in oldNames {
            self.names.removeAll { $0 == name }
            if let id = self.streamIDs[name] { self.flags[id] = false }
        }
    }
}
