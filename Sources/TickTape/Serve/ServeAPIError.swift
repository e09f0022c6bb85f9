/// Why an API request gets no answer but an error: the status and a message that names the
/// parameter at fault (``ServeResponse/error(_:_:)``'s `{"error":"…"}`).
struct ServeAPIError: Error {
    var status: Int
    var message: String
    var headers: [(String, String)] = []

    init(_ status: Int, _ message: String, headers: [(String, String)] = []) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    var response: ServeResponse {
        var r = ServeResponse.error(status, message)
        r.headers = headers
        return r
    }
}
