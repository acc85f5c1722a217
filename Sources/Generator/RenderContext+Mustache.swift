import Mustache

// Direct lookups for the templates: Mustache finds names without reflection, which
// makes rendering many times faster on large schemas. Every stored property of the
// context types is listed; a test checks the lists against the properties.

extension RenderContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "contextVersion": contextVersion
        case "generatorVersion": generatorVersion
        case "sourceFile": sourceFile
        case "schemaName": schemaName
        case "subsetName": subsetName
        case "registryTypeName": registryTypeName
        case "schemaHash": schemaHash
        case "access": access
        case "entities": entities
        case "shards": shards
        case "units": units
        default: nil
        }
    }
}

extension UnitContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "identifier": identifier
        case "name": self.name
        case "entityNames": entityNames
        default: nil
        }
    }
}

extension ShardContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "index": index
        case "generatorVersion": generatorVersion
        case "sourceFile": sourceFile
        case "schemaName": schemaName
        case "subsetName": subsetName
        case "access": access
        case "entities": entities
        case "isEmpty": isEmpty
        default: nil
        }
    }
}

extension EntityContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "typeName": typeName
        case "syncTypeName": syncTypeName
        case "tableName": tableName
        case "keyColumn": keyColumn
        case "conformance": conformance
        case "syncProtocol": syncProtocol
        case "accessCase": accessCase
        case "isWritable": isWritable
        case "conflictCase": conflictCase
        case "unit": unit
        case "priority": priority
        case "documentation": documentation
        case "hasDocumentation": hasDocumentation
        case "remark": remark
        case "properties": properties
        case "initializerParameters": initializerParameters
        case "columns": columns
        case "enums": enums
        case "ddl": ddl
        case "upsertColumns": upsertColumns
        default: nil
        }
    }
}

extension PropertyContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "argumentName": argumentName
        case "columnName": columnName
        case "swiftType": swiftType
        case "binding": binding
        case "isInclude": isInclude
        case "documentation": documentation
        case "remark": remark
        default: nil
        }
    }
}

extension ColumnContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "arguments": arguments
        default: nil
        }
    }
}

extension EnumContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "typeName": typeName
        case "cases": cases
        case "remark": remark
        default: nil
        }
    }
}

extension EnumCaseContext: MustacheParent {
    public func child(named name: String) -> Any? {
        switch name {
        case "name": self.name
        case "rawValue": rawValue
        default: nil
        }
    }
}
