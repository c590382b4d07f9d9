/// One accelerator model: the roofline's hardware parameters and its price.
///
/// Invariants: all rates and sizes positive; `pricePerHourUSD >= 0`. Figures are datasheet values (dense BF16,
/// no sparsity); the catalog file records where each price comes from.
public struct GPUSpec: Sendable, Hashable, Codable {
    /// Catalog name, lower-case kebab form (`h100-sxm`).
    public var name: String
    /// Peak dense BF16 tensor throughput, FLOP/s.
    public var peakFlopsPerSecond: Double
    /// Peak dense FP8 tensor throughput, FLOP/s (`nil`: no FP8 tensor cores; FP8 weights are then dequantised and
    /// the GEMMs run at the BF16 peak, as vLLM's weight-only FP8 kernels do on A100).
    public var peakFP8FlopsPerSecond: Double?
    /// HBM (device memory) bandwidth, bytes/s.
    public var memoryBandwidthBytesPerSecond: Double
    /// Device memory, bytes.
    public var memoryBytes: Double
    /// GPU-to-GPU link bandwidth per direction, bytes/s (NVLink; PCIe for cards without it).
    public var linkBandwidthBytesPerSecond: Double
    /// On-demand list price of one GPU for one hour, US dollars.
    public var pricePerHourUSD: Double
    /// Spot (preemptible) price of one GPU-hour, US dollars (`nil`: on-demand × ``defaultSpotPriceRatio``).
    public var spotPricePerHourUSD: Double?

    /// The spot price assumed when a catalog gives none: spot capacity typically sells 60–70 % below on-demand (AWS
    /// EC2 Spot documentation: "up to 90 %"), so 35 % of on-demand. An assumption: set `spotPricePerHourUSD` from your
    /// provider.
    public static let defaultSpotPriceRatio = 0.35

    /// The spot price in force.
    public var effectiveSpotPricePerHourUSD: Double { spotPricePerHourUSD ?? pricePerHourUSD * Self.defaultSpotPriceRatio }

    /// Creates a GPU spec.
    public init(
        name: String, peakFlopsPerSecond: Double, memoryBandwidthBytesPerSecond: Double, memoryBytes: Double,
        linkBandwidthBytesPerSecond: Double, pricePerHourUSD: Double
    ) {
        self.name = name
        self.peakFlopsPerSecond = peakFlopsPerSecond
        self.memoryBandwidthBytesPerSecond = memoryBandwidthBytesPerSecond
        self.memoryBytes = memoryBytes
        self.linkBandwidthBytesPerSecond = linkBandwidthBytesPerSecond
        self.pricePerHourUSD = pricePerHourUSD
    }
}
