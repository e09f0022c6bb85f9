/// The `[storage]` table: how capture files are written, synced and rotated.
package struct StorageConfig: Sendable, Equatable {
    /// `flush_interval`: how often buffered lines are written out (default `"100ms"`,
    /// 1ms to 10s); also the most a crash of the daemon can lose.
    package var flushInterval: Duration
    /// `fsync`: when written data is forced to disk (default `"1s"`).
    package var fsync: FsyncPolicy
    /// `rotate_size`: start a new file once the current one reaches this many bytes
    /// (default `"256MiB"`, at least 1KiB).
    package var rotateSize: Int64
    /// `rotate_interval`: also start a new file at each multiple of this interval (default
    /// `"1h"`); nil (`"never"`) rotates on size only.
    package var rotateInterval: Duration?
    /// `buffer_size`: bytes collected before a write (default `"1MiB"`, 4KiB to 64MiB).
    package var bufferSize: Int
    /// `max_buffered`: memory that may be held while the disk is slow before frames are
    /// dropped, and recorded as a gap (default `"256MiB"`, at least `buffer_size`).
    package var maxBuffered: Int64
    /// `retain_age`: delete sealed segments that ended longer ago than this (default
    /// `"never"`, else 1m to 100 years).
    package var retainAge: Duration?
    /// `retain_size`: delete the oldest sealed segments while a capture's files exceed this
    /// (default `"never"`, else at least 1MiB).
    package var retainSize: Int64?

    /// The retention settings as the sealer applies them.
    package var retention: RetentionPolicy { RetentionPolicy(maximumAge: retainAge, maximumBytes: retainSize) }

    /// Builds storage settings in code; every default is that of the file format.
    package init(
        flushInterval: Duration = .milliseconds(100),
        fsync: FsyncPolicy = .interval(.seconds(1)),
        rotateSize: Int64 = 256 << 20,
        rotateInterval: Duration? = .seconds(3600),
        bufferSize: Int = 1 << 20,
        maxBuffered: Int64 = 256 << 20,
        retainAge: Duration? = nil,
        retainSize: Int64? = nil
    ) {
        self.flushInterval = flushInterval
        self.fsync = fsync
        self.rotateSize = rotateSize
        self.rotateInterval = rotateInterval
        self.bufferSize = bufferSize
        self.maxBuffered = maxBuffered
        self.retainAge = retainAge
        self.retainSize = retainSize
    }

    static let keys = [
        "flush_interval", "fsync", "rotate_size", "rotate_interval", "buffer_size", "max_buffered", "retain_age",
        "retain_size",
    ]
    static let flushIntervalRange = Duration.milliseconds(1)...Duration.seconds(10)
    static let fsyncIntervalRange = Duration.milliseconds(1)...Duration.seconds(3600)
    static let fsyncExpectation = "\"always\", \"never\" or a duration from 1ms to 1h like \"1s\""
    static let rotateSizeRange: ClosedRange<Int64> = 1024...(1 << 50)
    static let rotateIntervalRange = Duration.seconds(1)...Duration.seconds(30 * 86_400)
    static let bufferSizeRange: ClosedRange<Int64> = 4096...(64 << 20)
    static let maxBufferedRange: ClosedRange<Int64> = 4096...(1 << 50)
    static let retainAgeRange = Duration.seconds(60)...Duration.seconds(100 * 365 * 86_400)
    static let retainSizeRange: ClosedRange<Int64> = (1 << 20)...(1 << 60)

    /// Reads `[storage]`; absent keys keep their defaults.
    init(reading reader: ConfigTableReader) throws(ConfigError) {
        self.init()
        try reader.checkKeys(Self.keys, misplaced: TickTapeConfig.keys)
        if case .some(.some(let interval)) = try reader.duration(
            "flush_interval", in: Self.flushIntervalRange, example: .milliseconds(100))
        {
            flushInterval = interval
        }
        if let value = reader.value("fsync") {
            switch value.kind {
            case .string("always"):
                fsync = .always
            case .string("never"):
                fsync = .never
            case .string(let text):
                guard let interval = try? HumanDuration.parse(text) else {
                    throw reader.invalid("fsync", value, expected: Self.fsyncExpectation)
                }
                guard Self.fsyncIntervalRange.contains(interval) else {
                    throw reader.invalid("fsync", value, expected: Self.fsyncExpectation)
                }
                fsync = .interval(interval)
            default:
                throw reader.invalid("fsync", value, expected: Self.fsyncExpectation)
            }
        }
        if let size = try reader.size("rotate_size", in: Self.rotateSizeRange, example: 256 << 20) {
            rotateSize = size
        }
        if let interval = try reader.duration(
            "rotate_interval", in: Self.rotateIntervalRange, example: .seconds(3600), allowNever: true)
        {
            rotateInterval = interval
        }
        if let size = try reader.size("buffer_size", in: Self.bufferSizeRange, example: 1 << 20) {
            bufferSize = Int(size)
        }
        if let size = try reader.size("max_buffered", in: Self.maxBufferedRange, example: 256 << 20) {
            maxBuffered = size
        }
        if let age = try reader.duration(
            "retain_age", in: Self.retainAgeRange, example: .seconds(30 * 86_400), allowNever: true)
        {
            retainAge = age
        }
        if let value = reader.value("retain_size") {
            if case .string("never") = value.kind {
                retainSize = nil
            } else {
                retainSize = try reader.size("retain_size", in: Self.retainSizeRange, example: 500 << 30)
            }
        }
        if maxBuffered < Int64(bufferSize) {
            throw reader.fail(
                "max_buffered (\(ByteSize.format(maxBuffered))) must be at least buffer_size (\(ByteSize.format(Int64(bufferSize))))",
                line: reader.value("max_buffered")?.line ?? reader.value("buffer_size")?.line)
        }
    }
}
