import subprocess
import sys

import artlab
doctor_module = sys.modules["artlab.doctor"]  # the module; artlab.doctor is the function


def test_doctor_reports_everything_the_course_needs():
    report = artlab.doctor()
    text = str(report)
    assert report.ok, text
    for expected in ("torch", "music21", "verovio", "device", "fast mode", "widgets",
                     "music21 corpus", "digits", "outputs go to"):
        assert expected in text
    assert "1797 images" in text


def test_doctor_marks_a_missing_package_with_what_to_do(monkeypatch):
    monkeypatch.setattr(doctor_module, "PACKAGES",
                        doctor_module.PACKAGES + [("no_such_package_xyz", "no-such", "testing")])
    report = artlab.doctor()
    assert not report.ok
    [problem] = report.problems
    assert problem.name == "no_such_package_xyz" and "make lab" in problem.hint
    assert "!! no_such_package_xyz" in str(report) and "1 problem(s)" in str(report)


def test_doctor_says_when_fast_mode_is_on(monkeypatch):
    monkeypatch.setenv("ARTLAB_FAST", "1")
    assert "ON (ARTLAB_FAST)" in str(artlab.doctor())


def test_artlab_doctor_command_prints_the_report_and_exits_zero():
    result = subprocess.run([sys.executable, "-m", "artlab", "doctor"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "Verdict: everything the course needs is here." in result.stdout


def test_command_line_errors_are_one_line_without_traceback(monkeypatch):
    result = subprocess.run([sys.executable, "-m", "artlab", "doctor"], capture_output=True, text=True,
                            env={**__import__("os").environ, "ARTLAB_DEVICE": "tpu"})
    assert result.returncode == 1
    assert "!! device" in result.stdout and "Traceback" not in result.stderr
