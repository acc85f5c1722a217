/// What a simulation did, for its log line and for tests that want more than a pass.
public struct SimulationReport: Sendable, Hashable, CustomStringConvertible {
    /// Rounds run (before healing).
    public var rounds = 0
    /// Local changes the devices made.
    public var localChanges = 0
    /// Syncs started, and those that failed (a fault, or a killed device).
    public var syncs = 0
    public var failedSyncs = 0
    /// Devices killed mid-sync or between steps, and server restarts.
    public var deviceKills = 0
    public var serverRestarts = 0
    /// Rows written straight into the server's tables by another system.
    public var systemWrites = 0
    /// Ops answered applied, conflict and rejected (first answers only).
    public var applied = 0
    public var conflicts = 0
    public var rejected = 0
    /// Faults: requests lost, answers lost after the server acted, pushes delivered
    /// rounds late, requests sent twice or replayed late.
    public var droppedRequests = 0
    public var droppedAnswers = 0
    public var delayedPushes = 0
    public var duplicates = 0
    /// Changes received by pulls.
    public var pulledChanges = 0
    /// Removals of keys the device never held: each tells it the key of a row outside
    /// its subset. Counted, not failed, until the change log is partitioned by bucket.
    public var removalsOfKeysNeverHeld = 0

    public var description: String {
        """
        \(rounds) rounds: \(localChanges) local changes, \(syncs) syncs (\(failedSyncs) failed), \
        \(deviceKills) device kills, \(serverRestarts) server restarts, \(systemWrites) writes by another system; \
        ops \(applied) applied, \(conflicts) conflicts, \(rejected) rejected; \
        faults: \(droppedRequests) requests lost, \(droppedAnswers) answers lost, \(delayedPushes) pushes delayed, \(duplicates) replays; \
        \(pulledChanges) changes pulled, \(removalsOfKeysNeverHeld) removals of keys never held
        """
    }
}

/// A simulation that found a problem: the seed, the fewest rounds that still show it,
/// the problems and the trace of that shortest run.
public struct SimulationFailure: Error, Sendable, CustomStringConvertible {
    /// The seed that reproduces it.
    public var seed: UInt64
    /// The fewest rounds (found by bisection) after which the problem shows.
    public var rounds: Int
    /// What the checkers found.
    public var problems: [String]
    /// Every step of the shortest run, faults included.
    public var trace: [String]

    public var description: String {
        """
        the fault simulation with seed \(seed) failed after \(rounds) round\(rounds == 1 ? "" : "s"); \
        reproduce with seed \(seed) and rounds \(rounds).
        problems:
        \(problems.map { "  " + $0 }.joined(separator: "\n"))
        trace:
        \(trace.map { "  " + $0 }.joined(separator: "\n"))
        """
    }
}
