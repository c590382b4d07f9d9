/// Where a replica's weights come from when it starts, and how fast (ServerlessLLM, Fu et al., OSDI'24, measures
/// load time as bytes over the tier's bandwidth; ALGORITHMS.md §3.2).
public enum StorageTier: String, Sendable, Hashable, CaseIterable, Codable {
    /// Remote object storage over the network (about 1.25 GB/s: a 10 Gb/s link).
    case remote
    /// Local NVMe SSD (about 5 GB/s, ServerlessLLM's SSD tier).
    case localDisk = "local-disk"
    /// Host memory over PCIe 4.0 x16 (about 25 GB/s).
    case hostMemory = "host-memory"

    /// The tier's default bandwidth, bytes per second.
    public var defaultBandwidthBytesPerSecond: Double {
        switch self {
        case .remote: 1.25e9
        case .localDisk: 5e9
        case .hostMemory: 25e9
        }
    }
}

/// The time from "start a replica" to "it serves": weights over the tier's bandwidth plus the engine's start
/// (process, CUDA context, graph capture). While loading, a replica is billed and serves nothing.
public struct ColdStartModel: Sendable, Hashable, Codable {
    /// Where the weights come from.
    public var tier: StorageTier
    /// Bandwidth of that tier, bytes per second.
    public var bandwidthBytesPerSecond: Double
    /// Engine start besides the weights, seconds.
    public var engineStartSeconds: Double

    /// The default engine start: vLLM's process start, CUDA context and graph capture take tens of seconds.
    public static let defaultEngineStartSeconds = 20.0

    /// Creates a model with the tier's default bandwidth unless one is given.
    public init(tier: StorageTier = .localDisk, bandwidthBytesPerSecond: Double? = nil, engineStartSeconds: Double = ColdStartModel.defaultEngineStartSeconds) {
        self.tier = tier
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond ?? tier.defaultBandwidthBytesPerSecond
        self.engineStartSeconds = engineStartSeconds
    }

    /// Seconds to bring up a replica of `deployment` (each GPU of a tensor-parallel group loads its shard in parallel).
    public func loadSeconds(_ deployment: Deployment) -> Double {
        deployment.model.weightBytes / Double(deployment.tensorParallel) / bandwidthBytesPerSecond + engineStartSeconds
    }
}

/// A replica's place in its lifecycle. Billing runs in every state but `cold`; only `warm` replicas take requests.
public enum InstanceState: String, Sendable, Hashable, Codable {
    /// Not provisioned: no cost, no service.
    case cold
    /// Weights loading and engine starting: billed, serves nothing.
    case loading
    /// Serving.
    case warm
    /// Finishing its requests before going cold: billed, takes no new requests.
    case draining
}
