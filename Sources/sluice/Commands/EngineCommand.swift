import ArgumentParser
import Foundation
import Hummingbird
import SluiceCore
import SluiceEngineModel
import SluiceEngine
import SluiceSimulator

/// `sluice engine`: an emulated LLM engine (OpenAI-compatible, vLLM-style metrics) that streams tokens in real time
/// following the simulator's engine model for a chosen deployment, for load-testing policies and the gateway on a
/// laptop.
struct EngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Serve an emulated engine: the simulator's engine model for --model on --gpu, in real time, behind an OpenAI-compatible API.",
        discussion: """
            Continuous batching, chunked prefill, the paged KV cache and preemption are the simulator's (choose the \
            iteration scheduler with --scheduler); TTFT and time between tokens follow the calibrated step-time model of \
            that GPU. GET /metrics uses vLLM's metric names, so 'engine: vllm' upstreams of 'sluice serve' read its load.
            """)

    @OptionGroup var fleet: FleetOptions

    @Option(help: ArgumentHelp("Iteration scheduler (as in sluice simulate; default: the --engine's policy, else vllm).", valueName: "NAME"))
    var scheduler: String?

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port (0: any free port; the port in use is printed).")
    var port = 8000

    @Option(help: "Model name clients ask for (default: --model).")
    var servedModelName: String?

    @Option(help: "Output tokens of a request that sets no max_tokens.")
    var defaultOutputTokens = 128

    func run() async throws {
        guard (0...65_535).contains(port) else { throw SluiceError.invalidValue(field: "--port", value: "\(port)", allowed: "0...65535") }
        guard defaultOutputTokens > 0 else {
            throw SluiceError.invalidValue(field: "--default-output-tokens", value: "\(defaultOutputTokens)", allowed: "a positive integer")
        }
        guard (fleet.replicas ?? 1) == 1, fleet.fleet == nil else {
            throw SluiceError.invalidValue(field: "--replicas/--fleet", value: "more than one replica", allowed: "one engine per process (start several)")
        }
        let scheduler = try fleet.schedulerName(self.scheduler)
        let specs = try fleet.replicaSpecs(scheduler: scheduler, catalog: try fleet.loadCatalog())
        guard let spec = specs.first else { throw SluiceError.invalidValue(field: "--replicas", value: "0", allowed: "1") }
        let engine = try EmulatedEngine(spec: spec)
        let name = servedModelName ?? fleet.model
        let server = EngineServer(engine: engine, servedModelName: name, defaultOutputTokens: defaultOutputTokens)
        let host = self.host
        let what = "\(spec.deployment.model.name) on \(spec.deployment.tensorParallel) x \(spec.deployment.gpu.name), scheduler \(scheduler)"
        do {
            try await server.application(host: host, port: port) { port in
                FileHandle.standardOutput.write(Data("sluice engine listening on http://\(host):\(port) (model '\(name)': \(what))\n".utf8))
            }.runService()
        } catch where "\(error)".contains("Address already in use") {
            throw SluiceError.invalidValue(
                field: "--port", value: "\(port)", allowed: "a free port: \(host):\(port) is already in use; choose another with --port N (0: any free port)")
        }
    }
}
