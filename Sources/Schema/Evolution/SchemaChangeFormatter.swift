import Foundation

/// Prints ``SchemaChange``s in each ``DiagnosticFormat``, as `syncwright diff` does.
///
/// - `text`: `path:line:column: breaking: message [rule-id]` (or `compatible:`) and
///   `note:` lines.
/// - `github`: a workflow command per change: `::error` for a breaking change,
///   `::notice` for a compatible one, so the pull request is annotated at the line.
/// - `json`: one document with every change, its impact, and the counts.
public enum SchemaChangeFormatter {
    /// Formats `changes` as one string, ending with a newline unless empty. With
    /// `downloads` (``UnitDownload/plan(old:new:)``), what the deploy makes devices
    /// download follows: in text, a line per unit that costs something (or one saying
    /// none does); in GitHub's format, a `::notice` per such unit; in JSON, `downloads`.
    public static func format(_ changes: [SchemaChange], downloads: [UnitDownload]? = nil, as format: DiagnosticFormat) -> String {
        let costly = downloads?.filter(\.costsSomething) ?? []
        switch format {
        case .text:
            var output = changes.map { text($0) + "\n" }.joined()
            if let downloads {
                output += text(downloads)
            }
            return output
        case .github:
            return changes.map { github($0) + "\n" }.joined() + costly.map { github($0) + "\n" }.joined()
        case .json:
            return json(changes, downloads: downloads) + "\n"
        }
    }

    /// What a deploy makes devices download, a line per unit that costs something.
    public static func text(_ downloads: [UnitDownload]) -> String {
        let costly = downloads.filter(\.costsSomething)
        guard !costly.isEmpty else { return "downloads: none; every device continues from its cursors\n" }
        return "downloads (apps built against the old schema; updated apps):\n" + costly.map { download in
            "  \(download.location): \(download.subset).\(download.unit): \(phrase(download.oldApps)); \(phrase(download.updatedApps)) "
                + "(\(download.reasons.joined(separator: "; ")))\n"
        }.joined()
    }

    private static func phrase(_ cost: UnitDownload.Cost?) -> String {
        switch cost {
        case nil: "no such unit"
        case .nothing?: "nothing"
        case .difference?: "the difference"
        case .again?: "the whole unit again"
        case .new?: "the whole new unit"
        }
    }

    private static func github(_ download: UnitDownload) -> String {
        let message = "\(download.subset).\(download.unit): apps built against the old schema download \(phrase(download.oldApps)), "
            + "updated apps \(phrase(download.updatedApps)) (\(download.reasons.joined(separator: "; ")))"
        let annotation = DiagnosticFormatter.github(Diagnostic(.error, message, at: download.location, rule: "downloads"))
        return "::notice" + annotation.dropFirst("::error".count)
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

        struct Download: Encodable {
            var subset: String
            var unit: String
            var oldApps: String?
            var updatedApps: String?
            var reasons: [String]
            var file: String
            var line: Int
            var column: Int
        }

        var changes: [Entry]
        var breaking: Int
        var compatible: Int
        var downloads: [Download]?
    }

    private static func json(_ changes: [SchemaChange], downloads: [UnitDownload]?) -> String {
        DiagnosticFormatter.jsonText(JSONReport(
            changes: changes.map { change in
                JSONReport.Entry(
                    file: change.location.file, line: change.location.line, column: change.location.column,
                    impact: change.impact.rawValue, rule: change.ruleID, message: change.message,
                    notes: DiagnosticFormatter.JSONNote.notes(change.notes))
            },
            breaking: changes.filter { $0.impact == .breaking }.count,
            compatible: changes.filter { $0.impact == .compatible }.count,
            downloads: downloads?.map { download in
                JSONReport.Download(subset: download.subset, unit: download.unit, oldApps: download.oldApps?.rawValue,
                                    updatedApps: download.updatedApps?.rawValue, reasons: download.reasons,
                                    file: download.location.file, line: download.location.line, column: download.location.column)
            }
        ))
    }
}
