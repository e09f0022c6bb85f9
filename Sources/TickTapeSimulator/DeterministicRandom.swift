/// Counter-based pseudo-random numbers: every value is a pure function of its inputs.
///
/// The simulator never keeps a random-number state per connection. A message's drop decision, delay, update-id
/// jump or price is derived from `(seed, stream of randomness, index)` so it is the same however often or in
/// whichever order connections ask, and across reconnects.
enum DeterministicRandom {
    /// SplitMix64 finalizer: a well-mixed 64-bit hash of `value`.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A 64-bit value for `(seed, lane, index)`; lanes separate independent uses of the same index.
    @inline(__always)
    static func value(seed: UInt64, lane: UInt64, index: UInt64) -> UInt64 {
        mix(mix(seed ^ (lane &* 0xD6E8_FEB8_6659_FD93)) ^ index)
    }

    /// A double in `[0, 1)` for `(seed, lane, index)`.
    @inline(__always)
    static func unit(seed: UInt64, lane: UInt64, index: UInt64) -> Double {
        Double(value(seed: seed, lane: lane, index: index) >> 11) * 0x1.0p-53
    }
}
