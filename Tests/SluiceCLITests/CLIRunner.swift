import Foundation

/// Runs the built `sluice` executable and captures its output and exit status.
enum CLIRunner {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The repository root (three levels up from this file).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared data folder beside the repository.
    static let sharedData = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    /// The `sluice` binary next to the test bundle (SwiftPM builds it because the test target depends on it).
    static var executable: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("sluice"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sluice"),
            repositoryRoot.appendingPathComponent(".build/debug/sluice"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
