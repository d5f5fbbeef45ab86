"""A production image has no embedded PostgreSQL (`pgserver` is in the `embedded` extra): no
process may import it unless it starts the embedded server."""

import subprocess
import sys
from pathlib import Path

ENTRY_MODULES = [
    "workers.web",
    "workers.worker",
    "workers.dispatcher",
    "workers.projector",
    "workers.sealer",
    "workers.cli",
]


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_no_entry_module_imports_pgserver(tmp_path: Path) -> None:
    """Each process's entry module in turn, in one fresh interpreter: the first that brings
    `pgserver` in is named."""
    done = _python(
        "import importlib, sys\n"
        f"for module in {ENTRY_MODULES!r}:\n"
        "    importlib.import_module(module)\n"
        "    if any(m.split('.')[0] == 'pgserver' for m in sys.modules):\n"
        "        sys.exit(f'{module} imports pgserver')\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_without_pgserver_and_database_url_the_error_says_what_to_do(tmp_path: Path) -> None:
    """As in the production image: `pgserver` cannot be imported and DATABASE_URL is unset."""
    done = _python(
        "import sys; sys.modules['pgserver'] = None\n"
        "from pathlib import Path\n"
        "from workers.embedded import database_url\n"
        "from workers.settings import Settings\n"
        f"database_url(Settings(data_dir=Path({str(tmp_path)!r})))\n",
        tmp_path,
    )
    assert done.returncode != 0
    assert "DATABASE_URL is not set and the embedded PostgreSQL is not installed" in done.stderr
    assert "liaison[embedded]" in done.stderr
    assert not (tmp_path / "postgres").exists()


def test_the_liaison_command_starts_without_the_processes_libraries(tmp_path: Path) -> None:
    """Each `liaison` call is a fresh interpreter: the Temporal client and worker, the metrics
    library, the PDF reader and FastAPI (most of a second to import) load only in the commands
    and processes that use them, not in every call."""
    done = _python(
        "import sys\n"
        "import workers.cli\n"
        "heavy = ('temporalio', 'prometheus_client', 'pypdf', 'fastapi')\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
        "sys.exit(f'workers.cli imports {loaded}' if loaded else 0)\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
