/// One accelerator model: the roofline's hardware parameters and its price.
///
/// Invariants: all rates and sizes positive; `pricePerHourUSD >= 0`. Figures are datasheet values (dense BF16,
/// no sparsity); the catalog file records where each price comes from.
public struct GPUSpec: Sendable, Hashable, Codable {
    /// Catalog name, lower-case kebab form (`h100-sxm`).
    public var name: String
    /// Peak dense BF16 tensor throughput, FLOP/s.
    public var peakFlopsPerSecond: Double
    /// HBM (device memory) bandwidth, bytes/s.
    public var memoryBandwidthBytesPerSecond: Double
    /// Device memory, bytes.
    public var memoryBytes: Double
    /// GPU-to-GPU link bandwidth per direction, bytes/s (NVLink; PCIe for cards without it).
    public var linkBandwidthBytesPerSecond: Double
    /// On-demand list price of one GPU for one hour, US dollars.
    public var pricePerHourUSD: Double

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
