extension SchemaModel {
    /// The canonical text of the model's meaning, one fact per line, in a fixed order
    /// independent of how the YAML was written. ``schemaHash`` is its SHA-256.
    ///
    /// Entities, fields, subsets, parameters and includes are sorted by name, so
    /// reordering keys changes nothing; documentation and source positions are left out.
    public var canonicalDescription: String {
        var lines = ["syncwright \(formatVersion)", "name \(name)"]
        for entity in entities.sorted(by: { $0.name < $1.name }) {
            lines.append("entity \(entity.name) table=\(entity.tableName) key=\(entity.keyFieldName)")
            for field in entity.fields.sorted(by: { $0.name < $1.name }) {
                var line = "  field \(field.name) column=\(field.columnName) type=\(field.type)"
                if field.isNullable { line += " nullable" }
                if let value = field.defaultValue { line += " default=\(value)" }
                if let reference = field.reference { line += " references=\(reference.targetEntity) as=\(reference.relationName)" }
                lines.append(line)
            }
        }
        for subset in subsets.sorted(by: { $0.name < $1.name }) {
            lines.append("subset \(subset.name)")
            if let allow = subset.allow { lines.append("  allow \(allow)") }
            for parameter in subset.parameters.sorted(by: { $0.name < $1.name }) {
                lines.append("  parameter \(parameter.name) claim=\(parameter.claim) type=\(parameter.isList ? "[\(parameter.type)]" : parameter.type.rawValue)")
            }
            for entity in subset.entities.sorted(by: { $0.entityName < $1.entityName }) {
                lines.append("  entity \(entity.entityName) columns=\(entity.columns.sorted().joined(separator: ",")) "
                    + "access=\(entity.access.rawValue) conflict=\(entity.conflictPolicy.rawValue) "
                    + "unit=\(entity.unit) priority=\(entity.priority)")
                if let filter = entity.rowFilter { lines.append("    rows \(filter)") }
                // Written only when set, so schemas without attachments keep their hash.
                if entity.attachmentDownload != .onDemand || entity.maxAttachmentSize != nil {
                    lines.append("    attachments \(entity.attachmentDownload.rawValue) max=\(entity.maxAttachmentSize.map(String.init) ?? "-")")
                }
                for include in entity.includes.sorted(by: { $0.name < $1.name }) {
                    lines.append("    include \(include.name) = \(include.path)")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Computes ``schemaHash`` from ``canonicalDescription``.
    func computeHash() -> String {
        ContentHasher.hexDigest(Array(canonicalDescription.utf8))
    }
}
