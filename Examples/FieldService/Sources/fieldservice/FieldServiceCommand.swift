import ArgumentParser
import FieldServiceModel
import Foundation
import Syncwright
import SyncwrightAsyncHTTPClient

/// `fieldservice`: a technician's device on the command line. It keeps its own SQLite
/// store, works offline, and syncs with the reference server.
@main
struct FieldServiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fieldservice",
        abstract: "A technician's device: work orders kept offline, synced with a Syncwright server.",
        subcommands: [List.self, Show.self, Edit.self, Complete.self, AddLine.self, NewOrder.self, Attach.self, Photo.self, Products.self,
                      Sync.self, Watch.self, Status.self, Conflicts.self, Rejected.self, Why.self, Seed.self, Reassign.self, Restock.self,
                      OfficePhoto.self]
    )
}

/// A command that could not do its work (not a mistake in how it was called): printed as
/// `Error: …` without the usage, and the command exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Where the device keeps its data and which server and token it syncs with.
struct DeviceOptions: ParsableArguments {
    @Option(help: "The device's SQLite file.")
    var store = "fieldservice.sqlite"

    @Option(help: "The sync server.")
    var server = "http://127.0.0.1:8080"

    @Option(help: "The technician's token (or FIELDSERVICE_TOKEN).")
    var token: String?

    func openStore() throws -> SyncStore {
        try openTechnicianStore(at: store)
    }

    func engine(_ store: SyncStore, liveWait: Duration? = nil) throws -> SyncEngine {
        guard let token = token ?? ProcessInfo.processInfo.environment["FIELDSERVICE_TOKEN"], !token.isEmpty else {
            throw ValidationError("syncing needs a token: --token T or FIELDSERVICE_TOKEN (mint one with `syncwright-server token`)")
        }
        guard let url = URL(string: server), url.scheme != nil else { throw ValidationError("--server \(server) is not a URL") }
        // AsyncHTTPClient rather than URLSession: on Linux, URLSession stops the process
        // when a connection closes inside an answer's headers.
        let transport = HTTPSyncTransport(baseURL: url, timeout: 30, client: AsyncHTTPSyncClient()) { token }
        return SyncEngine(store: store, transport: transport,
                          configuration: SyncConfiguration(syncOnStart: liveWait != nil, syncOnReconnect: false,
                                                           retry: RetryPolicy(maximumAttempts: 3, initialDelay: .milliseconds(200)),
                                                           liveWait: liveWait))
    }
}

func workOrder(_ store: SyncStore, number: Int) throws -> WorkOrder {
    guard let order = try store.read({ try WorkOrder.filter(WorkOrder.Columns.number == number).fetchOne($0) }) else {
        throw CommandFailure("no work order \(number) on this device; `fieldservice list` shows them")
    }
    return order
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The work orders on this device.")
    @OptionGroup var device: DeviceOptions

    func run() throws {
        let store = try device.openStore()
        let orders = try store.read { try WorkOrder.order(WorkOrder.Columns.number).fetchAll($0) }
        let pending = Set(try store.pendingChanges().filter { $0.entity == "WorkOrder" }.compactMap(\.key.stringValue))
        if orders.isEmpty {
            print("no work orders on this device; run `fieldservice sync`")
            return
        }
        for order in orders {
            let mark = pending.contains(order.id.uuidString.lowercased()) ? " *" : ""
            print("\(order.number)  \(order.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0))  \(order.customerName ?? "?")\(order.notes.map { "  — \($0)" } ?? "")\(mark)")
        }
        if !pending.isEmpty { print("* changed on this device, not yet synced") }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One work order with its lines.")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The work order's number.") var number: Int

    func run() throws {
        let store = try device.openStore()
        let order = try workOrder(store, number: number)
        let lines = try store.read { try WorkOrderLine.filter(WorkOrderLine.Columns.workOrderId == order.id).fetchAll($0) }
        print("work order \(order.number): \(order.status.rawValue)")
        print("customer:  \(order.customerName ?? "?")\(order.customerPhone.map { ", \($0)" } ?? "")")
        if let date = order.scheduledFor { print("scheduled: \(date)") }
        if let notes = order.notes { print("notes:     \(notes)") }
        if let photo = order.photo {
            let here = store.fileURL(for: photo) != nil ? "on this device" : "not downloaded (`fieldservice photo \(number)` fetches it)"
            print("photo:     \(byteText(photo.size)) \(photo.mediaType), \(here)")
        }
        for line in lines { print("  \(line.quantity) × \(line.productName ?? "?")") }
    }
}

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Change a work order on this device (no network needed).")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The work order's number.") var number: Int
    @Option(help: "New notes.") var notes: String?
    @Option(help: "open, scheduled, inProgress, done or cancelled.") var status: String?
    @Option(help: "YYYY-MM-DD.") var scheduledFor: String?

    func run() throws {
        let store = try device.openStore()
        var order = try workOrder(store, number: number)
        if let notes { order.notes = notes }
        if let status {
            guard let value = WorkOrder.Status(rawValue: status) else {
                throw ValidationError("--status must be one of \(WorkOrder.Status.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            order.status = value
        }
        if let scheduledFor {
            guard let day = SyncDate(scheduledFor) else { throw ValidationError("--scheduled-for must be YYYY-MM-DD") }
            order.scheduledFor = day
        }
        try store.write { try $0.update(order) }
        print("work order \(number) changed on this device; \(try store.pendingChangeCount()) change(s) to sync")
    }
}

struct Complete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Mark a work order done.")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The work order's number.") var number: Int

    func run() throws {
        let store = try device.openStore()
        var order = try workOrder(store, number: number)
        order.status = .done
        try store.write { try $0.update(order) }
        print("work order \(number) done; \(try store.pendingChangeCount()) change(s) to sync")
    }
}

