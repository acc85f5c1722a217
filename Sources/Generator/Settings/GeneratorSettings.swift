import SyncwrightSchema

/// A target's `syncwright-config.yaml`: which subset its generated code is for and at
/// which access level, each with the place it was written.
///
/// ```yaml
/// subset: technician
/// access: internal
/// ```
public struct GeneratorSettings: Sendable, Hashable {
    /// The subset to generate, when the file names one.
    public var subset: Located<String>?
    /// The access level of generated declarations, when the file names one.
    public var access: Located<GenerationOptions.AccessLevel>?

    /// Creates settings.
    public init(subset: Located<String>? = nil, access: Located<GenerationOptions.AccessLevel>? = nil) {
        self.subset = subset
        self.access = access
    }

    /// `options` with what these settings say, where the options don't already say it.
    public func applied(to options: GenerationOptions, subsetGiven: Bool, accessGiven: Bool) -> GenerationOptions {
        var options = options
        if !subsetGiven, let subset { options.subset = subset.value }
        if !accessGiven, let access { options.access = access.value }
        return options
    }
}
