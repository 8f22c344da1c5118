"""`seqlab generate`: stream text from a trained model, token by token."""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from seqlab.cli.console import Output, write_stream
from seqlab.cli.errors import CliError, require_file
from seqlab.cli.models import load_any
from seqlab.cli.numba_status import compile_while_showing
from seqlab.cli.threads import THREADS_HELP, use_threads

DEFAULT_TEMPERATURE = 0.8


def read_prompt(prompt: str | None, prompt_file: Path | None, from_stdin: bool) -> str:
    """The prompt from --prompt, --prompt-file or stdin ('-')."""
    given = sum(x for x in (prompt is not None, prompt_file is not None, from_stdin))
    if given > 1:
        raise CliError("give one prompt: --prompt, --prompt-file or '-' (stdin)", code=2)
    from seqlab.cli.text_argument import decode_text, stdin_bytes

    if prompt_file is not None:
        require_file(prompt_file, "prompt file")
        return decode_text(prompt_file.read_bytes(), f"prompt file {prompt_file}", prompt_file)
    if from_stdin:
        return decode_text(stdin_bytes(), "the prompt on stdin")
    return prompt or ""


def generate(
    model_path: Path = typer.Argument(..., metavar="MODEL", help="A checkpoint or n-gram model."),
    stdin_prompt: str = typer.Argument(None, metavar="[-]",
                                       help="'-' reads the prompt from stdin (empty: no "
                                       "prompt, as --prompt '')."),
    prompt: str = typer.Option(None, "--prompt", "-p", help="Text to continue."),
    prompt_file: Path = typer.Option(None, "--prompt-file", help="Read the prompt from a file."),
    length: int = typer.Option(300, "--length", "-n", help="Tokens to generate."),
    temperature: float = typer.Option(None, "--temperature", "-t", help="0 = greedy "
                                      f"(default {DEFAULT_TEMPERATURE})."),
    top_k: int = typer.Option(None, "--top-k", help="Sample from the k most likely tokens."),
    top_p: float = typer.Option(None, "--top-p", help="Nucleus sampling mass, in (0, 1]."),
    repetition_penalty: float = typer.Option(None, "--repetition-penalty",
                                             help="Make tokens already written less likely "
                                             "(default 1: no penalty)."),
    beam: int = typer.Option(None, "--beam", help="Beam search with this width."),
    length_penalty: float = typer.Option(None, "--length-penalty", help="--beam: divide a "
                                         "text's log-probability by length**this (default "
                                         "1; 0: none)."),
    greedy: bool = typer.Option(False, "--greedy", help="Always the most likely token."),
    stop: list[str] = typer.Option(None, "--stop", help="Stop before this string (repeatable)."),
    seed: int = typer.Option(None, "--seed", help="Same seed, same text."),
    echo_prompt: bool = typer.Option(True, "--echo/--no-echo", help="Print the prompt first."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP + " Neural models."),
) -> None:
    """Stream generated text to stdout (flushed token by token, also through a pipe).

    Examples:
      seqlab generate model.safetensors --prompt "ROMEO:" --length 400
      seqlab generate model.safetensors --top-p 0.9 --temperature 0.7 --seed 1
      seqlab generate model.safetensors --beam 5 --length 60
      echo "To be" | seqlab generate model.safetensors -
      seqlab generate corpus.arpa --length 40
    """
    if stdin_prompt not in (None, "-"):
        raise CliError(f"unexpected argument {stdin_prompt!r}: use --prompt TEXT or '-' for stdin",
                       code=2)
    ignored = _check_decoding(beam, greedy, top_k, top_p, stop or [], temperature, seed,
                              length_penalty)
    length_penalty = 1.0 if length_penalty is None else length_penalty
    temperature = DEFAULT_TEMPERATURE if temperature is None else temperature
    repetition_penalty = 1.0 if repetition_penalty is None else repetition_penalty
    text = read_prompt(prompt, prompt_file, stdin_prompt == "-")
    kind, loaded = load_any(model_path)
    if kind == "ngram" and beam:  # before any warning about the options beam search ignores
        raise CliError("--beam works with neural models; n-gram models sample", code=2)
    for warning in ignored:
        Output().warn(warning)
    if kind == "ngram":
        from seqlab.cli.commands import ngram
        from seqlab.nlp.generation import SamplingOptions

        ngram.stream_generated(loaded, text, SamplingOptions(
            max_tokens=length, temperature=temperature, top_k=top_k, top_p=top_p,
            repetition_penalty=repetition_penalty, greedy=greedy, seed=seed))
        return
    use_threads(threads)
    _generate_neural(loaded, text, length, temperature, top_k, top_p, repetition_penalty, beam,
                     length_penalty, greedy, stop or [], seed, echo_prompt)


