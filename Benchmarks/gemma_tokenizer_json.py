"""A Hugging Face `tokenizer.json` for a Gemma SentencePiece model, so that peers that load that format
(fastokens, tokenizers) can be timed against us on Gemma: transformers' own `GemmaConverter` (BPE from
the pieces and scores, byte fallback, " " -> U+2581, user-defined pieces as added tokens), which the
relay script then checks id for id against sentencepiece on every file before timing anything.

    pip install transformers protobuf sentencepiece   # the converter's needs
"""
import pathlib
import types


def gemma_tokenizer_json(model_path, out_dir):
    """Writes `<out_dir>/<model name>.tokenizer.json` and returns its path; raises when transformers
    (or protobuf, sentencepiece) is missing."""
    import sentencepiece
    import transformers.convert_slow_tokenizer as convert

    extractor = convert.GemmaSentencePieceExtractor
    if not hasattr(extractor, "sp"):
        # transformers 5.25's extractor reads `self.sp`, which its __init__ no longer sets.
        original_init = extractor.__init__

        def init(self, model):
            original_init(self, model)
            self.sp = sentencepiece.SentencePieceProcessor(model_file=model)

        extractor.__init__ = init
    model_path = str(model_path)
    # What the converter reads of the slow tokenizer it normally wraps.
    slow = types.SimpleNamespace(vocab_file=model_path, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>",
                                 unk_token="<unk>", add_bos_token=False, add_eos_token=False)
    tokenizer = convert.GemmaConverter(slow).converted()
    tokenizer.post_processor = None  # no BOS/EOS: the ids sentencepiece's encode gives
    path = pathlib.Path(out_dir, pathlib.Path(model_path).name + ".tokenizer.json")
    tokenizer.save(str(path))
    return path
