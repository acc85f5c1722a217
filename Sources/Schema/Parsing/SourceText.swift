/// A schema's text as Unicode scalars with a table of line starts, so offsets and
/// 1-based line/column positions convert both ways in O(log n).
public final class SourceText: Sendable {
    /// The file's path as the user named it.
    public let path: String
    /// The text, one element per Unicode scalar.
    let scalars: [Unicode.Scalar]
    /// The scalar offset at which each line starts; line 1 starts at 0.
    let lineStarts: [Int]

    /// Splits `text` into lines. `\n`, `\r\n` and a lone `\r` each end a line, as in YAML.
    public init(path: String, text: String) {
        self.path = path
        let scalars = Array(text.unicodeScalars)
        var starts = [0]
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "\n" {
                starts.append(index + 1)
            } else if scalar == "\r" {
                if index + 1 < scalars.count, scalars[index + 1] == "\n" {
                    index += 1
                }
                starts.append(index + 1)
            }
            index += 1
        }
        self.scalars = scalars
        self.lineStarts = starts
    }

    /// The number of lines.
    public var lineCount: Int { lineStarts.count }

    /// The whole text.
    public var text: String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// The location of a scalar offset; offsets past the end map to the end.
    public func location(ofOffset offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, scalars.count))
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= clamped {
                low = middle
            } else {
                high = middle - 1
            }
        }
        return SourceLocation(file: path, line: low + 1, column: clamped - lineStarts[low] + 1)
    }

    /// The scalar offset of a 1-based line and column, clamped to the text.
    public func offset(line: Int, column: Int) -> Int {
        guard line >= 1 else { return 0 }
        guard line <= lineStarts.count else { return scalars.count }
        return min(lineStarts[line - 1] + max(column, 1) - 1, scalars.count)
    }

    /// The scalars of a 1-based line, without its line break.
    func line(_ number: Int) -> ArraySlice<Unicode.Scalar> {
        guard number >= 1, number <= lineStarts.count else { return [] }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] : scalars.count
        while end > start, scalars[end - 1] == "\n" || scalars[end - 1] == "\r" {
            end -= 1
        }
        return scalars[start..<end]
    }

    /// The location at a 1-based line and column.
    func location(line: Int, column: Int) -> SourceLocation {
        SourceLocation(file: path, line: line, column: column)
    }
}
