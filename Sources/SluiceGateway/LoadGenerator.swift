public import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
public import SluiceCore
import Synchronization

/// An open-loop HTTP load generator for OpenAI-compatible servers (`sluice loadtest`): requests are sent on a fixed
/// schedule (constant rate, or Poisson with a seed) whatever the server's pace, and each latency is measured from its
/// *scheduled* send time, so a slow server cannot hide its queueing by slowing the client down (coordinated omission,
/// as wrk2 avoids it). A share of the requests stream; for those the time to the first byte is recorded too.
public enum LoadGenerator: Sendable {
    /// What to send.
    public struct Plan: Sendable {
        /// Base URL (`http://127.0.0.1:8080`).
        public var baseURL: String
        /// Model to ask for.
        public var model: String
        /// Requests per second.
        public var rate: Double
        /// Seconds of sending.
        public var durationSeconds: Double
        /// Share of requests that stream (0...1), interleaved evenly.
        public var streamShare = 0.5
        /// Prompt tokens per request (about 4 characters each).
        public var promptTokens = 100
        /// `max_tokens` per request.
        public var outputTokens = 10
        /// Poisson arrivals with this seed (`nil`: constant spacing).
        public var poissonSeed: UInt64?
        /// `Authorization: Bearer` key, if the server needs one.
        public var apiKey: String?
        /// Connections the client may open.
        public var connections = 1024
        /// Seconds a request may take.
        public var timeoutSeconds = 30.0

        /// Creates a plan.
        public init(baseURL: String, model: String, rate: Double, durationSeconds: Double) {
            self.baseURL = baseURL
            self.model = model
            self.rate = rate
            self.durationSeconds = durationSeconds
        }
    }

    /// What came back.
    public struct Result: Sendable, Codable {
        /// Requests sent.
        public var sent: Int
        /// Answered 2xx.
        public var succeeded: Int
        /// Answered otherwise (by HTTP status), or failed: `timeout` (no complete answer within the timeout),
        /// `connection_error` (no answer: refused, reset), `stream_error` (a 2xx stream that broke or ended with an SSE
        /// error event).
        public var statuses: [String: Int]
        /// Requests per second completed over the sending window.
        public var achievedRate: Double
        /// Latency to the last byte, from the scheduled send time, seconds.
        public var latency: LatencySummary
        /// Streams: latency to the first byte, seconds.
        public var timeToFirstByte: LatencySummary
        /// Mean lateness of sends against the schedule, seconds (large values: the client itself was saturated).
        public var meanSendLatenessSeconds: Double
    }

    private final class TallyBox: Sendable {
        let value = Mutex(Tally())
    }

    private struct Tally: Sendable {
        var latency = LatencyHistogram()
        var ttfb = LatencyHistogram()
        var statuses: [String: Int] = [:]
        var succeeded = 0
        var lateness = 0.0
    }

