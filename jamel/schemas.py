"""The records handed between stages, one dataclass each, and the reading and writing of their parquet files.

env -> rollout: `Observation`, `StepTimings`; rollout -> data: `StepRecord` (trajectory.parquet); rejection ->
sft: `RejectionRow`; sft -> train: `SftRow` (train/val) and `MemoryBankRow` (the bank). README: the diagram.
A record's Arrow schema is declared by its field annotations (`Record.schema`, never inferred from the rows):
str, int, float, bool, bytes, `Float32`, `X | None` (the only nullable columns), `list[X]` and dataclasses
(struct columns). Every parquet file the package writes goes through `Record.write`, `RecordWriter` or
`MemoryBankRow.write_vectors`, so pyarrow and `datasets.load_dataset("parquet", ...)` read them as declared.
"""
from __future__ import annotations

import dataclasses
import functools
import json
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Iterable, NewType

MAX_MODEL_OUTPUT_CHARS = 20_000  # far above a real answer (256 new tokens); a runaway one is cut
MAX_FIELD_CHARS = 200_000  # any other text of a record (page titles and URLs can be anything)
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
Float32 = NewType("Float32", float)  # a float stored as float32 (memory vectors)


def safe_text(text: str, max_chars: int = MAX_FIELD_CHARS) -> str:
    """Text from a model or a page made storable: UTF-8 encoders (parquet, most JSON readers) reject
    lone surrogates, so they become U+FFFD (a valid surrogate pair is joined into its character), NULs
    become U+FFFD too (C readers truncate at them), and the length is capped with a visible marker."""
    if len(text) > max_chars:
        text = text[:max_chars] + f"[... {len(text) - max_chars} characters cut]"
    if _UNSAFE.search(text):
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace").replace("\x00", "\ufffd")
    return text


def _safe(value: Any, cap: int) -> Any:
    if isinstance(value, str):
        return safe_text(value, cap)
    if isinstance(value, list):
        return [_safe(v, cap) for v in value]
    if isinstance(value, dict):
        return {k: _safe(v, cap) for k, v in value.items()}
    return value


def _arrow_type(tp: Any):
    """The Arrow type of an annotation, and whether it is nullable (`X | None`)."""
    import pyarrow as pa

    scalars = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_(), bytes: pa.binary(),
               Float32: pa.float32()}
    args = typing.get_args(tp)
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and type(None) in args and len(args) == 2:
        return _arrow_type(next(a for a in args if a is not type(None)))[0], True
    if tp in scalars:
        return scalars[tp], False
    if typing.get_origin(tp) is list:
        item, nullable = _arrow_type(args[0])
        return pa.list_(pa.field("element", item, nullable=nullable)), False
    if dataclasses.is_dataclass(tp):
        return pa.struct(_arrow_fields(tp)), False
    raise TypeError(f"no Arrow type declared for {tp!r}: use str, int, float, bool, bytes, Float32, "
                    "X | None, list[X] or a dataclass")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _arrow_fields(cls: type) -> list:
    import pyarrow as pa

    return [pa.field(f.name, *_arrow_type(_hints(cls)[f.name])) for f in dataclasses.fields(cls)]


def _from_arrow(tp: Any, value: Any) -> Any:
    """A value read from parquet, with struct columns turned back into their dataclasses."""
    if value is None:
        return None
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return _from_arrow(args[0], value)
    if typing.get_origin(tp) is list:
        return [_from_arrow(args[0], v) for v in value]
    if dataclasses.is_dataclass(tp):
        return tp(**{k: _from_arrow(_hints(tp)[k], v) for k, v in value.items()})
    return value


