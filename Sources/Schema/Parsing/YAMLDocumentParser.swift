import Foundation
import Yams

/// The first half of the parse stage: bytes → located YAML tree.
///
/// It decodes UTF-8, refuses documents nested deep enough to exhaust the stack, runs
/// `Yams.compose`, and turns every failure into one of our own diagnostics with a
/// position and a one-line message.
struct YAMLDocumentParser {
    /// Documents nested deeper than this are refused before composition. A schema
    /// needs fewer than ten levels; the limit keeps recursion in the composer bounded.
    static let maximumNestingDepth = 200
    /// Aliases can make a small file expand to an enormous tree; composition stops
    /// past this many nodes.
    static let maximumNodeCount = 2_000_000

    struct Output {
        var source: SourceText
        var root: SyntaxNode?
        var diagnostics: [Diagnostic]
    }

    func parse(_ file: SchemaFile) -> Output {
        guard let text = String(validating: file.contents, as: UTF8.self) else {
            let location = Self.locationOfInvalidUTF8(in: file.contents, path: file.path)
            return Output(
                source: SourceText(path: file.path, text: ""),
                root: nil,
                diagnostics: [Rules.InvalidUTF8.diagnostic(at: location)]
            )
        }
        let source = SourceText(path: file.path, text: text)
        if let location = Self.firstLocationTooDeep(in: source) {
            return Output(source: source, root: nil, diagnostics: [
                Rules.YAMLTooDeep.diagnostic(limit: Self.maximumNestingDepth, at: location),
            ])
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return Output(source: source, root: nil, diagnostics: diagnostics(for: error, in: source))
        } catch {
            let diagnostic = Rules.YAMLSyntax.diagnostic(
                Self.firstLine(of: "\(error)"), at: source.location(line: 1, column: 1)
            )
            return Output(source: source, root: nil, diagnostics: [diagnostic])
        }
        guard let node else {
            return Output(source: source, root: nil, diagnostics: [
                Rules.EmptySchema.diagnostic(at: source.location(line: 1, column: 1)),
            ])
        }
        var converter = NodeConverter(path: file.path)
        let root = converter.convert(node)
        if converter.nodeCount > Self.maximumNodeCount {
            return Output(source: source, root: nil, diagnostics: [
                Rules.YAMLTooLarge.diagnostic(limit: Self.maximumNodeCount, at: root.location),
            ])
        }
        return Output(source: source, root: root, diagnostics: [])
    }

    // MARK: - Yams errors

