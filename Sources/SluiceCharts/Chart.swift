/// One axis of a chart: its label (with the unit: "TTFT (s)"), scale and optional fixed range.
public struct Axis: Sendable, Hashable {
    /// Label, unit included.
    public var label: String
    /// Linear or log.
    public var scale: AxisScale
    /// Fixed ends (`nil`: from the data).
    public var range: ClosedRange<Double>?

    /// Creates an axis.
    public init(_ label: String, scale: AxisScale = .linear, range: ClosedRange<Double>? = nil) {
        self.label = label
        self.scale = scale
        self.range = range
    }
}

/// A named series of points.
public struct Series: Sendable, Hashable {
    /// How the points are drawn.
    public enum Style: Sendable, Hashable {
        /// Straight segments with a marker at each point.
        case line
        /// A staircase (an empirical CDF): horizontal then vertical.
        case step
        /// Markers only (reported figures next to our curves).
        case points
    }

    /// Legend name.
    public var name: String
    /// The points, `(x, y)`.
    public var points: [(x: Double, y: Double)]
    /// Drawing style.
    public var style: Style

    /// Creates a series.
    public init(_ name: String, points: [(x: Double, y: Double)], style: Style = .line) {
        self.name = name
        self.points = points
        self.style = style
    }

    public static func == (a: Series, b: Series) -> Bool {
        a.name == b.name && a.style == b.style && a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y }
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(points.count)
    }
}

/// A vertical marker line on an x value (the capacity point), with its label.
public struct Marker: Sendable, Hashable {
    /// Where.
    public var x: Double
    /// What it marks.
    public var label: String
    /// The series it belongs to (drawn in that series' colour), if any.
    public var series: Int?

    /// Creates a marker.
    public init(x: Double, label: String, series: Int? = nil) {
        self.x = x
        self.label = label
        self.series = series
    }
}

/// A chart of series against two axes (lines, steps for CDFs, points).
public struct LineChart: Sendable, Hashable {
    /// Title.
    public var title: String
    /// Horizontal axis.
    public var x: Axis
    /// Vertical axis.
    public var y: Axis
    /// The series, drawn in order (colours and dashes follow the order).
    public var series: [Series]
    /// Vertical markers.
    public var markers: [Marker]

    /// Creates a chart.
    public init(title: String, x: Axis, y: Axis, series: [Series], markers: [Marker] = []) {
        self.title = title
        self.x = x
        self.y = y
        self.series = series
        self.markers = markers
    }
}

/// A chart of grouped bars: one group per category, one bar per series in each group.
public struct BarChart: Sendable, Hashable {
    /// Title.
    public var title: String
    /// Category names (along the horizontal axis).
    public var categories: [String]
    /// Label of the categories.
    public var categoryLabel: String
    /// Value axis (linear; log for values spanning decades).
    public var y: Axis
    /// Series: a name and one value per category (`nil`: no bar).
    public var series: [(name: String, values: [Double?])]

    /// Creates a chart.
    public init(title: String, categories: [String], categoryLabel: String, y: Axis, series: [(name: String, values: [Double?])]) {
        self.title = title
        self.categories = categories
        self.categoryLabel = categoryLabel
        self.y = y
        self.series = series
    }

    public static func == (a: BarChart, b: BarChart) -> Bool {
        a.title == b.title && a.categories == b.categories && a.series.map(\.name) == b.series.map(\.name)
            && zip(a.series, b.series).allSatisfy { $0.values == $1.values }
    }

    public func hash(into h: inout Hasher) {
        h.combine(title)
        h.combine(categories)
    }
}
