import Foundation
import GRDB
import Syncwright
import SyncwrightSchema
import SyncwrightServer

/// A row of one entity, by its key as the wire writes it.
struct RowID: Hashable, Sendable, CustomStringConvertible {
    var entity: String
    var key: String
    var description: String { "\(entity) \(key)" }
}

/// What a device wrote locally and hasn't yet seen applied, refused or reported.
struct RowLedger: Sendable {
    /// Column values written and not yet seen in an applied op.
    var columns: [String: JSONValue] = [:]
    /// A local delete not yet seen applied.
    var deleted = false
    var isEmpty: Bool { columns.isEmpty && !deleted }
}

/// The simulation's shared state: the server, the seed's numbers, what each device
/// wrote and what the server answered, the trace and the problems found.
final class SimulationWorld: Sendable {
    let configuration: FaultSimulator.Configuration
    let folder: URL
    let devices: [FaultSimulator.DeviceIdentity]
    private let random: Locked<SimulationRandom>
    private let serviceBox: Locked<SyncService>
    private let state = Locked(State())
    /// Faults happen only while this is on; healing turns it off.
    let faultsOn = Locked(true)

    struct State {
        var trace: [String] = []
        var problems: [String] = []
        var report = SimulationReport()
        /// Per device: what it wrote and hasn't seen settled.
        var ledgers: [[RowID: RowLedger]] = []
        /// Per row: the versions written and who wrote them (a device index, or -1 for
        /// another system); a delete is recorded with the largest version.
        var writes: [RowID: [(version: Int64, writer: Int)]] = [:]
        /// Every op's first answer, by client and op id.
        var firstResults: [String: PushResult] = [:]
        /// Per device: the last push it sent, for a late copy.
        var lastPush: [Int: PushRequest] = [:]
        /// Pushes on their way to the server, which the devices gave up on.
        var delayed: [(device: Int, request: PushRequest)] = []
        /// Per device: every key it received as a put.
        var received: [Int: Set<RowID>] = [:]
        var round = 0
    }

    init(configuration: FaultSimulator.Configuration, folder: URL, devices: [FaultSimulator.DeviceIdentity], service: SyncService) {
        self.configuration = configuration
        self.folder = folder
        self.devices = devices
        random = Locked(SimulationRandom(seed: configuration.seed))
        serviceBox = Locked(service)
        state.withValue { $0.ledgers = Array(repeating: [:], count: devices.count) }
    }

    var service: SyncService { serviceBox.withValue { $0 } }

    func replaceService(_ service: SyncService) { serviceBox.withValue { $0 = service } }

    func claims(device: Int) -> [String: JSONValue] { devices[device].claims }

    // MARK: - The seed's numbers

    func draw<T>(_ body: (inout SimulationRandom) -> T) -> T {
        random.withValue { body(&$0) }
    }

    func nextFault(device: Int, isPush: Bool) -> TransportFault {
        guard faultsOn.withValue({ $0 }) else { return TransportFault() }
        let faults = configuration.faults
        return draw { random in
            var fault = TransportFault()
            fault.killBefore = random.chance(faults.killDevice / 2)
            fault.dropRequest = random.chance(faults.dropRequest)
            fault.delay = isPush && random.chance(faults.delayPush)
            fault.replayStale = isPush && random.chance(faults.replayLatePush)
            fault.duplicate = isPush && random.chance(faults.duplicateRequest)
            fault.dropAnswer = random.chance(faults.dropAnswer)
            fault.killAfter = random.chance(faults.killDevice / 2)
            return fault
        }
    }

    // MARK: - Trace, counts, problems

    func trace(_ device: Int?, _ line: String) {
        state.withValue { state in
            let who = device.map { devices[$0].name } ?? "server"
            state.trace.append("round \(state.round): \(who): \(line)")
        }
    }

    func setRound(_ round: Int) { state.withValue { $0.round = round } }

    func count(_ counter: WritableKeyPath<SimulationReport, Int>, by amount: Int = 1) {
        state.withValue { $0.report[keyPath: counter] += amount }
    }

