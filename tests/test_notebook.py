"""The tour notebook (docs/tour.ipynb): committed clean, and it runs top to bottom."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

TOUR = Path(__file__).resolve().parent.parent / "docs" / "tour.ipynb"


def test_the_tour_is_committed_without_outputs() -> None:
    import nbformat

    notebook = nbformat.read(TOUR, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code)


@pytest.mark.slow
def test_the_tour_runs_top_to_bottom_in_a_real_kernel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Execute every cell with a Jupyter kernel running this Python; any error fails."""
    import nbformat
    from nbclient import NotebookClient

    # A kernel of this test environment's Python, whatever kernels the machine has.
    spec = tmp_path / "jupyter" / "kernels" / "reportgen-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    kernel = {"argv": argv, "display_name": "reportgen test", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    work = tmp_path / "work"
    work.mkdir()
    notebook = nbformat.read(TOUR, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name="reportgen-test",
        timeout=300,
        resources={"metadata": {"path": str(work)}},
    )

    client.execute()

    outputs = [output for cell in notebook.cells for output in cell.get("outputs", [])]
    assert not [output for output in outputs if output.output_type == "error"]
    html = [output.data["text/html"] for output in outputs if "text/html" in output.get("data", {})]
    assert any("<iframe srcdoc=" in page and "summary-table" in page for page in html)
    assert any(output.get("data", {}).get("image/png") for output in outputs)  # figures
    assert (work / "output" / "tour" / "report.pdf").exists()
