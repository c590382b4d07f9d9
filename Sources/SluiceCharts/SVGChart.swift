import Foundation

/// Renders charts as standalone inline SVG: title, axes with nice ticks and unit labels, grid, legend, and series
/// told apart by colour (the Okabe–Ito palette, distinguishable with the common colour-vision deficiencies; Okabe &
/// Ito, "Color Universal Design", 2008) and also by dash pattern and marker shape, so a grey printout still reads.
/// Every point and bar carries a `<title>` tooltip with its values; nothing is scripted.
public struct SVGRenderer: Sendable {
    /// Size of the drawing, px.
    public var width: Double, height: Double
    /// Room around the plot for tick labels and axis labels, px.
    public var marginLeft = 72.0, marginRight = 24.0, marginTop = 48.0, marginBottom = 56.0

    /// Okabe–Ito colours, black last.
    public static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
    /// Dash patterns, in the same order as the colours.
    public static let dashes = ["", "7 3", "2 3", "9 3 2 3", "4 2", "12 4", "1 2", "6 2 1 2"]
    /// Width and height of a chart when none is given, px.
    public static let defaultSize = (width: 760.0, height: 400.0)
    /// Estimated width of a legend character, px (for laying the legend out without font metrics).
    static let characterWidth = 7.0
    /// Height of a legend row, px.
    static let legendRowHeight = 20.0
    /// Width of a legend swatch and the gaps around an entry's text, px.
    static let legendSwatchWidth = 34.0, legendEntryGap = 16.0
    /// A series with more points than this is drawn without markers (a dense CDF or timeline).
    static let maxMarkedPoints = 40
    /// Share of a category's width the bars of a group take, and of a bar's slot the bar fills.
    static let barGroupShare = 0.8, barFillShare = 0.92
    /// Vertical spacing of stacked marker labels, px.
    static let markerLabelSpacing = 13.0

    /// The colour of series `i` (any integer: wraps around the palette).
    static func colour(_ i: Int) -> String { palette[((i % palette.count) + palette.count) % palette.count] }
    /// The dash pattern of series `i`.
    static func dash(_ i: Int) -> String { dashes[((i % dashes.count) + dashes.count) % dashes.count] }

    /// Creates a renderer.
    public init(width: Double = SVGRenderer.defaultSize.width, height: Double = SVGRenderer.defaultSize.height) {
        self.width = width
        self.height = height
    }

    /// The legend's rows: entries laid out left to right, wrapping at the plot's width.
    func legendRows(_ names: [String]) -> [[(index: Int, x: Double)]] {
        var rows: [[(index: Int, x: Double)]] = [[]]
        var x = 0.0
        let available = width - marginLeft - marginRight
        for (i, name) in names.enumerated() {
            let w = Self.legendSwatchWidth + Double(name.count) * Self.characterWidth + Self.legendEntryGap
            if x + w > available, !(rows.last?.isEmpty ?? true) {
                rows.append([])
                x = 0
            }
            rows[rows.count - 1].append((i, x))
            x += w
        }
        return names.isEmpty ? [] : rows
    }

