#!/usr/bin/env python3
"""Points the official Anthropic Python SDK at claudetui's embedded server
and checks that it works: plain create, streaming, count_tokens, the models
list, tool use, Message Batches, Files, and the SDK's own retries on 429
and 529.

Not part of `cargo test` (the project must build and test with cargo
alone); run it by hand after changing the embedded server:

    pip install anthropic
    cargo build && python3 scripts/sdk_check.py [--bin target/debug/claudetui] [--through-tap]

With --through-tap every check goes through `claudetui tap` in front of the
server, which must change nothing the SDK can see.
"""

import argparse
import io
import re
import subprocess
import sys
import threading

import anthropic

MODEL = "claude-sonnet-4-6"
failures = []
THROUGH_TAP = False


def check(name, fn):
    try:
        detail = fn()
        print(f"ok    {name}: {detail}")
    except Exception as error:  # noqa: BLE001 - report every failure
        failures.append(name)
        print(f"FAIL  {name}: {type(error).__name__}: {error}")


class Mock:
    """`claudetui mock` on a free loopback port, for one scenario."""

    def __init__(self, binary, scenario):
        self.proc = subprocess.Popen(
            [binary, "mock", "--port", "0", "--speed", "0", "--scenario", scenario],
            stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if not match:
            self.proc.kill()
            raise SystemExit(f"the mock did not start: {line!r}")
        self.url = match.group(1)
        self.tap = None
        if THROUGH_TAP:
            self.tap = subprocess.Popen(
                [binary, "tap", "--port", "0", "--upstream", self.url, "--no-history"],
                stderr=subprocess.PIPE, text=True)
            line = self.tap.stderr.readline()
            match = re.search(r"listening on (http://\S+)", line)
            if not match:
                self.tap.kill()
                raise SystemExit(f"the tap did not start: {line!r}")
            self.url = match.group(1)
            # The tap prints a line per exchange: keep its pipe drained.
            threading.Thread(target=self.tap.stderr.read, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for proc in (self.tap, self.proc):
            if proc:
                proc.terminate()
                proc.wait(timeout=10)


def client(url, **kwargs):
    return anthropic.Anthropic(base_url=url, api_key="sk-ant-sdk-check-0000", **kwargs)


def healthy(url):
    c = client(url)
    check("messages.create", lambda: c.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "Hello"}]).content[0].text[:40])

    def stream():
        with c.messages.stream(model=MODEL, max_tokens=64,
                               messages=[{"role": "user", "content": "Stream please"}]) as s:
            text = "".join(s.text_stream)
            final = s.get_final_message()
        assert text == final.content[0].text, "streamed text differs from the final message"
        return f"{len(text)} chars, stop_reason={final.stop_reason}"
    check("messages.stream", stream)

    def raw_stream():
        events = [e.type for e in c.messages.create(
            model=MODEL, max_tokens=32, stream=True, messages=[{"role": "user", "content": "hi"}])]
        assert events[0] == "message_start" and events[-1] == "message_stop", events
        return f"{len(events)} events"
    check("messages.create(stream=True)", raw_stream)

    check("messages.count_tokens", lambda: c.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "count these tokens"}]).input_tokens)

    def models():
        ids = [m.id for m in c.models.list(limit=3)]  # auto-paginates through every page
        assert MODEL in ids, ids
        one = c.models.retrieve(MODEL)
        return f"{len(ids)} models, {one.display_name}"
    check("models.list + retrieve", models)

    weather = [{"name": "get_weather", "description": "Weather for a city",
                "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                 "required": ["city"]}}]

    def tools():
        # The embedded server calls a tool only when the prompt names it.
        msg = c.messages.create(
            model=MODEL, max_tokens=200, tools=weather,
            messages=[{"role": "user", "content": "Use the get_weather tool: weather in Paris?"}])
        use = next(b for b in msg.content if b.type == "tool_use")
        assert msg.stop_reason == "tool_use"
        assert use.input.get("city") == "Paris", use.input
        unasked = c.messages.create(
            model=MODEL, max_tokens=200, tools=weather,
            messages=[{"role": "user", "content": "Weather in Paris?"}])
        assert all(b.type == "text" for b in unasked.content), unasked.content
        return f"tool_use {use.name}({use.input}); none when not asked"
    check("tool use", tools)

    def bad_request():
        try:
            c.messages.create(model=MODEL, messages=[{"role": "user", "content": "x"}], max_tokens=10,
                              extra_body={"frequency_penalty": 1})
        except anthropic.BadRequestError as e:
            assert "frequency_penalty: Extra inputs are not permitted" in str(e), str(e)
            return "BadRequestError with the API's wording"
        raise AssertionError("no error")
    check("400 invalid_request_error", bad_request)


def batches(url):
    c = client(url)

    def request(custom_id, **params):
        body = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": custom_id}]}
        return {"custom_id": custom_id, "params": {**body, **params}}

    def round_trip():
        batch = c.messages.batches.create(requests=[request("ok"), request("bad", top_k=-1)])
        assert batch.processing_status == "in_progress", batch
        try:
            c.messages.batches.delete(batch.id)
            raise AssertionError("an in-progress batch was deleted")
        except anthropic.BadRequestError:
            pass
        while batch.processing_status != "ended":  # the SDK docs' poll loop
            batch = c.messages.batches.retrieve(batch.id)
        counts = batch.request_counts
        assert (counts.succeeded, counts.errored) == (1, 1), counts
        assert batch.id in [b.id for b in c.messages.batches.list(limit=1)]
        results = {r.custom_id: r.result for r in c.messages.batches.results(batch.id)}
        assert results["ok"].type == "succeeded" and results["ok"].message.content[0].text, results
        assert results["bad"].type == "errored", results
        assert c.messages.batches.delete(batch.id).type == "message_batch_deleted"
        return f"{batch.id}: {results['bad'].error.error.message[:50]}"
    check("messages.batches create/retrieve/list/results/delete", round_trip)

    def cancel():
        batch = c.messages.batches.create(requests=[request("one"), request("two")])
        assert c.messages.batches.cancel(batch.id).processing_status == "canceling"
        batch = c.messages.batches.retrieve(batch.id)
        kinds = {r.result.type for r in c.messages.batches.results(batch.id)}
        assert batch.request_counts.canceled == 2 and kinds == {"canceled"}, (batch, kinds)
        return f"{batch.processing_status}, {batch.request_counts.canceled} canceled"
    check("messages.batches.cancel", cancel)


def files(url):
    c = client(url)

    def round_trip():
        data = b"hello from the files check\n"
        uploaded = c.beta.files.upload(file=("notes.txt", io.BytesIO(data), "text/plain"))
        assert (uploaded.filename, uploaded.size_bytes) == ("notes.txt", len(data)), uploaded
        more = [c.beta.files.upload(file=(f"n{i}.md", io.BytesIO(b"x"))).id for i in range(2)]
        listed = [f.id for f in c.beta.files.list(limit=1)]  # follows next_page
        assert set(more + [uploaded.id]) <= set(listed), listed
        assert c.beta.files.retrieve_metadata(uploaded.id).mime_type == "text/plain"
        assert c.beta.files.download(uploaded.id).read() == data
        for file_id in more + [uploaded.id]:
            assert c.beta.files.delete(file_id).type == "file_deleted"
        try:
            c.beta.files.retrieve_metadata(uploaded.id)
            raise AssertionError("a deleted file was found")
        except anthropic.NotFoundError:
            pass
        return f"{uploaded.id}, {len(listed)} listed"
    check("beta.files upload/list/retrieve_metadata/download/delete", round_trip)


def retries(binary):
    with Mock(binary, "flaky") as mock:
        check("SDK retries 429/529 (flaky)", lambda: client(mock.url, max_retries=3).messages.create(
            model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "retry me"}]).id)

    def no_retry_429():
        with Mock(binary, "rate-limited") as mock:
            try:
                client(mock.url, max_retries=0).messages.create(
                    model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "x"}])
            except anthropic.RateLimitError as e:
                return f"RateLimitError, retry-after={e.response.headers.get('retry-after')}"
        raise AssertionError("no error")
    check("429 surfaces as RateLimitError", no_retry_429)

    def overloaded():
        with Mock(binary, "overloaded") as mock:
            try:
                client(mock.url, max_retries=0).messages.create(
                    model=MODEL, max_tokens=16, messages=[{"role": "user", "content": "x"}])
            except anthropic.APIStatusError as e:
                assert e.status_code == 529, e.status_code
                return f"{type(e).__name__} 529"
        raise AssertionError("no error")
    check("529 surfaces as an APIStatusError", overloaded)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="target/debug/claudetui")
    parser.add_argument("--through-tap", action="store_true")
    args = parser.parse_args()
    global THROUGH_TAP
    THROUGH_TAP = args.through_tap
    print(f"anthropic SDK {anthropic.__version__}" + (", through claudetui tap" if THROUGH_TAP else ""))
    with Mock(args.bin, "default") as mock:
        healthy(mock.url)
        batches(mock.url)
        files(mock.url)
    retries(args.bin)
    print("all checks passed" if not failures else f"{len(failures)} failed: {', '.join(failures)}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
