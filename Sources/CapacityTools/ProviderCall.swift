import ContextEngine

/// The call's clock and audio, as a profile states them.
public struct CallTiming: Sendable, Equatable {
    /// Seconds of audio per client turn and per agent turn (token-count profiles).
    public var userSeconds: Double
    public var modelSeconds: Double
    /// For recorded logs, which only have text: speaking rate that turns words into seconds.
    public var wordsPerMinute: Double
    /// Whether spoken turns are held as audio (false: the turns are text, the reference profile).
    public var audio: Bool
    /// A connection's life (Gemini ~600 s, OpenAI 60 min) and how early its goAway comes.
    public var connectionSeconds: Double
    public var goAwayLeadSeconds: Double

    public init(userSeconds: Double = 4, modelSeconds: Double = 8, wordsPerMinute: Double = 150, audio: Bool = true,
                connectionSeconds: Double = 600, goAwayLeadSeconds: Double = 60) {
        self.userSeconds = userSeconds
        self.modelSeconds = modelSeconds
        self.wordsPerMinute = wordsPerMinute
        self.audio = audio
        self.connectionSeconds = connectionSeconds
        self.goAwayLeadSeconds = goAwayLeadSeconds
    }

    /// The documented connection life of `kind`: Gemini ~10 min, OpenAI 60 min.
    public static func connectionSeconds(_ kind: ProviderKind) -> Double { kind == .geminiLive ? 600 : 3_600 }

    /// Seconds a text takes to say at `wordsPerMinute` (at least 0.4 s).
    public func seconds(speaking text: String) -> Double {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).count
        return max(0.4, Double(words) * 60 / wordsPerMinute)
    }
}

/// What one strategy did to the provider over a call.
public struct ProviderFigures: Sendable {
    public var strategy: String
    public var exchanges = 0
    /// The first exchange at which the provider held more than its limit (nil: never).
    public var firstOver: Int?
    /// Exchanges whose turns the provider still held at exchange `historyAtExchange`.
    public var historyAtExchange = 0
    public var historySeen = 0
    public var peakHeld = 0
    public var heldSum = 0
    public var peakStale = 0
    public var staleSum = 0
    public var answers = 0
    public var reseeds = 0
    public var reconnects = 0
    public var callSeconds = 0.0
    /// Input tokens billed over the call: what the provider held at each answer, summed.
    public var billedInput = 0
    /// The part of `billedInput` the provider's prefix cache serves: at each answer, the held items
    /// unchanged, in order, since the previous answer on the same connection.
    public var cachedInput = 0
    public var limit = 0
    public var series: [SegmentSample] = []

    public var meanHeld: Double { answers == 0 ? 0 : Double(heldSum) / Double(answers) }
    public var meanStale: Double { answers == 0 ? 0 : Double(staleSum) / Double(answers) }
    public var reseedsPerHour: Double { callSeconds == 0 ? 0 : Double(reseeds) * 3_600 / callSeconds }
    public var reconnectsPerHour: Double { callSeconds == 0 ? 0 : Double(reconnects) * 3_600 / callSeconds }
}

/// A call as a relay runs it against a provider under one strategy: each event goes through
/// `ContextSession.apply` (the provider mirror follows), a planned re-seed is carried out at once,
/// time passes with the spoken turns, and a goAway comes when a connection nears its end.
public struct ProviderCall {
    public private(set) var session: ContextSession
    public let strategy: ProviderStrategy
    public let timing: CallTiming
    public private(set) var figures: ProviderFigures
    var connectionAge = 0.0
    /// A resumption since the last answer: its prompt starts cold. (After a re-seed the mirror's
    /// `unchangedPrefix` is 0 already: the new connection held nothing before the seed.)
    var reconnectedSinceAnswer = false
    var reseedsBeforeExchange = 0

    public init(session: ContextSession, strategy: ProviderStrategy, timing: CallTiming, historyAt: Int) {
        precondition(session.provider != nil, "a provider call needs a session opened with a provider")
        self.session = session
        self.strategy = strategy
        self.timing = timing
        figures = ProviderFigures(strategy: strategy.rawValue)
        figures.historyAtExchange = historyAt
        figures.limit = session.provider!.profile.heldLimit
    }

    var kind: ProviderKind { session.provider!.profile.kind }

    /// Applies one event as the relay would, carrying out a planned re-seed at once.
    @discardableResult
    public mutating func apply(_ event: ContextEvent, exchange: Int) throws -> EventOutcome {
        let outcome = try session.apply(event)
        if outcome.provider?.reseed != nil { try confirmReseed() }
        observe(exchange)
        return outcome
    }

    private mutating func confirmReseed() throws {
        _ = try session.apply(.connected(reseeded: true))
        figures.reseeds += 1
        connectionAge = 0
    }

    private mutating func observe(_ exchange: Int) {
        let mirror = session.provider!
        figures.peakHeld = max(figures.peakHeld, mirror.held)
        figures.peakStale = max(figures.peakStale, mirror.stale)
        if mirror.held > mirror.profile.heldLimit && figures.firstOver == nil { figures.firstOver = exchange }
    }

    /// Time passes while someone speaks; a connection near its end gets its goAway.
    public mutating func advance(seconds: Double, exchange: Int) throws {
        figures.callSeconds += seconds
        connectionAge += seconds
        guard connectionAge >= timing.connectionSeconds - timing.goAwayLeadSeconds else { return }
        let mirror = session.provider!
        let reseed = strategy.reseedsAtGoAway(kind) ?? (mirror.stale >= mirror.policy.reseedOnGoAwayStaleTokens)
        if reseed {
            _ = try session.apply(.reseedPlanned(reason: "goAway"))
            try confirmReseed()
        } else {
            // A resumption may plan a re-seed (the plan before it is void): confirmed, as any plan here.
            let resumed = try session.apply(.connected(reseeded: false))
            if resumed.provider?.reseed != nil { try confirmReseed() }
            figures.reconnects += 1
            connectionAge = 0
            reconnectedSinceAnswer = true  // a new connection: nothing cached
        }
        observe(exchange)
    }

    /// The model answers now: bill what the provider holds (the prompt) and its cached prefix.
    ///
    /// The cached prefix is the items held unchanged since the last answer (`unchangedPrefix`): what
    /// the provider held minus the items from there on, O(items changed). Comparing the whole prompt
    /// with the last one made a call whose provider keeps everything quadratic (Gemini resume-only,
    /// 8,000 exchanges: 23.5 s, audit).
    public mutating func answer(exchange: Int) {
        let mirror = session.provider!
        var cached = 0
        if !reconnectedSinceAnswer {
            cached = mirror.held
            for id in mirror.order[mirror.unchangedPrefix...] { cached -= mirror.tokens(of: id) }
        }
        session.markProviderPrompt()
        figures.billedInput += mirror.held
        figures.cachedInput += cached
        figures.heldSum += mirror.held
        figures.staleSum += mirror.stale
        figures.answers += 1
        reconnectedSinceAnswer = false
    }

    /// After an exchange: the sample of the chart, and the history the provider holds at the chosen exchange.
    public mutating func finishExchange(_ exchange: Int) {
        let mirror = session.provider!
        var sample = SegmentSample(exchange: exchange, usage: session.currentUsage)
        sample.held = mirror.held
        sample.reseeded = figures.reseeds > reseedsBeforeExchange
        reseedsBeforeExchange = figures.reseeds
        figures.series.append(sample)
        figures.exchanges = exchange
        if exchange == figures.historyAtExchange {
            figures.historySeen = Set(mirror.heldItems.compactMap(\.exchange)).count
        }
    }
}
