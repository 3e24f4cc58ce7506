"""Loading embedding models: the offline rules, prompts, and a model directory copied in."""
from __future__ import annotations

import numpy as np
import pytest

from index.embedder import FakeEmbedder, ModelNotAvailable, load_embedder, prompts_for
from index.errors import IndexError_


def _tiny_model_dir(path):
    """A real (tiny, random) BERT sentence-transformers model saved to ``path`` — built in code,
    as an administrator's copied-in model directory would look; nothing is downloaded."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer import modules as st_models
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    vocab = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "query": 4, "passage": 5, ":": 6, "bcp": 7}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]")
    cfg = BertConfig(vocab_size=16, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=64)
    hf = path / "hf"
    BertModel(cfg).save_pretrained(hf)
    fast.save_pretrained(hf)
    transformer = st_models.Transformer(str(hf))
    SentenceTransformer(modules=[transformer, st_models.Pooling(32, "mean")]).save(str(path))
    return path


def test_a_local_model_directory_loads_offline_with_its_family_prompts(tmp_path):
    model_dir = _tiny_model_dir(tmp_path / "my-e5-small-copy")
    emb = load_embedder(str(model_dir), threads=1)
    assert emb.model_id == str(model_dir) and emb.dim == 32
    assert emb.model.prompts["query"] == "query: " and emb.model.prompts["document"] == "passage: "
    q = emb.embed_queries(["bcp"])
    d = emb.embed_documents(["bcp", "query"])
    assert q.shape == (1, 32) and d.shape == (2, 32) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(d, axis=1), 1.0, atol=1e-5)
    # The query prompt is really applied: the same text embeds differently as a passage.
    assert not np.allclose(q[0], d[0])


def test_missing_models_are_named_errors_that_say_what_to_do(tmp_path):
    with pytest.raises(ModelNotAvailable, match="copy the model directory") as missing_dir:
        load_embedder(str(tmp_path / "not-copied-yet"))
    with pytest.raises(ModelNotAvailable, match="not available offline"):
        load_embedder("some-org/never-downloaded-model")
    assert isinstance(missing_dir.value, IndexError_)   # surfaces translate it like index errors


def test_prompt_families():
    assert prompts_for("intfloat/multilingual-e5-large") == {"query": "query: ", "document": "passage: "}
    assert prompts_for("/models/multilingual-e5-small") == {"query": "query: ", "document": "passage: "}
    assert prompts_for("cl-nagoya/ruri-v3-130m")["query"] == "検索クエリ: "
    assert prompts_for("intfloat/multilingual-e5-large-instruct") == {}
    assert prompts_for("BAAI/bge-m3") == {}


def test_fake_embedder_is_deterministic_and_unit_length():
    a, b = FakeEmbedder(), FakeEmbedder()
    va = a.embed_documents(["業務継続計画", "ふるさと納税"])
    assert np.array_equal(va, b.embed_documents(["業務継続計画", "ふるさと納税"]))
    assert np.allclose(np.linalg.norm(va, axis=1), 1.0)
    assert a.calls == 2
