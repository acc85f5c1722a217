import Foundation
import NIOPosix

/// Where the server keeps attachment files: content-addressed by SHA-256, plus the
/// uploads in progress, each named by the server (``SyncService`` checks every byte
/// against its hash before ``commitUpload(_:as:)``).
///
/// ``FileAttachmentStorage`` keeps them in a folder; a deployment implements this
/// protocol to keep them in object storage instead (an upload maps to a multipart
/// upload, `commitUpload` to completing it under the hash's name).
public protocol AttachmentStorage: Sendable {
    /// The size of the stored file with this hash, nil when there is none.
    func storedSize(of sha256: String) async throws -> Int64?

    /// How many bytes of the upload are kept (0 when none).
    func uploadedSize(of upload: String) async throws -> Int64

    /// Appends bytes at the end of the upload, creating it if needed.
    func appendUpload(_ upload: String, _ bytes: Data) async throws

    /// Reads the upload's bytes in order, a piece at a time.
    func readUpload(_ upload: String, _ body: (Data) throws -> Void) async throws

    /// Makes the upload the stored file `sha256` (or drops it when that file exists).
    func commitUpload(_ upload: String, as sha256: String) async throws

    /// Drops an upload in progress.
    func discardUpload(_ upload: String) async throws

    /// Reads `range` of a stored file (the caller keeps ranges to a few megabytes).
    func read(_ sha256: String, range: Range<Int64>) async throws -> Data

    /// Deletes a stored file.
    func delete(_ sha256: String) async throws

    /// Every stored file, with when it was stored.
    func storedFiles() async throws -> [(sha256: String, storedAt: Date)]

    /// Every upload in progress, with when it last grew.
    func uploads() async throws -> [(upload: String, changedAt: Date)]
}

/// Attachments as files in a folder: `files/ab/<hash>` (by the hash's first two digits)
/// and `uploads/<name>`. A file is stored by renaming its verified upload, so a reader
/// never sees half a file. The file work runs on NIO's thread pool, never on the
/// threads that serve requests.
public struct FileAttachmentStorage: AttachmentStorage {
    /// The folder.
    public let directory: URL
    /// How many bytes one read of an upload hands on at a time.
    public var readSize = 1 << 20

    /// Creates the folder (and its parents) when missing.
    public init(directory: URL) throws {
        self.directory = directory
        for folder in ["files", "uploads"] {
            try FileManager.default.createDirectory(at: directory.appending(path: folder), withIntermediateDirectories: true)
        }
    }

    private func fileURL(_ sha256: String) -> URL {
        directory.appending(path: "files/\(sha256.prefix(2))/\(sha256)")
    }

    private func uploadURL(_ upload: String) -> URL {
        directory.appending(path: "uploads/\(upload)")
    }

    /// Runs blocking file work on NIO's thread pool.
    private func offload<Value: Sendable>(_ work: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await NIOThreadPool.singleton.runIfActive(work)
    }

    private static func size(of url: URL) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size].flatMap { ($0 as? NSNumber)?.int64Value }
    }

    private static func modified(_ url: URL) -> Date {
        ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
    }

    public func storedSize(of sha256: String) async throws -> Int64? {
        let url = fileURL(sha256)
        return try await offload { Self.size(of: url) }
    }

    public func uploadedSize(of upload: String) async throws -> Int64 {
        let url = uploadURL(upload)
        return try await offload { Self.size(of: url) ?? 0 }
    }

    public func appendUpload(_ upload: String, _ bytes: Data) async throws {
        let url = uploadURL(upload)
        try await offload {
            if !FileManager.default.fileExists(atPath: url.path) {
                guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
                }
            }
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: bytes)
        }
    }

    public func readUpload(_ upload: String, _ body: (Data) throws -> Void) async throws {
        let url = uploadURL(upload), size = readSize
        var offset: UInt64 = 0
        while true {
            let start = offset
            let piece = try await offload { () -> Data in
                let handle = try FileHandle(forReadingFrom: url)
                defer { try? handle.close() }
                try handle.seek(toOffset: start)
                return try handle.read(upToCount: size) ?? Data()
            }
            if piece.isEmpty { return }
            try body(piece)
            offset += UInt64(piece.count)
        }
    }

    public func commitUpload(_ upload: String, as sha256: String) async throws {
        let source = uploadURL(upload), target = fileURL(sha256)
        try await offload {
            if FileManager.default.fileExists(atPath: target.path) {
                try? FileManager.default.removeItem(at: source)
                return
            }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            do {
                try FileManager.default.moveItem(at: source, to: target)
            } catch where FileManager.default.fileExists(atPath: target.path) {
                // Another upload of the same bytes got there first.
                try? FileManager.default.removeItem(at: source)
            }
        }
    }

    public func discardUpload(_ upload: String) async throws {
        let url = uploadURL(upload)
        try await offload { try? FileManager.default.removeItem(at: url) }
    }

    public func read(_ sha256: String, range: Range<Int64>) async throws -> Data {
        let url = fileURL(sha256)
        return try await offload {
            let handle = try FileHandle(forReadingFrom: url)
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(range.lowerBound))
            return try handle.read(upToCount: range.count) ?? Data()
        }
    }

    public func delete(_ sha256: String) async throws {
        let url = fileURL(sha256)
        try await offload { try? FileManager.default.removeItem(at: url) }
    }

    public func storedFiles() async throws -> [(sha256: String, storedAt: Date)] {
        let files = directory.appending(path: "files")
        let found = try await offload { () -> [StoredFile] in
            var found: [StoredFile] = []
            for folder in (try? FileManager.default.contentsOfDirectory(atPath: files.path)) ?? [] {
                let path = files.appending(path: folder)
                for name in (try? FileManager.default.contentsOfDirectory(atPath: path.path)) ?? [] where name.utf8.count == 64 {
                    found.append(StoredFile(name: name, date: Self.modified(path.appending(path: name))))
                }
            }
            return found
        }
        return found.map { ($0.name, $0.date) }
    }

    public func uploads() async throws -> [(upload: String, changedAt: Date)] {
        let folder = directory.appending(path: "uploads")
        let found = try await offload { () -> [StoredFile] in
            ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).map { name in
                StoredFile(name: name, date: Self.modified(folder.appending(path: name)))
            }
        }
        return found.map { ($0.name, $0.date) }
    }

    /// A file's name and time, handed back from the thread pool.
    private struct StoredFile: Sendable {
        var name: String
        var date: Date
    }
}
