/// The HTTP status one connection's upgrade is refused with, handed from the upgrader's `shouldUpgrade` to
/// the responder the not-upgrading path installs. Both run on the connection's event loop, one after the
/// other, so the box needs no lock.
///
/// `@unchecked Sendable`: both users run on the connection's event loop, one after the other.
final class HandshakeRefusal: @unchecked Sendable {
    var status: (code: Int, retryAfter: Int?)?
}
