import Testing
@testable import SyncwrightServer
@Test func placeholder() { #expect(1 == 1) }
