"""Benchmark ``reportgen run`` end to end against the usual notebook approach.

For each size it writes a synthetic customer table with the package's own sample
generator (``reportgen sample -n N``), then, each in its own subprocess:

- ``reportgen run FILE -o OUT -v`` exactly as a user would type it (for the sample's
  size, 200, with the bundled config's features and profile columns, as
  ``data/customers.toml`` runs it; other sizes with the defaults);
- ``benchmarks/notebook_baseline.py`` on the same file, killed at ``--baseline-cap``.

and prints, per size, the wall time, the peak RSS, the time per stage (parsed from the
``<Stage> took N.NNs`` lines that ``-v`` prints), the baseline's time and the ratio,
and whether the targets of issue 6 are met; then the same as two summary tables.

How it measures:

- wall time: ``time.perf_counter()`` from just before the process is started to just
  after it has been reaped, so interpreter start-up, imports and exit are included
  ("process start to the last file written").
- peak RSS: ``os.wait4()`` on the child returns that child's own ``rusage``;
  ``ru_maxrss`` (KiB on Linux) is the largest resident set of the child or of any
  descendant it waited for. reportgen runs in one process (its threads share one
  RSS), so this is its peak memory. Unlike ``getrusage(RUSAGE_CHILDREN)``, it is not a
  running maximum over every child this script has started (the generator of a bigger
  table would otherwise leak into a later, smaller run). MB here means 10^6 bytes, so
  the 1 GB target is 1,000 MB.
- stage times are reportgen's own ``-v`` timings; "start-up and exit" is the wall time
  not covered by any stage (interpreter start, imports before the first stage, exit).

Timings are noisy on a shared machine: the load average before each run is printed;
use ``--repeat`` to keep the median run.

    .venv/bin/python benchmarks/bench.py --sizes 200,10000,1000000 [--baseline-cap 120]
        [--workdir DIR] [--repeat 1] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
BASELINE_SCRIPT = BENCH_DIR / "notebook_baseline.py"
BIN_DIR = Path(sys.executable).parent

SAMPLE_SIZE = 200
# What data/customers.toml runs the sample with.
SAMPLE_FEATURES = ("Annual Income (k$)", "Spending Score (1-100)")
SAMPLE_PROFILE = ("Gender", "Age")

# Issue 6's targets: size -> (seconds, MB) or a share of the baseline's time.
TIME_AND_MEMORY_TARGETS = {1_000_000: (10.0, 1_000.0), 10_000_000: (30.0, 2_500.0)}
BASELINE_SHARE_TARGETS = {SAMPLE_SIZE: 0.5}

VERSIONED = (
    "reportgen",
    "pandas",
    "numpy",
    "scikit-learn",
    "scipy",
    "matplotlib",
    "seaborn",
    "jinja2",
    "weasyprint",
    "pyarrow",
    "click",
)
_STAGE_LINE = re.compile(r"^(?:reportgen|baseline): (?P<stage>.+?) took (?P<seconds>\d+\.\d+)s$")
STARTUP = "start-up and exit"


@dataclass
class Measurement:
    """One process: how long it took, its peak memory, and what its stages reported."""

    wall: float
    peak_mb: float
    cpu: float
    returncode: int
    killed: bool
    stages: dict[str, float] = field(default_factory=dict)
    load_before: float = 0.0
    stderr_tail: str = ""

    @property
    def last_stage(self) -> str:
        """The last stage that finished: where a killed run had got to."""
        return next(reversed(self.stages), "start-up")


@dataclass
class SizeResult:
    """Everything measured for one number of customers."""

    customers: int
    csv_mb: float
    generate_seconds: float
    reportgen: Measurement
    runs: list[float]
    baseline: Measurement | None
    cap: float

    @property
    def ratio(self) -> tuple[str, float] | None:
        """reportgen's time over the baseline's, with '<' when the baseline was capped."""
        if self.baseline is None:
            return None
        if self.baseline.killed:
            return "<", self.reportgen.wall / self.cap
        return "", self.reportgen.wall / self.baseline.wall


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run every size, print the tables; exit 1 if a run failed."""
    args = _parse(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="reportgen-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    reportgen = BIN_DIR / "reportgen"
    if not reportgen.exists():
        found = shutil.which("reportgen")
        if found is None:
            sys.exit("reportgen is not installed next to this Python or on PATH; run make setup")
        reportgen = Path(found)

    print(machine_description(args.threads))
    print(f"\nWork directory: {workdir}\n")
    results = []
    try:
        for size in args.sizes:
            result = bench_size(size, workdir, reportgen, args)
            results.append(result)
            print(size_table(result), flush=True)
    finally:
        if args.workdir is None and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(summary_table(results))
    print()
    print(stage_table(results))
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": machine_facts(args.threads), "results": [asdict(r) for r in results]},
                indent=2,
            )
            + "\n"
        )
    failed = [r.customers for r in results if r.reportgen.returncode != 0]
    if failed:
        print(f"\nreportgen failed for {', '.join(map(str, failed))} customers", file=sys.stderr)
        return 1
    return 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time reportgen run against the notebook baseline at several sizes."
    )
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[SAMPLE_SIZE, 10_000, 1_000_000],
        help="comma-separated numbers of customers (underscores allowed), e.g. 200,10000",
    )
    parser.add_argument(
        "--baseline-cap",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="kill the notebook baseline after this long and report '> cap' (default 120)",
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the notebook baseline")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="where to write the generated tables and reports (kept); default: a "
        "temporary directory under /tmp, removed at the end",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the default temporary work directory"
    )
    parser.add_argument(
        "--reuse-tables",
        action="store_true",
        help="with --workdir: use the tables an earlier run left there instead of "
        "generating them again (a minute at ten million customers)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run reportgen this many times per size and report the median run (default 1)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="set OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and MKL_NUM_THREADS to this in both "
        "runs (default: the libraries' own choice, one thread per CPU)",
    )
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    return parser.parse_args(argv)


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or min(sizes) < 10:
        raise argparse.ArgumentTypeError("sizes must be at least 10 customers")
    return sizes


