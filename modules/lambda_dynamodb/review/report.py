"""The plan review of any Terraform plan: ``plan.md``, ``architecture.dot`` and ``architecture.svg``.

One entry point for both of its users: ``lambda-dynamodb review PLAN_JSON`` (a plan file,
:func:`review_file`) and ``make plan`` (a plan it has just made, :func:`write_review` into its
own staging folder). The why column comes from the permissions manifest of the planned stack in
the synthesized output (``cdktf.out``, see :mod:`lambda_dynamodb.review.manifests`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from lambda_dynamodb.review.diagram import dot_source
from lambda_dynamodb.review.files import dot_binary, render_svg, write_atomically
from lambda_dynamodb.review.manifests import PlannedStack, planned_stack
from lambda_dynamodb.review.model import PlanReview, assemble
from lambda_dynamodb.review.plan_file import Json, load_plan
from lambda_dynamodb.review.summary import summary_markdown

PLAN_MD = "plan.md"
DIAGRAM_DOT = "architecture.dot"
DIAGRAM_SVG = "architecture.svg"
#: The files :func:`write_review` writes, in the order a reviewer reads them.
REVIEW_FILES = (PLAN_MD, DIAGRAM_DOT, DIAGRAM_SVG)


@dataclass(frozen=True)
class Review:
    """A plan's review: the stack it is of, the review itself, plan.md's text and the diagram's DOT source."""

    stack: PlannedStack
    markdown: str
    dot: str
    #: What plan.md renders (and the run task posts): findings, IAM changes per role, counts.
    plan_review: PlanReview


def review(plan: Json, outdir: Path, stack: str | None = None, untitled: str = "plan") -> Review:
    """The review of ``plan`` (pure but for reading the manifests in ``outdir``).

    ``stack`` names the planned stack (else the manifest matching the plan does); ``untitled``
    is the title when no stack is known (the plan file's name, say).
    """
    planned = planned_stack(plan, outdir, stack)
    made = assemble(plan, planned, untitled)  # built once: plan.md renders it
    return Review(planned, summary_markdown(made), dot_source(plan, made.title), made)


def write_review(plan: Json, folder: Path, outdir: Path, stack: str | None, dot: str, untitled: str = "plan") -> Review:
    """Write plan.md, architecture.dot and architecture.svg (drawn by ``dot``) into ``folder``."""
    made = review(plan, outdir, stack, untitled)
    (folder / PLAN_MD).write_text(made.markdown)
    (folder / DIAGRAM_DOT).write_text(made.dot)
    (folder / DIAGRAM_SVG).write_bytes(render_svg(made.dot, dot))
    return made


def review_file(plan_json: Path, out: Path, outdir: Path, stack: str | None = None, path: str | None = None) -> Review:
    """Review the plan JSON in ``plan_json`` into the folder ``out``, written all at once or not at all.

    Everything is checked before anything is written: the plan file
    (:class:`~lambda_dynamodb.review.plan_file.PlanFileError`), Graphviz ``dot`` on ``path``
    (:class:`~lambda_dynamodb.review.files.GraphvizError`) and ``out``
    (:class:`~lambda_dynamodb.synthesis.output.FolderError`: never a folder the project did not make).
    A plan file inside ``out`` (``make plan``'s plan/plan.json) is kept there.
    """
    plan = load_plan(plan_json)
    dot = dot_binary(path)
    made: list[Review] = []

    def write(staging: Path) -> None:
        kept = _inside(plan_json, out)
        if kept is not None:  # `review plan/plan.json --out plan`: the plan stays beside its review
            (staging / kept).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(plan_json, staging / kept)
        made.append(write_review(plan, staging, outdir, stack, dot, plan_json.name))

    write_atomically(out, write)
    return made[0]


def _inside(path: Path, folder: Path) -> Path | None:
    """``path`` relative to ``folder`` when it is in it (the folder is replaced whole: it would be lost)."""
    try:
        return path.resolve().relative_to(folder.resolve())
    except ValueError:
        return None
