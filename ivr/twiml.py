"""TwiML for the caller's side: prompts in every language of the flow, menus, queues, bridging."""

from __future__ import annotations

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.flow import Flow, Prompt

VOICES = {"zh-CN": "Polly.Zhiyu", "en": "Polly.Joanna", "en-US": "Polly.Joanna", "en-GB": "Polly.Amy"}


def say(response: VoiceResponse | Gather, flow: Flow, prompt: Prompt) -> None:
    """Speak a prompt in each of the flow's languages, in order."""
    for language in flow.languages:
        text = prompt.get(language)
        if text:
            response.say(text, language=language, voice=VOICES.get(language))


def position_prompt(position: int | None, wait_seconds: float | None = None) -> Prompt:
    """What a waiting caller hears about their place and, when known, the expected wait."""
    if position is None:
        return {"zh-CN": "正在为您转接,请稍候。", "en": "Connecting you now, please hold."}
    if position == 1:
        place = {"zh-CN": "您是下一位", "en": "You are next in line"}
    else:
        ahead = position - 1
        english = "There is 1 caller ahead of you" if ahead == 1 else f"There are {ahead} callers ahead of you"
        place = {"zh-CN": f"您前面还有{ahead}位客户", "en": english}
    if wait_seconds is None or wait_seconds < 60:
        return {"zh-CN": place["zh-CN"] + ",请稍候。", "en": place["en"] + ". Please hold."}
    minutes = round(wait_seconds / 60)
    return {
        "zh-CN": place["zh-CN"] + f",预计等待约{minutes}分钟,请稍候。",
        "en": place["en"] + f". The expected wait is about {minutes} minute{'s' if minutes != 1 else ''}. Please hold.",
    }


SORRY: Prompt = {
    "zh-CN": "对不起,系统繁忙,请稍后再拨。",
    "en": "Sorry, we cannot take your call right now. Please call again later.",
}
QUEUE_FULL: Prompt = {
    "zh-CN": "对不起,所有坐席正忙,排队人数已满,请稍后再拨。",
    "en": "Sorry, all our agents are busy and the queue is full. Please call again later.",
}
WAITED_TOO_LONG: Prompt = {
    "zh-CN": "对不起,让您久等了,目前所有坐席仍然忙碌,请稍后再拨。",
    "en": "Sorry to have kept you waiting; all our agents are still busy. Please call again later.",
}
THANKS: Prompt = {"zh-CN": "感谢您的来电,再见。", "en": "Thank you for calling. Goodbye."}
CONNECTING: Prompt = {"zh-CN": "正在为您接通客服代表。", "en": "Connecting you to an agent."}


def hang_up() -> str:
    """End the call without a word."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def goodbye(flow: Flow, prompt: Prompt) -> str:
    """Say something and hang up."""
    response = VoiceResponse()
    say(response, flow, prompt)
    response.hangup()
    return str(response)


def bridge_to_agent(flow: Flow, *, client_identity: str, action_url: str, recording_callback_url: str) -> str:
    """Connect the caller to the agent's phone, recording both sides from answer."""
    response = VoiceResponse()
    say(response, flow, CONNECTING)
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
