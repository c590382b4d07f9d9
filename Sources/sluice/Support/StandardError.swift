import Foundation

/// Writes text to standard error (no trailing newline added).
func writeToStandardError(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}
