#if canImport(Glibc)
import Glibc
#endif
import Logging
import TickTape

extension FaultSwitches {
    /// The switches the environment arms, nil when it arms none (production):
    /// `TICKTAPE_TESTING_HANG_MERGER_TRIGGER` (the merger hangs when the named file appears) and
    /// `TICKTAPE_TESTING_STORAGE_FAULT_TRIGGER` (storage writes fail while it exists). Read
    /// once, by the daemon at start; each armed switch is logged loudly.
    package static func fromEnvironment(logger: Logger) -> FaultSwitches? {
        func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        let hang = value("TICKTAPE_TESTING_HANG_MERGER_TRIGGER")
        let storage = value("TICKTAPE_TESTING_STORAGE_FAULT_TRIGGER")
        guard hang != nil || storage != nil else { return nil }
        if let hang {
            logger.warning(
                "TEST FAULT SWITCH ARMED: the merger will hang when this file appears", metadata: ["trigger": "\(hang)"])
        }
        if let storage {
            logger.warning(
                "TEST FAULT SWITCH ARMED: storage writes fail with ENOSPC while this file exists",
                metadata: ["trigger": "\(storage)"])
        }
        return FaultSwitches(mergerHangTrigger: hang, storageFailureTrigger: storage)
    }
}
