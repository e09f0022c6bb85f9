/// Reads `<recv_ns> <frame>` lines from ticktape segments (plain `.tape`/`.tape.open` or sealed
/// `.tape.gz`) and hftbacktest recordings (gzip, same line format), for the offline tools
/// (`ticktape book`, `ticktape bars`) and the tests.
///
/// Gzip is recognised by its magic bytes, not the name, so any file of either kind works.
package enum RecordingReader {
    /// What `body` tells the reader after each line.
    package enum Next {
        case more
        case stop
    }

    /// The data files under `paths` in reading order: directories are searched two levels deep
    /// for segment data files and `.gz` recordings, sorted by name (segment names start with
    /// their UTC stamp and index, so name order is time order within a capture); files are
    /// taken as given.
    package static func files(_ paths: [String]) -> (files: [String], problems: [String]) {
        var files: [String] = []
        var problems: [String] = []
        func isData(_ name: String) -> Bool {
            name.hasSuffix(SegmentName.sealedSuffix) || name.hasSuffix(SegmentName.openSuffix)
                || name.hasSuffix(SegmentName.closedSuffix) || name.hasSuffix(".gz")
        }
        func scan(_ directory: String, depth: Int) {
            guard let names = try? DurableFile.list(directory) else {
                problems.append("\(directory): cannot list the directory")
                return
            }
            var found: [String] = []
            for name in names.sorted() {
                let path = directory + "/" + name
                if DurableFile.status(path)?.isDirectory == true {
                    if depth > 0 { scan(path, depth: depth - 1) }
                } else if isData(name), !name.hasSuffix(SegmentName.temporarySuffix) {
                    found.append(path)
                }
            }
            files += found
        }
        for path in paths {
            guard let status = DurableFile.status(path) else {
                problems.append("\(path): no such file or directory")
                continue
            }
            if status.isDirectory { scan(path, depth: 2) } else { files.append(path) }
        }
        return (files, problems)
    }

    /// Calls `body` with the receive stamp and frame of every well-formed line of `path`, in
    /// file order, until it returns `.stop`. Returns false if it was stopped.
    @discardableResult
    package static func forEachLine(
        _ path: String, _ body: (Int64, UnsafeRawBufferPointer) throws -> Next
    ) throws -> Bool {
        var splitter = LineSplitter()
        var decoder: GzipDecoder?
        var first = true
        var stopped = false
        struct Stop: Error {}
        func lines(_ chunk: UnsafeRawBufferPointer) throws {
            try splitter.feed(chunk) { line in
                guard let (stamp, start) = SegmentTally.parseStamp(line) else { return }
                if try body(stamp, UnsafeRawBufferPointer(rebasing: line[start...])) == .stop {
                    stopped = true
                    throw Stop()
                }
            }
        }
        do {
            try DurableFile.forEachChunk(path) { chunk in
                if first {
                    first = false
                    if chunk.count >= 2, chunk[0] == 0x1F, chunk[1] == 0x8B { decoder = try GzipDecoder() }
                }
                if let decoder { try decoder.decompress(chunk) { try lines($0) } } else { try lines(chunk) }
            }
        } catch is Stop {
            return false
        }
        // A segment being written may end in a partial line (`splitter.pending`): not a record.
        return !stopped
    }
}