struct AddLine: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-line", abstract: "Add a product used on a job.")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The work order's number.") var number: Int
    @Option(help: "The product's SKU.") var sku: String
    @Option(help: "How many.") var quantity = 1

    func run() throws {
        let store = try device.openStore()
        let order = try workOrder(store, number: number)
        guard let product = try store.read({ try Product.filter(Product.Columns.sku == sku).fetchOne($0) }) else {
            throw CommandFailure("no product with SKU \(sku) on this device")
        }
        try store.write { try $0.insert(WorkOrderLine(id: UUID(), workOrderId: order.id, productId: product.id, quantity: quantity)) }
        print("added \(quantity) × \(product.name) to work order \(number)")
    }
}

struct Products: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The product catalog, with what the office has in stock.")
    @OptionGroup var device: DeviceOptions

    func run() throws {
        let store = try device.openStore()
        for product in try store.read({ try Product.order(Product.Columns.sku).fetchAll($0) }) {
            print("\(product.sku)  \(product.name.padding(toLength: 18, withPad: " ", startingAt: 0))  \(product.stock) in stock")
        }
    }
}

struct NewOrder: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-order", abstract: "Open a follow-up job at a customer, with a first line (no network needed).")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The new work order's number.") var number: Int
    @Option(help: "The customer's name, as `fieldservice list` shows it.") var customer: String
    @Option(name: .customLong("for"), help: "Who does the job: ann, bob or a technician's id (the server lets technicians open only their own).")
    var assignee = "ann"
    @Option(help: "The product's SKU for the first line.") var sku: String
    @Option(help: "How many.") var quantity = 1

    func run() throws {
        let store = try device.openStore()
        guard let customer = try store.read({ try Customer.filter(Customer.Columns.name == customer).fetchOne($0) }) else {
            throw CommandFailure("no customer named \(customer) on this device")
        }
        guard let product = try store.read({ try Product.filter(Product.Columns.sku == sku).fetchOne($0) }) else {
            throw CommandFailure("no product with SKU \(sku) on this device")
        }
        let who = switch assignee.lowercased() {
        case "ann": Crew.ann
        case "bob": Crew.bob
        default: assignee.lowercased()
        }
        guard let technician = UUID(uuidString: who) else { throw ValidationError("--for must be ann, bob or a technician's id") }
        let order = WorkOrder(id: UUID(), number: number, customerId: customer.id, assigneeId: technician, status: .scheduled)
        try store.write { transaction in
            try transaction.insert(order)
            try transaction.insert(WorkOrderLine(id: UUID(), workOrderId: order.id, productId: product.id, quantity: quantity))
        }
        print("work order \(number) opened on this device for \(assignee) at \(customer.name), with \(quantity) × \(product.name)")
    }
}

struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Push this device's changes, then pull the server's.")
    @OptionGroup var device: DeviceOptions

    func run() async throws {
        let store = try device.openStore()
        let engine = try device.engine(store)
        let progress = Task {
            var last = ""
            for await status in engine.status {
                let line: String
                switch status.activity {
                case .pushing(let done, let total): line = "pushed \(done)/\(total)"
                case .pulling(let unit, let done, _) where done > 0: line = "pulled \(done) (\(unit))"
                case .transferring(let files):
                    let verb = files.direction == .upload ? "uploading" : "downloading"
                    line = "\(verb) file \(files.filesDone + 1) of \(files.filesTotal): \(byteText(files.bytesTotal)) in all"
                case .retrying(let retry):
                    line = "attempt \(retry.failedAttempt) of \(retry.maximumAttempts) failed (\(retry.failure.message)); trying again"
                default: continue
                }
                if line != last { print(line) }
                last = line
            }
        }
        defer { progress.cancel() }
        // What happened to work orders and their lines, told by the typed hooks with
        // the work order's number; they run once each change's answer is saved.
        let hooks = [
            engine.on(WorkOrder.self) { event in
                switch event {
                case .refused(let key, let kind, let code, let reason, let order):
                    print("refused: \(kind.rawValue) \(order.map { "work order \($0.number)" } ?? "work order \(key)") (\(code)): \(reason)")
                case .conflict(let conflict):
                    let number = (conflict.local ?? conflict.server).map { "work order \($0.number)" } ?? "work order \(conflict.key)"
                    switch conflict.resolution {
                    case .serverKept: print("overwritten by the server (\(conflict.policy.rawValue)): \(number), your edit is in `fieldservice why`")
                    case .keptForApp: print("conflict kept for you: \(number); see `fieldservice conflicts`")
                    default: print("conflict (\(conflict.policy.rawValue)): \(number), your change was sent again")
                    }
                default: break
                }
            },
            engine.on(WorkOrderLine.self) { event in
                guard case .refused(let key, let kind, let code, let reason, let line) = event else { return }
                var why = reason
                if code == .dependsOnRejected, let cause = try? causeOfRefusal(store, key: key) {
                    why = "needs the refused \(describe(store, cause.row, kind: cause.kind))"
                }
                print("refused: \(kind.rawValue) \(line.map { describe(store, $0) } ?? "line \(key)") (\(code)): \(why)")
            },
        ]
        do {
            let report = try await engine.sync()
            progress.cancel()
            for hook in hooks { await hook.idle() }
            let pulled = report.pulled.values.reduce(0, +)
            print("synced: \(report.pushed) pushed, \(report.conflicts) conflicts, \(report.rejected) rejected, \(pulled) pulled")
            if report.attachmentsUploaded + report.attachmentsDownloaded + report.attachmentsRefused > 0 {
                print("files: \(report.attachmentsUploaded) uploaded, \(report.attachmentsDownloaded) downloaded"
                    + (report.attachmentsRefused > 0 ? ", \(report.attachmentsRefused) refused" : ""))
            }
            if report.rejected > 0 { print("see `fieldservice rejected`") }
        } catch let failure as SyncFailure where failure.code == .outdated {
            throw CommandFailure(failure.message)
        } catch let failure as SyncFailure where failure.code == .unauthorized {
            throw CommandFailure("sign in again: \(failure); your changes stay on this device")
        } catch {
            throw CommandFailure("sync failed: \(error); your changes stay on this device")
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Pending changes and the last sync.")
    @OptionGroup var device: DeviceOptions

    func run() throws {
        let store = try device.openStore()
        print("pending changes: \(try store.pendingChangeCount())")
        print("rejected changes: \(try store.rejectedChanges().count)")
        print("conflicts: \(try store.conflicts().count)")
        print("last synced: \(try store.lastSyncedAt().map { ISO8601DateFormatter().string(from: $0) } ?? "never")")
    }
}

struct Conflicts: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Conflicts kept for you (entities with `conflict: manual`).")
    @OptionGroup var device: DeviceOptions

    func run() throws {
        let conflicts = try device.openStore().conflicts()
        if conflicts.isEmpty { print("no conflicts: the schema's policies resolved them") }
        for conflict in conflicts {
            print("\(conflict.entity) \(conflict.key): yours \(conflict.localValues.map { "\($0)" } ?? "deleted"), server's \(conflict.serverValues.map { "\($0)" } ?? "deleted")")
        }
    }
}

struct Why: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Why a work order is, or isn't, as the server has it.",
        discussion: "Its pending changes (queued, in flight, failed attempts and the last error), refused changes, conflicts, overwritten edits, its version and the last pull of its unit.")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The work order's number.") var number: Int

    func run() throws {
        let store = try device.openStore()
        let order = try workOrder(store, number: number)
        print(try store.explain(WorkOrder.self, key: order.id))
    }
}

