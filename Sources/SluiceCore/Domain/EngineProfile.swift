/// What a serving engine does by default that changes the simulator's answer: its per-iteration token budget, its
/// admission policy, when a sampled token reaches the client and the KV-cache precision it pairs with FP8 weights.
///
/// One place for these so that `simulate`, `capacity`, `validate` and `sluice engine` given `--engine NAME` model the
/// same engine. Every field is a default: an explicit flag (`--chunk-size`, `--scheduler`, `--output-lag-steps`,
/// `--kv-dtype`) wins.
///
/// Invariants: `maxBatchedTokens > 0`; `outputLagSteps` is 0 or 1 (``EngineLimits/outputLagSteps``); `scheduler`
/// names an iteration scheduler of ``SchedulerRegistry``.
///
/// Sources: vLLM's `--max-num-batched-tokens` online default (2048) and synchronous output; SGLang's
/// `--chunked-prefill-size` on 80 GB-class GPUs (8192); TensorRT-LLM's overlap executor (output one step late), its
/// GUARANTEED_NO_EVICT capacity scheduler (admits a request only when its prompt and whole `max_tokens` fit in the KV
/// cache, Orca's worst-case reservation) and the FP8 KV cache of NVIDIA Model Optimizer FP8 checkpoints
/// (`kv_cache_quant_algo: FP8`). TensorRT-LLM's build default budget is 8192, but the NIM profiles the bundled
/// measurements come from prefill whole cohorts of prompts in one step (TTFT at concurrency 5-10 is about N times one
/// prefill); 16384 is the budget that reproduces them best, chosen leave-one-configuration-group-out by
/// `sluice calibrate --from-validate data/measured/concurrency.csv --serving-grid` (13 of 13 held-out choices, against
/// 32768; 8192 and 65536 were never chosen in an earlier grid).
public struct EngineProfile: Sendable, Hashable {
    /// The engine's name as `--engine` takes it (lower case).
    public let name: String
    /// Token budget of one iteration when `--chunk-size` is not given.
    public let maxBatchedTokens: Int
    /// The iteration scheduler that reproduces the engine's admission when `--scheduler` is not given.
    public let scheduler: String
    /// Whether the scheduler reserves each request's prompt + `max_tokens` at admission (so a benchmark row's
    /// `max_tokens`, its output length, is the reservation: ``EngineLimits/maxOutputTokens``).
    public let reservesMaxTokens: Bool
    /// Iterations between a token being sampled and the client receiving it (``EngineLimits/outputLagSteps``).
    public let outputLagSteps: Int
    /// Whether an FP8 checkpoint runs with an FP8 KV cache by default (else the cache stays BF16).
    public let kvCacheFollowsWeights: Bool

    /// vLLM v1: 2048-token chunked prefill, synchronous output, BF16 KV cache unless `--kv-cache-dtype fp8`.
    public static let vllm = EngineProfile(
        name: "vllm", maxBatchedTokens: 2048, scheduler: "vllm", reservesMaxTokens: false, outputLagSteps: 0,
        kvCacheFollowsWeights: false)
    /// SGLang: 8192-token chunked prefill on 80 GB-class GPUs, otherwise like vLLM here.
    public static let sglang = EngineProfile(
        name: "sglang", maxBatchedTokens: 8192, scheduler: "vllm", reservesMaxTokens: false, outputLagSteps: 0,
        kvCacheFollowsWeights: false)
    /// TensorRT-LLM (and the NIM profiles built on it): GUARANTEED_NO_EVICT, overlap scheduler, FP8 KV with FP8
    /// weights, whole-cohort prefill (see the type's note on the budget).
    public static let trtllm = EngineProfile(
        name: "trtllm", maxBatchedTokens: 16384, scheduler: "orca", reservesMaxTokens: true, outputLagSteps: 1,
        kvCacheFollowsWeights: true)

    /// Every engine Sluice models, in `--engine`'s order.
    public static let all: [EngineProfile] = [.vllm, .sglang, .trtllm]

    /// The profile called `name` (case-insensitive); `nil` when no engine is named.
    /// - Throws: ``SluiceError`` naming the allowed engines when `name` is none of them.
    public static func named(_ name: String?) throws(SluiceError) -> EngineProfile? {
        guard let name else { return nil }
        guard let profile = all.first(where: { $0.name == name.lowercased() }) else {
            throw SluiceError.unknownName(kind: "engine", name: name, valid: all.map(\.name))
        }
        return profile
    }

    /// The token budget this engine gives `scheduler` when `--chunk-size` is not given: its own for its own admission
    /// policy (names compared case-insensitively), `nil` (the scheduler's default) for any other.
    public func maxBatchedTokens(scheduler: String) -> Int? {
        scheduler.lowercased() == self.scheduler ? maxBatchedTokens : nil
    }

    /// The KV-cache precision this engine uses with `weights` ("bf16" or "fp8") when none is asked for.
    public func kvDtype(weights: String) -> String {
        kvCacheFollowsWeights ? weights : "bf16"
    }
}
