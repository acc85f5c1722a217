import Foundation
import SyncwrightSchema

/// How to generate.
public struct GenerationOptions: Sendable, Hashable {
    /// The access level of generated declarations.
    public enum AccessLevel: String, Sendable, Hashable, CaseIterable {
        case `public`, `internal`
    }

    /// The subset to generate; may be nil when the schema has exactly one.
    public var subset: String?
    /// The access level of generated declarations.
    public var access: AccessLevel
    /// The prefix of the generated file names.
    public var filePrefix: String
    /// How many entity files to spread the entities over: many small files compile
    /// faster, in parallel, than one large one. Fixed, so a build plugin can declare them;
    /// the plugins use ``GeneratedFileContract/entityFileCount``.
    public var entityFileCount: Int

    /// Creates options; the defaults are ``GeneratedFileContract``'s.
    public init(subset: String? = nil, access: AccessLevel = .public,
                filePrefix: String = GeneratedFileContract.defaultFilePrefix,
                entityFileCount: Int = GeneratedFileContract.entityFileCount) {
        self.subset = subset
        self.access = access
        self.filePrefix = filePrefix
        self.entityFileCount = max(1, entityFileCount)
    }
}

/// Why generation could not start.
public struct GeneratorError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A message for people.
    public var message: String

    /// Creates an error.
    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension RenderContext {
    /// The translate stage: the render context of one subset of a validated model.
    ///
    /// - Throws: ``GeneratorError`` when the subset is missing or ambiguous.
    public init(model: SchemaModel, options: GenerationOptions) throws {
        let subset = try Self.chooseSubset(in: model, named: options.subset)
        let sourceFile = URL(fileURLWithPath: model.file).lastPathComponent
        let access = options.access.rawValue
        var entities: [EntityContext] = []
        for subsetEntity in subset.entities {
            guard let entity = model.entity(named: subsetEntity.entityName) else { continue }
            entities.append(Self.entityContext(entity, subsetEntity, subsetName: subset.name, sourceFile: sourceFile,
                                               subsetEntities: Set(subset.entities.map(\.entityName))))
        }
        let shards = (0..<options.entityFileCount).map { index in
            let members = entities.filter { Self.fileIndex(ofEntity: $0.name, files: options.entityFileCount) == index }
            return ShardContext(index: index, generatorVersion: SyncwrightVersion.current, sourceFile: sourceFile,
                                schemaName: model.name, subsetName: subset.name, access: access,
                                entities: members, isEmpty: members.isEmpty)
        }
        self.init(
            contextVersion: Self.currentVersion, generatorVersion: SyncwrightVersion.current, sourceFile: sourceFile,
            schemaName: model.name, subsetName: subset.name,
            registryTypeName: NameConversion.upperCamelCase(model.name) + NameConversion.upperCamelCase(subset.name),
            schemaHash: model.schemaHash, access: access, entities: entities, shards: shards,
            units: Self.unitContexts(subset))
    }

    /// The subset's units in the order their entities are listed, each with a constant
    /// name: the unit's name with its first letter lower-cased, or the name itself when
    /// two units would share it.
    static func unitContexts(_ subset: Subset) -> [UnitContext] {
        var order: [String] = []
        var members: [String: [String]] = [:]
        for entity in subset.entities {
            if members[entity.unit] == nil { order.append(entity.unit) }
            members[entity.unit, default: []].append(entity.entityName)
        }
        let lowered = order.map { NameConversion.lowerCamelCase($0) }
        return zip(order, lowered).map { unit, candidate in
            let name = lowered.filter { $0 == candidate }.count > 1 ? unit : candidate
            return UnitContext(identifier: SwiftNaming.identifier(name), name: SwiftNaming.stringLiteralContents(unit),
                               entityNames: members[unit, default: []].joined(separator: ", "))
        }
    }

    /// The entity file an entity's code goes to: its name's FNV-1a hash modulo the number
    /// of files. It depends on the name alone, so adding or removing an entity changes
    /// only that entity's file (and the registry), never moves the others.
    static func fileIndex(ofEntity name: String, files: Int) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return Int(hash % UInt64(max(1, files)))
    }

    static func chooseSubset(in model: SchemaModel, named name: String?) throws -> Subset {
        let names = model.subsets.map(\.name)
        if let name {
            if let subset = model.subset(named: name) { return subset }
            var message = "the schema has no subset '\(name)'"
            if let closest = names.first(where: { $0.lowercased() == name.lowercased() }) {
                message += "; did you mean '\(closest)'?"
            }
            throw GeneratorError(message + "; its subsets are: \(names.joined(separator: ", "))")
        }
        switch model.subsets.count {
        case 1: return model.subsets[0]
        case 0: throw GeneratorError("the schema has no subsets; add one under 'subsets:' to generate code for it")
        default:
            throw GeneratorError("the schema has \(names.count) subsets; choose one with --subset: \(names.joined(separator: ", "))")
        }
    }

    private static func entityContext(
        _ entity: Entity, _ subsetEntity: SubsetEntity, subsetName: String, sourceFile: String, subsetEntities: Set<String>
    ) -> EntityContext {
        let typeName = SwiftNaming.identifier(entity.name)
        let selected = entity.fields.filter { subsetEntity.columns.contains($0.name) }
        let writable = subsetEntity.access.allowsWrites
        var enums: [EnumContext] = []
        var properties: [PropertyContext] = []
        var columns: [ColumnContext] = []
        var parameters: [String] = []
        for field in selected {
            var swiftType = swiftTypeName(field.type)
            if case .enumeration(let cases) = field.type {
                let enumName = NameConversion.upperCamelCase(field.name)
                swiftType = SwiftNaming.identifier(enumName)
                enums.append(EnumContext(
                    typeName: swiftType,
                    cases: cases.map { EnumCaseContext(name: SwiftNaming.identifier($0), rawValue: SwiftNaming.stringLiteralContents($0)) },
                    remark: "Generated from entities.\(entity.name).\(field.name) (\(sourceFile))"))
            }
            if field.isNullable { swiftType += "?" }
            let name = SwiftNaming.identifier(field.name)
            let argument = SwiftNaming.argumentName(field.name)
            properties.append(PropertyContext(
                name: name, argumentName: argument, columnName: field.name, swiftType: swiftType, binding: writable ? "var" : "let",
                isInclude: false, documentation: SwiftNaming.documentationLines(field.documentation),
                remark: "Generated from entities.\(entity.name).\(field.reference?.relationName ?? field.name) (\(sourceFile))"))
            var arguments = "\"\(field.name)\", .\(field.type.storage.rawValue)"
            if field.isNullable { arguments += ", nullable: true" }
            if case .enumeration(let cases) = field.type {
                arguments += ", cases: [" + cases.map { "\"\(SwiftNaming.stringLiteralContents($0))\"" }.joined(separator: ", ") + "]"
            }
            if let target = field.reference?.targetEntity, subsetEntities.contains(target), writable {
                arguments += ", references: \"\(SwiftNaming.stringLiteralContents(target))\""
            }
            if field.type == .scalar(.attachment) {
                let download = switch subsetEntity.attachmentDownload {
                case .eager: "eager"
                case .onDemand: "onDemand"
                case .never: "never"
                }
                arguments += ", download: .\(download)"
                if let size = subsetEntity.maxAttachmentSize { arguments += ", maximumSize: \(size)" }
            }
            columns.append(ColumnContext(name: field.name, arguments: arguments))
            var parameter = SwiftNaming.parameter(label: name, argument: argument, type: swiftType)
            if let value = defaultLiteral(field) { parameter += " = \(value)" }
            parameters.append(parameter)
        }
        for include in subsetEntity.includes {
            // An enum of another entity arrives as its raw string.
            let swiftType = swiftTypeName(include.path.type) + "?"
            let name = SwiftNaming.identifier(include.name)
            let argument = SwiftNaming.argumentName(include.name)
            properties.append(PropertyContext(
                name: name, argumentName: argument, columnName: include.name, swiftType: swiftType, binding: "let", isInclude: true,
                documentation: ["`\(include.path)`, read-only: kept current by the server."],
                remark: "Generated from subsets.\(subsetName).entities.\(entity.name).include.\(include.name) (\(sourceFile))"))
            columns.append(ColumnContext(
                name: include.name,
                arguments: "\"\(include.name)\", .\(include.path.type.storage.rawValue), nullable: true, include: true"))
            parameters.append(SwiftNaming.parameter(label: name, argument: argument, type: swiftType) + " = nil")
        }
        let allColumns = selected.map(\.name) + subsetEntity.includes.map(\.name)
        let documentation = SwiftNaming.documentationLines(entity.documentation)
        let (conformance, accessCase): (String, String) = switch subsetEntity.access {
        case .readOnly: ("SyncEntity", "readOnly")
        case .insertOnly: ("InsertableSyncEntity", "insertOnly")
        case .readWrite: ("UpdatableSyncEntity", "readWrite")
        }
        let conflictCase = switch subsetEntity.conflictPolicy {
        case .serverWins: "serverWins"
        case .clientWins: "clientWins"
        case .lastWriteWins: "lastWriteWins"
        case .manual: "manual"
        }
        return EntityContext(
            name: entity.name,
            typeName: typeName,
            syncTypeName: NameConversion.upperCamelCase(entity.name) + "Sync",
            tableName: SwiftNaming.stringLiteralContents(entity.tableName),
            keyColumn: entity.keyFieldName,
            conformance: conformance,
            syncProtocol: subsetEntity.access == .readOnly ? "EntitySync" : "WritableEntitySync",
            accessCase: accessCase,
            isWritable: writable,
            conflictCase: conflictCase,
            unit: SwiftNaming.stringLiteralContents(subsetEntity.unit),
            priority: subsetEntity.priority,
            documentation: documentation,
            hasDocumentation: !documentation.isEmpty,
            remark: "Generated from entities.\(entity.name) (\(sourceFile))",
            properties: properties,
            initializerParameters: parameters.joined(separator: ", "),
            columns: columns,
            enums: enums,
            ddl: ddl(table: entity.tableName, key: entity.keyFieldName, fields: selected, includes: subsetEntity.includes),
            upsertColumns: (allColumns + ["version", "updatedAt"]).joined(separator: ", "))
    }

    /// The Swift type of a field's values.
    static func swiftTypeName(_ type: FieldType) -> String {
        switch type {
        case .enumeration: "String"
        case .scalar(let scalar):
            switch scalar {
            case .string: "String"
            case .date: "SyncDate"
            case .int: "Int"
            case .double: "Double"
            case .decimal: "Decimal"
            case .bool: "Bool"
            case .uuid: "UUID"
            case .timestamp: "Date"
            case .blob: "Data"
            case .json: "JSONValue"
            case .attachment: "SyncAttachment"
            }
        }
    }

    /// The schema's default as a Swift literal, where one can be written simply.
    static func defaultLiteral(_ field: Field) -> String? {
        switch (field.defaultValue, field.type) {
        case (nil, _):
            return field.isNullable ? "nil" : nil
        case (.null?, _):
            return "nil"
        case (.string(let text)?, .enumeration):
            return "." + SwiftNaming.identifier(text)
        case (.string(let text)?, .scalar(.string)), (.string(let text)?, .scalar(.date)):
            return "\"\(SwiftNaming.stringLiteralContents(text))\""
        case (.bool(let flag)?, _):
            return flag ? "true" : "false"
        case (.int(let value)?, .scalar(.int)), (.int(let value)?, .scalar(.double)):
            return String(value)
        case (.number(let text)?, .scalar(.double)):
            return text
        default:
            return field.isNullable ? "nil" : nil
        }
    }

    /// The runtime's `CREATE TABLE` for the columns and includes: the same builder
    /// (``LocalTableDefinition``) the runtime creates the table with.
    static func ddl(table: String, key: String, fields: [Field], includes: [Include]) -> String {
        let columns = fields.map { LocalTableDefinition.Column(name: $0.name, type: $0.type.storage, isNullable: $0.isNullable) }
            + includes.map { LocalTableDefinition.Column(name: $0.name, type: $0.path.type.storage, isNullable: true, isInclude: true) }
        return LocalTableDefinition(tableName: table, keyColumn: key, columns: columns).createTableSQL
    }
}