    private func diagnostics(for error: YamlError, in source: SourceText) -> [Diagnostic] {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let location = source.location(line: mark.line, column: mark.column)
            // A tab in indentation is the usual cause of a scanner error; when one comes
            // before the error, report every such tab in the file instead.
            let tabs = Self.indentationTabs(in: source)
            if let first = tabs.first, first.line <= mark.line {
                return tabs.map { Rules.YAMLTabIndentation.diagnostic(at: $0) }
            }
            return [Self.syntaxDiagnostic(problem: problem, context: context, at: location, source: source)]
        case let .reader(problem, offset, value, yaml):
            // Yams gives the offset in Characters; positions here count Unicode scalars.
            let scalarOffset = offset.flatMap { yaml.index(yaml.startIndex, offsetBy: $0, limitedBy: yaml.endIndex) }
                .map { yaml.unicodeScalars.distance(from: yaml.startIndex, to: $0) }
            let location = source.location(ofOffset: scalarOffset ?? 0)
            var message = problem
            if value >= 0 { message += String(format: " (U+%04X)", value) }
            return [Rules.YAMLSyntax.diagnostic(message, at: location)]
        case let .duplicatedKeysInMapping(duplicates, context):
            return duplicateKeyDiagnostics(duplicates, firstMark: context.mark, in: source)
        case .memory:
            return [Rules.YAMLTooLarge.diagnostic(limit: Self.maximumNodeCount, at: source.location(line: 1, column: 1))]
        default:
            return [Rules.YAMLSyntax.diagnostic(Self.firstLine(of: "\(error)"), at: source.location(line: 1, column: 1))]
        }
    }

    /// Yams' descriptions quote the document; a diagnostic keeps one line.
    static func firstLine(of text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1).first ?? "invalid YAML")
    }

    /// Turns libYAML's problem and context into one readable line.
    static func syntaxDiagnostic(
        problem: String,
        context: YamlError.Context?,
        at location: SourceLocation,
        source: SourceText
    ) -> Diagnostic {
        let contextLocation = context.map { source.location(line: $0.mark.line, column: $0.mark.column) }
        let contextText = context?.text ?? ""
        var message: String
        var notes: [Diagnostic.Note] = []
        if contextText.contains("quoted scalar"), problem.contains("end of stream") {
            message = "unterminated quoted string"
            notes.append(.init("the string starts here; add the closing quote", at: contextLocation))
        } else if problem.contains("mapping values are not allowed") {
            message = "unexpected ':' in a value; quote the value or fix the indentation"
        } else if problem.contains("did not find expected key") {
            message = "bad indentation: expected a key aligned with the mapping above"
            if let contextLocation { notes.append(.init("the mapping starts here", at: contextLocation)) }
        } else if problem.contains("did not find expected '-' indicator") {
            message = "bad indentation: expected a '-' list item aligned with the list above"
            if let contextLocation { notes.append(.init("the list starts here", at: contextLocation)) }
        } else if problem.contains("did not find expected ',' or ']'") {
            message = "unterminated flow list: expected ',' or ']'"
            if let contextLocation { notes.append(.init("the list starts here", at: contextLocation)) }
        } else if problem.contains("did not find expected ',' or '}'") {
            message = "unterminated flow mapping: expected ',' or '}'"
            if let contextLocation { notes.append(.init("the mapping starts here", at: contextLocation)) }
        } else {
            message = contextText.isEmpty ? problem : "\(problem) \(contextText)"
            if let contextLocation, contextLocation != location {
                notes.append(.init(contextText.isEmpty ? "related" : "\(contextText) that starts here", at: contextLocation))
            }
        }
        return Rules.YAMLSyntax.diagnostic(message, at: location, notes: notes)
    }

    /// Yams reports only the first occurrence of a duplicated key; find the second so
    /// the diagnostic points at the one to remove, with a note at the first.
    private func duplicateKeyDiagnostics(_ keys: [String], firstMark: Mark, in source: SourceText) -> [Diagnostic] {
        let first = source.location(line: firstMark.line, column: firstMark.column)
        let firstLine = source.line(firstMark.line)
        let keyText = String(String.UnicodeScalarView(firstLine.dropFirst(firstMark.column - 1)))
        let key = keys.first { keyText.hasPrefix($0) || keyText.dropFirst().hasPrefix($0) } ?? keys.first ?? ""
        let duplicate = Self.nextOccurrence(ofKey: key, after: first, in: source) ?? first
        return [Rules.YAMLDuplicateKey.diagnostic(key: key, at: duplicate, first: first)]
    }

    /// The next line after `first` that starts at the same column with the same key,
    /// within the same block mapping; or the next `key:` on the same line in flow style.
    static func nextOccurrence(ofKey key: String, after first: SourceLocation, in source: SourceText) -> SourceLocation? {
        let spellings = [key + ":", "\"\(key)\":", "'\(key)':"]
        // Flow style: a later occurrence on the same line.
        let sameLine = String(String.UnicodeScalarView(source.line(first.line)))
        let afterFirst = sameLine.unicodeScalars.dropFirst(first.column)
        if let range = spellings.compactMap({ String(String.UnicodeScalarView(afterFirst)).range(of: $0) }).first {
            let prefix = String(String.UnicodeScalarView(afterFirst))[..<range.lowerBound]
            return first.advanced(byColumns: 1 + prefix.unicodeScalars.count)
        }
        var lineNumber = first.line + 1
        while lineNumber <= source.lineCount {
            let line = source.line(lineNumber)
            let indentation = line.prefix { $0 == " " }.count
            let content = String(String.UnicodeScalarView(line.dropFirst(indentation)))
            if !content.isEmpty, !content.hasPrefix("#") {
                if indentation < first.column - 1 { return nil }
                if indentation == first.column - 1,
                   spellings.contains(where: { content.hasPrefix($0) || content == String($0.dropLast()) }) {
                    return SourceLocation(file: source.path, line: lineNumber, column: first.column)
                }
            }
            lineNumber += 1
        }
        return nil
    }

    // MARK: - Preflight checks

    /// The first tab in the indentation of each line.
    static func indentationTabs(in source: SourceText) -> [SourceLocation] {
        var found: [SourceLocation] = []
        for lineNumber in 1...source.lineCount {
            for (index, scalar) in source.line(lineNumber).enumerated() {
                if scalar == "\t" {
                    found.append(source.location(line: lineNumber, column: index + 1))
                    break
                }
                if scalar != " " { break }
            }
        }
        return found
    }

    /// Where a cheap upper bound of the nesting depth first passes the limit.
    ///
    /// The bound counts indentation levels twice (a list may sit at its key's
    /// indentation), compact `- ` items on a line, and open flow brackets anywhere, quotes
    /// included: it may overestimate, never underestimate, which is what keeps the
    /// recursive composer safe.
    static func firstLocationTooDeep(in source: SourceText) -> SourceLocation? {
        var indentations: [Int] = []
        var flowDepth = 0
        for lineNumber in 1...source.lineCount {
            let line = Array(source.line(lineNumber))
            let indentation = line.prefix { $0 == " " }.count
            guard indentation < line.count, line[indentation] != "#" else { continue }
            while let last = indentations.last, last > indentation { indentations.removeLast() }
            if indentations.last != indentation { indentations.append(indentation) }
            var compactItems = 0
            var index = indentation
            while index + 1 < line.count, line[index] == "-" || line[index] == "?", line[index + 1] == " " {
                compactItems += 1
                index += 2
                while index < line.count, line[index] == " " { index += 1 }
            }
            var previous: Unicode.Scalar = " "
            for column in indentation..<line.count {
                let scalar = line[column]
                if scalar == "#", previous == " " || previous == "\t" { break }
                if scalar == "[" || scalar == "{" {
                    flowDepth += 1
                } else if scalar == "]" || scalar == "}" {
                    flowDepth = max(0, flowDepth - 1)
                }
                let bound = 2 * indentations.count + 2 * compactItems + flowDepth
                if bound > maximumNestingDepth {
                    return source.location(line: lineNumber, column: column + 1)
                }
                previous = scalar
            }
        }
        return nil
    }

    /// The line and column of the first byte that is not valid UTF-8.
    static func locationOfInvalidUTF8(in data: Data, path: String) -> SourceLocation {
        let bytes = [UInt8](data)
        var line = 1
        var column = 1
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let length: Int
            switch byte {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return SourceLocation(file: path, line: line, column: column)
            }
            guard index + length <= bytes.count,
                  String(validating: bytes[index..<(index + length)], as: UTF8.self) != nil
            else {
                return SourceLocation(file: path, line: line, column: column)
            }
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += length
        }
        return SourceLocation(file: path, line: line, column: column)
    }
}

