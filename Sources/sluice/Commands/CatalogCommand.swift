import ArgumentParser
import SluiceCore
import SluiceCatalog
import SluiceSimulator

/// `sluice catalog`: what GPUs and models are known.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "List the GPUs and models Sluice knows (built in, plus --catalog files).")

    @Option(name: .customLong("catalog"), help: ArgumentHelp("Extra catalog file (JSON or YAML); repeatable.", valueName: "FILE"))
    var catalogs: [String] = []

    func run() throws {
        let catalog = try CatalogLoader.builtIn(merging: catalogs)
        var g = TextTable(["GPU", "TFLOP/s", "HBM TB/s", "memory GiB", "link GB/s", "$/GPU-h", "description"])
        for e in catalog.gpus {
            g.add([e.name, fixed(e.peakDenseTflops, 0), fixed(e.hbmTBps, 2), fixed(e.memoryGiB, 0), fixed(e.linkGBps, 0),
                   fixed(e.pricePerHourUSD, 2), e.description ?? ""])
        }
        var m = TextTable(["model", "params B", "layers", "hidden", "heads/kv", "ffn", "experts", "context", "KV KiB/token"])
        for e in catalog.models {
            let s = e.spec
            m.add([e.name, fixed(s.totalParameters / 1e9, 2), "\(s.layers)", "\(s.hiddenSize)", "\(s.heads)/\(s.kvHeads)",
                   "\(s.ffnSize)", s.experts > 1 ? "\(s.activeExperts) of \(s.experts)" : "dense", "\(s.contextLengthTokens)",
                   fixed(s.kvBytesPerToken / 1024, 0)])
        }
        print("GPUs (on-demand list prices; sources in the catalog file)\n" + g.render())
        print("Models\n" + m.render(), terminator: "")
    }
}
