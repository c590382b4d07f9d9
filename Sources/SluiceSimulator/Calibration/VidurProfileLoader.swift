public import SluiceCore
import SluiceCatalog

/// Loads Vidur's per-layer operator profiles (`mlp.csv`, microsoft/vidur `data/profiling/compute/<gpu>/<model>/`,
/// MIT; copies in `data/profiles/vidur/`) into a ``LinearOperatorProfile`` for ``ProfileTableStepTimeModel``.
///
/// Columns used: `time_stats.<op>.median` (milliseconds per layer, one GPU shard) for each operator,
/// `num_tokens`, `num_tensor_parallel_workers`, and, to check the profile fits the model, `n_embd`, `n_head`,
/// `n_kv_head`, `n_expanded_embd` (whole-model values). A profile's time at `N` tokens is the sum of the chosen
/// operators' medians; rows repeated for one token count are averaged.
public enum VidurProfileLoader: Sendable {
    /// The token-level operators of one transformer layer in Vidur's `mlp.csv` (all but `emb`, which runs once
    /// per step, not per layer).
    public static let defaultOperators = [
        "attn_pre_proj", "attn_post_proj", "attn_rope", "mlp_up_proj", "mlp_act", "mlp_down_proj",
        "input_layernorm", "post_attention_layernorm", "add",
    ]
    /// The four GEMMs among ``defaultOperators`` (what the roofline's `T_lin` models).
    public static let gemmOperators = ["attn_pre_proj", "attn_post_proj", "mlp_up_proj", "mlp_down_proj"]

    /// Reads the profile rows of `path` for `tensorParallel`.
    /// - Parameters:
    ///   - path: a Vidur `mlp.csv`.
    ///   - tensorParallel: the deployment's TP; only rows with this `num_tensor_parallel_workers` are used.
    ///   - operators: operator names whose medians are summed (default ``defaultOperators``).
    ///   - model: when given, the profile's `n_embd`, `n_head`, `n_kv_head` and `n_expanded_embd` must match it.
    /// - Throws: ``SluiceError``: an unreadable file, malformed rows (line and field), a TP absent from the file
    ///   (listing those present), or a profile of another model shape.
    public static func load(
        path: String, tensorParallel: Int, operators: [String] = defaultOperators, model: ModelSpec? = nil
    ) throws(SluiceError) -> LinearOperatorProfile {
        try parse(
            CalibrationCSV.readText(path: path), file: CalibrationFile.fileName(of: path),
            tensorParallel: tensorParallel,
            operators: operators, model: model)
    }

    /// Builds the table step-time model for `deployment` from the profile at `path`.
    /// - Parameters:
    ///   - path: a Vidur `mlp.csv` for the deployment's model and GPU.
    ///   - deployment: model (checked against the profile's shape), GPU and TP.
    ///   - parameters: roofline parameters for attention, communication and the step overhead.
    ///   - operators: operator names to sum (default ``defaultOperators``).
    /// - Throws: as ``load(path:tensorParallel:operators:model:)``.
    public static func stepTimeModel(
        path: String, deployment: Deployment, parameters: RooflineParameters = RooflineParameters(),
        operators: [String] = defaultOperators
    ) throws(SluiceError) -> ProfileTableStepTimeModel {
        let profile = try load(
            path: path, tensorParallel: deployment.tensorParallel, operators: operators, model: deployment.model)
        return try ProfileTableStepTimeModel(profile: profile, deployment: deployment, parameters: parameters)
    }

    /// Parses `mlp.csv` text; `file` names it in errors. See ``load(path:tensorParallel:operators:model:)``.
    public static func parse(
        _ text: String, file: String, tensorParallel: Int, operators: [String] = defaultOperators,
        model: ModelSpec? = nil
    ) throws(SluiceError) -> LinearOperatorProfile {
        let csv = try CalibrationCSV(text: text, file: file)
        let tokensColumn = try csv.column("num_tokens")
        let tpColumn = try csv.column("num_tensor_parallel_workers")
        var opColumns: [Int] = []
        for op in operators { opColumns.append(try csv.column("time_stats.\(op).median")) }
        let shapeColumns =
            try model.map { m throws(SluiceError) in
                [
                    (try csv.column("n_embd"), m.hiddenSize), (try csv.column("n_head"), m.heads),
                    (try csv.column("n_kv_head"), m.kvHeads), (try csv.column("n_expanded_embd"), m.ffnSize),
                ]
            } ?? []
        var presentTPs = Set<Int>()
        var tokens: [Int] = []
        var seconds: [Double] = []
        for row in csv.rows {
            try csv.checkWidth(row)
            let tp = try csv.integer(row, tpColumn, minimum: 1)
            presentTPs.insert(tp)
            guard tp == tensorParallel else { continue }
            tokens.append(try csv.integer(row, tokensColumn, minimum: 1))
            var ms = 0.0
            for column in opColumns { ms += try csv.nonNegativeNumber(row, column) }
            seconds.append(ms / ChunkSweepCSV.millisecondsPerSecond)
            for (column, expected) in shapeColumns {
                let value = try csv.integer(row, column, minimum: 1)
                guard value == expected else {
                    throw .malformed(
                        file: file, line: row.line, field: csv.header[column],
                        reason: "the profile is for \(csv.header[column]) = \(value), the model has \(expected)")
                }
            }
        }
        guard !tokens.isEmpty else {
            throw .invalidValue(
                field: "\(file) num_tensor_parallel_workers", value: "\(tensorParallel)",
                allowed: "a TP the profile has: \(presentTPs.sorted().map(String.init).joined(separator: ", "))")
        }
        return try LinearOperatorProfile(
            tokenCounts: tokens, perLayerSeconds: seconds, tensorParallel: tensorParallel, source: file)
    }
}
