import Foundation
import GRDB
import Testing
import Syncwright
import SyncwrightAsyncHTTPClient

@Suite("AsyncHTTPClient transport")
struct AsyncHTTPSyncClientTests {
    static let pullAnswer = CuttingServer.httpAnswer(json: #"{"changes":[],"units":{"notes":"7"},"more":false}"#)
    static let request = PullRequest(subset: "member", schemaHash: "hash-1", units: ["notes": nil], limit: 100)

    private func transport(_ server: CuttingServer) -> HTTPSyncTransport {
        HTTPSyncTransport(baseURL: server.url, timeout: 10, client: AsyncHTTPSyncClient()) { "token" }
    }

    @Test("a whole answer is read and decoded")
    func wholeAnswer() async throws {
        let server = try await CuttingServer(answer: Self.pullAnswer.bytes, cut: Self.pullAnswer.bytes.count)
        defer { Task { try? await server.stop() } }
        let page = try await transport(server).pull(Self.request)
        #expect(page.units == ["notes": "7"])
        #expect(page.more == false)
    }

    @Test("a connection closed at any byte of the answer's headers fails the request, and the sync, cleanly")
    func cutInsideHeaders() async throws {
        let answer = Self.pullAnswer
        let (store, folder) = try Self.storeWithOnePendingChange()
        defer { try? FileManager.default.removeItem(at: folder) }
        var failures = 0
        // Every cut from no byte at all to the last byte before the body, then a few inside it.
        for cut in Array(0...answer.headerEnd) + [answer.headerEnd + 1, answer.bytes.count - 1] {
            let server = try await CuttingServer(answer: answer.bytes, cut: cut)
            do {
                _ = try await transport(server).pull(Self.request)
                Issue.record("a pull cut after \(cut) of \(answer.bytes.count) bytes succeeded")
            } catch let error as SyncTransportError {
                #expect(error.isTransient || error.status == nil, "cut \(cut): \(error)")
                failures += 1
            } catch {
                Issue.record("cut \(cut): not a SyncTransportError: \(error)")
            }
            // A whole sync through the same broken connection fails and keeps its change.
            let engine = SyncEngine(store: store, transport: transport(server), configuration: SyncConfiguration(
                retry: RetryPolicy(maximumAttempts: 1, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(1))))
            await #expect(throws: (any Error).self, "cut \(cut)") { try await engine.sync() }
            #expect(try await store.pendingChangeCount() == 1)
            try await server.stop()
        }
        #expect(failures == answer.headerEnd + 3)
    }

    /// A store of the one-entity model holding one unsent insert.
    static func storeWithOnePendingChange() throws -> (SyncStore, URL) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-ahc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SyncStore(path: folder.appending(path: "store.sqlite").path(), model: NoteModel.model)
        try store.write { try $0.apply(LocalChange(entity: "Note", kind: .insert, values: ["id": "n1".databaseValue, "text": "hi".databaseValue])) }
        return (store, folder)
    }

    @Test("a sync whose push answer is cut fails with the error and keeps every pending change", arguments: [0, 17, 40])
    func syncFailsCleanly(cut: Int) async throws {
        let (store, folder) = try Self.storeWithOnePendingChange()
        defer { try? FileManager.default.removeItem(at: folder) }
        let push = CuttingServer.httpAnswer(json: #"{"results":[]}"#)
        let server = try await CuttingServer(answer: push.bytes, cut: cut)
        defer { Task { try? await server.stop() } }
        let engine = SyncEngine(store: store, transport: transport(server), configuration: SyncConfiguration(
            retry: RetryPolicy(maximumAttempts: 2, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2))))

        await #expect(throws: (any Error).self) { try await engine.sync() }
        #expect(try await store.pendingChangeCount() == 1)
    }
}

@Suite("AsyncHTTPClient transport: nobody there")
struct AsyncHTTPSyncClientUnreachableTests {
    /// The server is down: each attempt fails as soon as the connection is refused, not
    /// when the request's timeout (30 s here) ends, and the message says what happened.
    @Test("a sync against a closed port fails within 2 s per attempt, and says the connection was refused")
    func closedPort() async throws {
        let port = try closedLoopbackPort()
        let (store, folder) = try AsyncHTTPSyncClientTests.storeWithOnePendingChange()
        defer { try? FileManager.default.removeItem(at: folder) }
        let attempts = 3
        var failure: SyncFailure?
        // A request timeout of 10 s: a client that waited for it would take that long per attempt.
        let durations = await quickestAttempts(under: .seconds(2), { client in
            let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:\(port)")!, timeout: 10, client: client) { "token" }
            let engine = SyncEngine(store: store, transport: transport, configuration: SyncConfiguration(
                retry: RetryPolicy(maximumAttempts: attempts, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(2))))
            failure = await #expect(throws: SyncFailure.self) { try await engine.sync() }
        }, client: { TimedHTTPClient(AsyncHTTPSyncClient()) })
        #expect(durations.count == attempts)
        #expect(durations.allSatisfy { $0 < .seconds(2) }, "\(durations)")
        #expect(failure?.code == .network)
        #expect(failure?.isRetryable == true)
        #expect(failure?.message.contains("can't connect to 127.0.0.1:\(port): the connection was refused") == true,
                "\(failure?.message ?? "")")
        #expect(try await store.pendingChangeCount() == 1)
    }

    @Test("a name that doesn't resolve fails at once, in words")
    func unknownHost() async throws {
        var error: SyncTransportError?
        let durations = await quickestAttempts(under: .seconds(2), { client in
            let transport = HTTPSyncTransport(baseURL: URL(string: "http://syncwright-no-such-host.invalid:8080")!, timeout: 10,
                                              client: client) { "token" }
            error = await #expect(throws: SyncTransportError.self) { try await transport.schema() }
        }, client: { TimedHTTPClient(AsyncHTTPSyncClient()) })
        #expect(durations.count == 1)
        #expect(durations.allSatisfy { $0 < .seconds(2) }, "\(durations)")
        #expect(error?.code == .network)
        #expect(error?.message.contains("syncwright-no-such-host.invalid:8080") == true, "\(error?.message ?? "")")
    }
}

/// A one-entity model for the engine test.
enum NoteModel {
    static let model = SyncModel(
        schemaName: "Notes", subset: "member", schemaHash: "hash-1",
        entities: [SyncEntityDescriptor(
            name: "Note", tableName: "note", keyColumn: "id",
            columns: [SyncColumn("id", .string), SyncColumn("text", .string)],
            access: .readWrite, unit: "notes")])
}
