import Foundation
import Testing

/// Runs the built `syncwright` executable, as CI and the build plugin do.
@Suite("syncwright validate")
struct ValidateCommandTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding the built products (the test runner lives beside them).
    static var productsFolder: URL {
        #if os(macOS)
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        #endif
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    struct Run {
        var status: Int32
        var standardOutput: String
        var standardError: String
    }

    func syncwright(_ arguments: String..., in directory: URL = repositoryRoot) throws -> Run {
        let process = Process()
        process.executableURL = Self.productsFolder.appending(path: "syncwright")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   standardOutput: String(decoding: outputData, as: UTF8.self),
                   standardError: String(decoding: errorData, as: UTF8.self))
    }

    func temporarySchema(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "syncwright-\(UUID().uuidString).yaml")
        try Data(text.utf8).write(to: url)
        return url
    }

    let broken = """
        syncwright: 1
        name: Shop
        entities:
          Item:
            fields:
              id: uuid
              title: strng
        subsets:
          clerk:
            entities:
              Item:
                columns: [id, title, title]
        """

    @Test("the examples validate with exit status 0 and print no diagnostics")
    func examplesPass() throws {
        let run = try syncwright("validate", "Examples/FieldService/syncwright.yaml", "Examples/Todo/syncwright.yaml")
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
        #expect(run.standardOutput.isEmpty)
        #expect(run.standardError.contains("2 files: 0 errors, 0 warnings"))
    }

    @Test("errors print as path:line:column lines with rule ids and notes, exit status 1")
    func errorsText() throws {
        let url = try temporarySchema(broken)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try syncwright("validate", url.path())
        #expect(run.status == 1)
        let lines = run.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.count == 5, "\(run.standardOutput)")
        #expect(lines[0] == "\(url.path()):7:14: error: unknown type 'strng'; did you mean 'string'? [unknown-type]")
        #expect(lines[1].hasPrefix("\(url.path()):7:14: note: scalar types are"))
        #expect(lines[2].hasPrefix("\(url.path()):11:7: warning: every signed-in user can read all rows of Item in subset 'clerk'"))
        #expect(lines[3] == "\(url.path()):12:30: error: column 'title' is listed twice [duplicate-column]")
        #expect(lines[4] == "\(url.path()):12:23: note: 'title' is first listed here")
    }

    @Test("--format json prints one document")
    func errorsJSON() throws {
        let url = try temporarySchema(broken)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try syncwright("validate", "--format", "json", url.path())
        #expect(run.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any])
        #expect(object["errors"] as? Int == 2)
        let rules = (object["diagnostics"] as? [[String: Any]])?.compactMap { $0["rule"] as? String }
        #expect(rules == ["unknown-type", "subset-open-to-all", "duplicate-column"])
    }

    @Test("--format github prints workflow commands")
    func errorsGitHub() throws {
        let url = try temporarySchema(broken)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try syncwright("validate", "--format", "github", url.path())
        #expect(run.status == 1)
        #expect(run.standardOutput.hasPrefix("::error file=\(url.path()),line=7,col=14,title=syncwright [unknown-type]::"))
    }

    @Test("warnings alone exit with status 0")
    func warningsOnly() throws {
        let url = try temporarySchema("""
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
            subsets:
              clerk:
                parameters:
                  region: { claim: region, type: string }
                entities:
                  Item: {}
            """)
        defer { try? FileManager.default.removeItem(at: url) }
        let run = try syncwright("validate", url.path())
        #expect(run.status == 0)
        #expect(run.standardOutput.contains("warning: parameter 'region'"))
    }

    @Test("an unreadable file exits with status 2 and names the file", arguments: ["does-not-exist.yaml", "Examples"])
    func unreadable(path: String) throws {
        let run = try syncwright("validate", path)
        #expect(run.status == 2)
        #expect(run.standardError.contains("\(path): error: cannot read schema"))
    }

    @Test("usage errors exit with status 2", arguments: [["validate"], ["validate", "--format", "xml", "a.yaml"], ["frobnicate"]])
    func usage(arguments: [String]) throws {
        let process = try syncwrightArguments(arguments)
        #expect(process.status == 2, "\(process.standardError)")
        #expect(!process.standardError.isEmpty)
    }

    @Test("--help and --version succeed")
    func helpAndVersion() throws {
        let help = try syncwright("validate", "--help")
        #expect(help.status == 0)
        #expect(help.standardOutput.contains("--format"))
        let version = try syncwright("--version")
        #expect(version.status == 0)
        #expect(version.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }

    private func syncwrightArguments(_ arguments: [String]) throws -> Run {
        switch arguments.count {
        case 1: try syncwright(arguments[0])
        case 4: try syncwright(arguments[0], arguments[1], arguments[2], arguments[3])
        default: try syncwright(arguments.joined(separator: " "))
        }
    }
}
