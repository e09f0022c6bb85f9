/// ticktape's own JSON API under `/api/v1/` (described in `docs/openapi.yaml`).
package struct ServeAPI: Sendable {
    let books: BookService?
    let hub: RelayHub?

    package init(books: BookService?, hub: RelayHub?) {
        self.books = books
        self.hub = hub
    }

    func answer(_ request: ServeRequest, respond: @escaping @Sendable (ServeResponse) -> Void) {
        respond(.error(404, "no such path: \(request.path)"))
    }
}
