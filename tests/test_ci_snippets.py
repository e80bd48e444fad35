"""The CI snippets of docs/ci/ run as written, on a clean virtualenv with the headless install.

The GitHub Actions workflow and the GitLab CI file are read with PyYAML and their shell lines run in
order with ``bash -e``, in a fresh copy of this checkout, as the CI would run them:

- a job's ``run:`` / ``before_script:`` / ``script:`` lines run with the variables the CI would set
  (``${{ matrix.shard }}`` and the workflow's ``env:``; ``CI_NODE_INDEX`` / ``CI_NODE_TOTAL`` for
  ``parallel:``), each matrix entry or parallel index in turn, in an emptied work folder;
- ``actions/checkout`` is a copy of the checkout, ``upload-artifact`` / GitLab ``artifacts:`` keep the
  files their paths name, ``download-artifact`` / ``needs:`` bring them into the merge job's folder;
- the line that installs Debian packages is not run (a test does not install system packages): its
  packages must be only libzbar0, and libzbar0 must be installed here;
- every job starts without ``.venv``, as on the CI: neither file keeps a cache, and the checkout step
  removes what is not in the repository; the install line builds it from nothing with ``python3 -m venv``;
- pip installs from a wheelhouse made once for the module (``wheelhouse``: ``pip wheel`` of the
  dependencies this checkout declares and of its build backend, resolved from the indexes pip is
  configured with, as the snippet's install would resolve them); the install lines run as written, with
  ``PIP_NO_INDEX`` and ``PIP_FIND_LINKS`` in their environment, so six installs do not each ask the
  indexes again (from the wheelhouse the install took 6.5 s of CPU, from the indexes 12.7 s);
- the shell is a CI runner's (``clean_env``): no ``PYTHONDONTWRITEBYTECODE``, which this machine's shells
  set and a CI shell does not, so the first ``payer-app`` process of the jobs writes the bytecode of the
  modules it imports and the later ones read it, as on the CI; and ``PIP_COMPILE=0`` beside
  ``PIP_NO_INDEX`` (pip reads ``PIP_NO_COMPILE`` the other way round: ``--compile`` is the option that
  ``0`` turns off): pip does not byte-compile every module of the new ``.venv`` (2,039 files, half of
  the install's CPU: 12.5 s with it, 6.5 s without). That compiling is not something this test could
  see fail: pip goes on silently past a file that does not compile, and bytecode changes no behaviour;
  the modules the jobs run are compiled when they are imported. ``python3 -m venv`` still compiles its
  own pip as written (ensurepip ignores ``PIP_`` variables);
- the six jobs' install line is one line, ``python3 -m venv .venv && .venv/bin/pip install --quiet .``, on
  one checkout, and each job meets it in the same state (the checkout copied into an emptied folder, no
  ``.venv``). It runs as written in the first job; a later job would run the same line on the same
  files from the same state, so its result is already known: the exit code that run had, and the
  ``.venv`` it made, kept aside (``Workspace.installed``). The package is built once, not six times.

The sharded scan lines and the merge line use ``payer-app scan --shard/--summary`` and ``payer-app qa
merge``: while this checkout has no such option or command, that part is skipped with a message
saying so, after the install and the corpus lines have run.

The Jenkinsfile is not run (it is Groovy); its ``sh`` lines must be the GitLab CI file's commands.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml  # pyyaml: the test extra

ROOT = Path(__file__).resolve().parent.parent
CI_DIR = ROOT / "docs" / "ci"
GITHUB = CI_DIR / "github-actions.yml"
GITLAB = CI_DIR / "gitlab-ci.yml"
JENKINS = CI_DIR / "Jenkinsfile"

# What a headless scan needs from Debian, and what it must never pull in.
SYSTEM_PACKAGES = {"libzbar0"}
NOT_IN_A_SCAN_JOB = ("PySide6", "chromium", "xvfb", "ensure_system_packages", "[test]", "[gui]", "selenium")
COPY_IGNORE = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".pytest_cache", ".mypy_cache",
                                     ".ruff_cache", "*.egg-info", "build", "dist")
LINE_TIMEOUT_S = 900  # the first install builds the virtualenv from the pip cache: generous on a busy machine

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------------------------------------
# reading the snippets


def github_workflow() -> dict:
    return yaml.safe_load(GITHUB.read_text(encoding="utf-8"))


def gitlab_config() -> dict:
    return yaml.safe_load(GITLAB.read_text(encoding="utf-8"))


def jenkins_commands() -> list[str]:
    """The shell commands of the Jenkinsfile's ``sh '...'`` and ``sh(..., script: "...")`` steps."""
    text = JENKINS.read_text(encoding="utf-8")
    return re.findall(r"""\bsh\s*(?:\(.*?script:\s*|\s)(['"])(.+?)\1""", text)