    /// The SVG of `chart`; `id` keeps its clip path apart from other charts' on the page.
    public func render(_ chart: LineChart, id: String) -> String {
        let all = chart.series.flatMap(\.points) + chart.markers.map { (x: $0.x, y: Double.nan) }
        func usable(_ v: Double, _ scale: AxisScale) -> Bool { v.isFinite && (scale == .linear || v > 0) }
        let xs = all.map(\.x).filter { usable($0, chart.x.scale) }
        let ys = chart.series.flatMap(\.points).map(\.y).filter { usable($0, chart.y.scale) }
        let xTicks = ticks(chart.x, xs)
        let yTicks = ticks(chart.y, ys)
        let legend = legendRows(chart.series.map(\.name))
        let legendHeight = Double(legend.count) * Self.legendRowHeight
        let plot = (x0: marginLeft, x1: width - marginRight, y0: marginTop + legendHeight, y1: height - marginBottom)
        let map = Mapper(xTicks: xTicks, yTicks: yTicks, xScale: chart.x.scale, yScale: chart.y.scale, plot: plot)
        var svg = header(title: chart.title, id: id)
        svg += axes(xTicks: xTicks, yTicks: yTicks, map: map, plot: plot, xLabel: chart.x.label, yLabel: chart.y.label)
        svg += "<clipPath id=\"\(id)-clip\"><rect x=\"\(f(plot.x0))\" y=\"\(f(plot.y0 - 4))\" width=\"\(f(plot.x1 - plot.x0))\" height=\"\(f(plot.y1 - plot.y0 + 8))\"/></clipPath>\n"
        svg += "<g clip-path=\"url(#\(id)-clip)\">\n"
        for (i, s) in chart.series.enumerated() {
            let colour = Self.colour(i)
            let dash = Self.dash(i)
            let pts = s.points.filter { usable($0.x, chart.x.scale) && usable($0.y, chart.y.scale) }
            if s.style != .points, pts.count > 1 {
                // A point that cannot be drawn (NaN: no data) breaks the line instead of being bridged.
                var d = ""
                var open = false
                for p in s.points {
                    guard usable(p.x, chart.x.scale), usable(p.y, chart.y.scale) else { open = false; continue }
                    if !open {
                        d += "M\(f(map.x(p.x))),\(f(map.y(p.y)))"
                        open = true
                    } else {
                        d += s.style == .step ? "H\(f(map.x(p.x)))V\(f(map.y(p.y)))" : "L\(f(map.x(p.x))),\(f(map.y(p.y)))"
                    }
                }
                svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>\n"
            }
            // Markers: on every point of a sparse series, none on a dense one (a CDF).
            if s.style == .points || pts.count <= Self.maxMarkedPoints {
                for p in pts {
                    svg += marker(shape: i, x: map.x(p.x), y: map.y(p.y), colour: colour, size: s.style == .points ? 5 : 3.5,
                                  tooltip: "\(s.name): \(label(p.x)), \(label(p.y))")
                }
            }
        }
        svg += "</g>\n"
        // Markers: a dashed line in its series' colour; labels stacked so they do not overlap, kept inside the plot.
        for (k, m) in chart.markers.enumerated() where usable(m.x, chart.x.scale) {
            let x = map.x(m.x)
            let colour = m.series.map(Self.colour) ?? "#444"
            svg += "<line x1=\"\(f(x))\" y1=\"\(f(plot.y0))\" x2=\"\(f(x))\" y2=\"\(f(plot.y1))\" stroke=\"\(colour)\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"><title>\(escape(m.label))</title></line>\n"
            let textWidth = Double(m.label.count) * Self.characterWidth * 0.85
            let toLeft = x + 4 + textWidth > plot.x1
            svg += "<text x=\"\(f(toLeft ? x - 4 : x + 4))\" y=\"\(f(plot.y0 + 12 + Double(k) * Self.markerLabelSpacing))\" font-size=\"11\" fill=\"\(colour == "#444" ? "#222" : colour)\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\"\(toLeft ? " text-anchor=\"end\"" : "")>\(escape(m.label))</text>\n"
        }
        svg += legendSVG(legend, names: chart.series.map(\.name), top: marginTop, bars: false, pointsOnly: chart.series.map { $0.style == .points })
        return svg + "</svg>\n"
    }

