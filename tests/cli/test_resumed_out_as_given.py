"""A resumed run names its output as the user gave it, as a fresh run does, not as the
absolute path its run record keeps (qaA s23 finding 12)."""

from tests.cli.inprocess import invoke

LM = ("--hidden", "8", "--layers", "1", "--seq-len", "8", "--batch-size", "2")


def test_resumed_lm_run_prints_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "corpus.txt").write_text("the cat sat on the mat. " * 20)
    fresh = invoke("train", "corpus.txt", "--steps", "2", "--out", "part.safetensors", *LM)
    assert fresh.returncode == 0, fresh.stderr
    assert "Saved part.safetensors" in fresh.stdout + fresh.stderr
    resumed = invoke("train", "--resume", "part.safetensors", "--steps", "3")
    assert resumed.returncode == 0, resumed.stderr
    shown = resumed.stdout + resumed.stderr
    assert "Saved part.safetensors after 3 steps" in shown
    assert str(tmp_path) not in shown


def test_resumed_forecast_run_prints_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{i},{(i * 3) % 7}\n" for i in range(40))
    (tmp_path / "s.csv").write_text("t,y\n" + rows)
    common = ("--target", "y", "--time-column", "t", "--window", "4", "--hidden", "4")
    fresh = invoke("forecast", "train", "s.csv", *common, "--epochs", "1", "--out", "f.safetensors")
    assert fresh.returncode == 0, fresh.stderr
    resumed = invoke("forecast", "train", "--resume", "f.safetensors", "--epochs", "2")
    assert resumed.returncode == 0, resumed.stderr
    shown = resumed.stdout + resumed.stderr
    assert "f.safetensors" in shown and str(tmp_path) not in shown


def test_resumed_seq2seq_run_prints_the_path_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pairs.tsv").write_text("".join(f"{w}\t{' '.join(w[::-1])}\n"
                                                for w in ["ab", "ba", "abc", "cab"] * 10))
    small = ("--hidden", "8", "--layers", "1", "--embedding-dim", "4")
    fresh = invoke("seq2seq", "train", "pairs.tsv", "--steps", "2", *small,
                   "--out", "s.safetensors")
    assert fresh.returncode == 0, fresh.stderr
    resumed = invoke("seq2seq", "train", "--resume", "s.safetensors", "--steps", "3")
    assert resumed.returncode == 0, resumed.stderr
    shown = resumed.stdout + resumed.stderr
    assert "Saved s.safetensors after 3 steps" in shown and str(tmp_path) not in shown
