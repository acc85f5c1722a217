import ArgumentParser
import Foundation
import SyncwrightSchema

/// `syncwright init [DIR]`: starts a project the way `swift package init` does.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Start a schema: a commented syncwright.yaml and syncwright-config.yaml, and the Package.swift lines.",
        discussion: """
            Writes the two files into DIR (the current folder by default), a target's source folder \
            such as Sources/AppModel. Refuses to overwrite either file. The schema validates as written; \
            edit it, then build: the build plugin generates the code.
            """
    )

    @Argument(help: "The target's source folder.", completion: .directory)
    var directory = "."

    @Option(help: "The schema's name (default: the folder's name, or App).")
    var name: String?

    func run() throws {
        let folder = URL(fileURLWithPath: directory).standardizedFileURL
        let schemaName = try name.map(Self.checkedName) ?? Self.name(forFolder: folder.lastPathComponent)
        let files = [
            ("syncwright.yaml", ProjectStarter.schema(name: schemaName)),
            ("syncwright-config.yaml", ProjectStarter.config),
        ]
        let fileManager = FileManager.default
        let existing = files.map { folder.appending(path: $0.0) }.filter { fileManager.fileExists(atPath: $0.path()) }
        guard existing.isEmpty else {
            FileHandle.standardError.write(Data((existing.map { "error: \($0.path()) exists; init writes nothing over an existing file" }
                .joined(separator: "\n") + "\n").utf8))
            throw UnreadableInput()
        }
        do {
            try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
            for (file, text) in files {
                try Data(text.utf8).write(to: folder.appending(path: file), options: .withoutOverwriting)
            }
        } catch {
            FileHandle.standardError.write(Data("error: can't write into \(folder.path()): \(error.localizedDescription)\n".utf8))
            throw UnreadableInput()
        }
        let target = Self.name(forFolder: folder.lastPathComponent, fallback: "AppModel")
        print(ProjectStarter.instructions(folder: directory, target: target))
    }

    /// A schema name from a folder's name: its letters and digits, the first upper-cased.
    static func name(forFolder folder: String, fallback: String = "App") -> String {
        let kept = folder.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        let text = String(String.UnicodeScalarView(kept))
        guard let first = text.first, first.isLetter else { return fallback }
        return NameConversion.upperCamelCase(text)
    }

    static func checkedName(_ name: String) throws -> String {
        guard NameConversion.isIdentifier(name) else {
            throw ValidationError("--name must be an identifier: a letter, then letters, digits and underscores")
        }
        return name
    }
}

/// The files `syncwright init` writes, and what it prints.
enum ProjectStarter {
    /// A starter schema: one entity, one subset with a parameter and an `allow`.
    static func schema(name: String) -> String {
        """
        # A Syncwright schema: the entities the server has, and the offline subsets devices
        # keep. The language: docs/schema.md. Check it with `syncwright validate syncwright.yaml`;
        # building the target runs the same checks and generates the code.
        syncwright: 1
        name: \(name)

        entities:
          # An entity is a table on the server (`notes`) and a struct on the device (`Note`).
          Note:
            table: notes
            doc: A note a user keeps on their devices.
            fields:
              id: uuid                            # the first field is the key
              title: string
              body: { type: string, default: "" }
              pinned: { type: bool, default: false }
              remindOn: date?                     # `?`: the field may be null
              # Whose note it is. A device may leave it out on insert: the server fills in
              # the caller's id, because the subset's filter requires `ownerId == $userId`.
              ownerId: uuid?

        subsets:
          # What a signed-in user's device keeps. Parameters come from the claims of the
          # verified token (JWT), never from the device.
          member:
            parameters:
              userId: { claim: sub, type: uuid }
              role: { claim: role, type: string }
            # Who may use the subset at all: other tokens are refused with 403.
            allow: $role == "member"
            entities:
              Note:
                columns: all
                rows: ownerId == $userId          # each device gets its user's notes, no one else's
                access: read-write                # read-only, insert-only or read-write
                conflict: last-write-wins         # server-wins, client-wins, last-write-wins or manual
                unit: notes                       # pulled together, with one cursor

        """
    }

    /// The generator settings the build plugin reads.
    static let config = """
        # Settings for the build plugin and `syncwright generate`.
        subset: member     # the subset this target's code is generated for
        access: public     # public or internal declarations

        """

    /// What to add to `Package.swift`, and what to do next.
    static func instructions(folder: String, target: String) -> String {
        """
        Wrote \(folder)/syncwright.yaml and \(folder)/syncwright-config.yaml.

        Add Syncwright to Package.swift. The `package:` argument is the dependency's identity:
        the last part of its URL without `.git`, or the folder's name for a path dependency.

            dependencies: [
                .package(url: "https://github.com/OWNER/syncwright.git", from: "\(SyncwrightVersion.current)"),
                // or, from a local clone: .package(path: "../syncwright"),
            ],
            targets: [
                .target(
                    name: "\(target)",
                    dependencies: [.product(name: "Syncwright", package: "syncwright")],
                    exclude: ["syncwright.yaml", "syncwright-config.yaml"],
                    plugins: [.plugin(name: "SyncwrightPlugin", package: "syncwright")]
                ),
            ]

        Then:
            syncwright validate \(folder)/syncwright.yaml
            swift build          # generates Note, NoteSync and the model registry

        """
    }
}
