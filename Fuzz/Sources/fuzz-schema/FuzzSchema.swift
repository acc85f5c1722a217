import Foundation
import SyncwrightSchema

/// One input: a schema file's bytes. Parsing and validating it must not crash or hang,
/// and every diagnostic (and note) must point into the file: a line of it and a column
/// from 1. A valid schema compared with itself by `syncwright diff` has no change, and
/// reads back from the text the model keeps to the same hash (the server serves old
/// versions from that text).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSchema(_ bytes: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let contents = Data(bytes: bytes, count: count)
    let result = SchemaLoader.load(SchemaFile(path: "fuzz.yaml", contents: contents))
    let lines = lineCount(String(decoding: contents, as: UTF8.self))
    for diagnostic in result.diagnostics {
        for location in [diagnostic.location] + diagnostic.notes.compactMap(\.location) {
            guard location.file == "fuzz.yaml", location.line >= 1, location.line <= lines + 1, location.column >= 1 else {
                fatalError("a diagnostic out of the file: \(diagnostic)")
            }
        }
    }
    if result.model != nil, result.diagnostics.contains(where: { $0.severity == .error }) {
        fatalError("a model despite errors: \(result.diagnostics)")
    }
    if let model = result.model {
        let changes = SchemaDiff.compare(old: model, new: model)
        if !changes.isEmpty { fatalError("a schema differs from itself: \(changes)") }
        let reread = SchemaLoader.load(SchemaFile(path: "fuzz.yaml", text: model.sourceText)).model
        if reread?.schemaHash != model.schemaHash { fatalError("the kept text reads back to another schema") }
    }
    return 0
}

/// Lines as YAML counts them: a line ends at LF, CR, CR LF, NEL, LS or PS.
func lineCount(_ text: String) -> Int {
    var lines = 1
    var previous: Unicode.Scalar?
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\n" where previous == "\r": break
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
        default: break
        }
        previous = scalar
    }
    return lines
}
