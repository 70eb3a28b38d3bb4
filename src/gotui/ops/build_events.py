"""What a build reports, whichever builder ran it (classic or BuildKit)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BuildEvent:
    """One thing a build reported. kind: step | cached | output | done | vertex | error | built | info |
    note | command (note: gotui's own remark, e.g. the builder it chose; command: the equivalent
    `docker build` line, once the builder and network are known). `done` carries the step's seconds;
    `vertex` is BuildKit's own work (`[internal] load build context`, `exporting to image`); `stage`
    is the BuildKit stage name of a step (empty with one stage or the classic builder)."""

    kind: str
    text: str = ""
    step: int = 0
    total: int = 0
    stage: str = ""
    seconds: float | None = None


@dataclass
class StepInfo:
    number: int
    total: int
    instruction: str
    cached: bool = False
    output: list[str] = field(default_factory=list)
    started: float = 0.0
    duration: float = 0.0
    stage: str = ""
    vertex: str = ""
    exit_code: int | None = None

    def label(self) -> str:
        """`step 3/5 RUN go build` (`step 3/5 [build] RUN go build` in a multi-stage BuildKit build)."""
        stage = f" [{self.stage}]" if self.stage and self.stage != "stage-0" else ""
        return f"step {self.number}/{self.total}{stage} {self.instruction}"
