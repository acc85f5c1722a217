import Foundation
import Syncwright
import SyncwrightServer

/// The process of a simulated device ends here: the sync that was running stops where
/// it was, and the device reopens its store as an app that was killed would.
struct SimulatedKill: Error, CustomStringConvertible {
    var description: String { "the device was killed" }
}

/// A ``SyncTransport`` between one simulated device and the simulation's server: it
/// calls the server's sync logic in-process with the device's claims, and, while faults
/// are on, drops requests, drops answers after the server applied them, sends requests
/// twice, replays an earlier push late, and kills the device, each as the seed says.
final class SimulatedTransport: SyncTransport {
    let world: SimulationWorld
    let device: Int

    init(world: SimulationWorld, device: Int) {
        self.world = world
        self.device = device
    }

    func push(_ request: PushRequest) async throws -> PushResponse {
        let fault = world.nextFault(device: device, isPush: true)
        try fault.before(world, device: device)
        if fault.delay {
            world.delay(device: device, request: request)
            throw SyncTransportError.timeout("simulated: the push took too long")
        }
        if fault.replayStale, let stale = world.stalePush(device: device) {
            world.trace(device, "late copy of an earlier push (\(stale.ops.count) ops)")
            let replay = try await callServer { try await $0.push(stale, claims: self.claims) }
            world.checkReplay(device: device, request: stale, response: replay)
        }
        let response = try await callServer { try await $0.push(request, claims: self.claims) }
        world.observePush(device: device, request: request, response: response)
        if fault.duplicate {
            world.trace(device, "push sent twice")
            let again = try await callServer { try await $0.push(request, claims: self.claims) }
            world.checkReplay(device: device, request: request, response: again)
        }
        world.rememberPush(device: device, request: request)
        try fault.after(world, device: device, what: "push of \(request.ops.count) ops")
        return response
    }

    func pull(_ request: PullRequest) async throws -> PullResponse {
        let fault = world.nextFault(device: device, isPush: false)
        try fault.before(world, device: device)
        let page = try await callServer { try await $0.pull(request, claims: self.claims) }
        try await world.observePull(device: device, request: request, page: page)
        try fault.after(world, device: device, what: "pull of \(request.units.keys.sorted().joined(separator: ","))")
        return page
    }

    func schema() async throws -> SchemaResponse {
        try await world.service.schemaResponse()
    }

    private var claims: [String: JSONValue] { world.claims(device: device) }

    /// Calls the server; a refusal of the whole request becomes the error an HTTP
    /// transport reports for its status.
    private func callServer<T: Sendable>(_ body: @Sendable (SyncService) async throws -> T) async throws -> T {
        let service = world.service
        do {
            return try await body(service)
        } catch let error as ProtocolError {
            switch error.status {
            case 401: throw SyncTransportError.unauthorized(error.message)
            case 403: throw SyncTransportError.forbidden(error.message)
            case 409: throw SyncTransportError.schemaMismatch(error.message)
            case 410: throw SyncTransportError.resyncRequired(error.message)
            case 422: throw SyncTransportError.invalidRequest(error.message)
            default: throw SyncTransportError.server(status: error.status, error.message)
            }
        }
    }
}

/// What happens to one request, drawn from the seed.
struct TransportFault: Sendable {
    var killBefore = false
    var dropRequest = false
    var delay = false
    var replayStale = false
    var duplicate = false
    var dropAnswer = false
    var killAfter = false

    func before(_ world: SimulationWorld, device: Int) throws {
        if killBefore {
            world.trace(device, "killed before a request")
            throw SimulatedKill()
        }
        if dropRequest {
            world.count(\.droppedRequests)
            world.trace(device, "request lost")
            throw SyncTransportError.network("simulated: the request was lost")
        }
    }

    func after(_ world: SimulationWorld, device: Int, what: String) throws {
        if killAfter {
            world.trace(device, "killed after the server answered a \(what)")
            throw SimulatedKill()
        }
        if dropAnswer {
            world.count(\.droppedAnswers)
            world.trace(device, "answer to a \(what) lost")
            throw SyncTransportError.network("simulated: the answer was lost")
        }
    }
}