    /// The SVG of `chart`.
    public func render(_ chart: BarChart, id: String) -> String {
        let values = chart.series.flatMap(\.values).compactMap { $0 }.filter { $0.isFinite && (chart.y.scale == .linear || $0 > 0) }
        var yTicks = ticks(chart.y, values + (chart.y.scale == .linear ? [0] : []))
        if chart.y.scale == .linear, yTicks.domain.lowerBound > 0 { yTicks = AxisTicks(low: 0, high: yTicks.domain.upperBound, scale: .linear) }
        let legend = legendRows(chart.series.map(\.name))
        let plot = (x0: marginLeft, x1: width - marginRight, y0: marginTop + Double(legend.count) * Self.legendRowHeight, y1: height - marginBottom)
        let xTicks = AxisTicks(low: 0, high: 1, scale: .linear)
        let map = Mapper(xTicks: xTicks, yTicks: yTicks, xScale: .linear, yScale: chart.y.scale, plot: plot)
        var svg = header(title: chart.title, id: id)
        svg += axes(xTicks: nil, yTicks: yTicks, map: map, plot: plot, xLabel: chart.categoryLabel, yLabel: chart.y.label)
        let groups = max(1, chart.categories.count)
        let groupWidth = (plot.x1 - plot.x0) / Double(groups)
        let barWidth = groupWidth * Self.barGroupShare / Double(max(1, chart.series.count))
        let base = chart.y.scale == .linear ? map.y(max(0, yTicks.domain.lowerBound)) : plot.y1
        for (c, category) in chart.categories.enumerated() {
            let gx = plot.x0 + Double(c) * groupWidth
            svg += "<text x=\"\(f(gx + groupWidth / 2))\" y=\"\(f(plot.y1 + 16))\" font-size=\"12\" text-anchor=\"middle\">\(escape(category))</text>\n"
            for (i, s) in chart.series.enumerated() {
                guard c < s.values.count, let v = s.values[c], v.isFinite, chart.y.scale == .linear || v > 0 else { continue }
                let top = map.y(v)
                let x = gx + groupWidth * (1 - Self.barGroupShare) / 2 + Double(i) * barWidth
                svg += "<rect x=\"\(f(x))\" y=\"\(f(min(top, base)))\" width=\"\(f(barWidth * Self.barFillShare))\" height=\"\(f(abs(base - top)))\" fill=\"\(Self.colour(i))\"><title>\(escape("\(s.name), \(category): \(label(v))"))</title></rect>\n"
            }
        }
        svg += legendSVG(legend, names: chart.series.map(\.name), top: marginTop, bars: true, pointsOnly: [])
        return svg + "</svg>\n"
    }

    // MARK: - Parts

    struct Mapper {
        let xTicks: AxisTicks, yTicks: AxisTicks, xScale: AxisScale, yScale: AxisScale
        let plot: (x0: Double, x1: Double, y0: Double, y1: Double)
        static func fraction(_ v: Double, _ d: ClosedRange<Double>, _ s: AxisScale) -> Double {
            switch s {
            case .linear: return d.upperBound == d.lowerBound ? 0.5 : (v - d.lowerBound) / (d.upperBound - d.lowerBound)
            case .log:
                let lo = log10(d.lowerBound), hi = log10(d.upperBound)
                return hi == lo ? 0.5 : (log10(v) - lo) / (hi - lo)
            }
        }
        func x(_ v: Double) -> Double { plot.x0 + Self.fraction(v, xTicks.domain, xScale) * (plot.x1 - plot.x0) }
        func y(_ v: Double) -> Double { plot.y1 - Self.fraction(v, yTicks.domain, yScale) * (plot.y1 - plot.y0) }
    }

    func ticks(_ axis: Axis, _ values: [Double]) -> AxisTicks {
        if let r = axis.range { return AxisTicks(low: r.lowerBound, high: r.upperBound, scale: axis.scale) }
        return AxisTicks(low: values.min() ?? (axis.scale == .log ? 1 : 0), high: values.max() ?? 1, scale: axis.scale)
    }

    func header(title: String, id: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"\(id)\" role=\"img\" aria-labelledby=\"\(id)-title\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" font-family=\"system-ui, sans-serif\">\n"
            + "<title id=\"\(id)-title\">\(escape(title))</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n"
            + "<text x=\"\(f(width / 2))\" y=\"22\" font-size=\"15\" font-weight=\"600\" text-anchor=\"middle\">\(escape(title))</text>\n"
    }

