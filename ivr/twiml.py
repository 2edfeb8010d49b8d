"""TwiML for the caller's side: prompts in the call's languages, gathers, queues, bridging."""

from __future__ import annotations

from collections.abc import Iterable

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.flow import Prompt

VOICES = {"zh-CN": "Polly.Zhiyu", "en": "Polly.Joanna", "en-US": "Polly.Joanna", "en-GB": "Polly.Amy"}
# Twilio's speech recognition wants a full language tag.
SPEECH_LANGUAGES = {"zh-CN": "zh-CN", "en": "en-US"}


class _Values(dict[str, str]):
    """Placeholders the prompt has no value for stay as they are rather than failing the call."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def say(response: VoiceResponse | Gather, languages: Iterable[str], prompt: Prompt, **values: str) -> None:
    """Speak a prompt in each of the languages, in order, filling in {name} and {company}."""
    for language in languages:
        text = prompt.get(language)
        if text:
            response.say(text.format_map(_Values(values)), language=language, voice=VOICES.get(language))


def hang_up() -> str:
    """End the call without a word."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def enqueue(response: VoiceResponse, queue: str, *, action_url: str, wait_url: str) -> None:
    """Park the caller in Twilio's queue; our routing decides who gets them."""
    response.enqueue(queue, action=action_url, method="POST", wait_url=wait_url, wait_url_method="POST")


def bridge_to_agent(
    response: VoiceResponse, *, client_identity: str, action_url: str, recording_callback_url: str
) -> str:
    """Connect the call to the agent's browser phone, recording both sides from answer."""
    dial = Dial(
        action=action_url,
        method="POST",
        timeout=20,
        record="record-from-answer-dual",
        recording_status_callback=recording_callback_url,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    dial.client(client_identity)
    response.append(dial)
    return str(response)
