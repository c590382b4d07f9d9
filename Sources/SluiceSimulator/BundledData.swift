public import Foundation

/// Files shipped inside the package.
public enum BundledData: Sendable {
    /// The Azure LLM inference trace 2023, conversation service: one hour, 19,366 requests
    /// (Azure/AzurePublicDataset, CC-BY-4.0; Patel et al., "Splitwise", ISCA'24).
    public static var azureConversationTrace: URL? {
        Bundle.module.url(forResource: "azure-conv-2023", withExtension: "csv")
    }

    /// The trace's display name.
    public static let azureConversationTraceName = "Azure LLM inference trace 2023 (conversation)"
}
