/// The few elements ticktape reads from S3's XML answers (`UploadId`, `Code`, `Message`, the
/// `Key`/`Size` of a listing, the `PartNumber`/`ETag` of ListParts). S3's answers are flat and
/// machine-written, so a scan for `<Tag>…</Tag>` is exact; a full XML parser would be a
/// dependency for four tags.
enum S3XML {
    /// The text of every `<tag>…</tag>` in `xml`, in order, entities decoded.
    static func values(_ tag: String, in xml: String) -> [String] {
        var out: [String] = []
        let open = "<\(tag)>"
        let close = "</\(tag)>"
        var rest = Substring(xml)
        while let start = rest.range(of: open) {
            guard let end = rest[start.upperBound...].range(of: close) else { break }
            out.append(unescape(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return out
    }

    /// The first `<tag>` text, nil if absent.
    static func first(_ tag: String, in xml: String) -> String? {
        values(tag, in: xml).first
    }

    /// Every `<block>…</block>` of `xml` (the `<Contents>` of a listing, the `<Part>` of ListParts).
    static func blocks(_ tag: String, in xml: String) -> [String] { values(tag, in: xml) }

    /// `&amp;` and friends back to characters.
    static func unescape<S: StringProtocol>(_ text: S) -> String {
        guard text.contains("&") else { return String(text) }
        return String(text).replacingEntities()
    }

    /// `text` with `& < > " '` escaped, for request bodies.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}

extension String {
    fileprivate func replacingEntities() -> String {
        var out = ""
        var rest = Substring(self)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";") else { break }
            let name = rest[rest.index(after: amp)..<semi]
            switch name {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                if name.hasPrefix("#x"), let v = UInt32(name.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) {
                    out.unicodeScalars.append(s)
                } else if name.hasPrefix("#"), let v = UInt32(name.dropFirst()), let s = Unicode.Scalar(v) {
                    out.unicodeScalars.append(s)
                } else {
                    out += rest[amp...semi]
                }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
