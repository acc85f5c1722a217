import ArgumentParser
import FieldServiceModel
import Foundation
import Syncwright

/// `1.2 MB`, `300 KB`, `512 bytes`.
func byteText(_ bytes: Int64) -> String {
    switch bytes {
    case ..<1_000: "\(bytes) bytes"
    case ..<1_000_000: String(format: "%.0f KB", Double(bytes) / 1_000)
    default: String(format: "%.1f MB", Double(bytes) / 1_000_000)
    }
}

/// The media type of a file by its extension.
func mediaType(of path: String) -> String {
    switch URL(fileURLWithPath: path).pathExtension.lowercased() {
    case "jpg", "jpeg": "image/jpeg"
    case "png": "image/png"
    case "heic": "image/heic"
    case "mp4", "m4v": "video/mp4"
    case "mov": "video/quicktime"
    case "pdf": "application/pdf"
    case "txt": "text/plain"
    default: "application/octet-stream"
    }
}

struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach a photo (or any file) to a work order on this device (no network needed).",
        discussion: "The file is copied beside the device's store; the next sync uploads it before the change that references it.")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The work order's number.") var number: Int
    @Argument(help: "The file.", completion: .file()) var path: String
    @Option(help: "Its media type; by default from the file's extension.") var type: String?

    func run() throws {
        let store = try device.openStore()
        var order = try workOrder(store, number: number)
        guard FileManager.default.isReadableFile(atPath: path) else { throw CommandFailure("can't read \(path)") }
        let photo = try store.importAttachment(contentsOf: URL(fileURLWithPath: path), mediaType: type ?? mediaType(of: path))
        order.photo = photo
        try store.write { try $0.update(order) }
        print("photo of work order \(number): \(byteText(photo.size)) \(photo.mediaType), kept on this device; the next sync uploads it")
    }
}

struct Photo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Where a work order's photo is on this device; downloads it first when it isn't here.")
    @OptionGroup var device: DeviceOptions
    @Argument(help: "The work order's number.") var number: Int
    @Option(help: "Copy the photo to this path.") var save: String?

    func run() async throws {
        let store = try device.openStore()
        let order = try workOrder(store, number: number)
        guard let photo = order.photo else { throw CommandFailure("work order \(number) has no photo") }
        let url: URL
        if let local = store.fileURL(for: photo) {
            url = local
        } else {
            do {
                url = try await device.engine(store).attachment(for: photo)
            } catch {
                throw CommandFailure("the photo of work order \(number) isn't on this device and can't be downloaded now: \(error)")
            }
            print("downloaded \(byteText(photo.size))")
        }
        if let save {
            if FileManager.default.fileExists(atPath: save) { try FileManager.default.removeItem(atPath: save) }
            try FileManager.default.copyItem(at: url, to: URL(fileURLWithPath: save))
            print("photo of work order \(number) saved to \(save) (\(byteText(photo.size)) \(photo.mediaType))")
        } else {
            print(url.path)
        }
    }
}

struct OfficePhoto: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "office-photo", abstract: "A work order's photo as the office sees it on the server (office).")
    @OptionGroup var office: OfficeOptions
    @Argument(help: "The work order's number.") var number: Int

    func run() throws {
        let reference = try office.open().read { db in
            try String.fetchOne(db, sql: "SELECT photo FROM work_orders WHERE number = ?", arguments: [number])
        }
        guard let reference, let photo = SyncAttachment(referenceText: reference) else {
            throw CommandFailure("work order \(number) has no photo on the server")
        }
        // The reference server keeps files beside its SQLite file, named by their hash.
        let file = URL(fileURLWithPath: office.database + ".attachments/files/\(photo.sha256.prefix(2))/\(photo.sha256)")
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? Int
        guard size == Int(photo.size) else {
            throw CommandFailure("work order \(number) references a photo the server doesn't have yet")
        }
        print("work order \(number): photo \(byteText(photo.size)) \(photo.mediaType), on the server at \(file.path)")
    }
}
