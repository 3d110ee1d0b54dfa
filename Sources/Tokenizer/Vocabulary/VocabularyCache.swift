import Foundation

/// A binary image of a parsed `RankTable`, next to the vocabulary file, keyed by the file's XXH3.
///
/// Parsing o200k's 199,998 base64 lines and building the hash table takes ~40 ms; reading this
/// image back is a few `memcpy`s (~3 ms, ~9 ms since it holds the 8 MiB short-token table; the
/// 4 MiB memo seed and the first encoder's copy of it took a process that loads o200k and counts
/// 12 bytes from 50.3 to 54.6 ms, medians of 21 alternations). The image is rebuilt when absent,
/// when the vocabulary's hash differs (stale), when its own trailing XXH3 does not match
/// (damaged), when its short-token table misses a sample of the tokens (another build's hashing),
/// or when a sample of its memo seed's slots names tokens the short-token table does not confirm
/// (another build's slot layout). Failing to write it (read-only directory) only costs the slower
/// load next time.
///
/// Layout, little-endian: magic `TBVOCAB9`, source XXH3, rank count, byte count, slot count, pair
/// slot count, pair shift, bigram slot count, bigram shift, then token bytes, offsets (UInt32 ×
/// rank count + 1), slots (UInt64), byte ranks (UInt32 × 256), byte-pair ranks (UInt32 × 65,536),
/// pair slots (UInt64), the `CharacterCuts` bigram slots (UInt64) and straddle bits (UInt64 × 1,024),
/// the `CharacterAtoms` entries (UInt64 × 65,536) and straddle ranks (UInt32 × 65,536), the
/// `BytePairAtoms` atom, start and end ranks (UInt32 × 65,536 each), the
/// `ShortTokenTable`'s line bits, lines (UInt64 × 8 << line bits) and filter (UInt64 × 32,768), the
/// `MemoSeed` (UInt64 × 524,288), and the XXH3 of everything before it. Images of earlier layouts
/// (`TBVOCAB2` … `TBVOCAB8`; up to 4 their pair slots held every split of every token, 5 had no
/// atoms, 6 no short-token table, 7 no byte-pair atoms, 8 no memo seed) are
/// rebuilt. Building one takes ~0.4 s for o200k (the canonical splits are found by merging every
/// token's bytes), once per vocabulary file.
enum VocabularyCache {
    static let magic = Array("TBVOCAB9".utf8)

    static func url(for vocabularyPath: String) -> URL {
        URL(fileURLWithPath: vocabularyPath + ".tbcache")
    }

    static func load(_ url: URL, sourceHash: UInt64) -> (RankTable, PairTable, CharacterCuts, CharacterAtoms, ShortTokenTable, MemoSeed)? {
        BinaryImage.read(url, magic: magic, sourceHash: sourceHash) { image -> (RankTable, PairTable, CharacterCuts, CharacterAtoms, ShortTokenTable, MemoSeed)? in
            guard let rankCount = image.word().map(Int.init), let byteCount = image.word().map(Int.init),
                let slotCount = image.word().map(Int.init), let pairCount = image.word().map(Int.init),
                let pairShift = image.word(), let bigramCount = image.word().map(Int.init), let bigramShift = image.word(),
                slotCount > 0, slotCount & (slotCount - 1) == 0, pairCount > 0, pairCount & (pairCount - 1) == 0,
                pairShift == UInt64(64 - pairCount.trailingZeroBitCount),
                let bytes = image.array(byteCount, of: UInt8.self), let offsets = image.array(rankCount + 1, of: UInt32.self),
                let slots = image.array(slotCount, of: UInt64.self), let byteRanks = image.array(256, of: Rank.self),
                let pairRanks = image.array(65_536, of: Rank.self), let pairSlots = image.array(pairCount, of: UInt64.self),
                let bigrams = image.array(bigramCount, of: UInt64.self), let straddles = image.array(1024, of: UInt64.self),
                let cuts = CharacterCuts(bigrams: bigrams, bigramShift: bigramShift, straddles: straddles),
                let atomEntries = image.array(65_536, of: UInt64.self), let straddleRanks = image.array(65_536, of: Rank.self),
                let atomRanks = image.array(65_536, of: Rank.self), let startRanks = image.array(65_536, of: Rank.self),
                let endRanks = image.array(65_536, of: Rank.self),
                let bytePairs = BytePairAtoms(atomRanks: atomRanks, startRanks: startRanks, endRanks: endRanks),
                let atoms = CharacterAtoms(atoms: atomEntries, straddleRanks: straddleRanks, bytePairs: bytePairs),
                // The short-token table and the memo seed are the image's rest: checked before
                // their memory is allocated.
                let lineBits = image.word(), ShortTokenTable.lineBitsRange.contains(lineBits),
                image.remaining == 8 * (ShortTokenTable.storedWords(lineBits: lineBits) + ShortPieceMemo.wordCount),
                let shortTokens = ShortTokenTable(lineBits: lineBits, fill: { lines, filter in
                    image.copy(8 << Int(lineBits), of: UInt64.self, to: lines)
                        && image.copy(ShortTokenTable.filterWords, of: UInt64.self, to: filter)
                }),
                let seed = MemoSeed(fill: { image.copy(ShortPieceMemo.wordCount, of: UInt64.self, to: $0) })
            else { return nil }
            let table = RankTable(flatBytes: bytes, offsets: offsets, slots: slots, byteRanks: byteRanks, bytePairRanks: pairRanks)
            guard shortTokens.agrees(with: table), seed.agrees(with: shortTokens) else { return nil }
            return (
                table,
                PairTable(slots: pairSlots, shift: pairShift),
                cuts,
                atoms,
                shortTokens,
                seed
            )
        }
    }

    static func store(
        _ table: RankTable, _ pairs: PairTable, _ cuts: CharacterCuts, _ atoms: CharacterAtoms, _ shortTokens: ShortTokenTable,
        _ seed: MemoSeed, to url: URL, sourceHash: UInt64
    ) {
        var image = BinaryImage.Writer(
            magic: magic, sourceHash: sourceHash,
            capacity: 40 + table.bytes.count + 4 * table.offsets.count + 8 * table.slots.count + 4 * 65_792 + 8 * pairs.slots.count + 8 * (cuts.bigrams.count + 1024) + 24 * 65_536
                + 8 * (1 + shortTokens.lineWords.count + shortTokens.filterWords.count + ShortPieceMemo.wordCount))
        image.append([
            UInt64(table.rankCount), UInt64(table.bytes.count), UInt64(table.slots.count), UInt64(pairs.slots.count), pairs.shift,
            UInt64(cuts.bigrams.count), cuts.bigramShift,
        ])
        image.append(table.bytes)
        image.append(table.offsets)
        image.append(table.slots)
        image.append(table.byteRanks)
        image.append(table.bytePairRanks)
        image.append(pairs.slots)
        image.append(cuts.bigrams)
        image.append(cuts.straddles)
        image.append(atoms.atoms)
        image.append(atoms.straddleRanks)
        image.append(atoms.bytePairs.atomRanks)
        image.append(atoms.bytePairs.startRanks)
        image.append(atoms.bytePairs.endRanks)
        image.append([shortTokens.lineBits])
        image.append(shortTokens.lineWords)
        image.append(shortTokens.filterWords)
        image.append(seed.storedWords)
        image.write(to: url)
    }
}
