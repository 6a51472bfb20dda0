"""One backend registry for pose, action and speech: a backend registered by name is valid wherever the
options name a backend, and the stages load it from there. The registered backends are real ones (a
MoveNet file chosen by the factory, the MoViNet stream with another crop, the CTranslate2 recogniser),
checked against the same model loaded directly, and the Kinetics clip against its human label.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from edge_sdk import ActionOptions, AsrOptions, ConfigError, PoseOptions
from edge_sdk.backends import BACKENDS, BackendRegistry
from edge_sdk.config import ModelAsset
from edge_sdk.stages import ActionStage, FrameInput, PoseStage

SAMPLES = Path(__file__).resolve().parent.parent / "edge_sdk" / "samples"


@pytest.fixture()
def registered():
    """Registers (kind, name, factory) tuples for one test and removes them after it."""
    added: list[tuple[str, str]] = []

    def add(kind: str, name: str, factory) -> None:
        BACKENDS.register(kind, name, factory)
        added.append((kind, name))

    yield add
    for kind, name in added:
        BACKENDS.unregister(kind, name)


def test_a_registered_pose_backend_is_chosen_by_name(registered, messi: np.ndarray):
    from edge_sdk.pose.movenet import MoveNetBackend

    def thunder(options: PoseOptions, track: bool = False) -> MoveNetBackend:  # whatever the options' model
        return MoveNetBackend(replace(options, asset=ModelAsset("movenet-thunder-int8")), track=track)

    with pytest.raises(ConfigError, match="PoseOptions.backend must be one of"):
        PoseOptions(backend="thunder-always")
    registered("pose", "thunder-always", thunder)
    stage = PoseStage(PoseOptions(backend="thunder-always"), "image")
    try:
        got = stage.process(FrameInput(messi, 0.0, 0)).result
        assert stage.describe().backend["model"] == "movenet-thunder-int8"
        assert stage.describe().selection == {"requested": "thunder-always", "chosen": "thunder-always",
                                              "fallback_reason": None}
    finally:
        stage.close()
    with MoveNetBackend(PoseOptions(asset=ModelAsset("movenet-thunder-int8"))) as direct:
        want = direct.estimate(messi).poses
    assert len(got) == len(want) == 1
    np.testing.assert_array_equal(got[0].keypoints, want[0].keypoints)


def test_a_registered_action_backend_is_chosen_by_name(registered):
    from edge_sdk.action.movinet_stream import MovinetActionBackend
    from edge_sdk.video.sources import VideoFileSource

    registered("action", "movinet-2threads", lambda o: MovinetActionBackend(replace(o, asset=replace(o.asset, num_threads=2))))
    stage = ActionStage(ActionOptions(backend="movinet-2threads"))
    try:
        assert stage.describe().backend["num_threads"] == 2
        top = ()
        with VideoFileSource(SAMPLES / "arm_wrestling.mp4") as src:
            for i, t, f in src:
                top = stage.process(FrameInput(f, t, i)).result or top
    finally:
        stage.close()
    assert top[0].label == "arm wrestling" and top[0].score >= 0.9  # the clip's human label


def test_speech_backend_by_name(registered, media: Path):
    if not os.environ.get("EDGE_SDK_REQUIRE_ASR"):
        pytest.importorskip("ctranslate2", reason="needs the [asr] extra")
    from edge_sdk.audio.backends import open_recognizer
    from edge_sdk.audio.signal import read_wav, to_mono_16k
    from edge_sdk.stages.speech import SpeechStage

    one_thread = []

    def ct2_one_thread(options: AsrOptions):
        one_thread.append(options)
        return open_recognizer(replace(options, backend="ctranslate2", asset=replace(options.asset, num_threads=1)))

    registered("speech", "ct2-1thread", ct2_one_thread)
    x = to_mono_16k(*read_wav(media / "jfk.wav"))
    stage = SpeechStage(AsrOptions(backend="ct2-1thread"))
    try:
        said = " ".join(s.text for s in stage.process(x, 0.0).result + stage.flush().result).lower()
        assert stage.describe().backend["num_threads"] == 1
    finally:
        stage.close()
    assert len(one_thread) == 1 and "ask not what your country can do for you" in said.replace(",", "")


def test_registry_refuses_what_it_cannot_hold():
    reg = BackendRegistry()
    reg.register("pose", "mine", dict)
    with pytest.raises(ConfigError, match="already registered"):
        reg.register("pose", "mine", list)
    reg.register("pose", "mine", list, replace=True)
    for kind, name, factory, match in [("face", "x", dict, "unknown backend kind"),
                                       ("pose", "auto", dict, "other than 'auto'"),
                                       ("pose", "", dict, "non-empty"),
                                       ("pose", "y", 3, "must be callable")]:
        with pytest.raises(ConfigError, match=match):
            reg.register(kind, name, factory)
    with pytest.raises(ConfigError, match=r"unknown action backend 'nope': one of \[\]"):
        reg.create("action", "nope", None)
    assert reg.create("pose", "mine", (1, 2)) == [1, 2] and reg.to_dict() == {"pose": ["mine"], "action": [],
                                                                             "speech": []}
    for bad in (lambda: ActionOptions(backend="nope"), lambda: AsrOptions(backend="nope")):
        with pytest.raises(ConfigError, match="backend must be one of"):
            bad()
