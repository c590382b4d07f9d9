public import Foundation

/// Files shipped inside the package.
public enum BundledData: Sendable {
    /// The Azure LLM inference trace 2023, conversation service: one hour, 19,366 requests
    /// (Azure/AzurePublicDataset, CC-BY-4.0; Patel et al., "Splitwise", ISCA'24).
    public static var azureConversationTrace: URL? {
        Bundle.module.url(forResource: "azure-conv-2023", withExtension: "csv")
    }

    /// The Azure LLM inference trace 2023, code service: one hour, 8,819 requests (same source and licence).
    public static var azureCodeTrace: URL? {
        Bundle.module.url(forResource: "azure-code-2023", withExtension: "csv")
    }

    /// The OpenChat ShareGPT4 length statistics (Llama-2 tokenizer, at most 8k tokens; 30,731 requests) used by
    /// Sarathi-Serve and the SLAI paper (project-etalon/etalon and microsoft/sarathi-serve, Apache-2.0).
    public static var shareGPT4Stats: URL? {
        Bundle.module.url(forResource: "sharegpt4-stats", withExtension: "csv")
    }

    /// The trace's display name.
    public static let azureConversationTraceName = "Azure LLM inference trace 2023 (conversation)"
}
