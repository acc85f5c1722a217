import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Runs libFuzzer's driver with this process's command line and `target` as the
/// function under test, then exits with its status. SwiftPM gives each executable its
/// own `main`, which hides libFuzzer's, so each target's `main.swift` calls this.
public func runLibFuzzer(_ target: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
    var arguments = CommandLine.argc
    var values = CommandLine.unsafeArgv
    exit(runFuzzerDriver(&arguments, &values, target))
}
