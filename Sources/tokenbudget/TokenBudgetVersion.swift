/// `tokenbudget --version`: the release, and the protocol version of docs/openrpc.json (`info.version`).
enum TokenBudgetVersion {
    static let string = "tokenbudget 0.6.0 (protocol 1)"
}
