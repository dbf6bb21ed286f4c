"""The planners' notebooks run top to bottom on small samples, and are stored without outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from .conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"
NAMES = ("01_nightly_rota.ipynb", "02_patches.ipynb", "03_capacity_what_if.ipynb")

#: Short limits so the three notebooks run in about a minute and a half together.
OVERRIDES = {
    "01_nightly_rota.ipynb": "TIME_LIMIT_S = 2",
    "02_patches.ipynb": "TIME_LIMIT_S = 2\nWORKERS = 2",
    "03_capacity_what_if.ipynb": "TIME_LIMIT_S = 1\nGROWTH = (1.0, 1.2)\nRECRUITS = (0, 2)\n"
                                 "WORKERS = 2",
}


def read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def parameters_cell(nb: nbformat.NotebookNode) -> int:
    return next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_stored_without_outputs(name):
    nb = read(name)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.parametrize("name", NAMES)
def test_notebook_has_a_size_parameter_defaulting_to_small(name):
    nb = read(name)
    assert 'SIZE = "small"' in nb.cells[parameters_cell(nb)].source


def run_notebook(name: str, tmp_path: Path) -> nbformat.NotebookNode:
    """Execute a notebook with the test's parameters injected after its parameters cell."""
    from nbclient import NotebookClient

    nb = read(name)
    at = parameters_cell(nb)
    nb.cells.insert(at + 1, nbformat.v4.new_code_cell(OVERRIDES[name]))
    client = NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    nbformat.write(nb, tmp_path / name)  # kept for reading when a test fails
    return nb


def outputs_text(nb: nbformat.NotebookNode) -> str:
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


@pytest.mark.slow
def test_nightly_rota_notebook_runs(tmp_path):
    text = outputs_text(run_notebook("01_nightly_rota.ipynb", tmp_path))
    assert "Visits placed:" in text and "Checker:" in text


@pytest.mark.slow
@pytest.mark.shared
def test_patches_notebook_runs(shared_dir, tmp_path):
    text = outputs_text(run_notebook("02_patches.ipynb", tmp_path))
    assert "12 patches" in text and "price_per_hour_gbp" in text


@pytest.mark.slow
def test_capacity_what_if_notebook_runs(tmp_path):
    text = outputs_text(run_notebook("03_capacity_what_if.ipynb", tmp_path))
    assert "demand x1.2, +2 carers" in text
