import ArgumentParser

/// Where results go besides the table on stdout.
struct OutputOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write the summary as JSON to FILE.", valueName: "FILE"))
    var json: String?

    @Option(help: ArgumentHelp(
        "Write a self-contained HTML report: TTFT/TBT CDFs, per-class and per-tenant figures, utilisation over time.", valueName: "FILE"))
    var html: String?

    @Option(help: ArgumentHelp("Write one CSV row per request to FILE.", valueName: "FILE"))
    var requestsCsv: String?

    @Flag(help: "Do not draw the progress bar on stderr.")
    var noProgress = false

    @Flag(help: "Write wallSeconds as 0 so that identical runs give byte-identical JSON.")
    var reproducible = false
}