def bench_size(size: int, workdir: Path, reportgen: Path, args: argparse.Namespace) -> SizeResult:
    """Generate ``size`` customers, then time reportgen and the baseline on them."""
    table = workdir / f"customers-{size}.csv"
    generated = 0.0  # reused
    if not (args.reuse_tables and table.exists()):
        _progress(f"{size:,} customers: generating {table.name}")
        started = time.perf_counter()
        subprocess.run(
            [str(reportgen), "sample", "-n", str(size), "-o", str(table)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        generated = time.perf_counter() - started

    runs = []
    for attempt in range(1, args.repeat + 1):
        _progress(f"{size:,} customers: reportgen run ({attempt}/{args.repeat})")
        command = [str(reportgen), "run", str(table), "-o", str(workdir / f"out-{size}"), "-v"]
        runs.append(measure([*command, *_options(size)], cap=None, env=_thread_env(args)))
    median = sorted(runs, key=lambda run: run.wall)[(len(runs) - 1) // 2]

    baseline = None
    if not args.no_baseline:
        _progress(f"{size:,} customers: notebook baseline (cap {args.baseline_cap:g} s)")
        baseline = measure(
            [
                sys.executable,
                str(BASELINE_SCRIPT),
                str(table),
                "-o",
                str(workdir / f"baseline-{size}"),
                *_options(size, profile=False),
            ],
            cap=args.baseline_cap,
            env=_thread_env(args),
        )
    return SizeResult(
        customers=size,
        csv_mb=table.stat().st_size / 1e6,
        generate_seconds=generated,
        reportgen=median,
        runs=[run.wall for run in runs],
        baseline=baseline,
        cap=args.baseline_cap,
    )


def _thread_env(args: argparse.Namespace) -> dict[str, str] | None:
    """The environment that caps OpenMP and BLAS threads, when --threads is given."""
    if args.threads is None:
        return None
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
    return dict.fromkeys(names, str(args.threads))


def _options(size: int, *, profile: bool = True) -> list[str]:
    """The sample's settings for the sample's size (as data/customers.toml); else none."""
    if size != SAMPLE_SIZE:
        return []
    options = [arg for column in SAMPLE_FEATURES for arg in ("--feature", column)]
    if profile:
        options += [arg for column in SAMPLE_PROFILE for arg in ("--profile", column)]
    return options


def measure(
    command: list[str], cap: float | None, env: dict[str, str] | None = None
) -> Measurement:
    """Run ``command``; return its wall time, peak RSS and ``took`` lines, killing it at ``cap``.

    The child runs in its own session so that killing it at the cap also kills anything
    it started.
    """
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
            env=None if env is None else {**os.environ, **env},
        )
        killed = not _exited_within(process.pid, cap)
        if killed:
            os.killpg(process.pid, signal.SIGKILL)
        # Reap the child ourselves (not with Popen.wait) to get its own resource usage.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        text = stderr.read().decode("utf-8", "replace")
    stages = {}
    for line in text.splitlines():
        if match := _STAGE_LINE.match(line.strip()):
            stages[match["stage"]] = float(match["seconds"])
    return Measurement(
        wall=wall,
        peak_mb=usage.ru_maxrss * 1024 / 1e6,
        cpu=usage.ru_utime + usage.ru_stime,
        returncode=process.returncode,
        killed=killed,
        stages=stages,
        load_before=load,
        stderr_tail="\n".join(text.splitlines()[-5:]),
    )


def _exited_within(pid: int, cap: float | None) -> bool:
    """Wait until process ``pid`` exits or ``cap`` seconds pass, leaving it unreaped."""
    if cap is None:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        return True
    # A pidfd becomes readable when the process exits: an exact wait with a timeout.
    descriptor = os.pidfd_open(pid)
    try:
        readable, _, _ = select.select([descriptor], [], [], cap)
    finally:
        os.close(descriptor)
    return bool(readable)


def target_verdict(result: SizeResult) -> tuple[str, str]:
    """Return issue 6's target for this size and whether it is met (or by how much not)."""
    run = result.reportgen
    if run.returncode != 0:
        return _target_text(result.customers), f"no: reportgen failed (exit {run.returncode})"
    if result.customers in TIME_AND_MEMORY_TARGETS:
        seconds, megabytes = TIME_AND_MEMORY_TARGETS[result.customers]
        misses = []
        if run.wall > seconds:
            misses.append(f"time {run.wall / seconds:.1f}× the target")
        if run.peak_mb > megabytes:
            misses.append(f"memory {run.peak_mb / megabytes:.1f}× the target")
        return _target_text(result.customers), "yes" if not misses else "no: " + ", ".join(misses)
    if result.customers in BASELINE_SHARE_TARGETS:
        share = BASELINE_SHARE_TARGETS[result.customers]
        target = _target_text(result.customers)
        if result.baseline is None:
            return target, "not measured (no baseline)"
        if result.baseline.killed and run.wall > share * result.cap:
            return target, "unknown: the baseline hit its cap"
        baseline = result.cap if result.baseline.killed else result.baseline.wall
        if run.wall <= share * baseline:
            return target, "yes"
        return target, f"no: {run.wall / (share * baseline):.1f}× the target"
    return "—", "—"


def _target_text(customers: int) -> str:
    if customers in TIME_AND_MEMORY_TARGETS:
        seconds, megabytes = TIME_AND_MEMORY_TARGETS[customers]
        return f"≤ {seconds:g} s, ≤ {megabytes:,.0f} MB"
    if customers in BASELINE_SHARE_TARGETS:
        return f"≤ {BASELINE_SHARE_TARGETS[customers]:g} × baseline"
    return "—"


def size_table(result: SizeResult) -> str:
    """One size's measurements as a Markdown table."""
    run = result.reportgen
    rows = [
        ("reportgen wall time", _wall(run, result.cap)),
        ("reportgen peak RSS", f"{run.peak_mb:,.0f} MB"),
        ("reportgen CPU time (user + system)", f"{run.cpu:.2f} s"),
    ]
    if len(result.runs) > 1:
        rows.append(("all runs (median kept)", ", ".join(f"{wall:.2f}" for wall in result.runs)))
    rows += [(f"stage: {stage}", f"{seconds:.2f} s") for stage, seconds in _stages(run).items()]
    if result.baseline is not None:
        rows += [
            ("baseline wall time", _wall(result.baseline, result.cap)),
            ("baseline peak RSS", f"{result.baseline.peak_mb:,.0f} MB"),
            ("baseline steps", _baseline_steps(result.baseline)),
            ("ratio reportgen / baseline", _ratio(result)),
        ]
    target, met = target_verdict(result)
    rows += [("target (issue 6)", target), ("target met", met)]
    made = f"generated in {result.generate_seconds:.1f} s" if result.generate_seconds else "reused"
    lines = [
        f"### {result.customers:,} customers",
        "",
        f"CSV {result.csv_mb:,.1f} MB, {made}; load average before the run {run.load_before:.2f}.",
        "",
        "| measure | value |",
        "|---|---:|",
        *(f"| {name} | {value} |" for name, value in rows),
        "",
    ]
    if run.returncode != 0:
        lines += ["reportgen's last lines on stderr:", "", run.stderr_tail, ""]
    return "\n".join(lines)


def summary_table(results: list[SizeResult]) -> str:
    """One row per size: the headline numbers and the verdict on the targets."""
    lines = [
        "| customers | wall time | peak RSS | slowest stage | baseline | ratio | target | met |",
        "|---:|---:|---:|---|---:|---:|---|---|",
    ]
    for result in results:
        run = result.reportgen
        stages = _stages(run)
        slowest = max(stages, key=lambda stage: stages[stage]) if stages else "—"
        baseline = "—" if result.baseline is None else _wall(result.baseline, result.cap)
        target, met = target_verdict(result)
        lines.append(
            f"| {result.customers:,} | {_wall(run, result.cap)} | {run.peak_mb:,.0f} MB "
            f"| {slowest} ({stages.get(slowest, 0):.1f} s) | {baseline} | {_ratio(result)} "
            f"| {target} | {met} |"
        )
    return "\n".join(lines)


def stage_table(results: list[SizeResult]) -> str:
    """reportgen's seconds per stage, one column per size."""
    stages: list[str] = []
    for result in results:
        stages += [stage for stage in _stages(result.reportgen) if stage not in stages]
    header = " | ".join(f"{result.customers:,}" for result in results)
    lines = [f"| stage (s) | {header} |", "|---|" + "---:|" * len(results)]
    for stage in [*stages, "total wall time"]:
        cells = []
        for result in results:
            measured = _stages(result.reportgen)
            value = result.reportgen.wall if stage == "total wall time" else measured.get(stage)
            cells.append("—" if value is None else f"{value:.2f}")
        lines.append(f"| {stage} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _stages(run: Measurement) -> dict[str, float]:
    """The run's stage times plus the wall time no stage accounts for."""
    return {**run.stages, STARTUP: max(0.0, run.wall - sum(run.stages.values()))}


def _baseline_steps(run: Measurement) -> str:
    """The baseline's steps in seconds, its per-k steps added up ("elbow k=3" -> "elbow")."""
    steps: dict[str, float] = {}
    for step, seconds in run.stages.items():
        if step != "total":
            name = step.split(" k=")[0]
            steps[name] = steps.get(name, 0.0) + seconds
    return ", ".join(f"{step} {seconds:.2f}" for step, seconds in steps.items()) or "—"


def _wall(run: Measurement, cap: float) -> str:
    if run.killed:
        return f"> {cap:g} s (killed; last step done: {run.last_stage})"
    if run.returncode != 0:
        return f"failed (exit {run.returncode}) after {run.wall:.2f} s"
    return f"{run.wall:.2f} s"


def _ratio(result: SizeResult) -> str:
    ratio = result.ratio
    return "—" if ratio is None else f"{ratio[0]} {ratio[1]:.2f}".strip()


def machine_facts(threads: int | None = None) -> dict[str, object]:
    """The machine and software the numbers come from (``threads``: the --threads option)."""
    versions = {}
    for package in VERSIONED:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    environment = {
        name: os.environ[name]
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        if name in os.environ
    }
    return {
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "memory": _memory(),
        "system": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "versions": versions,
        "thread_settings": f"{threads} per library (--threads)"
        if threads
        else environment or "library defaults (one per CPU)",
        "load_average": " ".join(f"{load:.2f}" for load in os.getloadavg()),
        "commit": _commit(),
    }


def machine_description(threads: int | None = None) -> str:
    """The machine facts as a few lines of text."""
    facts = machine_facts(threads)
    versions = ", ".join(f"{name} {version}" for name, version in facts["versions"].items())  # type: ignore[attr-defined]
    return "\n".join(
        [
            "## Machine",
            "",
            f"- CPU: {facts['cpus']} logical CPUs ({facts['cpus_usable']} usable), "
            f"{facts['cpu_model']}; memory {facts['memory']}",
            f"- System: {facts['system']}; {facts['python']}",
            f"- Libraries: {versions}",
            f"- Threads: {facts['thread_settings']}; load average at start "
            f"{facts['load_average']} (1, 5, 15 min)",
            f"- reportgen commit: {facts['commit']}",
        ]
    )


def _proc_field(path: str, name: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:
        pass
    return "unknown"


def _memory() -> str:
    total = _proc_field("/proc/meminfo", "MemTotal")
    if total.endswith(" kB"):
        return f"{int(total.removesuffix(' kB')) * 1024 / 2**30:.1f} GiB"
    return total


def _commit() -> str:
    try:
        described = subprocess.run(
            ["git", "-C", str(BENCH_DIR), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return described.stdout.strip()


def _progress(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
