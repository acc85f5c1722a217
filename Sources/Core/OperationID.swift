import Foundation

/// The ids of pushed operations: UUIDs of version 7 (RFC 9562), whose first 48 bits are
/// the Unix time in milliseconds and the rest random. An id made later sorts after one
/// made earlier, so the indexes that hold them (the server's stored results, keyed by
/// client and op id, and the outbox's) grow at their end rather than at random places.
///
/// The server accepts any op id (and client id) of 1 to ``maximumLength`` bytes; these
/// are what the runtime sends.
public enum OperationID {
    /// The longest op id or client id, in UTF-8 bytes, a server accepts.
    public static let maximumLength = 200

    /// Whether a server accepts `id` as an op id or a client id.
    public static func isAcceptable(_ id: String) -> Bool {
        (1...maximumLength).contains(id.utf8.count)
    }

    /// A new op id, lowercase.
    public static func make(at date: Date = Date()) -> String {
        var random = SystemRandomNumberGenerator()
        let milliseconds = UInt64(max(0, date.timeIntervalSince1970 * 1000)) & 0xFFFF_FFFF_FFFF
        let high = random.next() as UInt64
        let low = random.next() as UInt64
        func byte(_ value: UInt64, _ shift: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: value >> shift) }
        let uuid: uuid_t = (
            byte(milliseconds, 40), byte(milliseconds, 32), byte(milliseconds, 24),
            byte(milliseconds, 16), byte(milliseconds, 8), byte(milliseconds, 0),
            0x70 | (byte(high, 0) & 0x0F), byte(high, 8),
            0x80 | (byte(low, 0) & 0x3F), byte(low, 8), byte(low, 16), byte(low, 24),
            byte(low, 32), byte(low, 40), byte(low, 48), byte(low, 56)
        )
        return UUID(uuid: uuid).uuidString.lowercased()
    }
}
