import Foundation
import Syncwright
import SyncwrightServer

/// Files over loopback: a device uploads `files` attachments of `fileSize` bytes (the
/// server in a child process, as for the sync benchmarks), a second device downloads
/// them, each beside copying the same files on the same disk. The client's peak memory
/// shows whether a file is ever held whole.
enum AttachmentBenchmarks {
    static let schema = """
        syncwright: 1
        name: Photos
        entities:
          Photo:
            table: photos
            fields:
              id: uuid
              file: attachment?
        subsets:
          all:
            entities:
              Photo: { access: read-write, unit: photos, attachments: eager }
        """

    static func model(_ schemaPath: String) throws -> SyncModel {
        let schema = try SyncServer.loadSchema(schemaPath)
        return SyncModel(schemaName: schema.name, subset: "all", schemaHash: schema.schemaHash, entities: [
            SyncEntityDescriptor(name: "Photo", tableName: "photo", keyColumn: "id", columns: [
                SyncColumn("id", .uuid), SyncColumn("file", .attachment, nullable: true, download: .eager),
            ], access: .readWrite, unit: "photos"),
        ])
    }

    /// Writes a file of pseudo-random bytes (they don't compress), 64 KiB at a time.
    static func writeFile(_ url: URL, size: Int, seed: UInt64) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var written = 0
        while written < size {
            let count = min(64 << 10, size - written)
            var piece = [UInt8](repeating: 0, count: count)
            for index in stride(from: 0, to: count, by: 8) {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                withUnsafeBytes(of: state) { bytes in
                    for offset in 0..<min(8, count - index) { piece[index + offset] = bytes[offset] }
                }
            }
            try handle.write(contentsOf: piece)
            written += count
        }
    }

    static func run(_ runner: inout BenchmarkRunner, files: Int, fileSize: Int, checkTargets: Bool) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-attachment-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let schemaPath = folder.appending(path: "photos.yaml").path()
        try schema.write(toFile: schemaPath, atomically: true, encoding: .utf8)
        let serverPath = folder.appending(path: "server.sqlite").path()
        let prepared = SyncService(schema: try SyncServer.loadSchema(schemaPath), database: try SQLiteServerDatabase(path: serverPath))
        try await prepared.prepare()
        try await prepared.database.close()

        let sources = folder.appending(path: "camera")
        try FileManager.default.createDirectory(at: sources, withIntermediateDirectories: true)
        let paths = try (0..<files).map { index in
            let url = sources.appending(path: "photo-\(index).jpg")
            try writeFile(url, size: fileSize, seed: UInt64(index + 1))
            return url
        }
        let megabytes = Double(files * fileSize) / 1_048_576

        // The baseline: the same files copied on the same disk.
        let copies = folder.appending(path: "copies")
        try FileManager.default.createDirectory(at: copies, withIntermediateDirectories: true)
        let copy = try await SyncBenchmarks.seconds {
            for url in paths { try FileManager.default.copyItem(at: url, to: copies.appending(path: url.lastPathComponent)) }
        }

        let server = try SyncBenchmarks.ServerProcess.start(schema: schemaPath, database: serverPath)
        defer { server.stop() }
        let token = try await TokenMinter.mint(secret: SyncBenchmarks.secret, claims: ["sub": .string("bench")], lifetime: 3600)
        func device(_ name: String) throws -> (SyncStore, SyncEngine) {
            let store = try SyncStore(path: folder.appending(path: "\(name).sqlite").path(), model: try model(schemaPath))
            let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!) { token }
            return (store, SyncEngine(store: store, transport: transport, configuration: SyncConfiguration(syncOnStart: false)))
        }

        // Adding the files to the device's store: copied and hashed, a piece at a time.
        let (phone, phoneEngine) = try device("phone")
        var attachments: [SyncAttachment] = []
        let importing = try await SyncBenchmarks.seconds {
            for url in paths { attachments.append(try phone.importAttachment(contentsOf: url, mediaType: "image/jpeg")) }
        }
        let references = attachments
        try await phone.write { transaction in
            for attachment in references {
                try transaction.apply(LocalChange(entity: "Photo", kind: .insert, values: [
                    "id": UUID().databaseValue, "file": attachment.databaseValue,
                ]))
            }
        }
        let residentBefore = PeakMemory.currentBytes()
        PeakMemory.reset()
        var report = SyncReport()
        let upload = try await SyncBenchmarks.seconds { report = try await phoneEngine.sync() }
        let uploadPeak = PeakMemory.residentBytes()
        guard report.attachmentsUploaded == files, report.pushed == files else {
            throw BenchmarkFailure("the upload moved \(report.attachmentsUploaded) files and pushed \(report.pushed) rows, not \(files)")
        }

        let (tablet, tabletEngine) = try device("tablet")
        PeakMemory.reset()
        let download = try await SyncBenchmarks.seconds { report = try await tabletEngine.sync() }
        let downloadPeak = PeakMemory.residentBytes()
        guard report.attachmentsDownloaded == files else {
            throw BenchmarkFailure("the download moved \(report.attachmentsDownloaded) files, not \(files)")
        }
        guard let first = attachments.first, let url = tablet.fileURL(for: first),
              try Data(contentsOf: url) == Data(contentsOf: paths[0]) else {
            throw BenchmarkFailure("the downloaded file differs from the original")
        }

        let perFile = fileSize >= 1 << 20 ? "\(fileSize >> 20) MB" : "\(fileSize >> 10) KB"
        runner.record(.init(
            name: "adding \(files) files of \(perFile) to the store (copied and hashed)",
            seconds: importing, baselineName: "copying the same files", baselineSeconds: copy))
        runner.record(.init(
            name: String(format: "upload of \(files) files of \(perFile) (%.0f MB) and their rows over loopback: %.0f MB/s",
                         megabytes, megabytes / upload),
            seconds: upload, baselineName: "copying the same files", baselineSeconds: copy))
        runner.record(.init(
            name: String(format: "download of the \(files) files by a second device, rows included: %.0f MB/s", megabytes / download),
            seconds: download, baselineName: "copying the same files", baselineSeconds: copy))
        let growth = Double(max(uploadPeak, downloadPeak) - residentBefore) / 1_048_576
        runner.record(.init(
            name: String(format: "peak client memory while files move: %.1f MB (%.1f MB up, %.1f MB down; %.1f MB above the %.1f MB resident before)",
                         Double(max(uploadPeak, downloadPeak)) / 1_048_576, Double(uploadPeak) / 1_048_576,
                         Double(downloadPeak) / 1_048_576, growth, Double(residentBefore) / 1_048_576),
            seconds: 0, target: "< 50 MB above the resident size before", meetsTarget: checkTargets ? growth < 50 : nil))
    }
}