struct Rejected: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Changes the server refused, and why.")
    @OptionGroup var device: DeviceOptions
    @Flag(help: "Put the rows back as the server has them.") var discard = false

    func run() throws {
        let store = try device.openStore()
        let groups = try store.rejectedChangeGroups()
        if groups.isEmpty { print("no rejected changes") }
        for group in groups {
            let cause = group.cause
            print("\(describe(store, cause.row, kind: cause.kind)): \(cause.code) — \(cause.reason)")
            for dependent in group.dependents {
                print("  ↳ refused with it (\(dependent.code)): \(describe(store, dependent.row, kind: dependent.kind))")
            }
            // Discarding the cause discards the changes that needed it.
            if discard { try store.discard(cause) }
        }
        let count = groups.reduce(0) { $0 + $1.changes.count }
        if discard && count > 0 { print("discarded \(count); the rows are as the server has them") }
    }
}

/// A changed row as the technician knows it: the work order's number, a line's product
/// and order, rather than keys.
/// The refusal a line's change needed (its `dependsOn`), from the store's refused changes.
func causeOfRefusal(_ store: SyncStore, key: SyncKey) throws -> RejectedChange? {
    let rejected = try store.rejectedChanges()
    guard let change = try WorkOrderLineSync.refused(in: store).last(where: { $0.key == key })?.change,
          let cause = change.dependsOn else { return nil }
    return rejected.first { $0.opID == cause }
}

/// A line as the technician knows it: its work order's number, quantity and product.
func describe(_ store: SyncStore, _ line: WorkOrderLine) -> String {
    (try? store.read { db in try describe(db, line) }) ?? "line \(line.id)"
}

func describe(_ db: Database, _ line: WorkOrderLine) throws -> String {
    let order = try WorkOrder.fetchOne(db, key: line.workOrderId).map { "work order \($0.number)" } ?? "a work order"
    // A line made on this device has no include yet: the catalog names its product.
    let product = try line.productName ?? Product.fetchOne(db, key: line.productId)?.name ?? "?"
    return "line of \(order): \(line.quantity) × \(product)"
}

func describe(_ store: SyncStore, _ row: SyncRowID, kind: OperationKind) -> String {
    guard case .uuid(let id) = row.key else { return "\(kind.rawValue) \(row)" }
    let found: String? = try? store.read { db -> String? in
        if row.is(WorkOrder.self), let order = try WorkOrder.fetchOne(db, key: id) {
            return "work order \(order.number)"
        }
        if row.is(WorkOrderLine.self), let line = try WorkOrderLine.fetchOne(db, key: id) {
            return try describe(db, line)
        }
        return nil
    }
    return "\(kind.rawValue) \(found ?? "\(row)")"
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stay live: sync, then keep a pull open and show changes as the server sends them.",
        discussion: "The server holds the pull until something changes in this technician's subset, so a change made at the office shows here at once.")
    @OptionGroup var device: DeviceOptions
    @Option(help: "How long to watch, in seconds.") var seconds = 60
    @Option(help: "Stop after this many syncs that brought changes.") var changes: Int?

    func run() async throws {
        let store = try device.openStore()
        let engine = try device.engine(store, liveWait: .seconds(25))
        let seconds = self.seconds, limit = changes
        await engine.start()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var first = true
                var seen = 0
                for await status in engine.status {
                    switch status.activity {
                    case .finished(let report):
                        let pulled = report.pulled.filter { $0.value > 0 }.sorted { $0.key < $1.key }
                        if first {
                            say("synced; waiting for changes")
                            first = false
                        } else if !pulled.isEmpty || report.pushed > 0 {
                            let text = pulled.map { "\($0.value) (\($0.key))" }.joined(separator: ", ")
                            say("live: pulled \(text.isEmpty ? "nothing" : text)" + (report.pushed > 0 ? ", pushed \(report.pushed)" : ""))
                            seen += 1
                            if let limit, seen >= limit { return }
                        }
                    case .failed(let failure):
                        say("live sync failed (\(failure.message)); trying again")
                    default:
                        break
                    }
                }
            }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)) }
            await group.next()
            group.cancelAll()
        }
        await engine.stop()
    }
}

/// A line written at once, unbuffered, also into a file or a pipe: a watcher's lines are
/// read while it runs.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
