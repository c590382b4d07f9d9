public import Foundation

/// The GPUs and models Sluice knows, loaded from a catalog file (the bundled `catalog.json`, plus any
/// `--catalog FILE` a user adds; later entries replace earlier ones with the same name).
///
/// File schema (JSON; YAML with the same keys is read by `SluiceSimulator`), in the units people quote:
/// ```json
/// { "gpus":   [{ "name": "h100-sxm", "description": "...", "peakDenseTflops": 989, "hbmTBps": 3.35,
///                "memoryGiB": 80, "linkGBps": 450, "pricePerHourUSD": 3.0, "priceSource": "..." }],
///   "models": [{ "name": "llama-3.1-8b", "description": "...", "layers": 32, "hiddenSize": 4096, "heads": 32,
///                "kvHeads": 8, "headDim": 128, "ffnSize": 14336, "gatedMLP": true, "vocabSize": 128256,
///                "bytesPerWeight": 2, "bytesPerKVElement": 2, "experts": 1, "activeExperts": 1,
///                "contextLengthTokens": 131072, "source": "..." }] }
/// ```
/// Invariant: names are unique within each list (lower-case kebab form by convention).
public struct Catalog: Sendable {
    /// GPU entries in file order.
    public private(set) var gpus: [GPUEntry] = []
    /// Model entries in file order.
    public private(set) var models: [ModelEntry] = []

    /// An empty catalog.
    public init() {}

    /// Decodes a JSON catalog. - Throws: ``SluiceError`` naming the file and the offending entry and field.
    public init(json: Data, file: String) throws(SluiceError) {
        let decoded: CatalogFile
        do {
            decoded = try JSONDecoder().decode(CatalogFile.self, from: json)
        } catch let error as DecodingError {
            throw Catalog.describe(error, file: file)
        } catch {
            throw .malformed(file: file, line: nil, field: nil, reason: "\(error)")
        }
        try self.init(file: decoded, path: file)
    }

    /// Builds a catalog from a decoded file, validating every entry.
    public init(file: CatalogFile, path: String) throws(SluiceError) {
        for entry in file.gpus ?? [] { try entry.validate(file: path) }
        for entry in file.models ?? [] { try entry.validate(file: path) }
        gpus = file.gpus ?? []
        models = file.models ?? []
    }

    /// Adds `other`'s entries; an entry with a name already present replaces it.
    public mutating func merge(_ other: Catalog) {
        for g in other.gpus {
            if let i = gpus.firstIndex(where: { $0.name == g.name }) { gpus[i] = g } else { gpus.append(g) }
        }
        for m in other.models {
            if let i = models.firstIndex(where: { $0.name == m.name }) { models[i] = m } else { models.append(m) }
        }
    }

    /// The GPU called `name` (case-insensitive). - Throws: ``SluiceError`` listing the valid names.
    public func gpu(named name: String) throws(SluiceError) -> GPUSpec {
        guard let e = gpus.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw .unknownName(kind: "GPU", name: name, valid: gpus.map(\.name))
        }
        return e.spec
    }

    /// The model called `name` (case-insensitive). - Throws: ``SluiceError`` listing the valid names.
    public func model(named name: String) throws(SluiceError) -> ModelSpec {
        guard let e = models.first(where: { $0.name.lowercased() == name.lowercased() }) else {
            throw .unknownName(kind: "model", name: name, valid: models.map(\.name))
        }
        return e.spec
    }

    /// Turns a decoding error into a message with the entry path and field.
    public static func describe(_ error: DecodingError, file: String) -> SluiceError {
        func path(_ c: [any CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            return .malformed(file: file, line: nil, field: path(ctx.codingPath + [key]), reason: "missing required field")
        case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx):
            return .malformed(file: file, line: nil, field: path(ctx.codingPath), reason: ctx.debugDescription)
        case .dataCorrupted(let ctx):
            return .malformed(file: file, line: nil, field: path(ctx.codingPath), reason: ctx.debugDescription)
        @unknown default:
            return .malformed(file: file, line: nil, field: nil, reason: "\(error)")
        }
    }
}

/// The on-disk shape of a catalog file.
public struct CatalogFile: Sendable, Codable {
    /// GPU entries.
    public var gpus: [GPUEntry]?
    /// Model entries.
    public var models: [ModelEntry]?
}
