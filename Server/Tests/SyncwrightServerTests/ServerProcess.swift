import Foundation
import Syncwright

/// A `syncwright-server` child process serving the FieldService schema on a loopback
/// port, as an operator runs it.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    private let output: Pipe
    private(set) var log = ""

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts the server on `database` (`sqlite:PATH` or a PostgreSQL URL) and waits
    /// until it says where it listens.
    init(database: String, port: Int = 0, in directory: URL? = nil, extraArguments: [String] = []) throws {
        process.executableURL = ServerCommandTests.executable
        process.arguments = ["--schema", FieldService.schemaPath, "--jwt-secret", LiveServer.secret, "--port", String(port),
                             "--database", database] + extraArguments
        let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("syncwright-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process.currentDirectoryURL = directory
        output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        var log = ""
        var found: Int?
        let handle = output.fileHandleForReading
        let deadline = Date().addingTimeInterval(60)
        while found == nil, Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            log += String(decoding: chunk, as: UTF8.self)
            if let range = log.range(of: #"address=http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(log[range].split(separator: ":").last!)
            }
        }
        self.log = log
        guard let found else {
            process.terminate()
            throw TestSetupError(description: "the server process did not start:\n\(log)")
        }
        self.port = found
    }

    /// Sends SIGTERM and waits for the process to end; returns its status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        log += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