    func problem(_ text: String) {
        state.withValue { state in
            state.problems.append("round \(state.round): \(text)")
            state.trace.append("round \(state.round): PROBLEM: \(text)")
        }
    }

    var snapshot: State { state.withValue { $0 } }

    // MARK: - Local writes

    /// Records a local change as the device made it (values in wire form).
    func recordLocal(device: Int, row: RowID, kind: OperationKind, values: [String: JSONValue]) {
        state.withValue { state in
            var ledger = state.ledgers[device][row] ?? RowLedger()
            switch kind {
            case .insert:
                ledger.columns = values
                ledger.deleted = false
            case .update:
                for (name, value) in values { ledger.columns[name] = value }
            case .delete:
                ledger.columns = [:]
                ledger.deleted = true
            }
            state.ledgers[device][row] = ledger
        }
    }

    /// The app saw the row's fate (a refusal or a conflict it keeps): nothing of it is lost silently.
    func settleVisibly(device: Int, row: RowID) {
        state.withValue { $0.ledgers[device][row] = nil }
    }

    // MARK: - What the server answered

    func rememberPush(device: Int, request: PushRequest) {
        state.withValue { $0.lastPush[device] = request }
    }

    func stalePush(device: Int) -> PushRequest? {
        state.withValue { $0.lastPush[device] }
    }

    var hasDelayedPushes: Bool { state.withValue { !$0.delayed.isEmpty } }

    /// Holds a push back; it reaches the server in a later round.
    func delay(device: Int, request: PushRequest) {
        trace(device, "push of \(request.ops.count) ops delayed: the device gives up waiting")
        count(\.delayedPushes)
        state.withValue { $0.delayed.append((device, request)) }
    }

    /// The delayed pushes reach the server now, in the order they were sent; their
    /// answers go nowhere (the devices stopped waiting).
    func deliverDelayedPushes() async throws {
        let delayed = state.withValue { state in
            defer { state.delayed.removeAll() }
            return state.delayed
        }
        for (device, request) in delayed {
            trace(device, "its delayed push of \(request.ops.count) ops reaches the server")
            do {
                let response = try await service.push(request, claims: claims(device: device))
                observePush(device: device, request: request, response: response)
            } catch {
                trace(device, "its delayed push was refused whole: \(error)")
            }
        }
    }

    /// A replayed request must get the first answers and change nothing.
    func checkReplay(device: Int, request: PushRequest, response: PushResponse) {
        let firsts = state.withValue { state in request.ops.map { state.firstResults[request.clientId + "/" + $0.opId] } }
        for (result, first) in zip(response.results, firsts) {
            guard let first else { continue }
            if result.status != first.status || result.version != first.version {
                problem("\(devices[device].name): op \(result.opId) replayed as \(result.status.rawValue) v\(result.version ?? -1), first answered \(first.status.rawValue) v\(first.version ?? -1)")
            }
        }
        count(\.duplicates)
    }

