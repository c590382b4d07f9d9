import ArgumentParser
import NIOCore
import NIOPosix
import SluiceCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `sluice` command: cost- and SLO-aware LLM serving, simulated.
struct Sluice: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Cost- and SLO-aware scheduling of LLM inference: simulate, compare and size serving fleets.",
        discussion: """
            Exit codes: 0 ok, 1 runtime failure (unreadable or malformed input, a write that failed), \
            2 usage (bad flag, unknown name, a model that does not fit its GPU).
            """,
        subcommands: [Simulate.self, Compare.self, Capacity.self, Validate.self, Calibrate.self, CatalogCommand.self, Bench.self, Reproduce.self, Serve.self, TenantsCommand.self, UsageCommand.self, EngineCommand.self, LoadTestCommand.self, PlanCommand.self],
        defaultSubcommand: nil
    )
}

/// Exit codes of the tool.
enum ExitStatus {
    static let runtimeFailure: Int32 = 1
    static let usage: Int32 = 2
}

@main
enum Main {
    static func main() async {
        do {
            var command = try Sluice.parseAsRoot()
            if command is Serve || command is EngineCommand || command is LoadTestCommand {
                // Servers and the load generator: Swift concurrency runs on NIO's event loops, so awaiting I/O does
                // not hop between thread pools (swift-nio's recommendation for request/response servers).
                NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            }
            if var server = command as? any AsyncParsableCommand {
                try await server.run()
            } else {
                try command.run()
            }
        } catch let error as SluiceError {
            writeToStandardError("error: \(error.description)\n")
            exit(error.isUsageError ? ExitStatus.usage : ExitStatus.runtimeFailure)
        } catch {
            let code = Sluice.exitCode(for: error)
            if code == .success {
                print(Sluice.fullMessage(for: error))
                exit(0)
            }
            writeToStandardError(Sluice.fullMessage(for: error) + "\n")
            exit(code == .failure ? ExitStatus.runtimeFailure : ExitStatus.usage)
        }
    }
}
