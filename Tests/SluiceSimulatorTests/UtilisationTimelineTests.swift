import SluiceCore
import SluiceEngineModel
import SluiceSimulator
import Testing

/// Utilisation over time: what a report draws as GPU busy share and KV-cache use.
struct UtilisationTimelineTests {
    @Test func busyTimeIsKeptExactlyWhileBucketsCoarsen() {
        var t = UtilisationTimeline(kvBlocks: 100)
        var total = 0.0
        // 2,000 s of 30 ms iterations every 50 ms: more than 256 one-second buckets, so pairs merge.
        for k in 0..<40_000 {
            let start = Double(k) * 0.05
            t.addIteration(from: start, to: start + 0.03, usedBlocks: 40)
            total += 0.03
        }
        t.finish(at: 2000)
        #expect(t.busySeconds.count <= UtilisationTimeline.maxBuckets)
        #expect(t.bucketSeconds == 8, "1 s doubled until 2,000 s fits in 256 buckets")
        #expect(abs(t.busySeconds.reduce(0, +) - total) < 1e-6, "no busy time lost in merging")
        for p in t.points {
            #expect(abs(p.busyShare - 0.6) < 0.01, "30 of every 50 ms busy: \(p.busyShare) at \(p.startSeconds)")
            #expect(abs(p.kvShare - 0.24) < 0.01, "40 of 100 blocks held while busy (60 % of the time)")
        }
    }

    @Test func anyWidthAndOddTimesEndPromptly() {
        var t = UtilisationTimeline(kvBlocks: 10, bucketSeconds: 0.1)
        t.addIteration(from: 4.2, to: 4.4, usedBlocks: 5)  // 0.1 is not a power of two: bucket edges round
        t.addIteration(from: 1e12, to: 1e12 + 1, usedBlocks: 5)
        t.addIteration(from: .nan, to: 1, usedBlocks: 5)
        t.finish(at: 1e12 + 2)
        #expect(t.busySeconds.count <= UtilisationTimeline.maxBuckets)
        #expect(abs(t.busySeconds.reduce(0, +) - 1.2) < 1e-3, "\(t.busySeconds.reduce(0, +))")
        var bad = UtilisationTimeline(kvBlocks: 10, bucketSeconds: 0)
        bad.finish(at: .infinity)
        #expect(bad.bucketSeconds == UtilisationTimeline.initialBucketSeconds)
    }

    @Test func aSimulatedRunRecordsItsReplicasTimelines() throws {
        let requests = Fixtures.requests(count: 300, rate: 20, seed: 5)
        let (result, _) = try Fixtures.run(requests, scheduler: "vllm", replicas: 2)
        for r in result.replicas {
            let t = try #require(r.timeline)
            #expect(abs(t.busySeconds.reduce(0, +) - r.busySeconds) < 1e-6, "the timeline's busy time is the replica's")
            #expect(t.points.allSatisfy { (0...1).contains($0.busyShare) && (0...1).contains($0.kvShare) })
            #expect(t.points.contains { $0.kvShare > 0 }, "KV blocks were in use at some point")
            #expect(Double(t.busySeconds.count) * t.bucketSeconds >= result.simulatedSeconds - t.bucketSeconds)
        }
        let d = try #require(SimulationSummary(result, label: "x").distributions)
        #expect(d.ttftSeconds == d.ttftSeconds.sorted() && d.tbtSeconds == d.tbtSeconds.sorted(), "a CDF never goes down")
        #expect(d.percentiles.count == d.ttftSeconds.count && d.gpuBusyShare.count == d.kvShare.count && !d.gpuBusyShare.isEmpty)
    }

    @Test func distributionsPerClassOnlyWithSeveralClassesAndWithinTheRunsRange() throws {
        let requests = Fixtures.requests(count: 400, rate: 30, seed: 3, classes: 2)
        let classes = SLOClassTable([
            SLOClass(name: "chat", targets: SLOTargets(ttftSeconds: 0.5), share: 0.5),
            SLOClass(name: "batch", targets: SLOTargets(e2eSeconds: 30), share: 0.5),
        ])
        let (result, outcomes) = try Fixtures.run(requests, scheduler: "vllm", classes: classes)
        let d = try #require(SimulationSummary(result, label: "x").distributions)
        let perClass = try #require(d.perClass)
        #expect(Set(perClass.keys) == ["chat", "batch"])
        for (i, name) in ["chat", "batch"].enumerated() {
            let c = try #require(perClass[name])
            #expect(c.ttftSeconds.count == d.percentiles.count && c.ttftSeconds == c.ttftSeconds.sorted())
            // The class's median lies within its own requests' TTFTs (the histogram's resolution aside).
            let own = outcomes.filter { $0.sloClass == i && $0.ttftSeconds > 0 }.map(\.ttftSeconds).sorted()
            let median = c.ttftSeconds[try #require(d.percentiles.firstIndex(of: 50))]
            let (lowest, highest) = (try #require(own.first), try #require(own.last))
            #expect(median >= lowest * 0.95 && median <= highest * 1.05)
        }
        let (single, _) = try Fixtures.run(Fixtures.requests(count: 50, rate: 10, seed: 3), scheduler: "vllm")
        #expect(SimulationSummary(single, label: "y").distributions?.perClass == nil, "one class: the overall figures are its")
    }
}