def _check_decoding(beam: int | None, greedy: bool, top_k: int | None, top_p: float | None,
                    stop: list[str], temperature: float | None, seed: int | None,
                    length_penalty: float | None) -> list[str]:
    """Refuse (a usage error, exit 2) only what the chosen decoding cannot honour and is not
    the default written out: beam search with --greedy, --top-k, --top-p or a temperature
    other than the default (HF's generate() would apply those in beam *sampling*, which
    seqlab does not do), and a --length-penalty other than 1 without a beam. The warnings
    (returned, to be shown once the model is known to take the options) are for options
    that cannot change the text, as generate() warns about a temperature without sampling:
    the default temperature with --beam, --length-penalty 1 without it, a sampling option
    with --greedy (an argmax is the same at any temperature, top-k or top-p) and --seed
    with --beam (beam search draws nothing). A repetition penalty works with both."""
    warnings: list[str] = []
    if beam:
        sampling = [name for name, given in (
            ("--greedy", greedy), ("--top-k", top_k is not None),
            ("--top-p", top_p is not None),
            ("--temperature", temperature not in (None, DEFAULT_TEMPERATURE))) if given]
        if sampling:
            raise CliError(f"--beam searches for the most likely text; {', '.join(sampling)} "
                           "chooses how to sample: give one or the other", code=2)
        if temperature is not None:
            warnings.append(f"--temperature has no effect with --beam (beam search draws "
                            f"nothing; {DEFAULT_TEMPERATURE} is the sampling default)")
        if seed is not None:
            warnings.append("--seed has no effect with --beam: beam search draws nothing, so "
                            "it gives the same text every run")
    elif length_penalty is not None:
        if length_penalty != 1.0:
            raise CliError("--length-penalty goes with --beam (it ranks the beam's texts); "
                           "sampling draws one token at a time", code=2)
        warnings.append("--length-penalty has no effect without --beam (it ranks the "
                        "beam's texts; 1 is its default)")
    if greedy:
        ignored = [name for name, given in (
            ("--temperature", temperature not in (None, 0)),
            ("--top-k", top_k is not None), ("--top-p", top_p is not None)) if given]
        if ignored:
            warnings.append(f"{', '.join(ignored)} {'has' if len(ignored) == 1 else 'have'} "
                            "no effect with --greedy, which always takes the most likely token")
    if any(s == "" for s in stop):
        raise CliError("--stop needs a non-empty string (an empty one would stop at once)",
                       code=2)
    return warnings


def _generate_neural(loaded, text, length, temperature, top_k, top_p, repetition_penalty, beam,
                     length_penalty, greedy, stop, seed, echo_prompt) -> None:
    from seqlab.cli import lm_text
    from seqlab.cli.sampling_notes import top_k_note
    from seqlab.nlp.generation import (
        SamplingOptions,
        UnknownPromptWarning,
        beam_search,
        cut_at_stop,
        encode_prompt,
        generate_text,
        sample,
        whole_text,
    )

    model, tokenizer = loaded.model, loaded.tokenizer
    output = Output()
    compile_while_showing(output, lambda: list(sample(model, [0], SamplingOptions(max_tokens=2))))
    encode = lm_text.encode_prompt_ids(tokenizer)
    decode = lm_text.decoder(tokenizer)
    # encoded (and warned about) before the prompt is echoed: a warning after it would land
    # in the middle of the line, and with --length 0 never
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UnknownPromptWarning)
        prompt_ids = encode_prompt(encode, text, tokenizer.unk_id) if text else None
    for warning in caught:
        output.warn(str(warning.message))
    usable = tokenizer.vocab_size - len(lm_text.banned_ids(tokenizer))
    note = None if greedy or beam else top_k_note(top_k, usable, top_p)
    if note:
        output.warn(note)
    if beam:
        if beam > usable:
            output.warn(f"--beam {beam} is wider than the {usable} tokens the model can "
                        f"write; using --beam {usable}")
            beam = usable
        ids = beam_search(model, prompt_ids if text else lm_text.start_ids(tokenizer),
                          beam_width=beam, max_tokens=length, length_penalty=length_penalty,
                          banned_tokens=lm_text.banned_ids(tokenizer),
                          repetition_penalty=repetition_penalty)
        if echo_prompt and text:
            write_stream(text)
        write_stream(cut_at_stop(whole_text(ids, decode), stop) + "\n")
        return
    options = SamplingOptions(max_tokens=length, temperature=temperature, top_k=top_k,
                              top_p=top_p, repetition_penalty=repetition_penalty,
                              greedy=greedy, seed=seed,
                              banned_tokens=lm_text.banned_ids(tokenizer))
    pieces = generate_text(model, encode, decode, text, options, stop_strings=stop,
                           unk_id=tokenizer.unk_id, start_ids=lm_text.start_ids(tokenizer),
                           special_ids=sorted(tokenizer.special_ids), prompt_ids=prompt_ids)
    if echo_prompt and text:
        write_stream(text)
    for piece in pieces:
        write_stream(piece)
    write_stream("\n")
