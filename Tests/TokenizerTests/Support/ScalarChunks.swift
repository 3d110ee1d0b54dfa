/// Cuts `text` into chunks of 1…`maxChunk` Unicode scalars, as a transcriber's partial results come
/// (the streamed-turn tests of both tokenizer families).
func scalarChunks(_ text: String, maxChunk: Int, seed: UInt64) -> [String] {
    var generator = SeededGenerator(seed: seed)
    var chunks = [String]()
    var current = String.UnicodeScalarView()
    var size = 1
    for scalar in text.unicodeScalars {
        current.append(scalar)
        if current.count >= size {
            chunks.append(String(current))
            current = String.UnicodeScalarView()
            size = Int.random(in: 1 ... maxChunk, using: &generator)
        }
    }
    if !current.isEmpty { chunks.append(String(current)) }
    return chunks
}
