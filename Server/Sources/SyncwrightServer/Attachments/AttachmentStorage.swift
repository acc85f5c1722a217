import Foundation

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
/// never sees half a file.
public struct FileAttachmentStorage: AttachmentStorage {
    /// The folder.
    public let directory: URL
    /// How many bytes one read hands on at a time.
    public var readSize = 256 * 1024

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

    private static func size(of url: URL) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size].flatMap { ($0 as? NSNumber)?.int64Value }
    }

    public func storedSize(of sha256: String) async throws -> Int64? {
        Self.size(of: fileURL(sha256))
    }

    public func uploadedSize(of upload: String) async throws -> Int64 {
        Self.size(of: uploadURL(upload)) ?? 0
    }

    public func appendUpload(_ upload: String, _ bytes: Data) async throws {
        let url = uploadURL(upload)
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

    public func readUpload(_ upload: String, _ body: (Data) throws -> Void) async throws {
        let handle = try FileHandle(forReadingFrom: uploadURL(upload))
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: readSize), !data.isEmpty {
            try body(data)
        }
    }

    public func commitUpload(_ upload: String, as sha256: String) async throws {
        let target = fileURL(sha256)
        if FileManager.default.fileExists(atPath: target.path) {
            try await discardUpload(upload)
            return
        }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        do {
            try FileManager.default.moveItem(at: uploadURL(upload), to: target)
        } catch where FileManager.default.fileExists(atPath: target.path) {
            // Another upload of the same bytes got there first.
            try await discardUpload(upload)
        }
    }

    public func discardUpload(_ upload: String) async throws {
        try? FileManager.default.removeItem(at: uploadURL(upload))
    }

    public func read(_ sha256: String, range: Range<Int64>) async throws -> Data {
        let handle = try FileHandle(forReadingFrom: fileURL(sha256))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(range.lowerBound))
        return try handle.read(upToCount: range.count) ?? Data()
    }

    public func delete(_ sha256: String) async throws {
        try? FileManager.default.removeItem(at: fileURL(sha256))
    }

    public func storedFiles() async throws -> [(sha256: String, storedAt: Date)] {
        let files = directory.appending(path: "files")
        var found: [(sha256: String, storedAt: Date)] = []
        for folder in (try? FileManager.default.contentsOfDirectory(atPath: files.path)) ?? [] {
            let path = files.appending(path: folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path.path)) ?? [] where name.utf8.count == 64 {
                let date = (try? FileManager.default.attributesOfItem(atPath: path.appending(path: name).path))?[.modificationDate] as? Date
                found.append((name, date ?? .distantPast))
            }
        }
        return found
    }

    public func uploads() async throws -> [(upload: String, changedAt: Date)] {
        let folder = directory.appending(path: "uploads")
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).map { name in
            let date = (try? FileManager.default.attributesOfItem(atPath: folder.appending(path: name).path))?[.modificationDate] as? Date
            return (name, date ?? .distantPast)
        }
    }
}
