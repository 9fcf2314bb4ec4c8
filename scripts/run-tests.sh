#!/usr/bin/env bash
# The full suite as `make test` (and so CI) runs it: the VM tests (QEMU/libvirt under TCG, one emulated CPU each)
# and a few long CPU-bound tests that touch neither Docker nor Ray (marker `alongside`) run in a second pytest
# process next to everything else, so both cores stay busy. Each process has its own --basetemp, so neither
# cleans the other's temporary directories. Extra arguments (or WB_TEST_SERIAL=1) run one ordinary pytest.
# Exit status: non-zero when either half fails; the second half's output is printed after the main half's.
set -uo pipefail
PY=${PY:-.venv/bin/python}
if [ "$#" -gt 0 ] || [ "${WB_TEST_SERIAL:-}" = 1 ]; then
    exec "$PY" -m pytest "$@"
fi
tmp=$(mktemp -d -t wb-tests.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m pytest -m "vm or alongside" -p no:cacheprovider --basetemp "$tmp/vm" >"$tmp/vm.log" 2>&1 &
vm_pid=$!
"$PY" -m pytest -m "not vm and not alongside" --basetemp "$tmp/main"
main_rc=$?
wait "$vm_pid"
vm_rc=$?
echo "=========== VM and alongside tests (second process; exit $vm_rc) ==========="
cat "$tmp/vm.log"
if [ "$main_rc" -ne 0 ] || [ "$vm_rc" -ne 0 ]; then
    echo "FAILED: main tests exit $main_rc, VM and alongside tests exit $vm_rc" >&2
    exit 1
fi
