import SluiceCore
import Testing

/// Processor-sharing GPU-time accounting: shares add up to busy time; a lone request pays its whole duration.
struct GPUTimeShareMeterTests {
    @Test func aLoneRequestPaysItsWholeDuration() {
        var meter = GPUTimeShareMeter()
        let mark = meter.start(nowSeconds: 10)
        #expect(meter.finish(mark: mark, nowSeconds: 12.5) == 2.5)
        let idle = meter.start(nowSeconds: 20)
        #expect(meter.finish(mark: idle, nowSeconds: 21) == 1, "idle time before it is charged to nobody")
        #expect(meter.busySeconds == 3.5)
    }

    @Test func twoOverlappingRequestsSplitTheOverlap() {
        var meter = GPUTimeShareMeter()
        let a = meter.start(nowSeconds: 0)
        let b = meter.start(nowSeconds: 1)
        let shareA = meter.finish(mark: a, nowSeconds: 3)  // alone 1 s, shared 2 s
        let shareB = meter.finish(mark: b, nowSeconds: 4)  // shared 2 s, alone 1 s
        #expect(abs(shareA - 2) < 1e-12 && abs(shareB - 2) < 1e-12)
    }

    @Test func sharesSumToBusyTimeUnderRandomTraffic() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<20 {
            var meter = GPUTimeShareMeter()
            var open: [(mark: Double, end: Double)] = []
            var now = 0.0
            var total = 0.0
            for _ in 0..<400 {
                now += Double(rng.next() % 1000) / 1000
                open.sort { $0.end < $1.end }
                while let first = open.first, first.end <= now {
                    total += meter.finish(mark: first.mark, nowSeconds: first.end)
                    open.removeFirst()
                }
                open.append((meter.start(nowSeconds: now), now + Double(rng.next() % 5000) / 1000))
            }
            for r in open.sorted(by: { $0.end < $1.end }) { total += meter.finish(mark: r.mark, nowSeconds: r.end) }
            #expect(abs(total - meter.busySeconds) < 1e-6 * max(1, meter.busySeconds))
            #expect(meter.inFlight == 0)
        }
    }
}
