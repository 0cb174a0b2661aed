"""The run page's System, Code and Files tabs, its Environment and Alerts cards, and the runs table's
alert flag, on runs the SDK wrote in a subprocess (system metrics, save_code, log_code, save, alert)
and on a log with two GPUs' system rows."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from conftest import Served, log_in_subprocess, serve, shot, wait_ink
from runyard.log.records import Kind
from runyard.store.fixtures import LogWriter

SCRIPT = """
import os, time, numpy as np, runyard
os.chdir({work!r})
settings = {{"system_metrics": True, "capture_environment": True, "stats_sample_interval": 0.05,
             "stats_write_interval": 0.15}}
run = runyard.init(project="sys", id="code1", name="first", save_code=True, settings=settings)
run.log_code(".")
run.save("notes.txt", policy="now")
for i in range(20):
    run.log({{"loss": 1 / (i + 1), "samples": runyard.Image(np.full((8, 8, 3), i * 10, dtype=np.uint8))}} if i % 10 == 0
            else {{"loss": 1 / (i + 1)}})
    time.sleep(0.05)
run.alert("Loss too high", "loss 3.2 at step 4", level="ERROR")
run.finish()
open("model.py", "w").write("def model(x):\\n    return x * 3  # changed\\n")
run = runyard.init(project="sys", id="code2", name="second", settings=settings)
run.log_code(".")
run.log({{"loss": 0.5}})
time.sleep(0.4)
run.finish()
"""


@pytest.fixture(scope="module")
def sys_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("sysui")
    root, work = base / "runs", base / "work"
    work.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=work, check=True)
    (work / "model.py").write_text("def model(x):\n    return x * 2\n")
    (work / "notes.txt").write_text("learning rate 0.1 looked best")
    (work / "train.py").write_text("import model\n")
    log_in_subprocess(root, textwrap.dedent(SCRIPT.format(work=str(work))))
    # a run on a two-GPU machine: its system rows as the sampler writes them
    w = LogWriter(root, "sys", "gpus2", name="two-gpus")
    for i in range(40):
        values = {"system/cpu.percent": 30.0 + i % 7, "system/proc.rss_mb": 500.0 + i}
        for g in range(2):
            values[f"system/gpu.{g}.utilization_percent"] = 40.0 + 30 * g + (i * 3 % 20)
            values[f"system/gpu.{g}.memory_used_mb"] = 8000.0 + 1000 * g + i * 10
        w.write([Kind.SYSTEM, i, w.t0 + 15 * i, 15.0 * i, values])
        w.row({"loss": 1.0 / (i + 1)})
    w.end()
    for url in serve(root):
        yield Served(root, {"sys": ["code1", "code2", "gpus2"]}, url)


def test_system_tab_charts_against_time_with_a_line_per_gpu(page: Any, sys_served: Served,
                                                          console_errors: list[str]) -> None:
    page.goto(f"{sys_served.url}/p/sys/r/gpus2/system")
    gpu = page.locator('.panel[data-kind="gpu"][data-key="system/gpu.*.utilization_percent"]')
    expect(gpu).to_contain_text("GPU utilisation")
    expect(gpu.locator(".gpu-legend")).to_have_text("GPU 0GPU 1")
    assert wait_ink(page, '.panel[data-kind="gpu"] canvas', 300) > 300
    assert wait_ink(page, '.panel[data-key="system/cpu.percent"] canvas', 300) > 300
    expect(page.locator(".panel .title", has_text="CPU utilisation, machine")).to_have_count(1)
    shot(page, "run-system-gpus")
    page.get_by_role("button", name="Wall time").click()
    assert wait_ink(page, '.panel[data-kind="gpu"] canvas', 300) > 300
    shot(page, "run-system-wall-time")
    page.get_by_role("link", name="Charts", exact=True).click()
    expect(page.locator('.panel[data-key="loss"]')).to_have_count(1)
    expect(page.locator('.panel[data-key^="system/"]')).to_have_count(0)  # system metrics live in their own tab
    assert console_errors == []


def test_system_tab_of_a_sdk_run(page: Any, sys_served: Served, console_errors: list[str]) -> None:
    page.goto(f"{sys_served.url}/p/sys/r/code1/system")
    assert wait_ink(page, '.panel[data-key="system/proc.rss_mb"] canvas', 300) > 300
    expect(page.locator('.panel[data-kind="gpu"]')).to_have_count(0)
    assert console_errors == []


def test_code_tab_highlights_source_and_diffs_two_runs(page: Any, sys_served: Served,
                                                      console_errors: list[str]) -> None:
    page.goto(f"{sys_served.url}/p/sys/r/code1/code")
    files = page.locator("ul.file-list")
    expect(files).to_contain_text("model.py")
    expect(files).to_contain_text("train.py")
    page.locator("ul.file-list a", has_text="model.py").click()
    code = page.locator("pre.code-view code.hljs")
    expect(code).to_contain_text("return x * 2")
    expect(code.locator(".hljs-keyword").first).to_have_text("def")  # highlighted, lazily loaded
    shot(page, "run-code")
    page.get_by_label("compare code with run").select_option("code2")
    diff = page.locator('.diff-file[data-status="changed"]')
    expect(diff).to_contain_text("model.py")
    expect(page.locator(".code-compare h2")).to_have_text("Code of code2 → this run")
    expect(diff.locator(".hljs-deletion")).to_contain_text("return x * 3  # changed")  # code2's line
    expect(diff.locator(".hljs-addition")).to_contain_text("return x * 2")  # this run's
    shot(page, "run-code-compare")
    assert console_errors == []


def test_environment_and_alerts_on_the_overview_and_runs_table(page: Any, sys_served: Served,
                                                             console_errors: list[str]) -> None:
    page.goto(f"{sys_served.url}/p/sys/r/code1")
    env = page.locator('[data-card="environment"]')
    expect(env).to_contain_text("Python")
    expect(env).to_contain_text("CPUs")
    expect(env).to_contain_text("GPUs")
    expect(env.locator("details.packages summary")).to_contain_text("Packages (")
    env.locator("details.packages summary").click()
    env.get_by_label("filter packages").fill("msgpack")
    expect(env.locator("table.packages tr")).to_have_count(1)
    alerts = page.locator('[data-card="alerts"]')
    expect(alerts).to_contain_text("Loss too high")
    expect(alerts).to_contain_text("loss 3.2 at step 4")
    expect(page.locator(".run-head .alert-flag")).to_have_text("⚑ 1 alert")
    shot(page, "run-environment-alerts")
    page.goto(f"{sys_served.url}/p/sys")
    flag = page.locator(".runs-grid .row", has_text="first").locator(".alert-flag.error")
    expect(flag).to_have_count(1)
    expect(page.locator(".runs-grid .row", has_text="second").locator(".alert-flag")).to_have_count(0)
    shot(page, "runs-table-alert-flag")
    assert console_errors == []


def test_files_tab_tree_names_media_and_previews(page: Any, sys_served: Served, console_errors: list[str]) -> None:
    page.goto(f"{sys_served.url}/p/sys/r/code1/files")
    tree = page.locator(".tree")
    expect(tree).to_contain_text("files/")
    expect(tree).to_contain_text("media/")
    media = tree.locator(".file", has_text="samples")
    expect(media).to_have_count(2)
    expect(media.locator(".name")).to_have_text(["samples step 0", "samples step 10"])
    media.first.click()
    expect(page.locator(".file-preview img.preview-img")).to_have_count(1)
    tree.locator('.file[data-path="files/notes.txt"]').click()
    expect(page.locator(".file-preview pre.code-view")).to_contain_text("learning rate 0.1 looked best")
    tree.locator('.file[data-path="files/code/model.py"]').click()
    expect(page.locator(".file-preview code.hljs .hljs-keyword").first).to_have_text("def")
    shot(page, "run-files-tree")
    assert console_errors == []


def test_workspace_system_section_comes_last_with_a_line_per_run(page: Any, sys_served: Served,
                                                                console_errors: list[str]) -> None:
    page.goto(f"{sys_served.url}/p/sys")
    sections = page.locator("details.section[data-section]")
    expect(sections.first).to_have_attribute("data-section", "Charts")
    names = [n for n in sections.evaluate_all("els => els.map(e => e.dataset.section)") if n not in ("Compare", "Summary")]
    assert names[-1] == "system", names
    panel = page.locator('details.section[data-section="system"] .panel[data-key="system/cpu.percent"]')
    panel.scroll_into_view_if_needed()
    assert wait_ink(page, '.panel[data-key="system/cpu.percent"] canvas', 300) > 300
    panel.locator("button[title^='Chart settings']").click()
    expect(panel.get_by_label("x-axis")).to_have_value("_runtime")  # a sample count is no x-axis
    shot(panel, "workspace-system-section")
    assert console_errors == []
