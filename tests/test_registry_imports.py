"""Every command imports every plug-in; none may import the heavy libraries at its top
(registry.py): checked in a fresh interpreter, where nothing else has imported them."""

import subprocess
import sys

HEAVY = ("sklearn", "scipy", "pandas", "matplotlib")


def test_checking_a_config_imports_no_heavy_library():
    code = ("import sys; import sparseae_cli.config_check, sparseae_cli.train_command, sparseae_cli.validation; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", f"imported at the top of a plug-in: {result.stdout.strip()}"
