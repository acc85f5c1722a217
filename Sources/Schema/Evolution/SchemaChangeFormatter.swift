import Foundation

/// Prints ``SchemaChange``s in each ``DiagnosticFormat``, as `syncwright diff` does.
///
/// - `text`: `path:line:column: breaking: message [rule-id]` (or `compatible:`) and
///   `note:` lines.
/// - `github`: a workflow command per change: `::error` for a breaking change,
///   `::notice` for a compatible one, so the pull request is annotated at the line.
/// - `json`: one document with every change, its impact, and the counts.
public enum SchemaChangeFormatter {
    /// Formats `changes` as one string, ending with a newline unless empty.
    public static func format(_ changes: [SchemaChange], as format: DiagnosticFormat) -> String {
        switch format {
        case .text:
            return changes.map { text($0) + "\n" }.joined()
        case .github:
            return changes.map { github($0) + "\n" }.joined()
        case .json:
            return json(changes) + "\n"
        }
    }

    /// One change as compiler-style text, its notes on the following lines.
    public static func text(_ change: SchemaChange) -> String {
        var lines = [change.description]
        for note in change.notes {
            lines.append("\(note.location ?? change.location): note: \(note.message)")
        }
        return lines.joined(separator: "\n")
    }

    /// One change as a GitHub Actions workflow command.
    public static func github(_ change: SchemaChange) -> String {
        let command = change.impact == .breaking ? "error" : "notice"
        let annotation = DiagnosticFormatter.github(
            Diagnostic(.error, "\(change.impact.rawValue): \(change.message)", at: change.location, rule: change.ruleID,
                       notes: change.notes))
        return "::" + command + annotation.dropFirst("::error".count)
    }

    private struct JSONReport: Encodable {
        struct Entry: Encodable {
            var file: String
            var line: Int
            var column: Int
            var impact: String
            var rule: String
            var message: String
            var notes: [DiagnosticFormatter.JSONNote]
        }

        var changes: [Entry]
        var breaking: Int
        var compatible: Int
    }

    private static func json(_ changes: [SchemaChange]) -> String {
        DiagnosticFormatter.jsonText(JSONReport(
            changes: changes.map { change in
                JSONReport.Entry(
                    file: change.location.file, line: change.location.line, column: change.location.column,
                    impact: change.impact.rawValue, rule: change.ruleID, message: change.message,
                    notes: DiagnosticFormatter.JSONNote.notes(change.notes))
            },
            breaking: changes.filter { $0.impact == .breaking }.count,
            compatible: changes.filter { $0.impact == .compatible }.count
        ))
    }
}
