"""What the hotline itself says outside the flow file: waiting, callbacks, voicemail, goodbyes."""

from __future__ import annotations

from datetime import datetime

from contactcenter.tickets.lifecycle import category_label
from ivr.flow import Prompt

SORRY: Prompt = {
    "zh-CN": "对不起,系统繁忙,请稍后再拨。",
    "en": "Sorry, we cannot take your call right now. Please call again later.",
}
QUEUE_FULL: Prompt = {
    "zh-CN": "对不起,所有坐席正忙,排队人数已满,请稍后再拨。",
    "en": "Sorry, all our agents are busy and the queue is full. Please call again later.",
}
WAITED_TOO_LONG_VOICEMAIL: Prompt = {
    "zh-CN": "对不起,让您久等了,目前所有坐席仍然忙碌。请在提示音后留言,我们会尽快与您联系,按井号键结束。",
    "en": "Sorry to have kept you waiting; all our agents are still busy. Please leave a message after the tone "
    "and we will get back to you; press the hash key when you are done.",
}
THANKS: Prompt = {"zh-CN": "感谢您的来电,再见。", "en": "Thank you for calling. Goodbye."}
SURVEY: Prompt = {
    "zh-CN": "请为本次服务评分:非常满意请按5,满意请按4,一般请按3,不满意请按2,非常不满意请按1。",
    "en": "Please rate this call: press 5 if very satisfied, 4 satisfied, 3 neutral, 2 unsatisfied, "
    "1 very unsatisfied.",
}
SURVEY_THANKS: Prompt = {"zh-CN": "感谢您的评价,再见。", "en": "Thank you for your rating. Goodbye."}
CONNECTING: Prompt = {"zh-CN": "正在为您接通客服代表。", "en": "Connecting you to an agent."}
CONNECTING_OUTSIDE: Prompt = {"zh-CN": "正在为您转接,请稍候。", "en": "Transferring your call, please wait."}
ON_HOLD: Prompt = {"zh-CN": "请稍候,客服代表马上回来。", "en": "Please hold; your agent will be right back."}
INVALID: Prompt = {"zh-CN": "对不起,您的输入无效。", "en": "Sorry, that is not a valid choice."}
WAIT_KEYS: Prompt = {
    "zh-CN": "如需保留排队位置并由我们回电,请按1;如需留言,请按2。",
    "en": "To keep your place and have us call you back, press 1. To leave a message, press 2.",
}
WAIT_VOICEMAIL_KEY: Prompt = {"zh-CN": "如需留言,请按2。", "en": "To leave a message, press 2."}
CALLBACK_ENTER: Prompt = {
    "zh-CN": "请输入您的电话号码,以井号键结束。",
    "en": "Please key in your phone number, then press the hash key.",
}
CALLBACK_REGISTERED: Prompt = {
    "zh-CN": "好的,我们会尽快给您回电,您的排队位置已为您保留。感谢您的来电,再见。",
    "en": "Thank you. We will call you back as soon as it is your turn; your place is kept. Goodbye.",
}
CALLBACK_QUEUED: Prompt = {
    "zh-CN": "好的,我们会按顺序尽快给您回电。感谢您的来电,再见。",
    "en": "Thank you. We will call you back as soon as an agent is free. Goodbye.",
}
CALLBACK_BAD_NUMBER: Prompt = {
    "zh-CN": "对不起,这个号码无法回拨。",
    "en": "Sorry, we cannot call that number back.",
}
VOICEMAIL_THANKS: Prompt = {
    "zh-CN": "您的留言已收到,我们会尽快处理。再见。",
    "en": "Your message has been received; we will get back to you soon. Goodbye.",
}
VOICEMAIL_DEFAULT: Prompt = {
    "zh-CN": "请在提示音后留言,说明您的姓名和问题,按井号键结束。",
    "en": "Please leave your name and your question after the tone, then press the hash key.",
}
TRANSFER_FAILED: Prompt = {
    "zh-CN": "对不起,转接未能接通,请稍后再拨。",
    "en": "Sorry, the transfer could not be connected. Please call again later.",
}
CALLBACK_GREETING: Prompt = {
    "zh-CN": "您好,这里是{company},您之前预约了回电,正在为您接通客服代表,请稍候。",
    "en": "Hello, this is {company} calling you back as you asked. Connecting you to an agent now.",
}
NO_TICKET: Prompt = {
    "zh-CN": "没有找到您的服务记录。",
    "en": "We found no earlier service request of yours.",
}
ID_FOR_ORDER: Prompt = {
    "zh-CN": "为保护您的信息,请输入该订单登记证件号码的后四位(字母X请按星号键),以井号键结束。",
    "en": "To protect your information, please key in the last four characters of the ID registered for this order "
    "(press star for X), then press hash.",
}
NO_STATUS_UNVERIFIED: Prompt = {
    "zh-CN": "对不起,未能核实您的身份,无法为您提供订单或工单的状态,请由人工客服为您服务。",
    "en": "Sorry, as we could not verify who you are, we cannot give you the status of an order or request; "
    "an agent will help you.",
}
# What a caller hears of their ticket's status (the customer's view: received, being handled, done).
TICKET_STATUS_NAMES = {
    "new": {"zh-CN": "已受理", "en": "received"},
    "acknowledged": {"zh-CN": "已受理", "en": "received"},
    "dispatched": {"zh-CN": "已派单", "en": "passed to the service team"},
    "in_progress": {"zh-CN": "处理中", "en": "in progress"},
    "waiting_customer": {"zh-CN": "等待您的回复", "en": "waiting for your reply"},
    "waiting_parts": {"zh-CN": "等待配件", "en": "waiting for parts"},
    "under_review": {"zh-CN": "审核中", "en": "under review"},
    "pickup": {"zh-CN": "待取件", "en": "waiting for pickup"},
    "resolved": {"zh-CN": "已解决", "en": "resolved"},
    "return_visit": {"zh-CN": "已解决", "en": "resolved"},
    "closed": {"zh-CN": "已关闭", "en": "closed"},
    "reopened": {"zh-CN": "处理中", "en": "in progress"},
    "merged": {"zh-CN": "已合并", "en": "merged with another request"},
}


