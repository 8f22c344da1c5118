"""`seqlab tokenize export`: a seqlab tokenizer as another library's tokenizer file."""

from __future__ import annotations

from pathlib import Path

import typer

from seqlab.cli import file_kinds, outputs
from seqlab.cli.console import Output
from seqlab.cli.errors import EXIT_USAGE, CliError
from seqlab.cli.tokenizer_file import checked_side, read_tokenizer_file, side_option

FORMATS = ("hf",)
HF_TOKENIZER = outputs.OutputKind("a Hugging Face tokenizer.json", (".json",),
                                  frozenset({file_kinds.HF_TOKENIZER}))


def export(
    tokenizer_path: Path = typer.Argument(..., metavar="TOKENIZER"),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the exported file."),
    file_format: str = typer.Option("hf", "--format", help="hf: Hugging Face `tokenizers`' "
                                    "tokenizer.json (bpe and word tokenizers)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display."),
    force: bool = outputs.force_option(),
    side: str = side_option(),
) -> None:
    """Write TOKENIZER in another library's format.

    --format hf writes a tokenizer.json that `tokenizers.Tokenizer.from_file` reads: it encodes
    any text to the ids seqlab gives (and BPE decodes them back to the text). Char tokenizers
    and custom patterns have no equivalent there and are refused.

    Example: seqlab tokenize export bpe.json --format hf --out tokenizer.json
    """
    if file_format not in FORMATS:
        raise CliError(f"--format {file_format!r}: choose one of {', '.join(FORMATS)}",
                       code=EXIT_USAGE)
    side = checked_side(side)
    outputs.check_output(out, HF_TOKENIZER, [tokenizer_path], force=force)
    tokenizer = read_tokenizer_file(tokenizer_path, from_model=True, side=side)
    from seqlab.nlp.tokenizers.hf_json import NotExportableError, to_hf_json
    from seqlab.nlp.vocab import write_json

    try:
        document = to_hf_json(tokenizer)
    except NotExportableError as error:
        raise CliError(f"{tokenizer_path}: cannot export to --format {file_format}: {error}") \
            from None
    write_json(out, document)
    Output(quiet, as_json).result(
        {"path": str(out), "format": file_format, "level": tokenizer.type_name,
         "vocab_size": tokenizer.vocab_size},
        f"Wrote {tokenizer.type_name} tokenizer ({tokenizer.vocab_size} tokens) as "
        f"{file_format} tokenizer.json to {out}")
