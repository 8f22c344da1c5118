"""The nlp tests that compare with KenLM use the peer helpers of tests/cli (`kenlm_peer`)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "cli"))
