import Foundation
import Syncwright

/// Opens a technician device's store. `WorkOrder`, `WorkOrderLine`, `Customer`,
/// `Technician`, `Product` and `FieldServiceTechnician.model` are generated from
/// syncwright.yaml by the Syncwright build plugin.
public func openTechnicianStore(at path: String) throws -> SyncStore {
    try SyncStore(path: path, model: FieldServiceTechnician.model)
}
