import Foundation

/// Context tokens per exchange, stacked by segment (script, summary, history, instruction, free),
/// one panel per policy, as a standalone SVG document.
public enum SVGChart {
    public struct Panel: Sendable {
        public var title: String
        public var samples: [SegmentSample]
        public init(title: String, samples: [SegmentSample]) {
            self.title = title
            self.samples = samples
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
            <text x="\(left)" y="24" font-size="16" font-weight="bold">\(escape(title))</text>

            """
        for (index, segment) in segments.enumerated() {
            let x = left + Double(index) * 120
            svg += "<rect x=\"\(x)\" y=\"36\" width=\"14\" height=\"14\" fill=\"\(segment.color)\" stroke=\"#666\" stroke-width=\"0.5\"/>"
            svg += "<text x=\"\(x + 20)\" y=\"47\">\(segment.name)</text>\n"
        }
        for (panelIndex, panel) in panels.enumerated() {
            let y0 = top + Double(panelIndex) * (panelHeight + gap) + 20
            svg += "<text x=\"\(left)\" y=\"\(y0 - 6)\" font-weight=\"bold\">\(escape(panel.title))</text>\n"
            guard let limit = panel.samples.map(\.limit).max(), limit > 0, !panel.samples.isEmpty else { continue }
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

    static func fmt(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
    }
}
