import ContextEngine
import Foundation
import JSONWire

/// Prices per million input tokens, to turn billed tokens into a cost per call (`--price input=…,cached=…`).
public struct TokenPrice: Sendable, Equatable {
    public var input: Double
    public var cached: Double

    /// `input=4,cached=0.4` (dollars per million tokens); `cached` defaults to `input`.
    public init(parsing text: String) throws {
        var values: [String: Double] = [:]
        for part in text.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, ["input", "cached"].contains(pair[0]), let value = Double(pair[1]), value >= 0, value.isFinite
            else { throw EventLogError(description: "--price takes input=N[,cached=N] (dollars per million tokens), got \"\(text)\"") }
            values[pair[0]] = value
        }
        guard let input = values["input"] else { throw EventLogError(description: "--price needs input=N") }
        self.input = input
        cached = values["cached"] ?? input
    }

    /// Dollars for `billed` input tokens of which `cached` came from the prefix cache.
    public func cost(billed: Int, cached: Int) -> Double {
        (Double(billed - cached) * input + Double(cached) * self.cached) / 1_000_000
    }
}

/// One strategy's figures over one or many calls (a replay sums its sessions).
public struct ProviderSummary: Sendable {
    public var strategy: String
    public var calls: Int
    /// Calls whose provider context passed its limit at some point.
    public var callsOver: Int
    /// The first exchange at which it did (a single call), nil when none did.
    public var firstOver: Int?
    public var historyAtExchange: Int
    /// Mean over the calls that reached `historyAtExchange`.
    public var historySeen: Double
    public var peakHeld: Int
    public var meanHeld: Double
    public var peakStale: Int
    public var meanStale: Double
    public var reseedsPerHour: Double
    public var reconnectsPerHour: Double
    /// Input tokens billed per call (mean), and the cached part of it.
    public var billedPerCall: Double
    public var cachedPerCall: Double
    public var limit: Int

    public init(_ figures: [ProviderFigures]) {
        let answers = max(1, figures.map(\.answers).reduce(0, +))
        let seconds = figures.map(\.callSeconds).reduce(0, +)
        let calls = max(1, figures.count)
        let reached = figures.filter { $0.exchanges >= $0.historyAtExchange }
        strategy = figures.first?.strategy ?? ""
        self.calls = figures.count
        callsOver = figures.filter { $0.firstOver != nil }.count
        firstOver = figures.compactMap(\.firstOver).min()
        historyAtExchange = figures.first?.historyAtExchange ?? 0
        historySeen = reached.isEmpty ? 0 : Double(reached.map(\.historySeen).reduce(0, +)) / Double(reached.count)
        peakHeld = figures.map(\.peakHeld).max() ?? 0
        meanHeld = Double(figures.map(\.heldSum).reduce(0, +)) / Double(answers)
        peakStale = figures.map(\.peakStale).max() ?? 0
        meanStale = Double(figures.map(\.staleSum).reduce(0, +)) / Double(answers)
        reseedsPerHour = seconds == 0 ? 0 : Double(figures.map(\.reseeds).reduce(0, +)) * 3_600 / seconds
        reconnectsPerHour = seconds == 0 ? 0 : Double(figures.map(\.reconnects).reduce(0, +)) * 3_600 / seconds
        billedPerCall = Double(figures.map(\.billedInput).reduce(0, +)) / Double(calls)
        cachedPerCall = Double(figures.map(\.cachedInput).reduce(0, +)) / Double(calls)
        limit = figures.first?.limit ?? 0
    }
}

/// The strategies side by side: a text table and a JSON form, the saving against `keep-all`.
public enum ProviderReport {
    static func number(_ value: Double) -> String { String(format: "%.0f", value) }

    public static func table(_ summaries: [ProviderSummary], baseline: ProviderSummary?, price: TokenPrice?) -> String {
        let columns: [(String, Int)] = [
            ("strategy", 20), ("over limit", 11), ("history@N", 10), ("peak held", 10), ("mean held", 10),
            ("peak stale", 11), ("re-seeds/h", 11), ("reconn./h", 10), ("billed/call", 12), ("cached", 10),
            ("saved vs keep-all", 19),
        ] + (price == nil ? [] : [("$/call", 9)])
        var out = columns.enumerated().map { index, column in
            index == 0 ? TableCell.left(column.0, column.1) : TableCell.right(column.0, column.1)
        }.joined() + "\n"
        for summary in summaries {
            let over: String
            if summary.calls == 1 {
                over = summary.firstOver.map { "at \($0)" } ?? "never"
            } else {
                over = "\(summary.callsOver)/\(summary.calls)"
            }
            var saved = "-"
            if let baseline, baseline.billedPerCall > 0, summary.strategy != baseline.strategy {
                let tokens = baseline.billedPerCall - summary.billedPerCall
                saved = "\(number(tokens)) (\(String(format: "%.1f", 100 * tokens / baseline.billedPerCall))%)"
            }
            var cells = [
                TableCell.left(summary.strategy, 20), TableCell.right(over, 11),
                TableCell.right(String(format: "%.1f", summary.historySeen), 10), TableCell.right(String(summary.peakHeld), 10),
                TableCell.right(number(summary.meanHeld), 10), TableCell.right(String(summary.peakStale), 11),
                TableCell.right(String(format: "%.1f", summary.reseedsPerHour), 11), TableCell.right(String(format: "%.1f", summary.reconnectsPerHour), 10),
                TableCell.right(number(summary.billedPerCall), 12), TableCell.right(number(summary.cachedPerCall), 10), TableCell.right(saved, 19),
            ]
            if let price {
                cells.append(TableCell.right(String(format: "%.4f", price.cost(billed: Int(summary.billedPerCall), cached: Int(summary.cachedPerCall))), 9))
            }
            out += cells.joined() + "\n"
        }
        return out
    }

    public static func json(_ summaries: [ProviderSummary], baseline: ProviderSummary?, price: TokenPrice?) -> JSONValue {
        .array(summaries.map { summary in
            var object: JSONObject = [
                "strategy": .string(summary.strategy), "calls": JSONValue(summary.calls),
                "callsOverLimit": JSONValue(summary.callsOver), "firstOverLimit": summary.firstOver.map { JSONValue($0) } ?? .null,
                "historyAtExchange": JSONValue(summary.historyAtExchange), "historySeen": .double(summary.historySeen),
                "peakHeld": JSONValue(summary.peakHeld), "meanHeld": .double(summary.meanHeld.rounded()),
                "peakStale": JSONValue(summary.peakStale), "meanStale": .double(summary.meanStale.rounded()),
                "reseedsPerHour": .double(summary.reseedsPerHour), "reconnectsPerHour": .double(summary.reconnectsPerHour),
                "billedInputPerCall": .double(summary.billedPerCall.rounded()),
                "cachedInputPerCall": .double(summary.cachedPerCall.rounded()), "limit": JSONValue(summary.limit),
            ]
            if let baseline {
                object["savedVsKeepAll"] = .double((baseline.billedPerCall - summary.billedPerCall).rounded())
            }
            if let price {
                object["costPerCall"] = .double(price.cost(billed: Int(summary.billedPerCall), cached: Int(summary.cachedPerCall)))
            }
            return .object(object)
        })
    }

}
