import SyncwrightSchema

/// A subset as apps built against one schema version see it: that version's entities,
/// columns, includes and units, under the current schema's filters, `allow:`, access and
/// conflict rules (rules protect data, so an old app never escapes a new one).
struct ServedSubset: Sendable {
    /// The subset, in the version's shape.
    let subset: Subset
    /// How each of its entities is read and written, by entity name.
    let plans: [String: EntityPlan]
}
