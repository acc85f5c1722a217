import Foundation

/// A file that travels beside a row: the row holds this small reference, the bytes move
/// separately (uploaded before the change that references them, downloaded as the
/// subset says).
///
/// On the wire and in both databases a reference is one text:
///
///     sha256:<64 lower-case hex digits> <size in bytes> <media type>
///
/// for example `sha256:9f86d081…0a08 48213 image/jpeg`. The content hash names the
/// file, so the same bytes are stored once however many rows reference them, and a
/// file can be checked against its reference after any transfer.
public struct SyncAttachment: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The SHA-256 of the content, 64 lower-case hex digits.
    public let sha256: String
    /// The content's length in bytes.
    public let size: Int64
    /// The media type, such as `image/jpeg`, in lower case.
    public let mediaType: String

    /// The prefix of every reference's text, before the hash.
    public static let hashPrefix = "sha256:"

    /// The largest size a reference may name: 1 TiB.
    public static let maximumSize: Int64 = 1 << 40

    /// A reference, nil when a part is invalid: the hash must be 64 hex digits (either
    /// case), the size between 0 and ``maximumSize``, the media type `type/subtype`.
    public init?(sha256: String, size: Int64, mediaType: String) {
        guard let hash = Self.canonicalHash(sha256), (0...Self.maximumSize).contains(size),
              let type = Self.canonicalMediaType(mediaType) else { return nil }
        self.sha256 = hash
        self.size = size
        self.mediaType = type
    }

    /// Reads a reference's text; nil when it isn't one.
    public init?(referenceText text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].hasPrefix(Self.hashPrefix),
              parts[1].utf8.count <= 16, parts[1].allSatisfy(\.isASCIIDigit), !parts[1].isEmpty,
              !(parts[1].count > 1 && parts[1].first == "0"),
              let size = Int64(parts[1]) else { return nil }
        self.init(sha256: String(parts[0].dropFirst(Self.hashPrefix.count)), size: size, mediaType: String(parts[2]))
    }

    /// The reference's text in its canonical form.
    public var referenceText: String { "\(Self.hashPrefix)\(sha256) \(size) \(mediaType)" }

    public var description: String { referenceText }

    /// 64 hex digits in lower case, nil for anything else.
    public static func canonicalHash(_ text: String) -> String? {
        guard text.utf8.count == 64 else { return nil }
        var lowered = ""
        lowered.reserveCapacity(64)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 48...57, 97...102: lowered.unicodeScalars.append(scalar)
            case 65...70: lowered.unicodeScalars.append(Unicode.Scalar(scalar.value + 32)!)
            default: return nil
            }
        }
        return lowered
    }

    /// `type/subtype` in lower case (RFC 6838's characters, no parameters), nil for
    /// anything else.
    public static func canonicalMediaType(_ text: String) -> String? {
        let parts = text.lowercased().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, text.utf8.count <= 127 else { return nil }
        for part in parts {
            guard let first = part.unicodeScalars.first, Self.isAlphanumeric(first),
                  part.unicodeScalars.allSatisfy({ Self.isAlphanumeric($0) || "!#$&-^_.+".unicodeScalars.contains($0) })
            else { return nil }
        }
        return parts.joined(separator: "/")
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        (48...57).contains(scalar.value) || (97...122).contains(scalar.value)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let reference = SyncAttachment(referenceText: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "'\(text)' is not an attachment reference"))
        }
        self = reference
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(referenceText)
    }
}

/// What the server holds of an upload (`GET` and `PUT /v1/attachments/{sha256}/upload`):
/// the file whole (`stored`) or its first `offset` bytes.
public struct AttachmentUploadState: Codable, Sendable, Hashable {
    /// Whether the file is stored: nothing more to send.
    public var stored: Bool
    /// How many bytes the server has; the next piece starts there.
    public var offset: Int64

    /// Creates a state.
    public init(stored: Bool, offset: Int64) {
        self.stored = stored
        self.offset = offset
    }
}

/// How a subset's devices get the files an entity's rows reference.
public enum AttachmentDownload: String, Sendable, Hashable, CaseIterable, Codable {
    /// Every referenced file is downloaded during sync, smallest first.
    case eager
    /// Files are downloaded when the app asks for one (the default).
    case onDemand = "on-demand"
    /// The device keeps only the references; the server refuses to send the bytes.
    case never
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
