import Foundation
import Testing
@testable import SyncwrightSchema

/// The repository's root folder, found from this file's path.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Loads a schema from text under a fixed file name.
func load(_ text: String, path: String = "schema.yaml") -> SchemaLoader.Result {
    SchemaLoader.load(SchemaFile(path: path, text: text))
}

/// Loads a schema from bytes under a fixed file name.
func load(bytes: Data, path: String = "schema.yaml") -> SchemaLoader.Result {
    SchemaLoader.load(SchemaFile(path: path, contents: bytes))
}

/// Diagnostics as compiler text, for failure messages.
func render(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.isEmpty ? "(no diagnostics)" : DiagnosticFormatter.format(diagnostics, as: .text)
}

/// A schema with `↓` marking a position: the text without the marker, and the
/// marker's 1-based line and column (in Unicode scalars). `«FF»` stands for a raw byte.
struct MarkedSchema {
    var bytes: Data
    var line: Int?
    var column: Int?

    init(_ marked: String) {
        var line = 1
        var column = 1
        var found: (Int, Int)?
        var text = String.UnicodeScalarView()
        for scalar in marked.unicodeScalars {
            if scalar == "↓" {
                found = (line, column)
                continue
            }
            text.append(scalar)
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        self.line = found?.0
        self.column = found?.1
        var bytes = Data()
        var rest = Substring(String(text))
        while let open = rest.range(of: "«"), let close = rest[open.upperBound...].range(of: "»") {
            bytes.append(contentsOf: Array(rest[..<open.lowerBound].utf8))
            bytes.append(UInt8(rest[open.upperBound..<close.lowerBound], radix: 16)!)
            rest = rest[close.upperBound...]
        }
        bytes.append(contentsOf: Array(rest.utf8))
        self.bytes = bytes
    }
}
