import CapacityTools
import ContextEngine
import Foundation
import JSONWire
import Tokenizer

extension ReplayCommand {
    /// `replay --provider`: every recorded dialogue as a call held by the provider, under each strategy.
    /// Each dialogue's turns are counted once and shared by every strategy; (strategy, file) jobs run on
    /// all cores.
    func runProvider() throws {
        let clock = ContinuousClock()
        let started = clock.now
        let profiles = try provider.profiles()
        let reports = try profiles.map { profile in try runProvider(profile) }
        provider.write(reports, json: json)
        let elapsed = clock.now - started
        if !json && profiles.count > 1 {
            writeStandardOutput(String(format: "replayed %d provider(s) in %.2f s\n", profiles.count,
                Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
        }
    }

    func runProvider(_ profile: ProviderProfile) throws -> (text: String, json: JSONValue) {
        let clock = ContinuousClock()
        let started = clock.now
        let encodingName = budget.encodingOption ?? profile.encoding
        // The reserve against this profile's window, before any log: it was the first log's error.
        let sessionWindow = budget.windowOption ?? profile.window
        if let reserve = budget.reserveOption, reserve >= sessionWindow {
            throw CLIError("--reserve must be in 0 ..< window (\(sessionWindow), \(profile.kind.rawValue) \(profile.model))")
        }
        let tokenizer: any TextTokenizer
        do { tokenizer = try Tokenizers.named(encodingName) } catch { throw CLIError("\(error)") }
        let (scriptObject, files, logs) = try inputs(tokenizer)
        let synthetic = try syntheticInstructions(tokenizer)
        let policy = try loadPolicy(policies.last { $0 != "keep-all" } ?? "strip-after-response")
        let strategies = try provider.selectedStrategies(profile.kind)
        let timing = provider.timing(profile.kind)
        let counts = Slots<[Int]>(count: logs.count)
        DispatchQueue.concurrentPerform(iterations: logs.count) { file in
            counts.set(file, logs[file].map { tokenizer.count($0.text) })
        }
        let jobs = strategies.indices.flatMap { strategy in files.indices.map { (strategy, $0) } }
        let progress = Progress(total: jobs.count, enabled: !json && Progress.onTerminal)
        let slots = Slots<Result<ProviderFigures, CLIError>>(count: jobs.count)
        let (window, reserve, instructions, historyAt) = (
            budget.windowOption, budget.reserveOption, synthetic, provider.historyAt ?? 10
        )
        DispatchQueue.concurrentPerform(iterations: jobs.count) { job in
            let (strategy, file) = jobs[job]
            do {
                let figures = try ProviderRuns.replay(
                    logs[file], tokens: counts.values[file]!, strategy: strategies[strategy], provider: profile, policy: policy,
                    script: scriptObject, window: window, reserve: reserve, synthetic: instructions, timing: timing,
                    historyAt: historyAt, tokenizer: tokenizer)
                slots.set(job, .success(figures))
            } catch let error as ContextError {
                slots.set(job, .failure(CLIError("\(files[file]) (\(strategies[strategy].rawValue)): \(error.message)")))
            } catch {
                slots.set(job, .failure(CLIError("\(files[file]): \(error)")))
            }
            progress.step()
        }
        progress.finish()
        let flat = try slots.values.map { try $0!.get() }
        let results = strategies.indices.map { index in
            (strategies[index], Array(flat[(index * files.count) ..< ((index + 1) * files.count)]))
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let header = "\(profile.kind.rawValue) \(profile.model): \(files.count) recorded call(s), script \(scriptObject.tokens) tokens, "
            + (timing.audio ? "spoken at \(Int(timing.wordsPerMinute)) words/min" : "text turns")
            + (synthetic.map { ", an instruction of \($0.tokens) tokens every \($0.every)" } ?? "")
        // The time goes into the table's header only: in the chart's title it made every chart of
        // the same replay a different file (audit).
        var report = try provider.report(results, profile: profile, header: header, json: json, plot: try provider.plotPath(plot, profile)) {
            figures in ReplayCommand.meanSeries(figures.map(\.series))
        }
        if let end = report.text.firstIndex(of: "\n") {
            report.text.insert(contentsOf: String(format: "; replayed in %.2f s", seconds), at: end)
        }
        return report
    }
}
