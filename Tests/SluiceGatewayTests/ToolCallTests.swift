import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import SluiceGateway
import SluiceToolCalls
import SluiceToolPlanning
import Testing

/// Plan tools over HTTP: a tool endpoint and an LLM tool through Sluice's own gateway, run by the plan executor.
struct ToolCallTests {
    static let catalogURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/catp/tools.json")

    /// A tool server: `/caption` answers a caption with its usage; `/broken` answers 500; `/wrongtype` an image.
    static func toolApp(onRunning: @escaping @Sendable (Int) -> Void) -> some ApplicationProtocol {
        let router = Router()
        router.post("/caption") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
            let inputs = object["inputs"] as? [[String: Any]] ?? []
            let answer: [String: Any] = [
                "type": "text", "payload": "caption of \(inputs.first?["payload"] as? String ?? "?") by \(object["tool"] as? String ?? "?")",
                "usage": ["exec_ms": 250.0, "short_term_gpu_mem_mb": 20.0],
            ]
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: [UInt8](try JSONSerialization.data(withJSONObject: answer)))))
        }
        router.post("/broken") { _, _ -> Response in Response(status: .internalServerError) }
        router.post("/wrongtype") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"type":"image","payload":"x"}"#)))
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                           onServerRunning: { onRunning($0.localAddress?.port ?? 0) })
    }

    @Test func aPlanRunsOnAnHTTPToolAndAnLLMThroughTheGateway() async throws {
        let catalog = try ToolCatalog(contentsOf: Self.catalogURL)
        let caption = try #require(catalog.index(of: "image_captioning"))
        let translate = try #require(catalog.index(of: "machine_translation"))
        let classify = try #require(catalog.index(of: "image_classification"))
        let detect = try #require(catalog.index(of: "object_detection"))
        try await GatewayTests.withGateway(upstreams: [("llm", false)]) { gatewayURL in
            try await withThrowingTaskGroup(of: Void.self) { group in
                let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
                let app = Self.toolApp { continuation.yield($0) }
                group.addTask { try await app.runService(gracefulShutdownSignals: []) }
                var port = 0
                for await p in stream { port = p; break }
                let base = "http://127.0.0.1:\(port)"
                let tools: [Int: any PlanTool] = [
                    caption: HTTPTool(name: "image_captioning", outputType: "text", url: base + "/caption"),
                    translate: GatewayLLMTool(name: "machine_translation", gatewayURL: gatewayURL, model: "tiny"),
                    classify: HTTPTool(name: "image_classification", outputType: "text", url: base + "/broken"),
                    detect: HTTPTool(name: "object_detection", outputType: "text", url: base + "/wrongtype"),
                ]
                // Three branches from the input: caption → translate succeeds; classify and detect fail on their own.
                let plan = try ToolPlan(steps: [
                    .init(tool: caption, dependencies: [.input]), .init(tool: translate, dependencies: [.step(0)]),
                    .init(tool: classify, dependencies: [.input]), .init(tool: detect, dependencies: [.input]),
                ])
                let run = await PlanExecutor(catalog: catalog, tools: tools, callTimeoutSeconds: 20).run(plan, input: ToolValue(type: "image", payload: "cat.jpg"))
                guard case .succeeded(let captioned, let usage, _, _) = run.steps[0] else { Issue.record("caption: \(run.steps[0])"); return }
                #expect(captioned.payload == "caption of cat.jpg by image_captioning")
                #expect(usage.execMs == 250 && usage.shortTermGPUMemoryMB == 20, "the tool's own usage report is kept")
                guard case .succeeded(let translated, let llmUsage, _, _) = run.steps[1] else { Issue.record("translate: \(run.steps[1])"); return }
                #expect(translated.payload == "hello" && translated.type == "text", "the fake engine behind the gateway answers 'hello'")
                #expect(llmUsage.execMs > 0)
                guard case .failed(let reason) = run.steps[2] else { Issue.record("classify: \(run.steps[2])"); return }
                #expect(reason.contains("HTTP 500"), "\(reason)")
                guard case .failed(let wrong) = run.steps[3] else { Issue.record("detect: \(run.steps[3])"); return }
                #expect(wrong.contains("answered type 'image', expected 'text'"), "\(wrong)")
                #expect(!run.succeeded)
                let expected = catalog.price(tool: caption, usage: usage) + catalog.price(tool: translate, usage: llmUsage)
                #expect(abs(run.actualPriceUSD - expected) < 1e-12, "only the calls that ran are paid")
                group.cancelAll()
            }
        }
    }

    @Test func anUnreachableToolFailsWithWhereItWasCalled() async throws {
        let tool = HTTPTool(name: "image_captioning", outputType: "text", url: "http://127.0.0.1:9/none", timeoutSeconds: 2)
        do {
            _ = try await tool.call([ToolValue(type: "image", payload: "x")])
            Issue.record("an unreachable tool answered")
        } catch {
            #expect("\(error)".contains("could not be reached") && "\(error)".contains("127.0.0.1:9"), "\(error)")
        }
    }
}
