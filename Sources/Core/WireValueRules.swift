import Foundation

/// The one set of rules for values on the wire, used by the device when it stores a
/// pulled value and by the server when it checks a pushed one, so the two can't
/// disagree about what a `date` or a `uuid` is.
///
/// | type | the wire form accepted | canonical form |
/// |---|---|---|
/// | uuid | `8-4-4-4-12` hex digits, either case | lower case |
/// | date | `YYYY-MM-DD`, month 1–12, day 1–31 | the same |
/// | timestamp | ISO 8601 with an offset (`Z`, `+02:00`), with or without a fraction, `T` or a space | `YYYY-MM-DDTHH:MM:SS.sssZ` |
/// | decimal | optional `-`, digits, at most one `.`, at most 64 characters | the same |
/// | a whole number | `3.0`, `1e3`, exactly (no rounding through a double) | the integer, when it fits in 64 bits |
/// | blob | base64 (RFC 4648, padded, no line breaks) | the same |
/// | attachment | `sha256:<hex> <size> <type/subtype>`, hex and media type in either case | lower case |
public enum WireValueRules {
    /// 2⁶³: a whole double below it in magnitude (and -2⁶³ itself) is a 64-bit integer.
    public static let integerLimit: Double = 9_223_372_036_854_775_808

    /// The longest decimal text accepted.
    public static let maximumDecimalLength = 64

    /// The integer a whole double is (`3.0` → 3), or nil when it has a fraction, isn't
    /// finite, or is outside `Int64`. Only for a `Double` a program made; a number read
    /// from JSON text is an integer only when ``exactInteger(ofNumberText:)`` says so,
    /// since the double nearest to a text may be whole when the text isn't
    /// (`3.0000000000000001`) or another integer (`9007199254740993`).
    @inlinable
    public static func integralValue(of number: Double) -> Int64? {
        guard number.isFinite, number.rounded() == number, number >= -integerLimit, number < integerLimit else { return nil }
        return Int64(number)
    }

    /// The `Int64` a JSON number's text is exactly (`3` and `3.0` and `3e0` and `0.3e1`
    /// → 3, `-0` → 0), or nil when it has a fraction or lies outside `Int64`
    /// (`9223372036854775808`, `1e19`). Nothing is rounded through `Double`: the device
    /// and the server read a number as an `int` only when this says it is one.
    public static func exactInteger(ofNumberText text: String) -> Int64? {
        var text = text
        return text.withUTF8 { exactInteger(ofNumberText: $0) }
    }

    /// ``exactInteger(ofNumberText:)`` over the number's bytes (JSON number grammar).
    public static func exactInteger(ofNumberText bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        let negative = index < bytes.count && bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        // The significant digits, without the point, and the power of ten they're scaled by.
        var digits: [UInt8] = []
        var scale = 0
        var sawDigit = false
        var afterPoint = false
        while index < bytes.count {
            let byte = bytes[index]
            if (48...57).contains(byte) {
                sawDigit = true
                if !(digits.isEmpty && byte == 48) { digits.append(byte - 48) }
                if afterPoint { scale -= 1 }
            } else if byte == UInt8(ascii: "."), !afterPoint {
                afterPoint = true
            } else {
                break
            }
            index += 1
        }
        guard sawDigit else { return nil }
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") else { return nil }
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var exponent = 0
            var exponentDigits = 0
            while index < bytes.count, (48...57).contains(bytes[index]) {
                // Beyond 10⁴ the answer no longer depends on the exponent's exact size.
                exponent = min(exponent * 10 + Int(bytes[index] - 48), 10_000)
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0, index == bytes.count else { return nil }
            scale += exponentNegative ? -exponent : exponent
        }
        while let last = digits.last, last == 0, scale < 0 {
            digits.removeLast()
            scale += 1
        }
        if digits.isEmpty { return 0 }
        guard scale >= 0, digits.count + scale <= 19 else { return nil }
        // Accumulated below zero, where -2⁶³ fits.
        var value: Int64 = 0
        for digit in digits + Array(repeating: 0, count: scale) {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.subtractingReportingOverflow(Int64(digit))
            guard !overflowA, !overflowB else { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }

    // MARK: - uuid

    /// A UUID in lower case, or nil when `text` isn't one (`8-4-4-4-12` hex digits).
    public static func canonicalUUID(_ text: String) -> String? {
        var utf8 = Array(text.utf8)
        guard utf8.count == 36 else { return nil }
        var lowered = false
        for index in utf8.indices {
            let byte = utf8[index]
            switch index {
            case 8, 13, 18, 23:
                guard byte == UInt8(ascii: "-") else { return nil }
            default:
                switch byte {
                case 48...57, 97...102: break
                case 65...70:
                    utf8[index] = byte + 32
                    lowered = true
                default: return nil
                }
            }
        }
        return lowered ? String(decoding: utf8, as: UTF8.self) : text
    }

    /// Whether `bytes` are a UUID in the canonical form already (lower-case hex digits,
    /// `8-4-4-4-12`), checked byte by byte: pulls check every UUID they send.
    public static func isCanonicalUUID(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            switch index {
            case 8, 13, 18, 23: if byte != UInt8(ascii: "-") { return false }
            default: if !((48...57).contains(byte) || (97...102).contains(byte)) { return false }
            }
        }
        return true
    }

    /// The 16 bytes of a UUID written `8-4-4-4-12` in hex digits of either case, nil for
    /// anything else. Faster than `UUID(uuidString:)`, which matters on the pull path.
    public static func uuidBytes(_ text: String) -> Data? {
        let utf8 = text.utf8
        guard utf8.count == 36 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        var index = 0
        var nibble = 0
        for byte in utf8 {
            defer { index += 1 }
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let value: UInt8
            switch byte {
            case 48...57: value = byte - 48
            case 97...102: value = byte - 87
            case 65...70: value = byte - 55
            default: return nil
            }
            bytes[nibble / 2] |= nibble % 2 == 0 ? value << 4 : value
            nibble += 1
        }
        return Data(bytes)
    }

    /// 16 bytes as a UUID in the canonical form: lower-case hex digits, `8-4-4-4-12`.
    public static func uuidText(_ data: Data) -> String {
        precondition(data.count == 16, "a UUID has 16 bytes")
        let digits = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { target in
            var position = 0
            for (index, byte) in data.enumerated() {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    target[position] = UInt8(ascii: "-")
                    position += 1
                }
                target[position] = digits[Int(byte >> 4)]
                target[position + 1] = digits[Int(byte & 0x0F)]
                position += 2
            }
            return position
        }
    }

