// A Swift relay that embeds the engine in-process (no `serve`, no pipes): the `ContextEngine` library
// product. It opens a Gemini Live session, plays a few exchanges with a manager instruction each, and
// writes what the provider must be sent — the same values `serve` answers with. The test command runs
// it (`swift run EmbeddedRelay`); docs/architecture.md shows it.
import ContextEngine
import Foundation
import JSONWire
import Tokenizer

let tokenizer = try Tokenizers.named("gemma4")  // gemini-3.x's family (docs/providers.md)
let profile = try ProviderProfile.named(.geminiLive)
let script = ScriptRegistry.shared.script(text: "You sell solar roofs. Be brief and concrete.", tokenizer: tokenizer)
var session = try ContextSession(
    id: "embedded", script: script,
    configuration: SessionConfiguration(window: profile.window, reserve: profile.reserve, provider: profile),
    tokenizer: tokenizer)

func show(_ label: String, _ outcome: EventOutcome) {
    let provider = outcome.provider!
    print("\(label): held \(provider.held), stale \(provider.stale), send \(provider.send.count) message(s)")
    for message in provider.send { print("  → " + JSONWriter.string(message)) }
    if let reseed = provider.reseed { print("  re-seed (\(reseed.reason)): \(reseed.send.count) messages") }
}

print("open: send " + (session.providerOpening?.send.map(JSONWriter.string).joined(separator: " ") ?? "-"))
for exchange in 1 ... 3 {
    show("instruction", try session.apply(.instruction(text: "Mention the 20-year warranty (\(exchange)).")))
    show("speech starts", try session.apply(.speechStarted))
    show("user", try session.apply(.turn(.user, text: "How much does a roof cost?", audioMs: 2_000)))
    show("model", try session.apply(.turn(.model, text: "Around nine thousand euros.", audioMs: 3_000)))
    show("turn complete", try session.apply(.turnComplete))
}
// Every stripped instruction is still held by Gemini: a re-seed is what sheds them.
precondition(session.provider!.stale > 0, "Gemini keeps what it cannot delete")
show("goAway → re-seed", try session.apply(.reseedPlanned(reason: "goAway with stale tokens")))
show("connected", try session.apply(.connected(reseeded: true)))
precondition(session.provider!.stale == 0, "the seed holds only the compacted context")
print("ok: usage \(session.currentUsage.total) of \(session.currentUsage.limit), hash \(session.hash)")
