import Foundation
import JSONWire

/// Reconciliation: a provider's usage report against the ledger, and the calibration of the audio
/// rate and the framing it drives.
extension ProviderMirror {
    /// A provider's report of the input tokens it counted for the last response, against the ledger.
    /// With `calibrate`, the difference moves the audio rate (when audio is held) or the framing per
    /// item, for the items that follow; a report split by modality (`audio`) moves each from its own
    /// part.
    ///
    /// With `recostOnCalibration` the report is matched against what the provider held when the
    /// answer began (`answerStart`): OpenAI's `input_tokens` and Gemini's `promptTokenCount` count the
    /// answer's input, not its own output nor what was stripped after it. Matched against what is held
    /// now, an exact report drifted by the answer's cost and calibrated the audio rate down to × 0.25
    /// (audit). The calibration then re-counts every held item, so the next report sees no error of
    /// the old rate left in the items before it (the rate swung between × 0.25 and × 4 where the truth
    /// was × 2).
    mutating func reconcile(_ reported: Int, audio reportedAudio: Int? = nil) -> ProviderDrift {
        let recost = policy.recostOnCalibration
        // A report no answer began since the last one was matched (sent twice, or before any answer)
        // is compared with what is held now and calibrates nothing: the first of two exact reports
        // set × 1, the second × 0.9; one right after the opening set the framing to 2,999 (audit).
        let matched = recost ? answerStart : (held, audioHeld, entries.count)
        let basis = matched ?? (held, audioHeld, entries.count)
        if recost { answerStart = nil }
        var drift = ProviderDrift(reported: reported, held: basis.held, notify: false, calibrated: nil)
        // A report that says how much of it was audio calibrates each modality from its own count
        // (sessions opened with `recostOnCalibration`; one stored before folds as it did). A split
        // that has audio where the ledger holds none, or none where it holds some, says nothing the
        // rate could be scaled by (a list that leaves audio out would set the framing to its cap):
        // the total is used then.
        let split = recost ? reportedAudio.flatMap { ($0 == 0) == (basis.audio == 0) ? $0 : nil } : nil
        if let split { drift.audio = (split, basis.audio) }
        drift.notify = abs(drift.percent) > policy.driftNotifyPercent
        guard policy.calibrate, matched != nil, basis.items > 0 else { return drift }
        let fromOverhead = overhead
        if let split {
            var changes = [String]()
            if split > 0, split != basis.audio, let text = calibrateAudioRate(to: split, from: basis.audio) { changes.append(text) }
            // The framing is text: what the provider counted beside the audio, against the ledger's.
            let textDrift = (reported - split) - (basis.held - basis.audio)
            if textDrift != 0, let text = calibrateFraming(by: textDrift, items: basis.items) { changes.append(text) }
            drift.calibrated = changes.isEmpty ? nil : changes.joined(separator: "; ")
        } else if drift.tokens == 0 {
            return drift
        } else if basis.audio > 0 {
            // Audio dominates what a voice call holds (25 tokens/s against ~3 of text): the rate is
            // what sources disagree on, so the difference is put on it. Said (and re-counted) even when
            // the 4× bound leaves the rate as it was, as stored logs were folded.
            drift.calibrated = calibrateAudioRate(to: basis.audio + drift.tokens, from: basis.audio, evenIfUnchanged: true)
        } else {
            drift.calibrated = calibrateFraming(by: drift.tokens, items: basis.items)
        }
        if recost && drift.calibrated != nil { recostEntries(fromOverhead: fromOverhead) }
        return drift
    }

    /// The audio rate that makes `held` audio tokens count `reported`, within 4× either way of the
    /// profile's (the rate is what sources disagree on); its description, or nil when it is unchanged.
    private mutating func calibrateAudioRate(to reported: Int, from held: Int, evenIfUnchanged: Bool = false) -> String? {
        let scale = min(4, max(0.25, audioScale * Double(reported) / Double(held)))
        guard scale != audioScale || evenIfUnchanged else { return nil }
        defer { audioScale = scale }
        return "audio rate × \(String(format: "%.3f", scale)) (was × \(String(format: "%.3f", audioScale)))"
    }

    /// The framing per item moved by `tokens` over `items`, within 0…`maxCalibratedFraming`: one
    /// report of 1e6 tokens set it to 19,992 a item and left the budget 32,002 over its limit (review).
    private mutating func calibrateFraming(by tokens: Int, items: Int) -> String? {
        let perItem = Double(tokens) / Double(items)
        let newOverhead = min(Self.maxCalibratedFraming, max(0, overhead + Int(perItem.rounded())))
        guard newOverhead != overhead else { return nil }
        defer { overhead = newOverhead }
        return "overheadPerItem \(overhead) → \(newOverhead)"
    }
}
