import HTTPTypes
import NIOCore
import NIOHTTPTypes
import Synchronization

/// The number of client connections open at once, shared by every connection's ``ConnectionGuard``.
final class ConnectionCount: Sendable {
    let open = Atomic<Int>(0)
    /// Connections ever opened (wraps; only compared for change by ``IdleMemoryTrim``).
    let opened = Atomic<Int>(0)

    /// (ever opened, open now), read without ordering guarantees (a periodic check).
    var snapshot: (opened: Int, open: Int) { (opened.load(ordering: .relaxed), open.load(ordering: .relaxed)) }
}

/// Cuts off clients that hold a connection without finishing a request: a request head must arrive within
/// ``GatewayLimits/headerTimeoutSeconds`` of the connection opening or of the previous response ending (so a
/// slowloris client trickling header bytes, or an idle keep-alive connection, is closed), and its body within
/// ``GatewayLimits/bodyTimeoutSeconds`` of the head. A client that stops reading its answer (slow read: the channel
/// stays unwritable) is closed after ``GatewayLimits/slowReadTimeoutSeconds``. A connection over ``GatewayLimits/maxConnections`` is closed at
/// once, so the gateway keeps file descriptors for its upstreams and its ledger.
///
/// Runs on the connection's event loop; its timer is the only state, and the shared count is atomic.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: GatewayLimits
    private let count: ConnectionCount
    private var deadline: Scheduled<Void>?
    /// Armed while the channel is unwritable (the client is not reading).
    private var slowReadDeadline: Scheduled<Void>?
    private var counted = false
    /// A request head arrived and its answer is not complete yet.
    private var answering = false

    init(limits: GatewayLimits, count: ConnectionCount) {
        self.limits = limits
        self.count = count
    }

    func handlerAdded(context: ChannelHandlerContext) {
        counted = true
        let open = count.open.wrappingAdd(1, ordering: .relaxed).newValue
        count.opened.wrappingAdd(1, ordering: .relaxed)
        guard open <= limits.maxConnections else {
            context.close(promise: nil)
            return
        }
        arm(context: context, seconds: limits.headerTimeoutSeconds)
    }

    func handlerRemoved(context: ChannelHandlerContext) { forget() }

    func channelInactive(context: ChannelHandlerContext) {
        forget()
        context.fireChannelInactive()
    }

    /// The connection is gone: no timer, and no longer counted (once, whichever event comes first).
    private func forget() {
        deadline?.cancel()
        deadline = nil
        slowReadDeadline?.cancel()
        slowReadDeadline = nil
        if counted {
            counted = false
            count.open.wrappingSubtract(1, ordering: .relaxed)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            answering = true
            arm(context: context, seconds: limits.bodyTimeoutSeconds)
        case .end where answering:
            // The body is in; the answer may take as long as the upstream does.
            deadline?.cancel()
            deadline = nil
        case .end, .body: break
        }
        context.fireChannelRead(data)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            slowReadDeadline?.cancel()
            slowReadDeadline = nil
        } else if slowReadDeadline == nil {
            let channel = context.channel
            slowReadDeadline = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(limits.slowReadTimeoutSeconds * 1e9))) {
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The answer is complete: the next request head (or the connection's close) is due within the header timeout.
        if case .end = unwrapOutboundIn(data) {
            answering = false
            arm(context: context, seconds: limits.headerTimeoutSeconds)
        }
        context.write(data, promise: promise)
    }

    private func arm(context: ChannelHandlerContext, seconds: Double) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { channel.close(promise: nil) }
    }
}
