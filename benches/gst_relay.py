"""A WHIP-in, WHEP-out relay made of GStreamer pipelines — webrtcbin, avdec_h264, x264enc — the peer of
`webrtc_bench.py`'s streamlib hop: the same work (receive, decode, encode, send) done by GStreamer. With
`--pass-on` it sends the H.264 on as it came (depayload, parse, payload), the work of a runtime passing a
WHIP source's stream on to a WHEP viewer. With `--effect` each decoded frame is drawn through a fragment
shader that copies its input, on GStreamer's GL elements (glupload, glshader, gldownload) over EGL's device
platform — on a machine without a GPU, Mesa's software rasteriser, as streamlib's effects run on lavapipe
there: the work of a runtime applying an effect between a WHIP source and a WHEP viewer.

Run with the system Python, which has GStreamer's introspection bindings (Debian: python3-gi,
gir1.2-gst-plugins-bad-1.0, gstreamer1.0-{nice,plugins-bad,plugins-ugly,libav,gl}):

    /usr/bin/python3 benches/gst_relay.py PORT [--pass-on | --effect]

`POST /whip` with an SDP offer publishes into it (one publisher); `POST /whep` with an offer plays what it
receives; `DELETE` the `Location` ends a session. Exits 3 when GStreamer or one of its elements is missing.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstSdp", "1.0")
    gi.require_version("GstWebRTC", "1.0")
    from gi.repository import GLib, Gst, GstSdp, GstWebRTC
except (ImportError, ValueError) as missing:
    print(f"gst_relay: GStreamer's Python bindings are missing: {missing}", file=sys.stderr)
    sys.exit(3)

MODE = next((arg for arg in sys.argv[2:] if arg in ("--pass-on", "--effect")), "--relay")
# GL without a display: EGL's device platform (Mesa's software rasteriser where there is no GPU).
os.environ.setdefault("GST_GL_WINDOW", "egl-device")
os.environ.setdefault("GST_GL_PLATFORM", "egl")
Gst.init(None)
GL_ELEMENTS = ("glupload", "glshader", "gldownload") if MODE == "--effect" else ()
for element in ("webrtcbin", "x264enc", "avdec_h264", "rtph264pay", "rtph264depay", "nicesrc", *GL_ELEMENTS):
    if Gst.ElementFactory.find(element) is None:
        print(f"gst_relay: GStreamer element '{element}' is missing", file=sys.stderr)
        sys.exit(3)

DECODE = (
    "rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! video/x-raw,format=I420 ! "
    "appsink name=frames emit-signals=true sync=false max-buffers=1 drop=true"
)
PASS_ON_IN = (
    "rtph264depay ! h264parse config-interval=-1 ! video/x-h264,stream-format=byte-stream,alignment=au ! "
    "appsink name=frames emit-signals=true sync=false"
)
PASS_ON_OUT = (
    "appsrc name=src is-live=true format=time do-timestamp=true ! h264parse ! "
    "rtph264pay config-interval=-1 aggregate-mode=zero-latency ! "
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload={pt} ! "
    "webrtcbin name=peer bundle-policy=max-bundle"
)
ENCODE_THROUGH = (
    "appsrc name=src is-live=true format=time do-timestamp=true ! videoconvert ! {effect}"
    "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=60 bitrate=4000 ! "
    "video/x-h264,profile=constrained-baseline ! rtph264pay config-interval=-1 aggregate-mode=zero-latency ! "
    "application/x-rtp,media=video,encoding-name=H264,clock-rate=90000,payload={pt} ! "
    "webrtcbin name=peer bundle-policy=max-bundle"
)
ENCODE = ENCODE_THROUGH.replace("{effect}", "")
# RGBA converted on the CPU: glcolorconvert's I420 on the software rasteriser took 36 ms a 720p frame here,
# against 11 ms for this whole chain.
ENCODE_EFFECT = ENCODE_THROUGH.replace(
    "{effect}",
    "video/x-raw,format=RGBA ! glupload ! glshader name=effect ! gldownload ! videoconvert ! ",
)
# The benchmark's copy effect, in GLSL ES as glshader takes it.
COPY = """#version 100
#ifdef GL_ES
precision mediump float;
#endif
varying vec2 v_texcoord;
uniform sampler2D tex;
void main () { gl_FragColor = texture2D(tex, v_texcoord); }
"""


def _wait(promise: Gst.Promise) -> Any:
    promise.wait()
    return promise.get_reply()


def _answer(webrtc: Gst.Element, offer: str) -> str:
    """Sets `offer`, answers it, and returns the answer once every candidate is gathered into it."""
    _, sdp = GstSdp.SDPMessage.new_from_text(offer)
    remote = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)
    _wait_emit(webrtc, "set-remote-description", remote)
    reply = _wait_emit(webrtc, "create-answer", None)
    answer = reply.get_value("answer")
    _wait_emit(webrtc, "set-local-description", answer)
    deadline = time.monotonic() + 10
    while webrtc.get_property("ice-gathering-state") != GstWebRTC.WebRTCICEGatheringState.COMPLETE:
        if time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return str(webrtc.get_property("local-description").sdp.as_text())


def _wait_emit(webrtc: Gst.Element, signal: str, value: Any) -> Any:
    promise = Gst.Promise.new()
    webrtc.emit(signal, value, promise)
    return _wait(promise)


def _h264_payload(offer: str) -> int:
    """The offer's H.264 payload type with packetization mode 1 (what the encoder must send)."""
    for pt in re.findall(r"a=rtpmap:(\d+) H264/90000", offer):
        if re.search(rf"a=fmtp:{pt} .*packetization-mode=1", offer):
            return int(pt)
    raise ValueError("the offer has no H.264 with packetization-mode=1")


