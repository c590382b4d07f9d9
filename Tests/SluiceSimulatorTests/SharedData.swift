import Foundation

/// Paths of the shared data beside the repository (`<repo>/../shared/data`).
enum SharedData {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static let azureConversation = path("traces/azure-llm-2023/AzureLLMInferenceTrace_conv.csv")
    static let azureCode = path("traces/azure-llm-2023/AzureLLMInferenceTrace_code.csv")
    static let shareGPT = path("traces/sharegpt4/sharegpt_8k_filtered_stats_llama2_tokenizer.csv")
    static let mooncake = path("traces/mooncake-synthetic/synthetic_trace.jsonl")

    /// Writes `text` to a fresh temporary file named `name`. - Returns: its path.
    static func temporaryFile(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }
}
