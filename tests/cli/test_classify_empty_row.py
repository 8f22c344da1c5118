"""`classify train` names the level when a row's text has no tokens (the pass over the rows
turned every ValueError into its own message before the EmptyRowError handler could run)."""

from __future__ import annotations

from typer_inprocess import invoke

import seqlab.nlp.corpora.labelled_ids as labelled_ids


def test_a_row_without_tokens_names_the_level(tmp_path, monkeypatch):
    path = tmp_path / "rows.csv"
    path.write_text("label,text\n" + "".join(f"{'pos' if i % 2 else 'neg'},w{i} x\n"
                                             for i in range(20)), encoding="utf-8")

    def no_tokens(rows, *_, **__):
        raise labelled_ids.EmptyRowError(f"{path}:3")

    monkeypatch.setattr(labelled_ids, "cached_row_ids", no_tokens)
    done = invoke("classify", "train", str(path), "--level", "char", "--hidden", "4",
                  "--steps", "1", "--quiet", "--out", str(tmp_path / "m.safetensors"))
    assert done.code != 0
    assert done.message.strip() == f"{path}:3: the text has no char tokens; remove it"
