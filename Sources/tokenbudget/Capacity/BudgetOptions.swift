import ArgumentParser

/// `--encoding`, `--window` and `--reserve` of `capacity` and `replay`. Optional, so that a value
/// typed equal to its plain default still counts as given with `--provider`: `--window 32000` was
/// taken for "the profile's" (OpenAI then ran on 32,320), `-e o200k_base` for Gemma's.
struct BudgetOptions: ParsableArguments {
    @Option(name: [.customShort("e"), .customLong("encoding")],
            help: "Encoding of the script and the turns (default o200k_base; with --provider, the profile's).")
    var encodingOption: String?
    @Option(name: .customLong("window"), help: "Context window in tokens (default 32000; with --provider, the profile's).")
    var windowOption: Int?
    @Option(name: .customLong("reserve"), help: "Tokens reserved for the model's answer (default 0; with --provider, the profile's).")
    var reserveOption: Int?

    var encoding: String { encodingOption ?? "o200k_base" }
    var window: Int { windowOption ?? 32_000 }
    var reserve: Int { reserveOption ?? 0 }
}
