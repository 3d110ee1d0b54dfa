import ArgumentParser
import Foundation

/// A point in time on the command line (`--since`, `--before`): an ISO-8601 date (`2026-12-05`,
/// midnight UTC), date-time (`2026-12-05T19:30:00Z`, `…+01:00`, fractional seconds; without a zone:
/// UTC), or Unix epoch seconds (`1796500000`, `1796500000.5`).
struct DateArgument: ExpressibleByArgument, Sendable {
    /// Unix seconds.
    var seconds: Double

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(text), text.allSatisfy({ $0.isNumber || $0 == "." }) {
            self.seconds = seconds
            return
        }
        let utc = TimeZone(identifier: "UTC")!
        if text.count == 10 {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate, .withDashSeparatorInDate]
            formatter.timeZone = utc
            guard let date = formatter.date(from: text) else { return nil }
            seconds = date.timeIntervalSince1970
            return
        }
        // A date-time with no zone designator is read as UTC.
        let hasZone = text.hasSuffix("Z") || text.hasSuffix("z")
            || text.split(separator: "T").last.map { $0.contains("+") || $0.contains("-") } == true
        let zoned = hasZone ? text : text + "Z"
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            formatter.timeZone = utc
            if let date = formatter.date(from: zoned) {
                seconds = date.timeIntervalSince1970
                return
            }
        }
        return nil
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
