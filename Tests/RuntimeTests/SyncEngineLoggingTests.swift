import Foundation
import Logging
import Testing
@testable import Syncwright

/// A swift-log handler that keeps every line, for tests.
struct RecordingLogHandler: LogHandler {
    struct Line: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    let lines: Locked<[Line]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }.mapValues { "\($0)" }
        lines.withValue { $0.append(Line(level: event.level, message: "\(event.message)", metadata: merged)) }
    }
}

@Suite("Sync engine logging through swift-log")
struct SyncEngineLoggingTests {
    static func harness() throws -> (Harness, Locked<[RecordingLogHandler.Line]>) {
        let lines = Locked<[RecordingLogHandler.Line]>([])
        let logger = Logger(label: "test") { _ in RecordingLogHandler(lines: lines) }
        return (try Harness(configuration: SyncConfiguration(logger: logger)), lines)
    }

    @Test("a sync logs what it pushed, refused, retried and pulled")
    func syncIsLogged() async throws {
        let (harness, lines) = try Self.harness()
        try harness.write { try $0.insert(TaskItem(title: "fine")) }
        try harness.write { try $0.insert(TaskItem(title: "forbidden")) }
        await harness.server.configure { server in
            server.pushFailures = [.server(status: 503, "busy")]
            server.rejection = { op in op.values?["title"] == .string("forbidden") ? ("owner_mismatch", "not yours") : nil }
        }
        try await harness.engine.sync()
        let logged = lines.withValue { $0 }
        let retry = try #require(logged.first { $0.message == "request failed; retrying" })
        #expect(retry.level == .notice)
        #expect(retry.metadata["code"] == "server" && retry.metadata["status"] == "503" && retry.metadata["attempt"] == "1")
        let refused = try #require(logged.first { $0.message == "change refused" })
        #expect(refused.metadata["code"] == "owner_mismatch" && refused.metadata["entity"] == "TaskItem")
        let finished = try #require(logged.first { $0.message == "sync finished" })
        #expect(finished.level == .info)
        #expect(finished.metadata["pushed"] == "1" && finished.metadata["refused"] == "1" && finished.metadata["pulled"] == "1")
    }

    @Test("a failed sync logs its code, status and the server's request id")
    func failureIsLogged() async throws {
        let (harness, lines) = try Self.harness()
        try harness.write { try $0.insert(TaskItem(title: "stuck")) }
        await harness.server.configure { server in
            server.pushFailures = [.response(status: 401, serverCode: "unauthorized", message: "expired", requestID: "req-9")]
        }
        await #expect(throws: SyncFailure.self) { try await harness.engine.sync() }
        let failed = try #require(lines.withValue { $0 }.first { $0.message == "sync failed" })
        #expect(failed.level == .error)
        #expect(failed.metadata["code"] == "unauthorized")
        #expect(failed.metadata["serverCode"] == "unauthorized")
        #expect(failed.metadata["requestId"] == "req-9")
        #expect(failed.metadata["retryable"] == "false")
    }

    @Test("the default configuration logs nothing")
    func silentByDefault() throws {
        #expect(SyncConfiguration().logger.handler is SwiftLogNoOpLogHandler)
    }
}