def github_lines(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def gitlab_jobs(config: dict) -> dict[str, dict]:
    return {name: job for name, job in config.items() if isinstance(job, dict) and "script" in job}


def gitlab_lines(job: dict) -> list[str]:
    return [*job.get("before_script", []), *job["script"]]


def all_shell_lines() -> list[str]:
    lines = [line for job in github_workflow()["jobs"].values() for line in github_lines(job)]
    lines += [line for job in gitlab_jobs(gitlab_config()).values() for line in gitlab_lines(job)]
    return lines + [command for _, command in jenkins_commands()]


def apt_packages(line: str) -> set[str] | None:
    """The packages an ``apt-get install`` line installs; None for any other line."""
    if "apt-get" not in line:
        return None
    packages: set[str] = set()
    for command in line.split("&&"):
        words = [w for w in shlex.split(command) if w != "sudo"]
        if words[:2] == ["apt-get", "install"]:
            packages |= {w for w in words[2:] if not w.startswith("-")}
    return packages


# ---------------------------------------------------------------------------------------------
# what every snippet installs (fast: no command runs)


def test_every_snippet_installs_only_what_a_headless_scan_needs():
    lines = all_shell_lines()
    assert lines, "no shell line found in docs/ci/"
    installs = [apt_packages(line) for line in lines if apt_packages(line) is not None]
    for packages in installs:
        assert packages == SYSTEM_PACKAGES, f"a snippet installs {sorted(packages)}; a scan needs only libzbar0"
    for line in lines:
        for word in NOT_IN_A_SCAN_JOB:
            assert word not in line, f"a CI snippet line names {word!r}: {line}"
    pip_lines = [line for line in lines if "pip install" in line]
    assert pip_lines and all(re.search(r"pip install (--quiet )?\.$", line) for line in pip_lines), pip_lines


def test_the_base_install_has_no_qt_and_the_window_is_an_extra():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = " ".join(project["dependencies"])
    for heavy in ("PySide6", "selenium", "pytest"):
        assert heavy not in base, f"{heavy} is in the base install, which a CI scan job installs"
    assert any("PySide6" in d for d in project["optional-dependencies"]["gui"])
    assert ".[gui,test]" in (ROOT / "Makefile").read_text(encoding="utf-8"), "make venv must install the window"


def test_the_jenkinsfile_runs_the_gitlab_commands():
    """Jenkins' ``sh`` lines, with shard 1 of 2, are the GitLab CI scan and merge jobs' lines with
    CI_NODE_INDEX=1 and CI_NODE_TOTAL=2 (Debian's libzbar0 is the agent's, not a line)."""
    jenkins = [shlex.split(cmd.replace("${k}", "1").replace("${n}", "2")) for _, cmd in jenkins_commands()]
    gitlab = []
    for job in gitlab_jobs(gitlab_config()).values():
        for line in gitlab_lines(job):
            if apt_packages(line) is None:
                gitlab.append(shlex.split(line.replace("$CI_NODE_INDEX", "1").replace("$CI_NODE_TOTAL", "2")))
    assert jenkins, "no sh line found in the Jenkinsfile"
    assert sorted(map(tuple, jenkins)) == sorted(map(tuple, gitlab))


# ---------------------------------------------------------------------------------------------
# running them


class Workspace:
    """One CI job's folder at a fixed path (the ``.venv`` an install line made keeps its paths when it is
    put back)."""

    def __init__(self, root: Path, wheelhouse: Path):
        self.dir = root / "ws"
        self.artifacts = root / "artifacts"
        self.dir.mkdir()
        self.artifacts.mkdir()
        self.env = {**clean_env(root), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse), "PIP_COMPILE": "0"}
        # install lines that ran as written in a folder without .venv, and succeeded: their result
        self.installed: dict[str, subprocess.CompletedProcess] = {}
        self.venv_made_by: str | None = None  # the install line whose run made the .venv kept aside
        self.kept_venv = root / "kept-venv"  # that .venv, between jobs
        self._missing_interface: list[str] | None = None
        self.install_compiled: bool | None = None  # whether the last install line left bytecode behind

    def new_pipeline(self) -> None:
        """No artifact from an earlier pipeline."""
        shutil.rmtree(self.artifacts)
        self.artifacts.mkdir()

    def new_job(self) -> None:
        """An empty folder (the .venv kept aside), then the checkout copied in (``actions/checkout``)."""
        venv = self.dir / ".venv"
        if venv.exists():
            if self.venv_made_by is not None and not self.kept_venv.exists():
                venv.rename(self.kept_venv)
            else:
                shutil.rmtree(venv)
        for entry in self.dir.iterdir():
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
        shutil.copytree(ROOT, self.dir, ignore=COPY_IGNORE, dirs_exist_ok=True)

    def run(self, line: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        packages = apt_packages(line)
        if packages is not None:  # the system package step: checked, not run
            assert packages == SYSTEM_PACKAGES
            for package in packages:
                assert debian_package_installed(package), f"{package} is not installed on this machine"
            return subprocess.CompletedProcess(line, 0, "", "")
        venv = self.dir / ".venv"
        if is_install(line):
            assert not venv.exists(), "a job meets its install line without .venv"
            if line in self.installed and self.venv_made_by == line and self.kept_venv.exists():
                self.kept_venv.rename(venv)  # this line, this checkout, no .venv: it ran so already
                return self.installed[line]
            if self.kept_venv.exists():
                shutil.rmtree(self.kept_venv)
            self.venv_made_by = None
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", line], cwd=self.dir, env={**self.env, **env},
                              capture_output=True, text=True, timeout=LINE_TIMEOUT_S, stdin=subprocess.DEVNULL)
        if is_install(line) and done.returncode == 0:
            self.installed[line] = done
            self.venv_made_by = line
            self.install_compiled = any(venv.glob("lib/python*/site-packages/payer_app/**/*.pyc"))
        return done

    def missing_interface(self) -> list[str]:
        """The options and commands of the sharded scan and the merge that this checkout lacks (the
        same for every job: each installs this checkout)."""
        if self._missing_interface is None:
            self._missing_interface = missing_interface(self)
        return self._missing_interface

    def keep(self, patterns: list[str]) -> list[str]:
        """Copy the files matching the artifact paths to the artifact store; their names."""
        kept = []
        for entry in self.dir.iterdir():
            if entry.is_file() and any(fnmatch.fnmatch(entry.name, p) for p in patterns):
                shutil.copy2(entry, self.artifacts / entry.name)
                kept.append(entry.name)
        return kept

    def bring_artifacts(self) -> None:
        for entry in self.artifacts.iterdir():
            shutil.copy2(entry, self.dir / entry.name)

    def payer_app_help(self, *words: str) -> str:
        done = subprocess.run([str(self.dir / ".venv" / "bin" / "payer-app"), *words, "--help"], cwd=self.dir,
                              env=self.env, capture_output=True, text=True, timeout=120)
        return done.stdout if done.returncode == 0 else ""


