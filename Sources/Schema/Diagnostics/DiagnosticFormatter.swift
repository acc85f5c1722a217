import Foundation

/// The output formats for diagnostics.
public enum DiagnosticFormat: String, Sendable, CaseIterable {
    /// `path:line:column: error: message [rule-id]` and `note:` lines, which Xcode,
    /// SwiftPM and most editors pick up.
    case text
    /// One JSON document with every diagnostic and the counts.
    case json
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::…`), which
    /// annotate the pull request.
    case github
}

/// Prints diagnostics in each ``DiagnosticFormat``.
public enum DiagnosticFormatter {
    /// Formats `diagnostics` as one string, ending with a newline unless empty.
    public static func format(_ diagnostics: [Diagnostic], as format: DiagnosticFormat) -> String {
        switch format {
        case .text:
            return diagnostics.map { text($0) + "\n" }.joined()
        case .github:
            return diagnostics.map { github($0) + "\n" }.joined()
        case .json:
            return json(diagnostics) + "\n"
        }
    }

    /// One diagnostic as compiler-style text, its notes on the following lines.
    public static func text(_ diagnostic: Diagnostic) -> String {
        var lines = ["\(diagnostic.location): \(diagnostic.severity.rawValue): \(diagnostic.message) [\(diagnostic.ruleID)]"]
        for note in diagnostic.notes {
            lines.append("\(note.location ?? diagnostic.location): note: \(note.message)")
        }
        return lines.joined(separator: "\n")
    }

    /// One diagnostic as a GitHub Actions workflow command.
    public static func github(_ diagnostic: Diagnostic) -> String {
        let location = diagnostic.location
        let properties = [
            "file=\(escapeProperty(location.file))",
            "line=\(location.line)",
            "col=\(location.column)",
            "title=\(escapeProperty("syncwright [\(diagnostic.ruleID)]"))",
        ].joined(separator: ",")
        var message = diagnostic.message
        for note in diagnostic.notes {
            let place = note.location.map { "\($0.line):\($0.column): " } ?? ""
            message += "\nnote: \(place)\(note.message)"
        }
        return "::\(diagnostic.severity.rawValue) \(properties)::\(escapeData(message))"
    }

    private static func escapeData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25")
            .replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }

    private static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// A note as the JSON formats print it.
    struct JSONNote: Encodable {
        var file: String?
        var line: Int?
        var column: Int?
        var message: String

        static func notes(_ notes: [Diagnostic.Note]) -> [JSONNote] {
            notes.map { JSONNote(file: $0.location?.file, line: $0.location?.line, column: $0.location?.column, message: $0.message) }
        }
    }

    /// Pretty-printed JSON with sorted keys, as both JSON formats print it.
    static func jsonText(_ report: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        return String(decoding: (try? encoder.encode(report)) ?? Data("{}".utf8), as: UTF8.self)
    }

    private struct JSONReport: Encodable {
        struct Entry: Encodable {
            var file: String
            var line: Int
            var column: Int
            var severity: String
            var rule: String
            var message: String
            var notes: [JSONNote]
        }

        var diagnostics: [Entry]
        var errors: Int
        var warnings: Int
    }

    private static func json(_ diagnostics: [Diagnostic]) -> String {
        jsonText(JSONReport(
            diagnostics: diagnostics.map { diagnostic in
                JSONReport.Entry(
                    file: diagnostic.location.file, line: diagnostic.location.line, column: diagnostic.location.column,
                    severity: diagnostic.severity.rawValue, rule: diagnostic.ruleID, message: diagnostic.message,
                    notes: JSONNote.notes(diagnostic.notes))
            },
            errors: diagnostics.filter { $0.severity == .error }.count,
            warnings: diagnostics.filter { $0.severity == .warning }.count
        ))
    }
}
