import Foundation
import GRDB
import Logging
import Syncwright
import SyncwrightSchema
import SyncwrightServer

/// A deterministic fault simulation of Syncwright: the real `SyncStore` and `SyncEngine`
/// of several devices of several users, the server's real sync logic over a temporary
/// SQLite database, and a transport between them that, from a seed, loses requests,
/// loses answers after the server applied them, sends requests twice, replays earlier
/// pushes late and kills devices mid-sync; devices are also killed between steps, the
/// server restarts, and another system writes straight into the server's tables.
///
/// After the rounds, the faults stop and every device syncs until it settles (the app
/// discards refusals and keeps the server's side of manual conflicts). Then the checkers
/// ask: was every local change applied once, or refused or reported to the app? Did a
/// replayed op ever change anything or answer differently? Was an edit ever judged a
/// conflict though nobody else wrote the row? Is any queue stuck? Does every device hold
/// exactly its user's subset, values and versions? Did any pull send a row outside the
/// caller's subset? A failure names its seed and the fewest rounds that show it, with
/// that run's whole trace.
///
/// ```swift
/// let simulator = FaultSimulator(.init(schema: schema, model: AppModel.model, users: [
///     .init(name: "ann", claims: ["sub": .string(ann)], devices: 2),
/// ], seed: 42, rounds: 200) { database in try await seedRows(database) })
/// let report = try await simulator.run()   // throws SimulationFailure
/// ```
public struct FaultSimulator: Sendable {
    /// A user whose devices take part.
    public struct User: Sendable {
        /// A name for the trace.
        public var name: String
        /// The verified token claims the server sees for this user.
        public var claims: [String: JSONValue]
        /// How many devices (stores) the user syncs from.
        public var devices: Int

        /// Creates a user.
        public init(name: String, claims: [String: JSONValue], devices: Int = 1) {
            self.name = name
            self.claims = claims
            self.devices = max(1, devices)
        }
    }

    /// How often each fault happens: per request for the transport's faults, per round
    /// for the others.
    public struct Faults: Sendable {
        public var dropRequest: Double
        /// A push that reaches the server only rounds later, after the device gave up
        /// on it (a timeout) and maybe sent its ops again.
        public var delayPush: Double
        public var dropAnswer: Double
        public var duplicateRequest: Double
        public var replayLatePush: Double
        /// Per request, half before it is sent and half after it is answered; per round,
        /// an idle device is killed at the same rate.
        public var killDevice: Double
        public var restartServer: Double
        public var systemWrite: Double

        /// Creates a fault mix; the defaults make about one request in four fail.
        public init(
            dropRequest: Double = 0.06, delayPush: Double = 0.04, dropAnswer: Double = 0.08, duplicateRequest: Double = 0.05,
            replayLatePush: Double = 0.05, killDevice: Double = 0.06, restartServer: Double = 0.03, systemWrite: Double = 0.15
        ) {
            self.dropRequest = dropRequest
            self.delayPush = delayPush
            self.dropAnswer = dropAnswer
            self.duplicateRequest = duplicateRequest
            self.replayLatePush = replayLatePush
            self.killDevice = killDevice
            self.restartServer = restartServer
            self.systemWrite = systemWrite
        }

        /// No faults at all: only the devices' own edits and syncs.
        public static let none = Faults(dropRequest: 0, delayPush: 0, dropAnswer: 0, duplicateRequest: 0, replayLatePush: 0,
                                        killDevice: 0, restartServer: 0, systemWrite: 0)
    }

    /// What to simulate.
    public struct Configuration: Sendable {
        /// The server's schema.
        public var schema: SchemaModel
        /// The devices' generated model (one subset of `schema`).
        public var model: SyncModel
        /// The users and their devices.
        public var users: [User]
        /// The seed: the same seed and rounds run the same simulation.
        public var seed: UInt64
        /// Rounds of edits, syncs and faults before healing.
        public var rounds: Int
        /// The fault mix.
        public var faults: Faults
        /// Rows written into the fresh server database before the first round, as another
        /// system would (the server's triggers log them).
        public var seedData: @Sendable (any ServerDatabase) async throws -> Void

        /// Creates a configuration.
        public init(
            schema: SchemaModel, model: SyncModel, users: [User], seed: UInt64, rounds: Int, faults: Faults = Faults(),
            seedData: @escaping @Sendable (any ServerDatabase) async throws -> Void
        ) {
            self.schema = schema
            self.model = model
            self.users = users
            self.seed = seed
            self.rounds = rounds
            self.faults = faults
            self.seedData = seedData
        }
    }

