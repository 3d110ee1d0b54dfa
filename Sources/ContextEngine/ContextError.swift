/// An error from the context engine: a stable code to switch on and a message a person can act on.
/// A throwing event leaves the session exactly as it was.
public struct ContextError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        /// The script alone does not fit in window − reserve.
        case scriptOverBudget
        /// A turn or instruction does not fit even after evicting every evictable exchange.
        case overBudget
        /// An instruction exceeds the policy's `maxTokens` and the policy says `reject`.
        case instructionTooLong
        /// A policy document is not valid.
        case invalidPolicy
        /// A parameter is out of range (window ≤ 0, negative reserve, …).
        case invalidConfiguration
        /// A stored event cannot be read back (unknown kind, missing field): a log is never folded
        /// with guessed values.
        case invalidEvent
        /// An event's own values are refused (a negative `audioMs`, a reused provider item id).
        case invalidInput
    }

    public var code: Code
    public var message: String
    /// The event's field at fault, for `.invalidInput` (`audioMs`, `providerItemId`).
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