class Relay:
    def __init__(self, mode: str) -> None:
        self.incoming, self.outgoing = {
            "--pass-on": (PASS_ON_IN, PASS_ON_OUT),
            "--effect": (DECODE, ENCODE_EFFECT),
        }.get(mode, (DECODE, ENCODE))
        self.lock = threading.Lock()
        self.outputs: dict[str, Gst.Element] = {}  # session → its appsrc
        self.pipelines: dict[str, Gst.Pipeline] = {}
        self.count = 0

    def _session(self) -> str:
        with self.lock:
            self.count += 1
            return str(self.count)

    def _on_frame(self, sink: Gst.Element) -> Gst.FlowReturn:
        sample = sink.emit("pull-sample")
        with self.lock:
            outputs = list(self.outputs.values())
        for source in outputs:
            if source.get_property("caps") is None:
                source.set_property("caps", sample.get_caps())
            buffer = sample.get_buffer().copy()
            buffer.pts = buffer.dts = Gst.CLOCK_TIME_NONE  # the output's own clock stamps it
            source.emit("push-buffer", buffer)
        return Gst.FlowReturn.OK

    def _on_incoming(self, pipeline: Gst.Pipeline, pad: Gst.Pad) -> None:
        if pad.direction != Gst.PadDirection.SRC:
            return
        decode = Gst.parse_bin_from_description(self.incoming, True)
        decode.get_by_name("frames").connect("new-sample", self._on_frame)
        pipeline.add(decode)
        decode.sync_state_with_parent()
        pad.link(decode.get_static_pad("sink"))

    def publish(self, offer: str) -> tuple[str, str]:
        pipeline = Gst.Pipeline.new("whip")
        webrtc = Gst.ElementFactory.make("webrtcbin", "peer")
        webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        webrtc.set_property("latency", 0)
        webrtc.connect("pad-added", lambda _, pad: self._on_incoming(pipeline, pad))
        pipeline.add(webrtc)
        pipeline.set_state(Gst.State.PLAYING)
        session = "whip/" + self._session()
        self.pipelines[session] = pipeline
        return session, _answer(webrtc, offer)

    def play(self, offer: str) -> tuple[str, str]:
        pipeline = Gst.parse_launch(self.outgoing.format(pt=_h264_payload(offer)))
        effect = pipeline.get_by_name("effect")
        if effect is not None:
            effect.set_property("fragment", COPY)
        pipeline.set_state(Gst.State.PLAYING)
        session = "whep/" + self._session()
        answer = _answer(pipeline.get_by_name("peer"), offer)
        with self.lock:
            self.outputs[session] = pipeline.get_by_name("src")
        self.pipelines[session] = pipeline
        return session, answer

    def end(self, session: str) -> bool:
        with self.lock:
            self.outputs.pop(session, None)
        pipeline = self.pipelines.pop(session, None)
        if pipeline is None:
            return False
        pipeline.set_state(Gst.State.NULL)
        return True


def main() -> None:
    port = int(sys.argv[1])
    relay = Relay(MODE)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            offer = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            try:
                if self.path == "/whip":
                    session, answer = relay.publish(offer)
                elif self.path == "/whep":
                    session, answer = relay.play(offer)
                else:
                    self.send_error(404)
                    return
            except (ValueError, GLib.Error) as err:
                self.send_error(400, str(err))
                return
            body = answer.encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/sdp")
            self.send_header("Location", f"/{session}")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_DELETE(self) -> None:  # noqa: N802
            self.send_response(200 if relay.end(self.path.strip("/")) else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:  # noqa: N802 - readiness
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    threading.Thread(target=GLib.MainLoop().run, daemon=True).start()
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
