import Foundation
import GRDB

/// A calendar day without a time or a time zone: the schema's `date` type.
///
/// It travels and is stored as `"YYYY-MM-DD"`, compares in calendar order, and
/// converts to and from `DateComponents` for display with the user's calendar.
///
///     let due: SyncDate = "2026-03-04"
///     order.scheduledFor = SyncDate(year: 2026, month: 3, day: 5)
public struct SyncDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible, LosslessStringConvertible,
    ExpressibleByStringLiteral, DatabaseValueConvertible
{
    /// The year (1 to 9999).
    public let year: Int
    /// The month, 1 to 12.
    public let month: Int
    /// The day of the month, 1 to 31.
    public let day: Int

    /// A day; nil unless the year is 1 to 9999, the month 1 to 12 and the day 1 to 31 —
    /// the protocol's rule for `date` values, which doesn't check the month's length
    /// (``isValidCalendarDay`` does).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Reads `"YYYY-MM-DD"`; nil for anything else.
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// A literal day, `"2026-03-04"`; a literal that isn't one stops the program.
    public init(stringLiteral value: String) {
        guard let date = SyncDate(value) else { preconditionFailure("\"\(value)\" is not a YYYY-MM-DD date") }
        self = date
    }

    /// The day `date` falls on in `calendar`'s time zone.
    public init(_ date: Date, in calendar: Calendar = Calendar(identifier: .gregorian)) {
        let components = calendar.dateComponents([.year, .month, .day], from: date)
        self = SyncDate(year: components.year ?? 1970, month: components.month ?? 1, day: components.day ?? 1)
            ?? SyncDate(year: 1970, month: 1, day: 1)!
    }

    /// The day as date components (year, month, day), for a `Calendar` to turn into a `Date`.
    public var dateComponents: DateComponents {
        DateComponents(calendar: Calendar(identifier: .gregorian), year: year, month: month, day: day)
    }

    /// `"YYYY-MM-DD"`.
    public var description: String {
        func padded(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
    }

    public static func < (lhs: SyncDate, rhs: SyncDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = SyncDate(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "\"\(text)\" is not a YYYY-MM-DD date")
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Stored as its `"YYYY-MM-DD"` text.
    public var databaseValue: DatabaseValue { description.databaseValue }

    /// The day a stored `"YYYY-MM-DD"` text names.
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> SyncDate? {
        String.fromDatabaseValue(dbValue).flatMap(SyncDate.init)
    }

    /// Whether the day exists in the Gregorian calendar (no February 30th).
    public var isValidCalendarDay: Bool { day <= Self.days(inMonth: month, year: year) }

    private static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
