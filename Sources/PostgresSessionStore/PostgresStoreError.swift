// Built only with the Postgres trait (`swift build --traits Postgres`, Package.swift).
#if Postgres
import PostgresNIO
import SessionStore

/// Kept for source compatibility: the PostgreSQL store reports every failure as a `StoreError`.
public typealias PostgresStoreError = StoreError

extension StoreError {
    /// A PostgreSQL failure while doing `what`: the server's SQLSTATE decides the code; a closed or
    /// failed connection is `connectionLost`.
    init(postgres error: any Error, doing what: String, connectionClosed: Bool) {
        if let error = error as? StoreError {
            self = error.doing(what)
            return
        }
        if let error = error as? PSQLError {
            if error.code == .server, let info = error.serverInfo, let state = info[.sqlState] {
                let text = [info[.message], info[.detail]].compactMap { $0 }.joined(separator: "; ")
                self.init(code: Code(sqlState: state), message: what, underlying: "\(text) (SQLSTATE \(state))")
                return
            }
            switch error.code {
            case .serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown:
                self.init(code: .connectionLost, message: what, underlying: "the connection closed (\(error.code))")
                return
            default: break
            }
        }
        self.init(
            code: connectionClosed ? .connectionLost : .other, message: what, underlying: String(reflecting: error))
    }
}

/// A result row read by column name (the row's own column names).
struct PostgresStoreRow: StoreRow {
    let row: PostgresRandomAccessRow

    private func cell(_ column: String) throws -> PostgresCell {
        guard row.contains(column) else { throw StoreError("no column \"\(column)\" in the result") }
        return row[column]
    }

    func text(_ column: String) throws -> String? { try cell(column).decode(String?.self) }
    func int(_ column: String) throws -> Int64? { try cell(column).decode(Int?.self).map(Int64.init) }
    func double(_ column: String) throws -> Double? { try cell(column).decode(Double?.self) }
}
#endif
