/// The physical GPUs a fleet may place replicas on, with each GPU's memory as an address space of regions: a replica
/// takes one contiguous region (its engine's share of the GPU, vLLM's `gpu_memory_utilization`) on each of its
/// tensor-parallel GPUs, first fit, so several small models can share a GPU. Freed regions coalesce with free
/// neighbours. Fragmentation is real: a replica that fits in a GPU's total free memory but in none of its free regions
/// cannot load there.
public struct GPUInventory: Sendable {
    /// One GPU's free regions (offset, size), sorted by offset.
    struct Device: Sendable {
        var type: String
        var memoryBytes: Double
        var free: [(offset: Double, size: Double)]
        var placed = 0
    }

    /// Where a replica sits: a region on each of its GPUs.
    public struct Placement: Sendable, Hashable {
        /// GPU indices.
        public var gpus: [Int]
        /// Region offsets, one per GPU.
        public var offsets: [Double]
        /// Region size, bytes.
        public var bytes: Double
    }

    /// Why a placement failed.
    public enum Shortfall: Sendable, Hashable {
        /// Not enough free memory on enough GPUs of the type.
        case memory
        /// Enough free memory in total, but no free region is large enough (fragmentation).
        case fragmentation
    }

    private(set) var devices: [Device] = []

    /// An inventory of `count` GPUs of each type.
    public init(_ counts: [(spec: GPUSpec, count: Int)]) {
        for (spec, count) in counts {
            for _ in 0..<count {
                devices.append(Device(type: spec.name, memoryBytes: spec.memoryBytes, free: [(0, spec.memoryBytes)]))
            }
        }
    }

    /// GPUs in the inventory.
    public var count: Int { devices.count }

    /// Places a region of `bytes` on `gpus` distinct GPUs of `type`, each the first GPU (in index order) whose first
    /// free region is large enough. - Returns: the placement, or why none exists.
    public mutating func place(type: String, gpus: Int, bytes: Double) -> Result<Placement, PlacementError> {
        var chosen: [Int] = []
        var offsets: [Double] = []
        for (i, d) in devices.enumerated() where d.type == type && chosen.count < gpus {
            if let region = d.free.firstIndex(where: { $0.size >= bytes - 1e-6 }) {
                chosen.append(i)
                offsets.append(d.free[region].offset)
            }
        }
        guard chosen.count == gpus else {
            let totalFits = devices.filter { $0.type == type && $0.free.reduce(0) { $0 + $1.size } >= bytes - 1e-6 }.count >= gpus
            return .failure(PlacementError(shortfall: totalFits ? .fragmentation : .memory))
        }
        for (i, offset) in zip(chosen, offsets) {
            let r = devices[i].free.firstIndex { $0.offset == offset }!
            devices[i].free[r].offset += bytes
            devices[i].free[r].size -= bytes
            if devices[i].free[r].size <= 1e-6 { devices[i].free.remove(at: r) }
            devices[i].placed += 1
        }
        return .success(Placement(gpus: chosen, offsets: offsets, bytes: bytes))
    }

    /// Frees a placement's regions, merging them with free neighbours.
    public mutating func release(_ p: Placement) {
        for (i, offset) in zip(p.gpus, p.offsets) {
            var free = devices[i].free
            free.append((offset, p.bytes))
            free.sort { $0.offset < $1.offset }
            var merged: [(offset: Double, size: Double)] = []
            for r in free {
                if let last = merged.last, abs(last.offset + last.size - r.offset) < 1e-6 {
                    merged[merged.count - 1].size += r.size
                } else {
                    merged.append(r)
                }
            }
            devices[i].free = merged
            devices[i].placed -= 1
        }
    }

    /// 1 − (largest free region / total free memory) over the GPUs of `type` (0: no fragmentation or nothing free).
    public func fragmentation(type: String) -> Double {
        var total = 0.0
        var largest = 0.0
        for d in devices where d.type == type {
            for r in d.free {
                total += r.size
                largest = max(largest, r.size)
            }
        }
        return total > 0 ? 1 - largest / total : 0
    }
}

/// A failed placement.
public struct PlacementError: Error, Sendable, Hashable {
    /// Why.
    public var shortfall: GPUInventory.Shortfall
}
