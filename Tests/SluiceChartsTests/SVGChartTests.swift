import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SluiceCharts
import Testing

/// The SVG is well-formed XML, labelled, escaped, and draws what it is given.
struct SVGChartTests {
    /// Whether `svg` parses as XML.
    static func wellFormed(_ svg: String) -> Bool {
        let parser = XMLParser(data: Data(svg.utf8))
        return parser.parse()
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test func aLineChartHasItsTitleAxesLegendAndMarkers() {
        let chart = LineChart(
            title: "TTFT <CDF> & more", x: Axis("TTFT (s)", scale: .log), y: Axis("share", range: 0...1),
            series: [
                Series("vllm", points: [(0.01, 0), (0.1, 0.5), (1, 1)], style: .step),
                Series("sarathi", points: [(0.02, 0), (0.2, 0.5), (0, 0.9), (2, 1)], style: .step),
                Series("paper", points: [(0.5, 0.5)], style: .points),
            ],
            markers: [Marker(x: 0.3, label: "capacity")])
        let svg = SVGRenderer().render(chart, id: "c1")
        #expect(Self.wellFormed(svg), "well-formed XML")
        #expect(svg.contains("TTFT &lt;CDF&gt; &amp; more"), "the title is escaped")
        #expect(svg.contains(">TTFT (s)<") && svg.contains(">share<"), "axis labels with units")
        #expect(svg.contains(">vllm<") && svg.contains(">sarathi<") && svg.contains(">paper<"), "legend names every series")
        #expect(svg.contains(">capacity<") && svg.contains("stroke-dasharray=\"5 4\""), "the marker is drawn")
        #expect(svg.contains(">0.01<") && svg.contains(">1<"), "log ticks")
        #expect(svg.contains("#0072B2") && svg.contains("#E69F00"), "Okabe–Ito colours in order")
        #expect(Self.count("<path d=\"M", in: svg) >= 2, "one path per drawn series")
        #expect(!svg.contains("NaN") && !svg.contains("inf"), "non-positive values are skipped on a log axis")
        #expect(svg.contains("id=\"c1-clip\"") && svg.contains("role=\"img\""))
    }

    @Test func aBarChartDrawsOneBarPerValue() {
        let chart = BarChart(title: "SLO attainment", categories: ["a", "b", "c"], categoryLabel: "scheduler", y: Axis("SLO met (%)"),
                             series: [("ours", [90, 80, nil]), ("paper", [95, 85, 70])])
        let svg = SVGRenderer().render(chart, id: "b")
        #expect(Self.wellFormed(svg))
        #expect(Self.count("<rect x=", in: svg) == 5 + 2 + 1, "five bars, two legend swatches and the plot frame")
        #expect(svg.contains("ours, a: 90") && svg.contains("paper, c: 70"), "tooltips name the bar")
        #expect(svg.contains(">0<"), "a linear value axis starts at 0")
    }

    @Test func theLegendWrapsAndTheReportIsSelfContained() {
        let many = (0..<12).map { Series("scheduler-with-a-long-name-\($0)", points: [(Double($0), Double($0))]) }
        let renderer = SVGRenderer()
        let svg = renderer.render(LineChart(title: "t", x: Axis("x"), y: Axis("y"), series: many), id: "w")
        #expect(Self.wellFormed(svg))
        var report = HTMLReport(title: "Report & co", subtitle: "test")
        report.section("A")
        report.paragraph("1 < 2")
        report.table(header: ["name", "value"], rows: [["x", "1.5"], ["<y>", "$2"]])
        report.definitions([("seed", "42")])
        report.chart(LineChart(title: "t", x: Axis("x"), y: Axis("y"), series: many))
        report.chart(BarChart(title: "b", categories: ["a"], categoryLabel: "c", y: Axis("v"), series: [("s", [1])]))
        let html = report.html()
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<title>Report &amp; co</title>"))
        #expect(html.contains("1 &lt; 2") && html.contains("<td>&lt;y&gt;</td>") && html.contains("<td class=\"n\">$2</td>"))
        #expect(!html.contains("<script"), "no scripts")
        #expect(html.components(separatedBy: "http").count - 1 == report.charts, "the only URL is each SVG's namespace")
        #expect(html.contains("id=\"chart1\"") && html.contains("id=\"chart2\"") && report.charts == 2, "chart ids are unique")
        #expect(html.contains("@media print"))
    }

    @Test func aMissingValueBreaksTheLineAndOddInputsStillDraw() {
        let gap = LineChart(title: "g", x: Axis("x"), y: Axis("y"), series: [Series("s", points: [(0, 1), (1, 2), (2, .nan), (3, 4), (4, 5)])],
                            markers: [Marker(x: 1, label: "m", series: -3)])
        let svg = SVGRenderer().render(gap, id: "g")
        #expect(Self.wellFormed(svg))
        let path = svg.components(separatedBy: "<path d=\"").dropFirst().first?.components(separatedBy: "\"").first ?? ""
        #expect(Self.count("M", in: path) == 2, "two runs of points: \(path)")
        for chart in [
            LineChart(title: "empty", x: Axis("x"), y: Axis("y", scale: .log), series: []),
            LineChart(title: "missing", x: Axis("x"), y: Axis("y"), series: [Series("s", points: [(.nan, .nan)])]),
            LineChart(title: "one", x: Axis("x", scale: .log), y: Axis("y"), series: [Series("s", points: [(5, 5)])]),
        ] {
            let out = SVGRenderer().render(chart, id: "e")
            #expect(Self.wellFormed(out) && !out.contains("nan") && !out.contains("NaN"), "\(chart.title)")
        }
        #expect(Self.wellFormed(SVGRenderer().render(BarChart(title: "none", categories: [], categoryLabel: "c", y: Axis("v"), series: []), id: "n")))
    }
}
