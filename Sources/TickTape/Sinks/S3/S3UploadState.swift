/// A multipart upload in flight, kept in the sink's cursor (`state`) after every confirmed part,
/// so that a restart (even after `kill -9`) resumes the same upload instead of starting another
/// one or leaving a half-written object.
package struct S3UploadState: Sendable, Equatable {
    package struct Part: Sendable, Equatable {
        package var number: Int
        /// As the store returned it (with quotes).
        package var etag: String
        /// Base64 SHA-256 of the part, sent with it and in the completion.
        package var sha256: String
    }

    /// The segment being uploaded (base name).
    package var segment: String
    package var uploadID: String
    package var partSize: Int64
    /// Confirmed parts, 1…n in order.
    package var parts: [Part]

    var json: JSONValue {
        .object([
            ("segment", .string(segment)), ("upload_id", .string(uploadID)), ("part_size", .int(partSize)),
            ("parts", .array(parts.map { .object([("n", .int(Int64($0.number))), ("etag", .string($0.etag)), ("sha256", .string($0.sha256))]) })),
        ])
    }

    /// nil for a cursor without an upload in flight.
    init?(json: JSONValue) {
        guard case .object = json, let segment = try? json.require("segment").asString(),
            let id = try? json.require("upload_id").asString(), let size = try? json.require("part_size").asInt(),
            case .array(let list)? = json["parts"]
        else { return nil }
        var parts: [Part] = []
        for item in list {
            guard let n = try? item.require("n").asInt(), let etag = try? item.require("etag").asString(),
                let sha = try? item.require("sha256").asString()
            else { return nil }
            parts.append(Part(number: Int(n), etag: etag, sha256: sha))
        }
        self.init(segment: segment, uploadID: id, partSize: size, parts: parts)
    }

    package init(segment: String, uploadID: String, partSize: Int64, parts: [Part] = []) {
        self.segment = segment
        self.uploadID = uploadID
        self.partSize = partSize
        self.parts = parts
    }
}
