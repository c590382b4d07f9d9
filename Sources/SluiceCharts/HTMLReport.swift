/// A self-contained HTML report: inline CSS and inline SVG charts, no script and nothing fetched, readable offline and
/// printable (each section keeps together on paper).
///
/// Invariants: every text is escaped; chart ids are unique within the page.
public struct HTMLReport: Sendable {
    /// One block of the page.
    enum Block: Sendable {
        case heading(String)
        case paragraph(String)
        case table(header: [String], rows: [[String]])
        case definitions([(String, String)])
        case svg(String)
    }

    /// Page title.
    public var title: String
    /// Line under the title (what produced the report).
    public var subtitle: String
    private var blocks: [Block] = []
    private var chartCount = 0
    /// How charts are drawn.
    public var renderer = SVGRenderer()

    /// Creates an empty report.
    public init(title: String, subtitle: String) {
        self.title = title
        self.subtitle = subtitle
    }

    /// Starts a section.
    public mutating func section(_ heading: String) { blocks.append(.heading(heading)) }
    /// Adds a paragraph of plain text.
    public mutating func paragraph(_ text: String) { blocks.append(.paragraph(text)) }
    /// Adds a table (numbers right-aligned).
    public mutating func table(header: [String], rows: [[String]]) { blocks.append(.table(header: header, rows: rows)) }
    /// Adds name–value pairs (the configuration used).
    public mutating func definitions(_ pairs: [(String, String)]) { blocks.append(.definitions(pairs)) }

    /// Adds a line chart.
    public mutating func chart(_ chart: LineChart) {
        chartCount += 1
        blocks.append(.svg(renderer.render(chart, id: "chart\(chartCount)")))
    }

    /// Adds a bar chart.
    public mutating func chart(_ chart: BarChart) {
        chartCount += 1
        blocks.append(.svg(renderer.render(chart, id: "chart\(chartCount)")))
    }

    /// Charts added so far.
    public var charts: Int { chartCount }

    static let style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1a1a1a;max-width:1000px;margin:24px auto;padding:0 16px;line-height:1.45}
        h1{font-size:1.6em;margin-bottom:0}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:4px}
        .subtitle{color:#555;margin-top:4px}table{border-collapse:collapse;margin:8px 0;font-size:.9em}
        th,td{border:1px solid #ccc;padding:3px 8px}th{background:#f3f3f3;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
        dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px;font-size:.9em}dt{font-weight:600}dd{margin:0}
        svg.chart{display:block;max-width:100%;height:auto;margin:12px 0}
        @media print{body{margin:0;max-width:none}h2{break-after:avoid}svg.chart,table{break-inside:avoid}}
        """

    /// The page.
    public func html() -> String {
        var out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        out += "<title>\(escapeXML(title))</title>\n<style>\n\(Self.style)\n</style>\n</head>\n<body>\n"
        out += "<h1>\(escapeXML(title))</h1>\n<p class=\"subtitle\">\(escapeXML(subtitle))</p>\n"
        for b in blocks {
            switch b {
            case .heading(let h): out += "<h2>\(escapeXML(h))</h2>\n"
            case .paragraph(let p): out += "<p>\(escapeXML(p))</p>\n"
            case .svg(let s): out += s
            case .definitions(let pairs):
                out += "<dl>\n" + pairs.map { "<dt>\(escapeXML($0.0))</dt><dd>\(escapeXML($0.1))</dd>" }.joined(separator: "\n") + "\n</dl>\n"
            case .table(let header, let rows):
                out += "<table>\n<thead><tr>" + header.map { "<th>\(escapeXML($0))</th>" }.joined() + "</tr></thead>\n<tbody>\n"
                for row in rows {
                    out += "<tr>" + row.map { cell in
                        let numeric = cell.first.map { $0.isNumber || $0 == "-" || $0 == "$" || $0 == "+" } ?? false
                        return numeric ? "<td class=\"n\">\(escapeXML(cell))</td>" : "<td>\(escapeXML(cell))</td>"
                    }.joined() + "</tr>\n"
                }
                out += "</tbody>\n</table>\n"
            }
        }
        return out + "</body>\n</html>\n"
    }
}
