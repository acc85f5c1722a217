import SyncwrightServer
import SyncwrightServerCommand

// The reference server: the command line, with no rules of a team's own.
await SyncwrightServerCommand.main(rules: PushRules())