def position(place: int | None, wait_seconds: float | None = None) -> Prompt:
    """What a waiting caller hears about their place and, when known, the expected wait."""
    if place is None:
        return {"zh-CN": "正在为您转接,请稍候。", "en": "Connecting you now, please hold."}
    if place == 1:
        where = {"zh-CN": "您是下一位", "en": "You are next in line"}
    else:
        ahead = place - 1
        english = "There is 1 caller ahead of you" if ahead == 1 else f"There are {ahead} callers ahead of you"
        where = {"zh-CN": f"您前面还有{ahead}位客户", "en": english}
    if wait_seconds is None or wait_seconds < 60:
        return {"zh-CN": where["zh-CN"] + ",请稍候。", "en": where["en"] + ". Please hold."}
    minutes = round(wait_seconds / 60)
    return {
        "zh-CN": where["zh-CN"] + f",预计等待约{minutes}分钟,请稍候。",
        "en": where["en"] + f". The expected wait is about {minutes} minute{'s' if minutes != 1 else ''}. Please hold.",
    }


def spoken_digits(number: str) -> str:
    """Digits spaced out so text-to-speech reads them one by one."""
    return " ".join(ch for ch in number if ch.isdigit())


def callback_confirm(number: str) -> Prompt:
    """Ask the caller to confirm the number we will call back."""
    tail = spoken_digits(number[-4:])
    return {
        "zh-CN": f"我们将回拨尾号为{tail}的号码。确认请按1,使用其他号码请按2。",
        "en": f"We will call you back on the number ending in {tail}. To confirm press 1; for another number press 2.",
    }


def callback_scheduled(when: datetime) -> Prompt:
    """Told when the callback can only be made once callback hours open again."""
    return {
        "zh-CN": f"现在不在回电时间内,我们将于{when.month}月{when.day}日{when:%H:%M}以后给您回电。再见。",
        "en": f"We are outside callback hours; we will call you back after {when:%H:%M} on {when:%d %B}. Goodbye.",
    }


def ticket_status(number: str, category: str | None, status: str, updated: datetime) -> Prompt:
    """The caller's latest ticket, read out by self-service."""
    names = TICKET_STATUS_NAMES[status]
    zh_what = f"({category_label(category, 'zh-CN')})" if category else ""
    en_what = f" ({category_label(category, 'en').lower()})" if category else ""
    return {
        "zh-CN": f"您最近的工单{spoken_digits(number)}{zh_what},目前状态:{names['zh-CN']},"
        f"更新于{updated.month}月{updated.day}日。",
        "en": f"Your latest request, number {spoken_digits(number)}{en_what}, is "
        f"{names['en']}; last updated on {updated:%d %B}.",
    }


def order_status(number: str, product: str, status: str) -> Prompt:
    """The caller's latest order, read out by self-service."""
    return {
        "zh-CN": f"您最近的订单{spoken_digits(number)},商品{product},状态:{status}。",
        "en": f"Your latest order, number {spoken_digits(number)}, {product}, is {status}.",
    }
