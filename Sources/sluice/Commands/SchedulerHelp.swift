import SluiceCore

/// The scheduler and router lists shown in `--help`.
enum SchedulerHelp {
    static var text: String {
        var s = "Schedulers:\n"
        for e in SchedulerRegistry.entries { s += "  \(e.name.padding(12)) \(e.summary)\n" }
        s += "Routers:\n"
        for e in RouterRegistry.entries { s += "  \(e.name.padding(18)) \(e.summary)\n" }
        s += "\n" + WorkloadHelp.text
        return s
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
