// 10,000 concurrent sessions sharing one 20k-token script, 100 exchanges each, events interleaved
// across sessions as a relay would send them. Tokenization is excluded (token counts are given),
// so this measures the engine alone: events/s and peak memory (read /proc/self/status VmHWM).
//
//   swift run -c release ContextEngineLoad [sessions] [exchanges]
import ContextEngine
import Foundation
import Tokenizer

let arguments = CommandLine.arguments
let sessionCount = arguments.count > 1 ? Int(arguments[1])! : 10_000
let exchanges = arguments.count > 2 ? Int(arguments[2])! : 100

let tokenizer = try BPEEncoding.named("o200k_base")
let scriptText = String(repeating: "Always greet the client by name and confirm the offer. ", count: 1_800)
let script = ScriptRegistry.shared.script(text: scriptText, tokenizer: tokenizer)
print("script: \(script.tokens) tokens, shared by \(sessionCount) sessions")

var sessions = [ContextSession]()
sessions.reserveCapacity(sessionCount)
for index in 0 ..< sessionCount {
    sessions.append(
        try ContextSession(id: "call-\(index)", script: ScriptRegistry.shared.script(text: scriptText, tokenizer: tokenizer),
                           configuration: SessionConfiguration(window: 32_000), tokenizer: tokenizer))
}
precondition(ScriptRegistry.shared.count == 1)

let userText = "Yes, I'd like to hear more about the premium plan."
let modelText = "Great — the premium plan includes installation, a ten-year warranty and monitoring."
let instruction = "Ask about their monthly electricity bill before quoting a price."
var events = 0
var checksum = 0
let clock = ContinuousClock()
let elapsed = try clock.measure {
    for exchange in 0 ..< exchanges {
        for index in 0 ..< sessionCount {
            if exchange % 3 == 0 {
                checksum &+= try sessions[index].pushInstruction(instruction, tokens: 400).usage.total
                events += 1
            }
            checksum &+= try sessions[index].clientSpeechStarted().usage.total
            checksum &+= try sessions[index].appendTurn(.user, text: userText, tokens: 50).usage.total
            checksum &+= try sessions[index].appendTurn(.model, text: modelText, tokens: 100).usage.total
            checksum &+= sessions[index].modelTurnComplete().usage.total
            events += 4
        }
    }
}
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM") } ?? "VmHWM: ?"
print("\(events) events in \(String(format: "%.3f", seconds)) s = \(Int(Double(events) / seconds)) events/s; \(peak); checksum \(checksum)")
