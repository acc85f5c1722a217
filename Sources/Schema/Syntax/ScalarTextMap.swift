/// Maps offsets inside a scalar's value back to positions in the file.
///
/// A row filter is one YAML scalar, but its value may differ from its source text:
/// quotes are removed, escapes resolved, folded lines joined. The map aligns the value
/// with the source once, recording a segment wherever the two stop running side by
/// side, so an error at value offset `n` is reported at the right line and column.
public struct ScalarTextMap: Sendable, Hashable {
    private struct Segment: Sendable, Hashable {
        var valueOffset: Int
        var location: SourceLocation
    }

    private var segments: [Segment]

    /// A map that places every offset `n` at `start` moved right by `n` columns.
    public init(startingAt start: SourceLocation) {
        segments = [Segment(valueOffset: 0, location: start)]
    }

    /// Aligns `value` (a scalar's value, in Unicode scalars) with the source text
    /// that starts at the scalar node's position.
    init(value: String, style: SyntaxNode.ScalarStyle, nodeLocation: SourceLocation, source: SourceText) {
        let valueScalars = Array(value.unicodeScalars)
        let text = source.scalars
        var cursor = source.offset(line: nodeLocation.line, column: nodeLocation.column)
        switch style {
        case .singleQuoted, .doubleQuoted:
            cursor += 1
        case .literal, .folded:
            // The content starts on the line after the `|` or `>` header.
            while cursor < text.count, text[cursor] != "\n", text[cursor] != "\r" { cursor += 1 }
            while cursor < text.count, text[cursor] == " " || text[cursor] == "\n" || text[cursor] == "\r" {
                cursor += 1
            }
        case .plain:
            break
        }
        var segments: [Segment] = []
        func startSegment(_ valueOffset: Int, _ sourceOffset: Int) {
            segments.append(Segment(valueOffset: valueOffset, location: source.location(ofOffset: sourceOffset)))
        }
        var contiguous = false
        for (index, scalar) in valueScalars.enumerated() {
            if cursor < text.count, text[cursor] == scalar {
                if !contiguous || text[cursor] == "\n" { startSegment(index, cursor) }
                contiguous = scalar != "\n"
                cursor += 1
                continue
            }
            if scalar == " " || scalar == "\n" {
                // A folded line break: the value has one space where the source has a
                // break and indentation.
                while cursor < text.count, Self.isWhitespace(text[cursor]) { cursor += 1 }
                startSegment(index, cursor)
                contiguous = false
                continue
            }
            // Indentation of a continuation line is not part of the value.
            while cursor < text.count, Self.isWhitespace(text[cursor]) { cursor += 1 }
            // An escape sequence or a doubled quote: look a few scalars ahead.
            var probe = cursor
            while probe < text.count, probe - cursor < 10, text[probe] != scalar { probe += 1 }
            if probe < text.count, text[probe] == scalar {
                startSegment(index, probe)
                cursor = probe + 1
                contiguous = true
            } else {
                startSegment(index, cursor)
                contiguous = false
            }
        }
        if segments.isEmpty { startSegment(0, cursor) }
        self.segments = segments
    }

    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
    }

    /// The file position of the scalar at `offset` in the value.
    public func location(ofOffset offset: Int) -> SourceLocation {
        var low = 0
        var high = segments.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if segments[middle].valueOffset <= offset {
                low = middle
            } else {
                high = middle - 1
            }
        }
        let segment = segments[low]
        return segment.location.advanced(byColumns: max(0, offset - segment.valueOffset))
    }
}
