"""The DR smoke-test pipeline a ``jenkins_job`` stage is pointed at. No Jenkins runs here, so
the Jenkinsfile is read for its block structure (every string, comment and bracket closed)
and checked against Declarative Pipeline's documented shape and the stage's contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.stages.jenkins import RUN_PARAMETER
from tests.deploy.groovy import Block, GroovySyntaxError, blocks, without_comments

ROOT = Path(__file__).resolve().parents[2]
JENKINSFILE = ROOT / "deploy" / "jenkins" / "Jenkinsfile"

# Jenkins handbook, "Pipeline Syntax": the sections and directives a declarative pipeline
# block may hold, and the parameter types it declares.
PIPELINE_SECTIONS = {
    "agent",
    "environment",
    "options",
    "parameters",
    "triggers",
    "tools",
    "input",
    "libraries",
    "stages",
    "post",
}
STAGE_SECTIONS = {"agent", "environment", "options", "input", "when", "tools", "post"}
STAGE_BODIES = {"steps", "stages", "parallel", "matrix"}
PARAMETER_TYPES = ("string", "text", "booleanParam", "choice", "password")
POST_CONDITIONS = {
    "always",
    "changed",
    "fixed",
    "regression",
    "aborted",
    "failure",
    "success",
    "unstable",
    "unsuccessful",
    "cleanup",
}


@pytest.fixture(scope="module")
def pipeline() -> Block:
    [top] = blocks(JENKINSFILE.read_text())
    assert top.name == "pipeline"
    return top


def declared(pipeline: Block) -> list[str]:
    calls = re.findall(
        r"\b(" + "|".join(PARAMETER_TYPES) + r")\s*\(\s*name:\s*'([^']+)'",
        pipeline.only("parameters").text,
    )
    return [name for _, name in calls]


def test_the_pipeline_declares_the_parameter_the_stage_finds_its_build_by(
    pipeline: Block,
) -> None:
    names = declared(pipeline)
    assert RUN_PARAMETER in names
    assert len(names) == len(set(names)), names


def test_the_pipeline_has_the_declarative_shape(pipeline: Block) -> None:
    sections = [c.name for c in pipeline.children]
    assert set(sections) <= PIPELINE_SECTIONS, sections
    assert len(sections) == len(set(sections)), sections
    assert re.search(r"^\s*agent\s+(any|none)\b", pipeline.text, re.MULTILINE) or (
        "agent" in sections
    )
    stages = pipeline.only("stages").children
    assert stages
    assert all(s.name == "stage" for s in stages)
    names = [s.args.strip().strip("'\"") for s in stages]
    assert len(names) == len(set(names)), names
    for stage in stages:
        parts = {c.name for c in stage.children}
        assert len(parts & STAGE_BODIES) == 1, (stage.args, parts)
        assert parts - STAGE_BODIES <= STAGE_SECTIONS, (stage.args, parts)
    assert {c.name for c in pipeline.only("post").children} <= POST_CONDITIONS


def test_every_parameter_it_reads_is_declared(pipeline: Block) -> None:
    read = set(re.findall(r"\bparams\.(\w+)", pipeline.text))
    shell = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", _shell_scripts(pipeline)))
    environment = set(re.findall(r"^\s*(\w+)\s*=", pipeline.only("environment").text, re.M))
    assert read <= set(declared(pipeline))
    assert shell <= set(declared(pipeline)) | environment, shell


def test_shell_steps_take_parameters_from_the_environment_not_from_groovy(
    pipeline: Block,
) -> None:
    # A parameter interpolated by Groovy into a shell script is a command injection; in a
    # single-quoted script the shell reads it from the environment.
    text = without_comments(JENKINSFILE.read_text())
    assert not re.search(r"\bsh\s*\(?\s*\"", text)
    assert _shell_scripts(pipeline)


def test_the_reader_finds_what_is_left_open() -> None:
    with pytest.raises(GroovySyntaxError, match="never closed"):
        blocks("pipeline { stages { stage('a') { steps { sh 'x' } } }")
    with pytest.raises(GroovySyntaxError, match="string opened"):
        blocks("pipeline { steps { sh 'echo } }")
    with pytest.raises(GroovySyntaxError, match="unbalanced"):
        blocks("pipeline { parameters ) }")


def _shell_scripts(pipeline: Block) -> str:
    return "\n".join(re.findall(r"\bsh\s+'''(.*?)'''", pipeline.text, re.DOTALL))
