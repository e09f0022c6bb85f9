import TickTape

/// Turns the paths given to `ticktape verify` / `stats` into segments: a manifest, a sealed
/// data file, a plain segment, or a directory (searched two levels deep, so both a capture
/// directory and a whole `data_dir` work).
package enum SegmentLocator {
    /// What was found.
    package struct Found: Sendable, Equatable {
        /// Manifests of sealed segments, in name order.
        package var manifests: [String] = []
        /// Plain segments (`.tape.open`, `.tape` without manifest): being written, or waiting
        /// for the sealer or for crash recovery.
        package var unsealed: [String] = []
        /// Sealed data files without a manifest, and paths that are no segment at all.
        package var problems: [String] = []
    }

    package static func find(_ paths: [String]) -> Found {
        var found = Found()
        var seen = Set<String>()
        func addManifest(_ path: String) {
            if seen.insert(path).inserted { found.manifests.append(path) }
        }
        func scan(directory: String, depth: Int) {
            guard let names = try? DurableFile.list(directory) else {
                found.problems.append("\(directory): cannot list the directory")
                return
            }
            let present = Set(names)
            for name in names {
                let path = directory + "/" + name
                if name.hasSuffix(SegmentName.manifestSuffix) {
                    addManifest(path)
                } else if name.hasSuffix(SegmentName.openSuffix) {
                    found.unsealed.append(path)
                } else if name.hasSuffix(SegmentName.closedSuffix), let base = SegmentName.base(of: name),
                    !present.contains(base + SegmentName.manifestSuffix)
                {
                    found.unsealed.append(path)
                } else if name.hasSuffix(SegmentName.sealedSuffix), let base = SegmentName.base(of: name),
                    !present.contains(base + SegmentName.manifestSuffix)
                {
                    found.problems.append("\(path): sealed data file without a manifest")
                } else if depth > 0, DurableFile.status(path)?.isDirectory == true {
                    scan(directory: path, depth: depth - 1)
                }
            }
        }
        for raw in paths {
            let path = raw.count > 1 && raw.hasSuffix("/") ? String(raw.dropLast()) : raw
            guard let status = DurableFile.status(path) else {
                found.problems.append("\(path): no such file or directory")
                continue
            }
            if status.isDirectory {
                scan(directory: path, depth: 2)
                continue
            }
            let slash = path.lastIndex(of: "/")
            let directory = slash.map { String(path[..<$0]) } ?? "."
            let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            if name.hasSuffix(SegmentName.manifestSuffix) {
                addManifest(path)
            } else if name.hasSuffix(SegmentName.sealedSuffix), let base = SegmentName.base(of: name) {
                let manifest = directory + "/" + base + SegmentName.manifestSuffix
                if DurableFile.status(manifest) != nil {
                    addManifest(manifest)
                } else {
                    found.problems.append("\(path): sealed data file without a manifest")
                }
            } else if name.hasSuffix(SegmentName.openSuffix) || name.hasSuffix(SegmentName.closedSuffix)
                || name.hasSuffix(SegmentName.recoveredSuffix)
            {
                if let base = SegmentName.base(of: name),
                    DurableFile.status(directory + "/" + base + SegmentName.manifestSuffix) != nil
                {
                    addManifest(directory + "/" + base + SegmentName.manifestSuffix)
                } else {
                    found.unsealed.append(path)
                }
            } else {
                found.problems.append("\(path): not a ticktape segment, manifest or directory")
            }
        }
        return found
    }
}
