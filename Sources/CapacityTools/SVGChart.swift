import Foundation

/// Context tokens per exchange, stacked by segment (script, summary, history, instruction, free),
/// one panel per policy or strategy, as a standalone SVG document. Provider runs add what the provider
/// held as a red line over the segments, its limit as a dashed line, and a green mark under each
/// exchange with a re-seed.
public enum SVGChart {
    public struct Panel: Sendable {
        public var title: String
        public var samples: [SegmentSample]
        /// The provider's limit, drawn when the samples carry `held`.
        public var providerLimit: Int?
        public init(title: String, samples: [SegmentSample], providerLimit: Int? = nil) {
            self.title = title
            self.samples = samples
            self.providerLimit = providerLimit
        }
    }

    static let segments: [(name: String, color: String)] = [
        ("script", "#9e9e9e"), ("summary", "#8e7cc3"), ("history", "#4a86e8"), ("instruction", "#e69138"),
        ("free", "#eef3e8"),
    ]

    public static func render(title: String, panels: [Panel]) -> String {
        let width = 960.0, panelHeight = 230.0, left = 70.0, right = 20.0, top = 70.0, gap = 50.0
        let plotWidth = width - left - right, plotHeight = panelHeight - 40
        let height = top + Double(panels.count) * (panelHeight + gap)
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            \(titleLines(title, x: left))
            """
        for (index, segment) in segments.enumerated() {
            let x = left + Double(index) * 120
            svg += "<rect x=\"\(x)\" y=\"36\" width=\"14\" height=\"14\" fill=\"\(segment.color)\" stroke=\"#666\" stroke-width=\"0.5\"/>"
            svg += "<text x=\"\(x + 20)\" y=\"47\">\(segment.name)</text>\n"
        }
        if panels.contains(where: { $0.samples.contains { $0.held != nil } }) {
            let x = left + Double(segments.count) * 120
            svg += "<line x1=\"\(x)\" x2=\"\(x + 18)\" y1=\"43\" y2=\"43\" stroke=\"#cc0000\" stroke-width=\"2.5\"/>"
            svg += "<text x=\"\(x + 24)\" y=\"47\">provider held</text>"
            svg += "<rect x=\"\(x + 120)\" y=\"38\" width=\"4\" height=\"10\" fill=\"#2e7d32\"/>"
            svg += "<text x=\"\(x + 130)\" y=\"47\">re-seed</text>\n"
        }
        for (panelIndex, panel) in panels.enumerated() {
            let y0 = top + Double(panelIndex) * (panelHeight + gap) + 20
            svg += "<text x=\"\(left)\" y=\"\(y0 - 6)\" font-weight=\"bold\">\(escape(panel.title))</text>\n"
            guard let contextLimit = panel.samples.map(\.limit).max(), contextLimit > 0, !panel.samples.isEmpty else { continue }
            // The scale reaches the provider's limit and whatever it held beyond it: overflow shows.
            let limit = max(contextLimit, panel.providerLimit ?? 0, panel.samples.compactMap(\.held).max() ?? 0)
            let count = panel.samples.count
            func x(_ index: Int) -> Double {
                count == 1 ? left + plotWidth / 2 : left + plotWidth * Double(index) / Double(count - 1)
            }
            func y(_ tokens: Int) -> Double { y0 + plotHeight * (1 - Double(tokens) / Double(limit)) }
            // Cumulative tops per segment, drawn as polygons from the previous segment's top.
            var lower = [Int](repeating: 0, count: count)
            for (segmentIndex, segment) in segments.enumerated() {
                let upper = panel.samples.enumerated().map { index, sample -> Int in
                    let values = [sample.script, sample.summary, sample.history, sample.instruction, max(0, sample.free)]
                    return lower[index] + values[segmentIndex]
                }
                var points = (0 ..< count).map { "\(fmt(x($0))),\(fmt(y(upper[$0])))" }
                points += (0 ..< count).reversed().map { "\(fmt(x($0))),\(fmt(y(lower[$0])))" }
                if count == 1 {  // a single sample: a bar
                    points = ["\(fmt(left)),\(fmt(y(upper[0])))", "\(fmt(left + plotWidth)),\(fmt(y(upper[0])))",
                              "\(fmt(left + plotWidth)),\(fmt(y(lower[0])))", "\(fmt(left)),\(fmt(y(lower[0])))"]
                }
                svg += "<polygon fill=\"\(segment.color)\" stroke=\"none\" points=\"\(points.joined(separator: " "))\"/>\n"
                lower = upper
            }
            // What the provider held, its limit, the re-seeds.
            if panel.samples.contains(where: { $0.held != nil }) {
                if let providerLimit = panel.providerLimit {
                    svg += "<line x1=\"\(left)\" x2=\"\(left + plotWidth)\" y1=\"\(fmt(y(providerLimit)))\" y2=\"\(fmt(y(providerLimit)))\" stroke=\"#cc0000\" stroke-width=\"1\" stroke-dasharray=\"6 4\"/>"
                    svg += "<text x=\"\(fmt(left + plotWidth - 4))\" y=\"\(fmt(y(providerLimit) - 4))\" text-anchor=\"end\" fill=\"#cc0000\">provider limit \(providerLimit)</text>\n"
                }
                let points = panel.samples.enumerated().compactMap { index, sample in
                    sample.held.map { "\(fmt(x(index))),\(fmt(y($0)))" }
                }
                svg += "<polyline fill=\"none\" stroke=\"#cc0000\" stroke-width=\"2.5\" points=\"\(points.joined(separator: " "))\"/>\n"
                for (index, sample) in panel.samples.enumerated() where sample.reseeded {
                    svg += "<rect x=\"\(fmt(x(index) - 1.5))\" y=\"\(fmt(y0 + plotHeight - 10))\" width=\"3\" height=\"10\" fill=\"#2e7d32\"/>"
                }
                svg += "\n"
            }
            // Axes, ticks, labels.
            svg += "<rect x=\"\(left)\" y=\"\(y0)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#333\"/>\n"
            for step in 0 ... 4 {
                let tokens = limit * step / 4
                svg += "<line x1=\"\(left - 4)\" x2=\"\(left)\" y1=\"\(fmt(y(tokens)))\" y2=\"\(fmt(y(tokens)))\" stroke=\"#333\"/>"
                svg += "<text x=\"\(left - 8)\" y=\"\(fmt(y(tokens) + 4))\" text-anchor=\"end\">\(tokens)</text>\n"
            }
            // At most ~10 labels, at a round step (1, 2, 5, 10, 20, 50, …), so they fall evenly.
            var tickStep = 1
            while (count - 1) / tickStep > 10 {
                let digits = String(tickStep)
                tickStep = digits.hasPrefix("2") ? tickStep / 2 * 5 : tickStep * 2
            }
            for index in stride(from: 0, to: count, by: tickStep) {
                svg += "<text x=\"\(fmt(x(index)))\" y=\"\(fmt(y0 + plotHeight + 16))\" text-anchor=\"middle\">\(panel.samples[index].exchange)</text>\n"
            }
            svg += "<text x=\"\(fmt(left + plotWidth / 2))\" y=\"\(fmt(y0 + plotHeight + 32))\" text-anchor=\"middle\" fill=\"#555\">exchange</text>\n"
            svg += "<text x=\"16\" y=\"\(fmt(y0 + plotHeight / 2))\" fill=\"#555\" transform=\"rotate(-90 16 \(fmt(y0 + plotHeight / 2)))\" text-anchor=\"middle\">tokens</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    /// The title in bold, wrapped at word boundaries to lines of at most 118 characters (13 px type
    /// on two or more lines, 16 px on one), so that it fits the 960-pixel width.
    static func titleLines(_ title: String, x: Double) -> String {
        var lines = [String]()
        var line = ""
        for word in title.split(separator: " ", omittingEmptySubsequences: false) {
            if !line.isEmpty && line.count + 1 + word.count > 118 {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        lines.append(line)
        let single = lines.count == 1
        return lines.prefix(2).enumerated().map { index, line in
            "<text x=\"\(x)\" y=\"\(single ? 24 : 15 + index * 15)\" font-size=\"\(single ? 16 : 13)\" font-weight=\"bold\">\(escape(line))</text>"
        }.joined(separator: "\n") + "\n"
    }

    static func fmt(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// Text as XML character data: `&`, `<`, `>` escaped, and the control characters XML 1.0 does
    /// not allow (all below U+0020 but tab, LF, CR) replaced by U+FFFD — a policy named with U+0001
    /// made a chart no XML parser reads (audit).
    static func escape(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
