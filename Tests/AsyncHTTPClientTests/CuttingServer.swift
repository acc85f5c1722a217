import Foundation
import NIOCore
import NIOPosix

/// A TCP server on 127.0.0.1 that reads each HTTP request whole, writes the first
/// `cut` bytes of a fixed answer and closes the connection: a network that fails at
/// every possible byte of a response.
final class CuttingServer: Sendable {
    let channel: any Channel
    let answer: [UInt8]

    var port: Int { channel.localAddress?.port ?? 0 }
    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts a server that sends `answer.prefix(cut)` to every request.
    init(answer: [UInt8], cut: Int) async throws {
        self.answer = answer
        let prefix = Array(answer.prefix(cut))
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CuttingHandler(reply: prefix))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    func stop() async throws {
        try await channel.close()
    }

    /// An HTTP/1.1 answer with a JSON body and its length, and where its headers end.
    static func httpAnswer(status: String = "200 OK", json: String) -> (bytes: [UInt8], headerEnd: Int) {
        let body = Array(json.utf8)
        let head = Array("HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8)
        return (head + body, head.count)
    }
}

/// One connection's handler; it runs on the connection's event loop only.
private final class CuttingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let reply: [UInt8]
    private var received: [UInt8] = []

    init(reply: [UInt8]) {
        self.reply = reply
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        received += bytes
        guard Self.isComplete(received) else { return }
        let channel = context.channel
        if reply.isEmpty {
            context.close(promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Whether the bytes hold a request's headers and its whole `Content-Length` body.
    private static func isComplete(_ bytes: [UInt8]) -> Bool {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
            return false
        }
        let head = String(decoding: bytes[..<end], as: UTF8.self).lowercased()
        let length = head.split(separator: "\r\n")
            .first { $0.hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return bytes.count >= end + 4 + length
    }
}