    func observePush(device: Int, request: PushRequest, response: PushResponse) {
        let policies = Dictionary(uniqueKeysWithValues: configuration.model.entities.map { ($0.name, $0.conflictPolicy) })
        let results = Dictionary(response.results.map { ($0.opId, $0) }, uniquingKeysWith: { first, _ in first })
        for op in request.ops {
            guard let result = results[op.opId] else {
                problem("\(devices[device].name): op \(op.opId) was not answered")
                continue
            }
            let row = RowID(entity: op.entity, key: op.key.jsonText)
            let id = request.clientId + "/" + op.opId
            let first = state.withValue { state -> PushResult? in
                if let first = state.firstResults[id] { return first }
                state.firstResults[id] = result
                return nil
            }
            if let first {
                // A retry of an op whose answer was lost: the same answer, nothing applied
                // again; the device acts on it now, so a refusal or conflict reaches the app.
                if first.status != result.status || first.version != result.version {
                    problem("\(devices[device].name): op \(op.opId) on \(row) answered \(result.status.rawValue) v\(result.version ?? -1) after \(first.status.rawValue) v\(first.version ?? -1)")
                }
                if result.status == .rejected || (result.status == .conflict && policies[op.entity].map(Self.conflictIsFinal) == true) {
                    settleVisibly(device: device, row: row)
                }
                continue
            }
            switch result.status {
            case .applied:
                count(\.applied)
                trace(device, "\(op.kind.rawValue) of \(row) applied as v\(result.version ?? -1)")
                state.withValue { state in
                    if op.kind == .delete {
                        state.writes[row, default: []].append((Int64.max, device))
                        state.ledgers[device][row]?.deleted = false
                    } else {
                        if let version = result.version { state.writes[row, default: []].append((version, device)) }
                        for (name, value) in op.values ?? [:] where state.ledgers[device][row]?.columns[name] == value {
                            state.ledgers[device][row]?.columns[name] = nil
                        }
                    }
                    if state.ledgers[device][row]?.isEmpty == true { state.ledgers[device][row] = nil }
                }
            case .conflict:
                count(\.conflicts)
                trace(device, "\(op.kind.rawValue) of \(row) (base v\(op.baseVersion ?? 0)) answered conflict, server at v\(result.version ?? -1)")
                let base = op.baseVersion ?? 0
                let foreign = state.withValue { state in
                    (state.writes[row] ?? []).contains { $0.writer != device && $0.version > base }
                }
                if !foreign {
                    problem("\(devices[device].name): its \(op.kind.rawValue) of \(row) (base v\(op.baseVersion ?? 0)) was judged a conflict, but nobody else wrote the row since")
                }
                if policies[op.entity].map(Self.conflictIsFinal) == true {
                    settleVisibly(device: device, row: row)
                }
            case .rejected:
                count(\.rejected)
                trace(device, "\(op.kind.rawValue) of \(row) refused: \(result.code ?? "?")")
                settleVisibly(device: device, row: row)
            }
        }
    }

    /// Whether a conflict ends the device's change (reported to the app) rather than
    /// sending it again: `server-wins` drops it, `manual` keeps it for the app.
    static func conflictIsFinal(_ policy: SyncConflictPolicy) -> Bool {
        policy == .serverWins || policy == .manual
    }

    /// Every row a pull sends must be in the caller's subset now; a removal of a key the
    /// device never received is counted (it tells the device another user's key).
    func observePull(device: Int, request: PullRequest, page: PullResponse) async throws {
        let puts = page.changes.filter { $0.op == .put }
        let removes = page.changes.filter { $0.op == .remove }
        count(\.pulledChanges, by: page.changes.count)
        if !puts.isEmpty {
            let allowed = try await subsetRows(claims: claims(device: device), units: Array(request.units.keys))
            for change in puts {
                let row = RowID(entity: change.entity, key: change.key.jsonText)
                if allowed[row] == nil {
                    problem("\(devices[device].name) received \(row), which is outside its subset")
                }
            }
        }
        state.withValue { state in
            for change in puts { state.received[device, default: []].insert(RowID(entity: change.entity, key: change.key.jsonText)) }
            let held = state.received[device] ?? []
            state.report.removalsOfKeysNeverHeld += removes.filter { !held.contains(RowID(entity: $0.entity, key: $0.key.jsonText)) }.count
        }
    }

    /// The rows (with versions) the server's subset holds for `claims` in `units`, as a
    /// download from scratch delivers them.
    func subsetRows(claims: [String: JSONValue], units: [String]) async throws -> [RowID: PullChange] {
        var rows: [RowID: PullChange] = [:]
        let model = configuration.model
        for unit in units {
            var cursor: String?
            while true {
                let page = try await service.pull(
                    PullRequest(subset: model.subset, schemaHash: model.schemaHash, units: [unit: cursor], limit: 1000), claims: claims)
                for change in page.changes where change.op == .put {
                    rows[RowID(entity: change.entity, key: change.key.jsonText)] = change
                }
                cursor = page.units[unit]
                if !page.more { break }
            }
        }
        return rows
    }

    /// Records a row written by another system straight into the tables.
    func recordSystemWrite(row: RowID, version: Int64) {
        state.withValue { $0.writes[row, default: []].append((version, -1)) }
    }
}
