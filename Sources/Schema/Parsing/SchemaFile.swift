import Foundation

/// A schema file's path and raw contents: the input of the pipeline.
public struct SchemaFile: Sendable, Hashable {
    /// The path as the user named it; diagnostics print it unchanged.
    public var path: String
    /// The raw bytes. They are decoded as UTF-8 by ``SchemaParser``, which reports
    /// invalid bytes as a diagnostic instead of failing.
    public var contents: Data

    /// Creates a schema file from bytes already in memory.
    public init(path: String, contents: Data) {
        self.path = path
        self.contents = contents
    }

    /// Creates a schema file from text already in memory.
    public init(path: String, text: String) {
        self.init(path: path, contents: Data(text.utf8))
    }

    /// Reads a schema file from disk.
    ///
    /// - Parameter path: The file's path, absolute or relative to the working directory.
    /// - Throws: ``SchemaFileError`` when the file can't be read.
    public init(contentsOf path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SchemaFileError(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw SchemaFileError(path: path, reason: "is a directory")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SchemaFileError(path: path, reason: "permission denied or unreadable")
        }
        self.init(path: path, contents: data)
    }
}

/// A schema file that could not be read at all.
public struct SchemaFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The path as the user named it.
    public var path: String
    /// Why it could not be read, lower-case.
    public var reason: String

    /// Creates the error.
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): error: cannot read schema: \(reason)" }
}
