"""Config dataclasses as command lines: a flag, its default and its help are written once, on the field.

    @dataclass
    class RejectionConfig:
        output: str = opt(help="output parquet")                       # required: --output
        append_reset: bool = opt(True, "append reset() after t*", flag="--no-reset")

A function whose parameters are annotated with such dataclasses is a command: `run_command(fn, argv)`
builds one argparse parser from all their fields, parses `argv`, logs every value and calls `fn` with
one instance per parameter. Fields map to flags as follows: `name_x` -> `--name-x` (type from the
annotation: int, float, str, Path, `X | None`, `list[X]` takes one or more values); a bool with default
False is the switch `--name-x`, one with default True is `--no-name-x` (or `flag=`); a field without a
default is a required flag; `opt(..., cli=False)` and dict fields are filled by the code, not by flags.
Only flags given on the command line are passed, so every default comes from the dataclass.
"""
from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import types
import typing
from pathlib import Path
from typing import Any, Callable, Sequence


def opt(default: Any = dataclasses.MISSING, help: str = "", *, flag: str | None = None,
        aliases: Sequence[str] = (), choices: Sequence[Any] | None = None, positional: bool = False,
        cli: bool = True) -> Any:
    """A dataclass field with its command-line help (list defaults are copied per instance)."""
    meta = {"help": help, "flag": flag, "aliases": tuple(aliases), "choices": choices, "positional": positional,
            "cli": cli}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _base_type(tp: Any) -> tuple[Any, bool]:
    """(the scalar or list type, whether None is allowed) of an annotation such as `int | None`."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(tp))
    return tp, False


def _default(f: dataclasses.Field) -> Any:
    return f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default


def add_flags(parser: argparse.ArgumentParser, cls: type) -> None:
    """A flag for every field of `cls` that is one (a class's own fields before those it inherits)."""
    hints = typing.get_type_hints(cls)
    for f in sorted(dataclasses.fields(cls), key=lambda f: f.kw_only):
        tp = _base_type(hints[f.name])[0]
        if not f.init or not f.metadata.get("cli", True) or typing.get_origin(tp) is dict or tp is dict:
            continue
        meta, default = f.metadata, _default(f)
        kw: dict[str, Any] = {"dest": f"{cls.__name__}.{f.name}"}
        help_text = meta.get("help", "")
        if default not in (dataclasses.MISSING, None, "") and tp is not bool:
            help_text = f"{help_text} (default: {' '.join(map(str, default)) if isinstance(default, list) else default})"
        kw["help"] = help_text.strip() or None
        name = f.name.replace("_", "-")
        if tp is bool:
            kw["action"] = "store_false" if default is True else "store_true"
            flags = [meta.get("flag") or (f"--no-{name}" if default is True else f"--{name}")]
        else:
            elem = typing.get_args(tp)[0] if typing.get_origin(tp) is list else tp
            kw["type"] = elem if elem in (int, float, Path) else str
            if typing.get_origin(tp) is list:
                kw["nargs"] = "+"
            if meta.get("choices"):
                kw["choices"] = meta["choices"]
            else:
                kw["metavar"] = f.name.upper()
            flags = [meta.get("flag") or f"--{name}"]
            if meta.get("positional"):
                flags = [kw.pop("dest")]
            elif default is dataclasses.MISSING:
                kw["required"] = True
        parser.add_argument(*flags, *meta.get("aliases", ()), **kw)


def config_params(fn: Callable) -> dict[str, type]:
    """The dataclass-typed parameters of a command function, in order."""
    hints = typing.get_type_hints(fn)
    return {name: hints[name] for name in list(hints) if name != "return" and dataclasses.is_dataclass(hints[name])}


def build_parser(fn: Callable, prog: str, description: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description or inspect.cleandoc(fn.__doc__ or ""),
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     argument_default=argparse.SUPPRESS)  # given flags only: defaults stay on the fields
    for cls in config_params(fn).values():
        add_flags(parser, cls)
    return parser


def parse_configs(fn: Callable, argv: Sequence[str], prog: str) -> tuple[dict[str, Any], set[str]]:
    """One instance per dataclass parameter of `fn`, and the names of the fields given on the command line."""
    given = vars(build_parser(fn, prog).parse_args(list(argv)))
    configs = {}
    for param, cls in config_params(fn).items():
        mine = {k.split(".", 1)[1]: v for k, v in given.items() if k.split(".", 1)[0] == cls.__name__}
        configs[param] = cls(**mine)
        if hasattr(configs[param], "cli_given"):  # a flag whose presence changes another field's default
            configs[param].cli_given(set(mine))
    return configs, {k.split(".", 1)[1] for k in given}


def run_command(fn: Callable[..., int | None], argv: Sequence[str], prog: str) -> int:
    """Parse `argv` into `fn`'s config dataclasses, log them and call `fn`; its return value is the exit status."""
    configs, _ = parse_configs(fn, argv, prog)
    values = {name: dataclasses.asdict(cfg) for name, cfg in configs.items()}
    print(json.dumps({"command": prog, **values}, default=str), flush=True)  # every setting, first on stdout
    return int(fn(**configs) or 0)
