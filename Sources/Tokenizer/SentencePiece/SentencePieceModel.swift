/// The parts of a SentencePiece `.model` file (a protobuf `ModelProto`) that encoding needs.
///
/// Only what the Gemma models use is accepted: BPE, the identity normalizer, no dummy prefix, no
/// whitespace collapsing, whitespace escaped as U+2581 and byte fallback on. Anything else would be
/// encoded differently from SentencePiece, so it is refused with an error that names the setting
/// instead of being approximated.
public struct SentencePieceModel: Sendable {
    /// `ModelProto.SentencePiece.Type`, with the proto's numbers.
    public enum PieceType: UInt8, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public struct Piece: Sendable {
        /// The piece's UTF-8 bytes as stored (spaces appear as U+2581).
        public var bytes: [UInt8]
        public var score: Float
        public var type: PieceType
    }

    public var pieces: [Piece]
    public var byteFallback: Bool
    public var unknownID: Int

    /// Parses a model file.
    ///
    /// - Throws: `.vocabularyMalformed` for bytes that are not a `ModelProto`, or for a model whose
    ///   type or normalizer this encoder does not reproduce exactly (naming the setting).
    public static func parse(_ bytes: [UInt8], path: String) throws -> SentencePieceModel {
        var pieces: [Piece] = []
        pieces.reserveCapacity(262_144)
        var modelType: UInt64 = 1  // proto default: UNIGRAM
        var byteFallback = false
        var unknownID = 0
        var treatWhitespaceAsSuffix = false
        var normalizer = (name: "", charsmap: 0, dummyPrefix: true, removeExtra: true, escape: true)
        var reader = ProtobufReader(bytes[...], path: path)
        while let field = try reader.next() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited):
                pieces.append(try parsePiece(field.bytes, index: pieces.count, path: path))
            case (2, .lengthDelimited):
                var trainer = ProtobufReader(field.bytes, path: path, part: "trainer_spec")
                while let option = try trainer.next() {
                    switch (option.number, option.wireType) {
                    case (3, .varint): modelType = option.scalar
                    case (24, .varint): treatWhitespaceAsSuffix = option.scalar != 0
                    case (35, .varint): byteFallback = option.scalar != 0
                    case (40, .varint): unknownID = Int(truncatingIfNeeded: Int32(truncatingIfNeeded: option.scalar))
                    default: continue
                    }
                }
            case (3, .lengthDelimited):
                var spec = ProtobufReader(field.bytes, path: path, part: "normalizer_spec")
                while let option = try spec.next() {
                    switch (option.number, option.wireType) {
                    case (1, .lengthDelimited): normalizer.name = String(decoding: option.bytes, as: UTF8.self)
                    case (2, .lengthDelimited): normalizer.charsmap = option.bytes.count
                    case (3, .varint): normalizer.dummyPrefix = option.scalar != 0
                    case (4, .varint): normalizer.removeExtra = option.scalar != 0
                    case (5, .varint): normalizer.escape = option.scalar != 0
                    default: continue
                    }
                }
            default:
                continue
            }
        }
        func unsupported(_ what: String) -> TokenizerError {
            TokenizerError(.vocabularyMalformed, "\(path): \(what); only Gemma-style BPE models are supported")
        }
        guard !pieces.isEmpty else { throw unsupported("no pieces (is this a SentencePiece model?)") }
        guard modelType == 2 else { throw unsupported("model_type \(modelType) is not BPE (2)") }
        guard normalizer.charsmap == 0 else { throw unsupported("normalizer \"\(normalizer.name)\" has a charsmap") }
        guard !normalizer.dummyPrefix else { throw unsupported("add_dummy_prefix is on") }
        guard !normalizer.removeExtra else { throw unsupported("remove_extra_whitespaces is on") }
        guard normalizer.escape else { throw unsupported("escape_whitespaces is off") }
        guard !treatWhitespaceAsSuffix else { throw unsupported("treat_whitespace_as_suffix is on") }
        guard byteFallback else { throw unsupported("byte_fallback is off") }
        guard pieces.indices.contains(unknownID), pieces[unknownID].type == .unknown else {
            throw unsupported("unk_id \(unknownID) is not an UNKNOWN piece")
        }
        return SentencePieceModel(pieces: pieces, byteFallback: byteFallback, unknownID: unknownID)
    }

    private static func parsePiece(_ bytes: ArraySlice<UInt8>, index: Int, path: String) throws -> Piece {
        var piece = Piece(bytes: [], score: 0, type: .normal)
        var reader = ProtobufReader(bytes, path: path, part: "piece", index: index)
        while let field = try reader.next() {
            switch (field.number, field.wireType) {
            case (1, .lengthDelimited): piece.bytes = Array(field.bytes)
            case (2, .fixed32): piece.score = Float(bitPattern: UInt32(truncatingIfNeeded: field.scalar))
            case (3, .varint):
                guard let type = PieceType(rawValue: UInt8(truncatingIfNeeded: field.scalar)), field.scalar <= 6 else {
                    throw TokenizerError(.vocabularyMalformed, "\(path): piece \(index) has unknown type \(field.scalar)")
                }
                piece.type = type
            default: continue
            }
        }
        guard !piece.bytes.isEmpty else {
            throw TokenizerError(.vocabularyMalformed, "\(path): piece \(index) is empty")
        }
        return piece
    }
}