    // MARK: - date and timestamp

    /// Whether `text` is `YYYY-MM-DD` with month 1–12 and day 1–31.
    public static func isDate(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { isDate($0) }
    }

    /// Whether `bytes` are `YYYY-MM-DD` with month 1–12 and day 1–31.
    public static func isDate(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 10 else { return false }
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 7 {
                if byte != UInt8(ascii: "-") { return false }
            } else if !(48...57).contains(byte) {
                return false
            }
        }
        func number(at index: Int) -> Int { Int(bytes[index] - 48) * 10 + Int(bytes[index + 1] - 48) }
        return (1...12).contains(number(at: 5)) && (1...31).contains(number(at: 8))
    }

    /// Whether `bytes` are a timestamp in the canonical form `YYYY-MM-DDTHH:MM:SS.sssZ`,
    /// its date checked as ``isDate(_:)-(String)`` checks one.
    public static func isCanonicalTimestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 24, isDate(UnsafeBufferPointer(rebasing: bytes[0..<10])) else { return false }
        for index in 10..<24 {
            let byte = bytes[index]
            switch index {
            case 10: if byte != UInt8(ascii: "T") { return false }
            case 13, 16: if byte != UInt8(ascii: ":") { return false }
            case 19: if byte != UInt8(ascii: ".") { return false }
            case 23: if byte != UInt8(ascii: "Z") { return false }
            default: if !(48...57).contains(byte) { return false }
            }
        }
        return true
    }

    /// `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, milliseconds) for an ISO 8601 timestamp with an
    /// offset; nil for anything else, a date out of range included.
    public static func canonicalTimestamp(_ text: String) -> String? {
        // The canonical form itself, the common case, needs no parsing.
        var text = text
        if text.withUTF8({ isCanonicalTimestamp($0) }) { return text }
        let normalized = text.replacingOccurrences(of: " ", with: "T")
        // The date part is checked by this type's rule, not only by the formatter's.
        guard normalized.utf8.count > 10, isDate(String(normalized.prefix(10))) else { return nil }
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let date = withFraction.date(from: normalized) ?? plain.date(from: normalized) else { return nil }
        return withFraction.string(from: date)
    }

    // MARK: - decimal and blob

    /// Whether `text` is a decimal as the wire writes one: an optional `-`, digits and
    /// at most one `.`, at most ``maximumDecimalLength`` characters.
    public static func isDecimal(_ text: String) -> Bool {
        guard text.utf8.count <= maximumDecimalLength else { return false }
        var seenDigit = false
        var seenPoint = false
        for (index, byte) in text.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "-") where index == 0: continue
            case UInt8(ascii: "."):
                if seenPoint { return false }
                seenPoint = true
            case 48...57: seenDigit = true
            default: return false
            }
        }
        return seenDigit
    }

    /// An attachment reference in its canonical form (``SyncAttachment``), nil when `text`
    /// isn't one.
    public static func canonicalAttachment(_ text: String) -> String? {
        SyncAttachment(referenceText: text)?.referenceText
    }

    /// The bytes of a blob written in base64, nil when `text` isn't base64.
    public static func blobBytes(fromBase64 text: String) -> Data? {
        Data(base64Encoded: text)
    }
}
