import SluiceCore
import SluiceSimulator
import Testing

struct TraceReaderTests {
    func readAll(_ path: String, _ format: TraceFormat? = nil) throws(SluiceError) -> [TraceRecord] {
        var reader = try openTrace(path: path, format: format)
        var rows: [TraceRecord] = []
        while let r = try reader.next() { rows.append(r) }
        return rows
    }

    @Test func azureConversationTraceReadsEveryRow() throws {
        #expect(try TraceFormat.detect(path: SharedData.azureConversation) == .azure)
        let rows = try readAll(SharedData.azureConversation)
        #expect(rows.count == 19_366)
        #expect(rows.reduce(0) { $0 + $1.outputTokens } == 4_088_665)
        #expect(rows.first?.arrivalSeconds == 0)
        let last = try #require(rows.last?.arrivalSeconds)
        #expect(last > 3500 && last < 3601)
        #expect(rows[1].arrivalSeconds! > 4.3 && rows[1].arrivalSeconds! < 4.32, "18:15:50.9951690 − 18:15:46.6805900")
        #expect(rows.allSatisfy { $0.promptTokens >= 1 && $0.outputTokens >= 1 })
    }

    @Test func statsTraceHasLengthsButNoTimestamps() throws {
        #expect(try TraceFormat.detect(path: SharedData.shareGPT) == .stats)
        let rows = try readAll(SharedData.shareGPT)
        #expect(rows.count == 30_731)
        #expect(rows.allSatisfy { $0.arrivalSeconds == nil })
        #expect(rows[0].promptTokens == 74 && rows[0].outputTokens == 918)
    }

    @Test func mooncakeJSONLCarriesPrefixHashes() throws {
        #expect(try TraceFormat.detect(path: SharedData.mooncake) == .jsonl)
        let rows = try readAll(SharedData.mooncake)
        #expect(rows.count == 3_993)
        #expect(rows[0].promptTokens == 40_160 && rows[0].outputTokens == 6)
        #expect(rows[0].prefixBlockHashes.count == 79)
        #expect(rows.allSatisfy { $0.arrivalSeconds != nil })
    }

    @Test(arguments: [
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-11-16 18:15:47.00,abc,12\n", "bad.csv:3", "ContextTokens"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374,44\n2023-13-16 18:15:47.00,10,12\n", "bad.csv:3", "TIMESTAMP"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.68,374\n", "bad.csv:2", "expected 3 fields"),
        ("TIMESTAMP,ContextTokens,Tokens\n", "bad.csv:1", "GeneratedTokens"),
        ("num_prefill_tokens,num_decode_tokens\n10,20\n10,-3\n", "bad.csv:3", "num_decode_tokens"),
    ])
    func malformedCSVNamesFileLineAndField(text: String, location: String, field: String) throws {
        let path = try SharedData.temporaryFile("bad.csv", text)
        do {
            _ = try readAll(path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains(location), "\(error.description)")
            #expect(error.description.contains(field), "\(error.description)")
        }
    }

    @Test(arguments: [
        ("{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5}\n{\"timestamp\": 1, \"input_length\": \"x\", \"output_length\": 5}\n", "input_length"),
        ("{\"timestamp\": 0, \"input_length\": 10}\n", "output_length"),
        ("{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 5\n", "bad.jsonl:1"),
    ])
    func malformedJSONLNamesLineAndField(text: String, expected: String) throws {
        let path = try SharedData.temporaryFile("bad.jsonl", text)
        #expect(throws: SluiceError.self) { try readAll(path) }
        do { _ = try readAll(path) } catch { #expect(error.description.contains(expected), "\(error.description)") }
    }

    @Test func missingFileAndUnknownFormatAreClearErrors() throws {
        #expect(throws: SluiceError.self) { try readAll("/nonexistent/trace.csv", .azure) }
        let path = try SharedData.temporaryFile("weird.csv", "a,b,c\n1,2,3\n")
        do {
            _ = try TraceFormat.detect(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("--trace-format"))
        }
    }
}
