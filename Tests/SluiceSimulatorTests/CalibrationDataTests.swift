import SluiceCore
import SluiceSimulator
import Testing

/// The measured-data readers: SLAI chunk sweeps and generic step tables.
struct CalibrationDataTests {
    @Test func chunkSweepCutsThePromptIntoChunks() throws {
        let points = try ChunkSweepCSV.points(contentsOf: CalibrationFixtures.slaiPath)
        #expect(points.map(\.shapes.count) == [32, 16, 8, 6, 4, 3, 2])
        let c384 = points[3].shapes
        #expect(c384.map(\.prefillTokens) == [384, 384, 384, 384, 384, 128])
        #expect(c384.map(\.prefillContextTokens) == [0, 384, 768, 1152, 1536, 1920])
        #expect(c384.allSatisfy { $0.sequences == 1 && $0.decodeSequences == 0 })
        #expect(points[0].measuredSeconds == 22.7 / 1000)
        #expect(points[0].label == "slai-mistral7b-rtx6000ada.csv:2 chunk 64")
    }

    @Test func chunkSweepPromptLengthFromHeaderOrArgument() throws {
        let text = "chunk_tokens,iteration_ms\n100,20\n"
        #expect(throws: SluiceError.self) { try ChunkSweepCSV.points(parsing: text, file: "x.csv") }
        let points = try ChunkSweepCSV.points(parsing: text, file: "x.csv", promptTokens: 250)
        #expect(points[0].shapes.map(\.prefillTokens) == [100, 100, 50])
        let fromHeader = try ChunkSweepCSV.points(
            parsing: "chunk_tokens,iteration_ms,ttft_300_prompt_ms\n100,20,70\n", file: "y.csv")
        #expect(fromHeader[0].shapes.count == 3)
    }

    @Test func stepTableReadsPrefillDecodeAndMixedRows() throws {
        let text = """
            prefill_tokens,prefill_context_tokens,decode_sequences,decode_context_tokens,step_ms
            512,1024,0,0,30.5
            0,0,3,100,12
            # a comment
            256,0,4,4000,25
            """
        let points = try StepTimeCSV.points(parsing: text, file: "steps.csv")
        #expect(points.count == 3)
        #expect(points[0].shapes[0].prefillTokens == 512 && points[0].shapes[0].prefillContextTokens == 1024)
        #expect(points[1].shapes[0].decodeSequences == 3 && points[1].shapes[0].decodeContextTokens == 100)
        #expect(points[2].shapes[0].sequences == 5 && points[2].shapes[0].totalTokens == 260)
        #expect(points[2].label == "steps.csv:5")
        #expect(try CalibrationData.format(of: text, file: "steps.csv") == .steps)
    }

    static let malformed: [(text: String, expected: String)] = [
        ("chunk_tokens,iteration_ms,ttft_2048_prompt_ms\n64,22.7,724\n128,abc,386\n", "bad.csv:3 field 'iteration_ms'"),
        ("chunk_tokens,iteration_ms,ttft_2048_prompt_ms\n0,22.7,724\n", "bad.csv:2 field 'chunk_tokens'"),
        ("chunk_tokens,iteration_ms,ttft_2048_prompt_ms\n64,-1,724\n", "bad.csv:2 field 'iteration_ms'"),
        ("chunk_tokens,iteration_ms,ttft_2048_prompt_ms\n64,22.7\n", "bad.csv:2"),
        ("chunk_tokens,ttft_2048_prompt_ms\n64,724\n", "bad.csv:1 field 'iteration_ms'"),
        ("chunk_tokens,iteration_ms,ttft_x_prompt_ms\n64,22.7,724\n", "bad.csv:1 field 'ttft_x_prompt_ms'"),
        (
            "prefill_tokens,prefill_context_tokens,decode_sequences,decode_context_tokens,step_ms\n1,0,0,0,5\n0,0,0,0,5\n",
            "bad.csv:3 field 'prefill_tokens'"
        ),
        (
            "prefill_tokens,prefill_context_tokens,decode_sequences,decode_context_tokens,step_ms\n0,0,2,-5,5\n",
            "bad.csv:2 field 'decode_context_tokens'"
        ),
        (
            "prefill_tokens,prefill_context_tokens,decode_sequences,decode_context_tokens,step_ms\n0,7,2,5,5\n",
            "bad.csv:2 field 'prefill_context_tokens'"
        ),
        ("prefill_tokens,decode_sequences,step_ms\n1,0,5\n", "bad.csv:1 field 'prefill_context_tokens'"),
        ("tokens,ms\n1,2\n", "bad.csv:1"),
    ]

    @Test(arguments: malformed)
    func malformedInputNamesLineAndField(_ example: (text: String, expected: String)) throws {
        #expect {
            switch try CalibrationData.format(of: example.text, file: "bad.csv") {
            case .chunkSweep: _ = try ChunkSweepCSV.points(parsing: example.text, file: "bad.csv")
            case .steps: _ = try StepTimeCSV.points(parsing: example.text, file: "bad.csv")
            }
        } throws: { error in
            (error as? SluiceError)?.description.contains(example.expected) == true
        }
    }

    @Test func unreadableFileIsAnIOError() {
        #expect(throws: SluiceError.self) { try CalibrationData.points(contentsOf: "/nonexistent/steps.csv") }
    }
}