/// Converts Yams nodes to located syntax nodes, counting nodes so that alias
/// expansion can't run away.
private struct NodeConverter {
    let path: String
    var nodeCount = 0

    init(path: String) {
        self.path = path
    }

    mutating func convert(_ node: Node) -> SyntaxNode {
        nodeCount += 1
        let location = location(of: node.mark)
        if nodeCount > YAMLDocumentParser.maximumNodeCount {
            return SyntaxNode(kind: .scalar(.init(text: "", style: .plain)), location: location)
        }
        switch node {
        case .scalar(let scalar):
            return SyntaxNode(kind: .scalar(.init(text: scalar.string, style: Self.style(scalar.style))), location: location)
        case .sequence(let sequence):
            return SyntaxNode(kind: .sequence(sequence.map { convert($0) }), location: location)
        case .mapping(let mapping):
            return SyntaxNode(
                kind: .mapping(mapping.map { SyntaxNode.Pair(key: convert($0.key), value: convert($0.value)) }),
                location: location
            )
        case .alias:
            return SyntaxNode(kind: .scalar(.init(text: "", style: .plain)), location: location)
        }
    }

    private func location(of mark: Mark?) -> SourceLocation {
        SourceLocation(file: path, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func style(_ style: Node.Scalar.Style) -> SyntaxNode.ScalarStyle {
        switch style {
        case .singleQuoted: .singleQuoted
        case .doubleQuoted: .doubleQuoted
        case .literal: .literal
        case .folded: .folded
        default: .plain
        }
    }
}