    func axes(xTicks: AxisTicks?, yTicks: AxisTicks, map: Mapper, plot: (x0: Double, x1: Double, y0: Double, y1: Double), xLabel: String, yLabel: String) -> String {
        var s = "<g font-size=\"11\" fill=\"#222\">\n"
        for (v, l) in zip(yTicks.values, yTicks.labels) {
            let y = map.y(v)
            s += "<line x1=\"\(f(plot.x0))\" y1=\"\(f(y))\" x2=\"\(f(plot.x1))\" y2=\"\(f(y))\" stroke=\"#e3e3e3\"/>"
            s += "<text x=\"\(f(plot.x0 - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(escape(l))</text>\n"
        }
        if let xTicks {
            for (v, l) in zip(xTicks.values, xTicks.labels) {
                let x = map.x(v)
                s += "<line x1=\"\(f(x))\" y1=\"\(f(plot.y0))\" x2=\"\(f(x))\" y2=\"\(f(plot.y1))\" stroke=\"#efefef\"/>"
                s += "<line x1=\"\(f(x))\" y1=\"\(f(plot.y1))\" x2=\"\(f(x))\" y2=\"\(f(plot.y1 + 5))\" stroke=\"#333\"/>"
                s += "<text x=\"\(f(x))\" y=\"\(f(plot.y1 + 18))\" text-anchor=\"middle\">\(escape(l))</text>\n"
            }
        }
        s += "<rect x=\"\(f(plot.x0))\" y=\"\(f(plot.y0))\" width=\"\(f(plot.x1 - plot.x0))\" height=\"\(f(plot.y1 - plot.y0))\" fill=\"none\" stroke=\"#333\"/>\n"
        s += "<text x=\"\(f((plot.x0 + plot.x1) / 2))\" y=\"\(f(height - 12))\" font-size=\"12\" text-anchor=\"middle\">\(escape(xLabel))</text>\n"
        s += "<text transform=\"translate(16,\(f((plot.y0 + plot.y1) / 2))) rotate(-90)\" font-size=\"12\" text-anchor=\"middle\">\(escape(yLabel))</text>\n"
        return s + "</g>\n"
    }

    func legendSVG(_ rows: [[(index: Int, x: Double)]], names: [String], top: Double, bars: Bool, pointsOnly: [Bool]) -> String {
        var s = "<g class=\"legend\" font-size=\"12\">\n"
        for (r, row) in rows.enumerated() {
            let y = top + Double(r) * Self.legendRowHeight - 6
            for e in row {
                let x = marginLeft + e.x
                let colour = Self.colour(e.index)
                if bars {
                    s += "<rect x=\"\(f(x))\" y=\"\(f(y - 6))\" width=\"26\" height=\"10\" fill=\"\(colour)\"/>"
                } else if e.index < pointsOnly.count, pointsOnly[e.index] {
                    s += marker(shape: e.index, x: x + 13, y: y, colour: colour, size: 5, tooltip: nil)
                } else {
                    let dash = Self.dash(e.index)
                    s += "<line x1=\"\(f(x))\" y1=\"\(f(y))\" x2=\"\(f(x + 26))\" y2=\"\(f(y))\" stroke=\"\(colour)\" stroke-width=\"2\"\(dash.isEmpty ? "" : " stroke-dasharray=\"\(dash)\"")/>"
                    s += marker(shape: e.index, x: x + 13, y: y, colour: colour, size: 3.5, tooltip: nil)
                }
                s += "<text x=\"\(f(x + 32))\" y=\"\(f(y + 4))\">\(escape(names[e.index]))</text>\n"
            }
        }
        return s + "</g>\n"
    }

    func marker(shape: Int, x: Double, y: Double, colour: String, size r: Double, tooltip: String?) -> String {
        let t = tooltip.map { "<title>\(escape($0))</title>" } ?? ""
        switch shape % 4 {
        case 0: return "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"\(f(r))\" fill=\"\(colour)\">\(t)</circle>"
        case 1: return "<rect x=\"\(f(x - r))\" y=\"\(f(y - r))\" width=\"\(f(2 * r))\" height=\"\(f(2 * r))\" fill=\"\(colour)\">\(t)</rect>"
        case 2: return "<path d=\"M\(f(x)),\(f(y - r * 1.2))L\(f(x + r * 1.1)),\(f(y + r * 0.8))L\(f(x - r * 1.1)),\(f(y + r * 0.8))Z\" fill=\"\(colour)\">\(t)</path>"
        default: return "<path d=\"M\(f(x)),\(f(y - r * 1.3))L\(f(x + r * 1.1)),\(f(y))L\(f(x)),\(f(y + r * 1.3))L\(f(x - r * 1.1)),\(f(y))Z\" fill=\"\(colour)\">\(t)</path>"
        }
    }

    func label(_ v: Double) -> String { abs(v) >= 1000 || abs(v) < 0.01 && v != 0 ? String(format: "%.3g", v) : String(format: "%.4g", v) }
    func f(_ v: Double) -> String { String(format: "%.1f", v.isFinite ? v : 0) }
}

/// `text` with XML's special characters escaped.
public func escapeXML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.count)
    for c in text {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

func escape(_ text: String) -> String { escapeXML(text) }
