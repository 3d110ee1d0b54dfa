import ArgumentParser

@main
struct TokenBudgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenbudget",
        abstract: "Context-window and token-budget engine for real-time voice agents.",
        version: TokenBudgetVersion.string,
        subcommands: [
            ServeCommand.self, SessionsCommand.self, CapacityCommand.self, ReplayCommand.self, CountCommand.self, EncodeCommand.self,
            DecodeCommand.self,
        ]
    )
}
