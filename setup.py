"""edge_sdk: on-device pose, stream action recognition and speech-to-text.

Metadata lives here (not only in pyproject.toml) so that old pip on Jetson/Raspberry Pi images
can still ``pip install .``. The distribution is ``edge-scene-sdk``; the import name is ``edge_sdk``.
The shipped models in tflite_models/ install as package data.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

# One place for the version and the distribution name (``edge-sdk`` on PyPI is someone else's project).
_VERSION_PY = (Path(__file__).resolve().parent / "edge_sdk" / "_version.py").read_text(encoding="utf-8")
_META = dict(re.findall(r'^(__version__|DISTRIBUTION) = "([^"]+)"', _VERSION_PY, re.M))

setup(
    name=_META["DISTRIBUTION"],
    version=_META["__version__"],
    description="On-device pose, stream action recognition and speech-to-text for Raspberry Pi, Jetson and CPUs",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    license_files=["LICENSE"],
    python_requires=">=3.9",
    packages=find_packages(include=["edge_sdk", "edge_sdk.*"]) + ["edge_sdk.tflite_models"],
    package_dir={"edge_sdk.tflite_models": "tflite_models"},
    package_data={"edge_sdk": ["py.typed", "schemas/*.json", "sinks/*.html", "samples/*.mp4", "samples/README.md"],
                  "edge_sdk.tflite_models": ["*.json", "*.tflite", "*.onnx", "*.txt", "reports/*.json", "reports/*.md"]},
    install_requires=[
        "numpy>=1.21",
        # 5.x is a new major release, not tested yet.
        "opencv-python-headless>=4.5,<5",
        # 2.1.0 is the last release for Python 3.9; 2.3.0 covers 3.10-3.13 (x86_64 and aarch64).
        "ai-edge-litert>=1.2",
        # progress bars (models pull, analyze, bench)
        "tqdm>=4.60",
        # H.264 MP4 output (FFmpeg inside the wheel; aarch64 wheels for 3.9-3.13); elsewhere mp4v with a warning
        "av>=12; platform_machine == 'x86_64' or platform_machine == 'aarch64'",
        # Resampling 44.1/48/8 kHz audio to 16 kHz (aarch64 wheels for 3.9-3.13).
        "soxr>=0.3",
        # edge-sdk live --config FILE.toml (tomllib is in the standard library from 3.11)
        "tomli>=1.1; python_version < '3.11'",
    ],
    extras_require={
        # The legacy tflite-runtime (<= 3.11, numpy < 2) as an alternative runtime.
        "tflite": ["tflite-runtime==2.14.0; python_version < '3.12'", "numpy<2"],
        # Pose fallback backend: 0.10.14 ships the BlazePose models in the wheel (aarch64 for 3.9-3.12).
        # It pulls opencv-contrib-python, which installs the same cv2 package as opencv-python-headless:
        # pinned to the same 4.x range so either copy of cv2 works (contrib is a superset; it needs the
        # system libgl1 + libglib2.0-0). mediapipe needs protobuf < 5: not installable next to [convert].
        "mediapipe": ["mediapipe==0.10.14; python_version < '3.13'", "opencv-contrib-python>=4.5,<5; python_version < '3.13'"],
        # Speech: CTranslate2 (the default recogniser; aarch64 wheels for 3.9-3.13, manylinux_2_27), the
        # whisper.cpp bindings (aarch64 wheels for 3.9-3.12), PortAudio capture and the Silero VAD's
        # runtime (onnxruntime: aarch64 wheels; 1.19.2 is the last for 3.9).
        "asr": ["ctranslate2>=4.4,<5", "pywhispercpp==1.5.1", "sounddevice>=0.4", "onnxruntime>=1.16"],
        # Converter pinned: model sha256 in the manifest depend on the converter version.
        "convert": ["tensorflow-cpu==2.20.0"],
        # Live outputs: events to an MQTT broker (paho 2.x callback API), Prometheus /metrics.
        "mqtt": ["paho-mqtt>=2,<3"],
        "metrics": ["prometheus-client>=0.17"],
        # edge-sdk bench --plot
        "bench": ["matplotlib>=3.5"],
        # faster-whisper: the reference the log-mel test compares with, and the speech benchmark's peer.
        "dev": ["pytest>=7", "ruff>=0.5", "matplotlib>=3.5", "mypy>=1.10", "jsonschema>=4.18", "paho-mqtt>=2,<3",
                "prometheus-client>=0.17", "faster-whisper>=1.1"],
    },
    entry_points={"console_scripts": ["edge-sdk=edge_sdk.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Topic :: Scientific/Engineering :: Image Recognition",
    ],
)