def is_install(line: str) -> bool:
    """A line that makes the virtualenv and installs the package into it."""
    return "-m venv" in line and "pip install" in line


def clean_env(root: Path) -> dict[str, str]:
    """This process's environment without its virtualenv and without what only this machine's shells set
    (``PYTHONDONTWRITEBYTECODE``): a CI runner's shell."""
    venv_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin]
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")}
    env.update(PATH=os.pathsep.join(path), PAYER_APP_HOME=str(root / "payer_home"), CI="true")
    return env


def debian_package_installed(name: str) -> bool:
    done = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
    return "install ok installed" in done.stdout


def missing_interface(ws: Workspace) -> list[str]:
    """The options and commands of the sharded scan and the merge that this checkout lacks."""
    scan_help = ws.payer_app_help("scan")
    missing = [option for option in ("--shard", "--summary") if option not in scan_help]
    if not ws.payer_app_help("qa", "merge"):
        missing.append("payer-app qa merge")
    return missing


def run_lines(ws: Workspace, lines: list[str], env: dict[str, str], job: str) -> list[subprocess.CompletedProcess]:
    results = []
    for line in lines:
        if uses_sharding(line) and ws.missing_interface():
            assert_headless_venv(ws)
            pytest.skip(f"{job}: this checkout has no {', '.join(ws.missing_interface())} yet; the install and "
                        f"the lines before `{line[:60]}...` ran")
        done = ws.run(line, env)
        results.append(done)
        if done.returncode != 0:
            pytest.fail(f"{job}: `{line}` exited {done.returncode}\n--- stdout\n{done.stdout[-3000:]}\n"
                        f"--- stderr\n{done.stderr[-3000:]}")
    return results


def uses_sharding(line: str) -> bool:
    return "--shard" in line or "qa merge" in line