    /// Runs the plan. - Throws: ``SluiceError`` for a bad plan.
    public static func run(_ plan: Plan) async throws -> Result {
        guard plan.rate > 0, plan.durationSeconds > 0, (0...1).contains(plan.streamShare), plan.promptTokens > 0, plan.outputTokens > 0 else {
            throw SluiceError.invalidValue(
                field: "load plan", value: "rate \(plan.rate), duration \(plan.durationSeconds), stream share \(plan.streamShare)",
                allowed: "a positive rate and duration, a stream share in 0...1, positive token counts")
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: plan.connections)
        // A refused connection is a connection error at once, not retried until the timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        let prompt = String(repeating: "word ", count: plan.promptTokens * 4 / 5)
        func body(_ stream: Bool) -> ByteBuffer {
            ByteBuffer(string: #"{"model":"\#(plan.model)","stream":\#(stream),"max_tokens":\#(plan.outputTokens),"messages":[{"role":"user","content":"\#(prompt)"}]}"#)
        }
        let bodies = (body(false), body(true))
        let tally = TallyBox()
        let count = max(1, Int((plan.rate * plan.durationSeconds).rounded()))
        var rng = SplitMix64(seed: plan.poissonSeed ?? 0)
        let start = ContinuousClock.now + .milliseconds(50)
        var offset = 0.0
        var streamCredit = 0.0
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<count {
                let scheduled = start + .seconds(offset)
                offset += plan.poissonSeed == nil ? 1 / plan.rate : -log(max(1e-12, 1 - rng.nextUnit())) / plan.rate
                streamCredit += plan.streamShare
                let stream = streamCredit >= 1
                if stream { streamCredit -= 1 }
                try? await Task.sleep(until: scheduled, clock: .continuous)
                group.addTask {
                    let sent = ContinuousClock.now
                    var request = HTTPClientRequest(url: plan.baseURL + "/v1/chat/completions")
                    request.method = .POST
                    request.headers.add(name: "content-type", value: "application/json")
                    if let key = plan.apiKey { request.headers.add(name: "authorization", value: "Bearer \(key)") }
                    request.body = .bytes(stream ? bodies.1 : bodies.0)
                    var status = "connection_error"
                    var firstByte: ContinuousClock.Instant?
                    do {
                        let response = try await client.execute(request, timeout: .milliseconds(Int64(plan.timeoutSeconds * 1000)))
                        status = "\(response.status.code)"
                        var scanner = SSEErrorScanner()
                        do {
                            for try await chunk in response.body {
                                if firstByte == nil { firstByte = .now }
                                if stream { scanner.scan(chunk) }
                            }
                            if scanner.sawError { status = "stream_error" }
                            // AsyncHTTPClient's deadline covers the head only: an answer completing late is a timeout.
                            if seconds(sent.duration(to: .now)) > plan.timeoutSeconds { status = "timeout" }
                        } catch {
                            status = Self.isTimeout(error, since: sent, limit: plan.timeoutSeconds) ? "timeout" : "stream_error"
                        }
                    } catch {
                        status = Self.isTimeout(error, since: sent, limit: plan.timeoutSeconds) ? "timeout" : "connection_error"
                    }
                    let done = ContinuousClock.now
                    tally.value.withLock { t in
                        t.lateness += seconds(scheduled.duration(to: sent))
                        if status.count == 3, status.hasPrefix("2") {
                            t.succeeded += 1
                            t.latency.record(seconds(scheduled.duration(to: done)))
                            if stream, let firstByte { t.ttfb.record(seconds(scheduled.duration(to: firstByte))) }
                        } else {
                            t.statuses[status, default: 0] += 1
                        }
                    }
                }
            }
        }
        let wall = seconds(start.duration(to: .now))
        try? await client.shutdown()
        let t = tally.value.withLock { $0 }
        return Result(
            sent: count, succeeded: t.succeeded, statuses: t.statuses, achievedRate: Double(t.succeeded) / max(wall, plan.durationSeconds),
            latency: t.latency.summary(), timeToFirstByte: t.ttfb.summary(), meanSendLatenessSeconds: t.lateness / Double(count))
    }
}

private func seconds(_ d: Duration) -> Double { d.inSeconds }

extension LoadGenerator {
    /// Whether a client error means the time ran out (rather than the connection failing): a timeout error, or any
    /// error once the request's time limit has passed (AsyncHTTPClient cancels a body read at the deadline).
    static func isTimeout(_ error: any Error, since sent: ContinuousClock.Instant, limit: Double) -> Bool {
        if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout || e == .writeTimeout {
            return true
        }
        return seconds(sent.duration(to: .now)) >= limit * Self.deadlineTolerance
    }

    /// Share of the time limit past which a failure counts as a timeout (timers fire a little early or late).
    static let deadlineTolerance = 0.98
}

/// Finds an SSE error event (`data: {"error"`) in a stream's bytes as they pass, patterns split across chunks
/// included: a stream that ends that way did not succeed, whatever its HTTP status.
struct SSEErrorScanner: Sendable {
    private static let pattern = Array(#"data: {"error""#.utf8)
    private var matched = 0
    private(set) var sawError = false

    mutating func scan(_ buffer: ByteBuffer) {
        guard !sawError else { return }
        buffer.withUnsafeReadableBytes { bytes in
            for byte in bytes {
                if Self.pattern[matched] == byte {
                    matched += 1
                    if matched == Self.pattern.count {
                        sawError = true
                        return
                    }
                } else {
                    matched = Self.pattern[0] == byte ? 1 : 0
                }
            }
        }
    }
}
