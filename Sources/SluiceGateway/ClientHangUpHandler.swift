import NIOCore

/// Closes a client connection as soon as the client closes its side (read EOF), as nginx does unless told to ignore
/// client aborts: the server allows half-closed connections, so without this a client that went away would look
/// connected until the gateway next wrote to it, and its upstream request (a non-streamed answer being prepared)
/// would run to the end for nobody. Once closed, the request's disconnect watch cancels the upstream request.
final class ClientHangUpHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? ChannelEvent, e == .inputClosed { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }
}