    /// One device: its user's claims and a name for the trace.
    struct DeviceIdentity: Sendable {
        var name: String
        var claims: [String: JSONValue]
    }

    /// The simulation's settings.
    public let configuration: Configuration

    /// Creates a simulator.
    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs the simulation and checks it.
    ///
    /// - Returns: What happened, when every check held.
    /// - Throws: ``SimulationFailure`` with the seed, the fewest rounds that still fail
    ///   (found by bisection) and that run's trace; or an error setting up the server.
    @discardableResult
    public func run() async throws -> SimulationReport {
        let outcome = try await runOnce(rounds: configuration.rounds)
        guard !outcome.problems.isEmpty else { return outcome.report }
        // The shortest failing run: the rounds are a deterministic prefix of the seed's.
        var failing = (rounds: configuration.rounds, outcome: outcome)
        var low = 0
        while low + 1 < failing.rounds {
            let middle = (low + failing.rounds) / 2
            let attempt = try await runOnce(rounds: middle)
            if attempt.problems.isEmpty { low = middle } else { failing = (middle, attempt) }
        }
        throw SimulationFailure(seed: configuration.seed, rounds: failing.rounds,
                                problems: failing.outcome.problems, trace: failing.outcome.trace)
    }

    struct Outcome {
        var report: SimulationReport
        var problems: [String]
        var trace: [String]
    }

    func runOnce(rounds: Int) async throws -> Outcome {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-simulation-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        var (world, devices) = try await makeWorld(folder: folder)
        for round in 1...max(1, rounds) where rounds > 0 {
            world.setRound(round)
            try await step(world: world, devices: &devices)
        }
        world.count(\.rounds, by: rounds)
        try await SimulationChecks(world: world, devices: devices).healAndCheck()
        try await world.service.database.close()
        let snapshot = world.snapshot
        return Outcome(report: snapshot.report, problems: snapshot.problems, trace: snapshot.trace)
    }

    /// The seeded server and every device's store, in `folder`.
    func makeWorld(folder: URL) async throws -> (SimulationWorld, [SimulatedDevice]) {
        let service = try await Self.startServer(schema: configuration.schema, path: folder.appending(path: "server.sqlite").path)
        try await configuration.seedData(service.database)
        var identities: [DeviceIdentity] = []
        for user in configuration.users {
            for index in 1...user.devices {
                identities.append(DeviceIdentity(name: "\(user.name)#\(index)", claims: user.claims))
            }
        }
        let world = SimulationWorld(configuration: configuration, folder: folder, devices: identities, service: service)
        return (world, try identities.indices.map { try SimulatedDevice(world: world, index: $0) })
    }

    /// One round: one device edits, one syncs, or the world acts.
    private func step(world: SimulationWorld, devices: inout [SimulatedDevice]) async throws {
        let faults = configuration.faults
        let delayedPushesWait = world.hasDelayedPushes
        let (action, device) = world.draw { random -> (Int, Int) in
            let device = Int.random(in: 0..<devices.count, using: &random)
            if delayedPushesWait, random.chance(0.3) { return (5, device) }
            if random.chance(faults.restartServer) { return (0, device) }
            if random.chance(faults.systemWrite) { return (1, device) }
            if random.chance(faults.killDevice) { return (2, device) }
            return (Bool.random(using: &random) ? 3 : 4, device)
        }
        switch action {
        case 0:
            world.trace(nil, "restarts")
            try await world.service.database.close()
            world.replaceService(try await Self.startServer(
                schema: configuration.schema, path: world.folder.appending(path: "server.sqlite").path))
            world.count(\.serverRestarts)
        case 1:
            try await SystemWriter(world: world).writeOneRow()
        case 2:
            world.trace(device, "killed while idle")
            try devices[device].reopen()
            world.count(\.deviceKills)
        case 3:
            try await devices[device].editSomething()
        case 5:
            try await world.deliverDelayedPushes()
        default:
            if try await !devices[device].sync() {
                try devices[device].reopen()
                world.count(\.deviceKills)
            }
        }
    }

    static func startServer(schema: SchemaModel, path: String) async throws -> SyncService {
        var logger = Logger(label: "syncwright.simulation")
        logger.logLevel = .critical
        let service = SyncService(schema: schema, database: try SQLiteServerDatabase(path: path), logger: logger)
        try await service.prepare()
        return service
    }
}