def assert_headless_venv(ws: Workspace) -> None:
    """The virtualenv the snippet made holds no Qt and no test tools: the scan-only install."""
    python = ws.dir / ".venv" / "bin" / "python"
    done = subprocess.run([str(python), "-c", "import importlib.util as u; "
                           "print([m for m in ('PySide6', 'shiboken6', 'selenium', 'pytest') if u.find_spec(m)])"],
                          env=ws.env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def assert_merged(ws: Workspace) -> None:
    import json

    summary = json.loads((ws.dir / "all.json").read_text(encoding="utf-8"))
    assert summary, "the merged summary is empty"
    xml = (ws.dir / "all.xml").read_text(encoding="utf-8")
    assert xml.count("<testcase") == 24, "the merged JUnit report must hold the 24 pictures of both shards"
    assert (ws.dir / "all.html").stat().st_size > 0


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory) -> Path:
    """Every wheel ``pip install .`` needs: the dependencies this checkout declares ([project]
    dependencies, none of them dynamic) and its build backend ([build-system] requires), resolved together
    and fetched once from the indexes pip is configured with. This checkout's own wheel is not in it:
    the install line builds it from the copied checkout, as in CI."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "dependencies" not in config["project"].get("dynamic", []), "the dependencies must be in pyproject.toml"
    wanted = [*config["project"]["dependencies"], *config["build-system"]["requires"]]
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(folder), *wanted],
                          cwd=folder, capture_output=True, text=True, timeout=LINE_TIMEOUT_S, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return folder


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, wheelhouse):
    return Workspace(tmp_path_factory.mktemp("ci"), wheelhouse)


def github_env(workflow: dict, job: dict, step: dict) -> dict[str, str]:
    return {k: str(v) for k, v in {**workflow.get("env", {}), **job.get("env", {}), **step.get("env", {})}.items()}


def github_expand(text: str, matrix: dict) -> str:
    """``${{ matrix.X }}`` as GitHub expands it; any other expression is a snippet this test cannot run."""
    def value(m: re.Match) -> str:
        name = m.group(1)
        assert name.startswith("matrix."), f"the test does not know the expression {m.group(0)}"
        return str(matrix[name.removeprefix("matrix.")])

    return re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", value, text)


def run_github_job(ws: Workspace, workflow: dict, name: str, matrix: dict) -> None:
    job = workflow["jobs"][name]
    ws.new_job()
    for step in job["steps"]:
        uses = step.get("uses", "")
        if uses.startswith("actions/upload-artifact"):
            patterns = [github_expand(p.strip(), matrix) for p in step["with"]["path"].split("\n") if p.strip()]
            ws.keep(patterns)
        elif uses.startswith("actions/download-artifact"):
            ws.bring_artifacts()
        elif "run" in step:
            run_lines(ws, [github_expand(step["run"], matrix)], github_env(workflow, job, step),
                      f"GitHub job {name} {matrix}")


def test_the_github_actions_workflow_runs_on_a_clean_venv(workspace):
    workflow = github_workflow()
    scan, merge = workflow["jobs"]["scan"], workflow["jobs"]["merge"]
    shards = scan["strategy"]["matrix"]["shard"]
    assert str(len(shards)) == str(workflow["env"]["SHARDS"]), "SHARDS must be the number of matrix entries"
    assert merge["needs"] == "scan" and merge["if"] == "always()"
    workspace.new_pipeline()
    for shard in shards:
        run_github_job(workspace, workflow, "scan", {"shard": shard})
        assert_headless_venv(workspace)
    run_github_job(workspace, workflow, "merge", {})
    assert_merged(workspace)
    assert workspace.install_compiled is False, "pip byte-compiled the new .venv: PIP_COMPILE=0 no longer works"


def test_the_gitlab_ci_file_runs_on_a_clean_venv(workspace):
    config = gitlab_config()
    jobs = gitlab_jobs(config)
    scan, merge = jobs["qr-scan-qa"], jobs["qr-scan-qa-merge"]
    assert merge["needs"] == ["qr-scan-qa"] and merge["when"] == "always"
    total = int(scan["parallel"])
    workspace.new_pipeline()
    for index in range(1, total + 1):
        workspace.new_job()
        env = {"CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(total)}
        run_lines(workspace, gitlab_lines(scan), env, f"GitLab job qr-scan-qa {index}/{total}")
        assert_headless_venv(workspace)
        workspace.keep(scan["artifacts"]["paths"])
    workspace.new_job()
    workspace.bring_artifacts()
    run_lines(workspace, gitlab_lines(merge), {}, "GitLab job qr-scan-qa-merge")
    assert_merged(workspace)
