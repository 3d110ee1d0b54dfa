import ArgumentParser
import CapacityTools
import ContextEngine
import Foundation
import JSONWire
import Tokenizer

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay recorded sessions through the engine under one or more policies.",
        discussion: """
            Event logs: one {"seq","t","type":"user"|"model"|"instruction","text"} per line (the format \
            of ../shared/sessions). client.speechStarted is implied before each user turn and \
            model.turnComplete after each model turn. Several --policy compare side by side.
            """)

    @Argument(help: "Event-log files or directories of them.") var paths: [String]
    @Option(help: "The script pinned at the top of every session (a file).") var script: String
    @OptionGroup var budget: BudgetOptions
    var encoding: String { budget.encoding }
    var window: Int { budget.window }
    var reserve: Int { budget.reserve }
    @Option(name: .customLong("policy"), help: "Preset name or policy file (repeatable).")
    var policies: [String] = ["strip-after-response"]
    @Option(help: "Synthesize a manager instruction every k exchanges.") var instructionEvery: Int?
    @Option(help: "Tokens per synthesized instruction.") var instructionTokens = 400
    @Option(help: "Lines to take synthesized instructions from.") var instructionsFile: String?
    @Flag(help: "Print every turn's usage (the default for a single file).") var turns = false
    @Flag(help: "JSON for machines instead of the tables.") var json = false
    @Option(help: "Write a chart of context tokens per exchange, stacked by segment (mean over sessions).")
    var plot: String?
    @OptionGroup var provider: ProviderOptions

    func validate() throws {
        // Checked here, not per session: a bad window was reported as the first log file's error.
        guard window >= 1, window <= Bounds.maxWindow else { throw ValidationError("--window must be in 1...\(Bounds.maxWindow)") }
        // With --provider the window may be the profile's: `runProvider` checks the reserve there.
        guard reserve >= 0, provider.provider != nil || reserve < window else {
            throw ValidationError("--reserve must be in 0 ..< window (\(window))")
        }
        if let every = instructionEvery, every < 1 { throw ValidationError("--instruction-every must be at least 1") }
        // A negative count trapped in `prefix`.
        guard instructionTokens >= 0, instructionTokens <= Self.maxInstructionTokens else {
            throw ValidationError("--instruction-tokens must be in 0...\(Self.maxInstructionTokens)")
        }
    }

    /// 200,000 tokens, six of the largest realtime windows: each line of the instructions file makes
    /// one instruction this long, and 100 M (the window's bound) made 6 texts of 100 M tokens (~80 s,
    /// 5 GB) that every policy then cut to its `maxTokens`.
    static let maxInstructionTokens = 200_000

    func run() throws {
        if provider.provider != nil { return try runProvider() }
        let clock = ContinuousClock()
        let started = clock.now
        let tokenizer: any TextTokenizer
        do { tokenizer = try Tokenizers.named(encoding) } catch { throw CLIError("\(error)") }
        let (scriptObject, files, logs) = try inputs(tokenizer)
        let synthetic = try syntheticInstructions(tokenizer)
        let loadedPolicies = try policies.map(loadPolicy)
        let showTurns = turns || files.count == 1
        let progress = Progress(total: files.count * loadedPolicies.count, enabled: files.count > 1 && !json && Progress.onTerminal)
        // Sessions are independent: spread (policy, file) jobs over the cores.
        let jobs = loadedPolicies.indices.flatMap { policy in files.indices.map { (policy, $0) } }
        let slots = Slots<Result<ReplayResult, CLIError>>(count: jobs.count)
        let (window, reserve, instructions) = (self.window, self.reserve, synthetic)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { job in
            let (policy, file) = jobs[job]
            do {
                let result = try Replayer.replay(
                    logs[file], file: files[file], script: scriptObject,
                    configuration: SessionConfiguration(window: window, reserve: reserve, policy: loadedPolicies[policy]),
                    tokenizer: tokenizer, synthetic: instructions, keepRows: showTurns)
                slots.set(job, .success(result))
            } catch let error as ContextError {
                slots.set(job, .failure(CLIError("\(files[file]): \(error.message)")))
            } catch {
                slots.set(job, .failure(CLIError("\(files[file]): \(error)")))
            }
            progress.step()
        }
        progress.finish()
        let flat = try slots.values.map { try $0!.get() }
        let results = loadedPolicies.indices.map { policy in Array(flat[(policy * files.count) ..< ((policy + 1) * files.count)]) }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if json {
            writeStandardOutput(JSONWriter.string(jsonReport(results, seconds: seconds, scriptTokens: scriptObject.tokens)) + "\n")
        } else {
            writeStandardOutput(textReport(results, showTurns: showTurns, seconds: seconds, scriptTokens: scriptObject.tokens))
        }
        if let plot {
            let panels = results.map { perFile in
                SVGChart.Panel(title: "\(perFile[0].policy) (\(perFile.count) session\(perFile.count == 1 ? "" : "s"), mean)",
                               samples: meanSeries(perFile))
            }
            try writeFile(
                SVGChart.render(title: "Context tokens per exchange — replay (window \(window), script \(scriptObject.tokens))",
                                panels: panels), to: plot)
        }
    }

    /// The script, the event-log files and their events.
    func inputs(_ tokenizer: any TextTokenizer) throws -> (Script, [String], [[RecordedEvent]]) {
        guard let scriptData = FileManager.default.contents(atPath: script) else { throw CLIError("cannot read \(script)") }
        let scriptObject = ScriptRegistry.shared.script(text: String(decoding: scriptData, as: UTF8.self), tokenizer: tokenizer)
        let files: [String]
        do { files = try paths.flatMap { try EventLog.files(at: $0) } } catch { throw CLIError("\(error)") }
        guard !files.isEmpty else { throw CLIError("no .jsonl event logs under \(paths.joined(separator: ", "))") }
        let logs: [[RecordedEvent]]
        do { logs = try files.map(EventLog.read) } catch { throw CLIError("\(error)") }
        return (scriptObject, files, logs)
    }

    /// `--instruction-every`: instructions made up from the lines of `--instructions-file`.
    func syntheticInstructions(_ tokenizer: any TextTokenizer) throws -> SyntheticInstructions? {
        guard let every = instructionEvery else { return nil }
        let path = instructionsFile ?? "fixtures/instructions.txt"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read \(path)" + (instructionsFile == nil ? " (the default, relative to the current folder; give --instructions-file)" : ""))
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        // Blank lines make no instruction: a blank file made tag-only 7-token ones, quietly.
        guard lines.contains(where: { !$0.allSatisfy(\.isWhitespace) }) else {
            throw CLIError("\(path) has no line with text to make instructions of")
        }
        return SyntheticInstructions(every: every, tokens: instructionTokens, lines: lines, tokenizer: tokenizer)
    }

    /// Mean of each segment per exchange index over the sessions that reached it.
    func meanSeries(_ results: [ReplayResult]) -> [SegmentSample] { Self.meanSeries(results.map(\.series)) }

    /// Mean of each segment (and of what the provider held) per exchange index over the sessions that
    /// reached it; an exchange is marked re-seeded when most of those sessions re-seeded in it.
    static func meanSeries(_ series: [[SegmentSample]]) -> [SegmentSample] {
        // One sample an exchange per session, its last answer's: exchanges are numbered 1, 2, … as
        // the engine numbers them, so a sample's index is its exchange (an exchange of two answers
        // put every later one of its session an index off).
        let series = series.map { samples in
            samples.reduce(into: [SegmentSample]()) { kept, sample in
                if kept.last?.exchange == sample.exchange { kept[kept.count - 1] = sample } else { kept.append(sample) }
            }
        }
        let length = series.map(\.count).max() ?? 0
        return (0 ..< length).map { index in
            let present = series.compactMap { index < $0.count ? $0[index] : nil }
            var sample = present[0]
            sample.exchange = index + 1
            sample.summary = present.map(\.summary).reduce(0, +) / present.count
            sample.history = present.map(\.history).reduce(0, +) / present.count
            sample.instruction = present.map(\.instruction).reduce(0, +) / present.count
            let held = present.compactMap(\.held)
            sample.held = held.isEmpty ? nil : held.reduce(0, +) / held.count
            sample.reseeded = present.filter(\.reseeded).count * 2 > present.count
            return sample
        }
    }

    func textReport(_ results: [[ReplayResult]], showTurns: Bool, seconds: Double, scriptTokens: Int) -> String {
        var out = ""
        if showTurns {
            for perFile in results {
                for result in perFile {
                    out += "\(result.file) — \(result.policy)\n"
                    out += pad("seq", 5) + "  " + pad("event", 12, right: false) + pad("tokens", 7) + pad("history", 9)
                        + pad("instr", 7) + pad("total", 7) + pad("free", 7) + "  evicted\n"
                    for row in result.rows {
                        out += pad(String(row.seq), 5) + "  " + pad(row.kind.rawValue, 12, right: false) + pad(String(row.tokens), 7)
                            + pad(String(row.usage.history), 9) + pad(String(row.usage.instruction), 7)
                            + pad(String(row.usage.total), 7) + pad(String(row.usage.free), 7)
                            + (row.evicted > 0 ? "  \(row.evicted) exchange(s)" : "") + "\n"
                    }
                    for refusal in result.refused { out += "  refused: \(refusal)\n" }
                    out += "\n"
                }
            }
        }
        out += "script \(scriptTokens) tokens, window \(window), reserve \(reserve)\n"
        out += pad("policy", 24, right: false) + pad("sessions", 9) + pad("turns", 8) + pad("evicting", 9)
            + pad("evictions", 10) + pad("peak", 7) + pad("mean ctx/answer", 16) + pad("injected", 9) + pad("stripped", 9)
            + pad("refused", 8) + "\n"
        for perFile in results {
            let answers = perFile.map(\.series.count).reduce(0, +)
            let context = perFile.map(\.contextTokensSum).reduce(0, +)
            out += pad(perFile[0].policy, 24, right: false) + pad(String(perFile.count), 9)
                + pad(String(perFile.map(\.turns).reduce(0, +)), 8)
                + pad(String(perFile.filter { $0.evictions > 0 }.count), 9)
                + pad(String(perFile.map(\.evictions).reduce(0, +)), 10) + pad(String(perFile.map(\.peak).max() ?? 0), 7)
                + pad(answers > 0 ? String(context / answers) : "-", 16)
                + pad(String(perFile.map(\.instructionsInjected).reduce(0, +)), 9)
                + pad(String(perFile.map(\.instructionsStripped).reduce(0, +)), 9)
                + pad(String(perFile.map(\.refused.count).reduce(0, +)), 8) + "\n"
        }
        out += String(format: "replayed %d session(s) × %d policy(ies) in %.3f s\n", results.first?.count ?? 0, results.count, seconds)
        return out
    }

    func jsonReport(_ results: [[ReplayResult]], seconds: Double, scriptTokens: Int) -> JSONValue {
        [
            "scriptTokens": JSONValue(scriptTokens), "window": JSONValue(window), "reserve": JSONValue(reserve),
            "seconds": .double(seconds),
            "policies": .array(results.map { perFile in
                [
                    "policy": .string(perFile[0].policy),
                    "sessions": .array(perFile.map { result in
                        [
                            "file": .string(result.file), "turns": JSONValue(result.turns),
                            "evictions": JSONValue(result.evictions), "peak": JSONValue(result.peak),
                            "contextTokensSum": JSONValue(result.contextTokensSum),
                            "instructionsInjected": JSONValue(result.instructionsInjected),
                            "instructionsStripped": JSONValue(result.instructionsStripped),
                            "refused": .array(result.refused.map { .string($0) }),
                            "usagePerAnswer": .array(result.series.map { sample in
                                [
                                    "exchange": JSONValue(sample.exchange), "script": JSONValue(sample.script),
                                    "summary": JSONValue(sample.summary), "history": JSONValue(sample.history),
                                    "instruction": JSONValue(sample.instruction), "free": JSONValue(sample.free),
                                ]
                            }),
                        ]
                    }),
                ]
            }),
        ]
    }
}

/// Results of concurrent jobs, by index.
final class Slots<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Value?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.lock()
        values[index] = value
        lock.unlock()
    }
}

/// A one-line progress bar on stderr, redrawn at most 20 times a second. Thread-safe.
final class Progress: @unchecked Sendable {
    /// Only a person at a terminal wants the bar; a log file or a pipe does not.
    static var onTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    let total: Int
    let enabled: Bool
    private let lock = NSLock()
    var done = 0
    var lastDraw = 0.0

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func step() {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        guard enabled else { return }
        let now = Date().timeIntervalSince1970
        guard now - lastDraw > 0.05 || done == total else { return }
        lastDraw = now
        let width = 30
        let filled = width * done / max(1, total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total)".utf8))
    }

    func finish() {
        if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
