import Foundation
import SluiceCore
import SluiceCatalog
import SluiceSimulator
import Testing

struct CatalogTests {
    @Test func bundledCatalogHasTheRequiredEntries() throws {
        let c = try CatalogLoader.bundled()
        for g in ["a100-80g", "h100-sxm", "h200", "l40s", "rtx-6000-ada", "l4", "a10g"] { _ = try c.gpu(named: g) }
        for m in ["llama-2-7b", "llama-2-13b", "llama-2-70b", "llama-3.1-8b", "llama-3.1-70b", "mistral-7b", "mixtral-8x7b", "qwen3-32b"] {
            _ = try c.model(named: m)
        }
        #expect(c.gpus.allSatisfy { $0.priceSource?.isEmpty == false }, "every price names its source")
    }

    @Test(arguments: [
        ("llama-3.1-8b", 8.03e9), ("llama-2-7b", 6.74e9), ("llama-2-13b", 13.0e9), ("mixtral-8x7b", 46.7e9), ("qwen3-32b", 32.8e9),
        ("llama-3.1-70b", 70.6e9),
    ])
    func parameterCountsMatchThePublishedSizes(name: String, parameters: Double) throws {
        let m = try CatalogLoader.bundled().model(named: name)
        #expect(abs(m.totalParameters - parameters) / parameters < 0.03, "\(name): \(m.totalParameters)")
    }

    @Test func kvCapacityAndFit() throws {
        let c = try CatalogLoader.bundled()
        let small = Deployment(model: try c.model(named: "llama-3.1-8b"), gpu: try c.gpu(named: "h100-sxm"))
        #expect(try small.kvBlockCapacity() > 10_000)
        let big = Deployment(model: try c.model(named: "llama-2-70b"), gpu: try c.gpu(named: "a100-80g"))
        do {
            _ = try big.kvBlockCapacity()
            Issue.record("70B does not fit one A100")
        } catch {
            #expect(error.description.contains("short by"))
        }
    }

    @Test func yamlCatalogAddsAndOverrides() throws {
        let yaml = """
            gpus:
              - name: h100-sxm
                peakDenseTflops: 989
                hbmTBps: 3.35
                memoryGiB: 80
                linkGBps: 450
                pricePerHourUSD: 1.5
              - name: mi325x
                peakDenseTflops: 1307
                hbmTBps: 5.3
                memoryGiB: 192
                linkGBps: 64
                pricePerHourUSD: 3.5
            """
        let path = try SharedData.temporaryFile("mine.yaml", yaml)
        let c = try CatalogLoader.builtIn(merging: [path])
        #expect(try c.gpu(named: "h100-sxm").pricePerHourUSD == 1.5)
        #expect(try c.gpu(named: "mi325x").memoryBytes == 192 * 1_073_741_824)
        #expect(c.gpus.count == (try CatalogLoader.bundled()).gpus.count + 1)
    }

    @Test func malformedCatalogNamesTheField() throws {
        let path = try SharedData.temporaryFile("bad.json", "{\"gpus\": [{\"name\": \"x\", \"peakDenseTflops\": 1, \"hbmTBps\": 1, \"memoryGiB\": 1, \"linkGBps\": 1}]}")
        do {
            _ = try CatalogLoader.load(path: path)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("pricePerHourUSD"))
            #expect(error.description.contains("bad.json"))
        }
        let negative = try SharedData.temporaryFile("neg.json", "{\"gpus\": [{\"name\": \"x\", \"peakDenseTflops\": -1, \"hbmTBps\": 1, \"memoryGiB\": 1, \"linkGBps\": 1, \"pricePerHourUSD\": 1}]}")
        #expect(throws: SluiceError.self) { try CatalogLoader.load(path: negative) }
        let txt = try SharedData.temporaryFile("c.txt", "{}")
        #expect(throws: SluiceError.self) { try CatalogLoader.load(path: txt) }
    }
}
