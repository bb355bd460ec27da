"""Slack's file upload flow through the emulator: files.getUploadURLExternal, the bytes POSTed
to the upload URL, files.completeUploadExternal sharing the file into a thread; and the
answers Slack documents when something is wrong."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.slack import Emulator, RateBudget

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as refused:
        refused.close()
        return refused.code


def thread(emulator: Emulator) -> str:
    head = emulator.web_client().chat_postMessage(channel="#dr-drills", text="drill weekly-dr")
    return str(head["ts"])


def test_files_upload_v2_makes_exactly_the_documented_calls_and_shares_into_the_thread(
    emulator: Emulator,
) -> None:
    head = thread(emulator)
    done = emulator.web_client().files_upload_v2(
        channel="CDRDRILLS",
        thread_ts=head,
        content=PNG,
        filename="drill.png",
        title="Drill timeline",
        alt_txt="the stages of drill weekly-dr in time",
        initial_comment="Timeline of drill weekly-dr",
    )
    [shared] = done["files"]
    assert shared["title"] == "Drill timeline"
    methods = [c.method for c in emulator.calls() if c.method != "chat.postMessage"]
    assert methods == ["files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"]
    [announced] = emulator.calls("files.getUploadURLExternal")
    assert (announced.args["filename"], int(announced.args["length"])) == ("drill.png", len(PNG))
    stored = emulator.file(shared["id"])
    assert stored.content == PNG
    assert stored.completed
    [reply] = emulator.replies("#dr-drills", head)
    assert reply.text == "Timeline of drill weekly-dr"
    assert [f["id"] for f in reply.files] == [shared["id"]]
    assert reply.files[0]["mimetype"] == "image/png"
    assert reply.files[0]["alt_txt"] == "the stages of drill weekly-dr in time"
    assert stored.shares == [("CDRDRILLS", reply.ts)]


def test_the_file_is_served_to_the_bot_token_and_to_the_page(emulator: Emulator) -> None:
    done = emulator.web_client().files_upload_v2(
        channel="CDRDRILLS", content=PNG, filename="drill.png"
    )
    url = done["files"][0]["id"]
    [message] = emulator.messages("#dr-drills")
    private = message.files[0]["url_private"]
    with pytest.raises(urllib.error.HTTPError) as anonymous:
        urllib.request.urlopen(private, timeout=5)
    anonymous.value.close()
    assert anonymous.value.code == 403
    authorised = urllib.request.Request(
        private, headers={"Authorization": f"Bearer {emulator.bot_token}"}
    )
    with urllib.request.urlopen(authorised, timeout=5) as answer:
        assert answer.read() == PNG
    with urllib.request.urlopen(f"{emulator.control_url}file?id={url}", timeout=5) as answer:
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.read() == PNG


def test_an_invalid_token_gets_invalid_auth_and_no_file(emulator: Emulator) -> None:
    stranger = WebClient(token="xoxb-revoked", base_url=emulator.api_url)
    with pytest.raises(SlackApiError) as refused:
        stranger.files_getUploadURLExternal(filename="drill.png", length=len(PNG))
    assert refused.value.response["error"] == "invalid_auth"
    assert emulator.files() == []


def test_a_file_over_the_workspaces_limit_is_refused_before_any_byte_is_sent() -> None:
    with Emulator(max_file_bytes=1024) as emulator:
        with pytest.raises(SlackApiError) as refused:
            emulator.web_client().files_getUploadURLExternal(filename="big.png", length=1025)
        assert refused.value.response["error"] == "file_upload_size_restricted"
        assert emulator.files() == []


def test_the_upload_url_takes_exactly_the_announced_length(emulator: Emulator) -> None:
    client = emulator.web_client()
    ticket = client.files_getUploadURLExternal(filename="drill.png", length=len(PNG))
    url, file_id = str(ticket["upload_url"]), str(ticket["file_id"])
    assert post(url, PNG + b"more") == 413, "more bytes than announced"
    assert post(url, PNG[:10]) == 400, "fewer bytes than announced"
    assert post(url.rsplit("/", 1)[0] + "/no-such-ticket", PNG) == 404
    with pytest.raises(SlackApiError) as incomplete:
        client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="CDRDRILLS")
    assert incomplete.value.response["error"] == "file_not_found"
    boundary = "sandbox-boundary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="drill.png"'
            "\r\nContent-Type: image/png\r\n\r\n"
        ).encode()
        + PNG
        + f"\r\n--{boundary}--\r\n".encode()
    )
    assert post(url, form, {"Content-Type": f"multipart/form-data; boundary={boundary}"}) == 200
    assert emulator.file(file_id).content == PNG


def test_complete_upload_refuses_what_slack_refuses(emulator: Emulator) -> None:
    client = emulator.web_client()
    with pytest.raises(SlackApiError) as unknown:
        client.files_completeUploadExternal(files=[{"id": "F0NOSUCH", "title": "x"}])
    assert unknown.value.response["error"] == "file_not_found"
    ticket = client.files_getUploadURLExternal(filename="drill.png", length=len(PNG))
    assert post(str(ticket["upload_url"]), PNG) == 200
    with pytest.raises(SlackApiError) as nowhere:
        client.files_completeUploadExternal(
            files=[{"id": str(ticket["file_id"])}], channel_id="CNOSUCH"
        )
    assert nowhere.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as empty:
        client.files_getUploadURLExternal(filename="drill.png", length=0)
    assert empty.value.response["error"] == "missing_argument"
    private = client.files_completeUploadExternal(files=[{"id": str(ticket["file_id"])}])
    assert private["files"][0]["id"] == ticket["file_id"]
    assert emulator.messages("#dr-drills") == [], "no channel_id: the file stays private"


def test_the_upload_methods_answer_429_when_a_budget_is_set(emulator: Emulator) -> None:
    emulator.set_rate_budget("files.getUploadURLExternal", RateBudget(0.01, 1))
    client = emulator.web_client()
    client.files_getUploadURLExternal(filename="a.png", length=10)
    with pytest.raises(SlackApiError) as limited:
        client.files_getUploadURLExternal(filename="b.png", length=10)
    assert limited.value.response.status_code == 429
    assert int(limited.value.response.headers["Retry-After"]) >= 1


def test_the_test_api_lists_files_without_their_bytes(emulator: Emulator) -> None:
    emulator.web_client().files_upload_v2(channel="CDRDRILLS", content=PNG, filename="d.png")
    with urllib.request.urlopen(f"{emulator.control_url}files", timeout=5) as answer:
        [listed] = json.loads(answer.read())
    assert (listed["filename"], listed["length"], listed["uploaded"]) == ("d.png", len(PNG), True)
    assert "content" not in listed