class Record:
    """Mixin of a dataclass that is stored as one parquet row. Every text is made storable by `safe_text`
    when written, capped at `MAX_FIELD_CHARS` or at its field's entry in `TEXT_CAPS`."""

    TEXT_CAPS: ClassVar[dict[str, int]] = {}

    @classmethod
    @functools.cache
    def schema(cls):
        """The declared Arrow schema (from the field annotations; no column is inferred from data)."""
        import pyarrow as pa

        return pa.schema(_arrow_fields(cls))

    def to_row(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        return {k: _safe(v, self.TEXT_CAPS.get(k, MAX_FIELD_CHARS)) for k, v in row.items()}

    @classmethod
    def table(cls, records: Iterable[Record | dict[str, Any]]):
        """Records (or dicts with exactly the record's fields, checked) -> an Arrow table of the declared schema."""
        import pyarrow as pa

        rows = [(r if isinstance(r, cls) else cls(**r)).to_row() for r in records]
        return pa.Table.from_pylist(rows, schema=cls.schema())

    @classmethod
    def write(cls, path: str | Path, records: Iterable[Record | dict[str, Any]] | Any) -> Path:
        """Records (as for `table`), or an Arrow table of the declared schema, -> a zstd parquet file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        table = records if isinstance(records, pa.Table) else cls.table(records)
        if not table.schema.equals(cls.schema(), check_metadata=False):
            raise ValueError(f"{cls.__name__}.write: the table's schema is not the declared one")
        pq.write_table(table, path, compression="zstd")
        return path

    @classmethod
    def read_rows(cls, *paths: str | Path) -> list[dict[str, Any]]:
        """Rows (dicts of the record's fields) of one or more files. A column that older files lack is
        filled with the field's default; a missing column without a default is an error."""
        import pyarrow.parquet as pq

        rows: list[dict[str, Any]] = []
        for path in paths:
            table = pq.read_table(path)
            absent = [f for f in dataclasses.fields(cls) if f.name not in table.column_names]
            required = [f.name for f in absent if f.default is dataclasses.MISSING
                        and f.default_factory is dataclasses.MISSING]
            if required:
                raise ValueError(f"{path}: not a {cls.__name__} file, it has no column(s) {required}")
            names = [f.name for f in dataclasses.fields(cls) if f.name in table.column_names]
            for row in table.select(names).to_pylist():
                for f in absent:
                    row[f.name] = f.default_factory() if f.default is dataclasses.MISSING else f.default
                rows.append(row)
        return rows

    @classmethod
    def read(cls, *paths: str | Path) -> list:
        return [_from_arrow(cls, row) for row in cls.read_rows(*paths)]


class RecordWriter:
    """Appends records of one type to a parquet file in row groups of `row_group` rows (zstd), with the
    type's declared schema; nothing but the current group is held in memory. `close()` with no record
    leaves a valid empty file."""

    def __init__(self, cls: type[Record], path: str | Path, row_group: int = 100):
        self.cls, self.path, self.row_group = cls, Path(path), row_group
        self._writer = None
        self._buffer: list[Record] = []

    def append(self, record: Record) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self.row_group:
            self.flush()

    def flush(self) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, self.cls.schema(), compression="zstd")
        if self._buffer:
            self._writer.write_table(self.cls.table(self._buffer))
        self._buffer = []

    def close(self) -> None:
        self.flush()
        self._writer.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


@dataclass
class InteractiveElement:
    bid: str
    role: str
    name: str
    options: list[str] = field(default_factory=list)  # choices of a <select>
    input_type: str = ""  # type attribute of an <input>, "textarea" for a textarea

    def line(self) -> str:
        return f"- {self.bid}: {self.role} {self.name!r}"


# The origin every app is shown under to agents. The corpus server's real one (127.0.0.1 and a free port, one
# per worker) would make the same page read differently in every run and worker, and put ports in SFT data;
# the env maps a goto() to it back to the real origin.
DISPLAY_ORIGIN = "http://app.local"


def display_urls(text: str, origin: str) -> str:
    """`text` with the app's real `origin` (scheme://host:port) written as DISPLAY_ORIGIN."""
    if not origin:
        return text
    return re.sub(re.escape(origin) + r"(?![0-9A-Za-z.\-])", DISPLAY_ORIGIN, text)


@dataclass
class Observation:
    """What the agent sees before a step (docs/method.md, Observation). `url` and `open_urls` are real
    URLs; `text()` shows them (and any other mention of the app's `origin`) under DISPLAY_ORIGIN."""

    url: str
    title: str
    axtree: str  # pruned to `max_tree_chars`
    interactive: list[InteractiveElement]  # at most `max_interactive`
    open_urls: list[str]
    active_tab: int
    screenshot: bytes  # PNG, resized for the model (640x360)
    screenshot_raw: bytes | None = None  # 1280x720 PNG, only with EnvConfig.raw_screenshot; never stored
    last_action_error: str = ""
    origin: str = ""  # the app's real origin, shown as DISPLAY_ORIGIN ("" shows URLs as they are)

    def interactive_text(self) -> str:
        """One line per listed element (the gymnasium observation's `interactive` field)."""
        return "\n".join(e.line() for e in self.interactive)

    def text(self) -> str:
        """The observation as it is stored in the step record (and rendered into prompts)."""
        tabs = "\n".join(f"{'*' if i == self.active_tab else ' '} [{i}] {u}" for i, u in enumerate(self.open_urls))
        return display_urls(f"# Open pages\n{tabs}\n\n# Page: {self.title}\n{self.url}\n\n# Accessibility tree\n"
                            f"{self.axtree}\n\n# Interactive elements\n{self.interactive_text()}", self.origin)


@dataclass
class StepTimings:
    action_ms: float = 0.0
    settle_ms: float = 0.0
    coverage_ms: float = 0.0  # CDP takes (instrumentation)
    scoring_ms: float = 0.0  # C(t) update (the scorer's work, overlapped with the observation)
    scoring_wait_ms: float = 0.0  # how long the step waited for C(t) after its observation
    observation_ms: float = 0.0
    step_ms: float = 0.0  # env.step wall time (action .. observation)


@dataclass(kw_only=True)
class StepRecord(Record, StepTimings):
    """One row of `trajectory.parquet`. `step` counts from 1 within the session. The env's timings
    (`StepTimings`, inherited: one place to add one) come first in the file."""

    TEXT_CAPS: ClassVar[dict[str, int]] = {"model_output": MAX_MODEL_OUTPUT_CHARS}

    session_id: str
    app: str
    start_url: str
    episode: int
    step: int
    episode_step: int
    url: str  # page the action was taken on
    observation: str  # Observation.text() before the step
    last_action_error: str  # the error shown with that observation (the previous action's)
    open_urls: list[str]
    screenshot: bytes  # PNG before the step (model resolution)
    model_output: str  # the agent's raw answer
    action: str  # the action string extracted from it ('' if none)
    action_canonical: str  # canonical form after parsing ('' if invalid)
    valid: bool
    error: str
    reward: int
    coverage: int  # C(t)
    coverage_delta: int
    lines: int  # C(t)'s parts: covered lines, branches, statements, functions
    branches: int
    statements: int
    functions: int
    coverage_filter: str
    browser_restarted: bool
    agent: str
    text_tokens: int = 0  # the agent's input: prompt text, image and memory tokens
    image_tokens: int = 0
    memory_tokens: int = 0
    agent_ms: float = 0.0
    # The acted-on element's box on the screenshot, [x, y, w, h] in viewport CSS px ([] if no element)
    target_box: list[float] = field(default_factory=list)


STEP_RECORD_FIELDS = [f.name for f in dataclasses.fields(StepRecord)]


@dataclass(kw_only=True)
class RejectionRow(StepRecord):
    """A row of `jamel rejection`'s output: every step of the input sessions (an unkept step is still
    memory for later steps), `keep` marking training samples, plus synthetic `reset()` steps."""

    keep: bool = False
    synthetic: bool = False


@dataclass
class ChatPart:
    type: str  # "text" | "image" (the image itself is SftRow.image)
    text: str | None = None


@dataclass
class ChatMessage:
    role: str
    content: list[ChatPart]


@dataclass
class SftRow(Record):
    """One SFT (and RL) sample: the JAMEL prompt as the agent saw it, the target answer, and its memory
    as rows of the memory bank (earlier steps of its session, oldest first)."""

    sample_id: str  # "<session_id>#<step>", "+reset" for a synthetic reset()
    session_id: str
    app: str
    step: int
    episode: int
    synthetic: bool
    messages: list[ChatMessage]  # jamel.prompt.build_messages, image parts without data
    image: bytes  # PNG of the screenshot, the prompt's one image
    response: str  # the supervised answer, `<action>...</action>`
    memory_ids: list[int]  # MemoryBankRow indices in `memory_bank`
    num_tokens: int  # text + image + memory tokens
    memory_bank: str  # the bank's file name, next to this file


def chat_messages(value: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`SftRow.messages` as read from parquet -> chat-template messages (an image part is `{"type":
    "image"}`). Also reads the JSON string that files written before the struct column hold."""
    messages = json.loads(value) if isinstance(value, str) else value
    return [{"role": m["role"], "content": [{k: v for k, v in p.items() if v is not None} for p in m["content"]]}
            for m in messages]


@dataclass
class MemoryBankRow(Record):
    """One compressed step: the frozen compressor's vector for (screenshot, `Previous action: ...`).
    SFT rows reference bank rows by index, so each vector is stored once."""

    session_id: str
    step: int
    vector: list[Float32]

    @classmethod
    def write_vectors(cls, path: str | Path, keys: list[tuple[str, int]], vectors) -> Path:
        """The bank from (session_id, step) keys and a float [M, H] array, built column-wise (no Python
        lists of floats), with the declared schema."""
        import numpy as np
        import pyarrow as pa

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) != len(keys):
            raise ValueError(f"{len(keys)} keys for vectors of shape {vectors.shape}")
        schema = cls.schema()
        # int32 offsets: pa.array raises (rather than wraps) past 2**31 floats
        offsets = pa.array(np.arange(len(vectors) + 1, dtype=np.int64) * vectors.shape[1], pa.int32())
        table = pa.Table.from_arrays([
            pa.array([k[0] for k in keys], pa.string()), pa.array([k[1] for k in keys], pa.int64()),
            pa.ListArray.from_arrays(offsets, pa.array(vectors.reshape(-1)), type=schema.field("vector").type)],
            schema=schema)
        return cls.write(path, table)

    @staticmethod
    def read_vectors(paths: str | Path | Iterable[str | Path]):
        """Bank file(s) -> float32 [M, H], rows in file order (also reads the older fixed-size-list banks)."""
        import numpy as np
        import pyarrow.parquet as pq

        paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
        parts = []
        for p in paths:
            col = pq.read_table(str(p), columns=["vector"], memory_map=True).column("vector").combine_chunks()
            widths = set(col.value_lengths().unique().to_pylist()) if len(col) else {0}
            if col.null_count or len(widths) != 1:
                raise ValueError(f"{p}: memory vectors must all be present and of one width, got {sorted(widths)}")
            flat = np.asarray(col.flatten().to_numpy(zero_copy_only=False), dtype=np.float32)
            parts.append(flat.reshape(len(col), widths.pop()))
        return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=0)
