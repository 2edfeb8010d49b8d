"""The ticket benchmark's Chinese text: subjects, descriptions and solutions of appliance repairs, complaints,
enquiries, orders and returns, put together from a small set of phrases, and their search tokens.

Tokens come from `search_tokens()` one clause at a time and are memoised: its tokens of a text are the tokens of
each run of Chinese (split at punctuation) and of each other word, in order, each once, so joining the clauses'
tokens gives the same string as one call over the ticket's fields (`check_tokens` holds a sample to that). jieba
costs ~0.5 ms per ticket on this machine; a million tickets hold a few thousand distinct clauses.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from contactcenter.tickets.search import search_tokens

BRANDS = ("美的", "格力", "海尔", "海信", "小米", "西门子", "松下", "方太", "老板", "华帝")
# product, its model numbers, its symptoms
PRODUCTS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "空调",
        ("KFR-35GW/BP3DN8Y", "KFR-26GW/N8MJA3", "KFR-72LW/FX1"),
        ("不制冷", "不制热", "漏水", "外机不转", "噪音很大", "显示故障代码E4"),
    ),
    (
        "冰箱",
        ("BCD-470WDPG", "BCD-521WKPZM"),
        ("不制冷", "冷藏室结冰", "有异味", "压缩机一直响", "门关不严", "显示屏不亮"),
    ),
    (
        "洗衣机",
        ("XQG100-BD14376LU", "TG100V120WDG"),
        ("脱水时晃动厉害", "不排水", "漏水", "无法开机", "滚筒不转", "显示故障代码E21"),
    ),
    (
        "热水器",
        ("JSQ30-16WH5D", "F80-21A1"),
        ("出水温度忽冷忽热", "点不着火", "漏水", "加热很慢", "频繁跳闸", "显示故障代码E1"),
    ),
    ("燃气灶", ("JZT-Q216B", "JZT-9B13"), ("点不着火", "火焰发红", "打火后熄灭", "旋钮松动")),
    ("油烟机", ("CXW-200-EC906", "CXW-260-J25"), ("吸力变小", "噪音很大", "漏油", "按键失灵")),
    ("电视", ("65E3H", "L55M7-A2"), ("无法开机", "屏幕有竖线", "没有声音", "遥控器失灵", "画面卡顿")),
    ("洗碗机", ("WQP12-W5201L", "SJ235W01JC"), ("洗不干净", "不进水", "漏水", "烘干效果差")),
    ("净水器", ("MRO1891D-1000G", "HRO6H72-3"), ("出水很慢", "滤芯提示灯常亮", "漏水", "水有异味")),
    ("扫地机器人", ("STYTJ05ZHM", "T10-Turbo"), ("不回充", "吸力变小", "地图丢失", "轮子卡住")),
    ("电饭煲", ("MB-FB40Star", "IHT-40A"), ("不加热", "煮饭夹生", "内胆涂层脱落", "显示故障代码E3")),
    ("微波炉", ("M1-L213C", "NN-GF39KW"), ("不加热", "转盘不转", "打火花", "门打不开")),
)
WHEN = (
    "昨天开始",
    "上周开始",
    "用了半年就",
    "刚安装三天就",
    "今天早上突然",
    "最近一个月经常",
    "前天晚上",
    "用了两年多",
)
CONTEXT = (
    "家里有老人和小孩",
    "天气太热了",
    "已经打过三次电话",
    "这是第二次报修了",
    "购买不到一年",
    "在保修期内",
    "自己检查过电源和插座",
    "上次维修后好了一周",
    "白天家里没人",
    "小区在郊区比较远",
)
REQUEST = (
    "希望尽快上门维修",
    "请安排师傅上门检查",
    "要求更换新机",
    "要求退货退款",
    "想咨询一下保修期",
    "希望今天能处理",
    "请师傅周末上门",
    "上门前请先电话联系",
)
COMPLAINT = (
    ("上门迟到", "维修师傅上门迟到两个小时也没有提前通知"),
    ("维修后问题依旧", "师傅修过一次之后问题依旧"),
    ("电话打不通", "客服电话一直打不通"),
    ("乱收费", "师傅多收了上门费还不给发票"),
    ("配件迟迟不到", "说好的配件等了两周还没到"),
    ("服务态度差", "售后服务态度很差"),
    ("安装损坏墙面", "安装师傅把墙面弄坏了也不赔偿"),
    ("承诺未兑现", "承诺的回电一直没有"),
)
COMPLAINT_DEMAND = ("要求赔偿损失", "要求退款并道歉", "要求更换维修师傅", "要求主管回电", "否则向消费者协会投诉")
TOPIC = ("清洗方法", "保修期", "延保服务", "以旧换新活动", "安装费用", "节能补贴", "使用方法")
QUESTION = ("请问需要另外收费吗", "请问怎么办理", "请问在哪里可以查到", "请把详细说明发给我")
SHOP = ("官方旗舰店", "京东自营", "天猫", "线下门店", "苏宁易购")
ORDER_ISSUE = (
    ("未发货", "订单付款一周了还没发货"),
    ("物流不更新", "物流信息三天没有更新"),
    ("包装破损", "收到时外包装破损"),
    ("发票问题", "发票一直没有开出来"),
    ("修改地址", "想修改收货地址"),
)
RETURN_REASON = ("外观有划痕", "尺寸不合适", "七天无理由", "收到就有故障", "颜色发错了")
SOLUTION = (
    "已安排师傅上门，更换压缩机后恢复正常",
    "已上门清洗并更换滤网，测试正常",
    "已更换主板，客户确认问题解决",
    "已补发配件，客户自行安装完成",
    "已向客户解释保修政策，客户表示理解",
    "已办理退款，款项原路退回",
    "已为客户更换新机",
    "已赔偿客户上门费并致歉",
    "已指导客户重置设备，问题解决",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"

# Category, its share of the tickets and the queue it is routed to.
CATEGORIES = (
    ("repair", 0.45, "repair"),
    ("consultation", 0.20, "general"),
    ("complaint", 0.15, "complaints"),
    ("order", 0.10, "orders"),
    ("return_exchange", 0.07, "returns"),
    ("other", 0.03, "general"),
)


@dataclass(frozen=True)
class Text:
    subject: str
    clauses: tuple[str, ...]  # the description is these joined by "，" and ended by "。"
    product_model: str | None
    brand_product: str  # e.g. 美的空调: what search queries are made of

    @property
    def description(self) -> str:
        return "，".join(self.clauses) + "。"


def ticket_text(rng: random.Random, category: str) -> Text:
    """A subject and a description in a customer's words for one ticket of the category."""
    brand = rng.choice(BRANDS)
    product, models, symptoms = rng.choice(PRODUCTS)
    model = rng.choice(models)
    when = rng.choice(WHEN)
    if category == "repair":
        symptom = rng.choice(symptoms)
        clauses = [f"{brand}{product}{when}{symptom}"]
        if rng.random() < 0.4:
            clauses.append(f"而且{rng.choice(symptoms)}")
        if rng.random() < 0.6:
            clauses.append(rng.choice(CONTEXT))
        clauses.append(rng.choice(REQUEST))
        return Text(f"{product}{symptom}", tuple(clauses), model, brand + product)
    if category == "complaint":
        short, detail = rng.choice(COMPLAINT)
        clauses = [f"{when}报修的{brand}{product}", detail]
        if rng.random() < 0.5:
            clauses.append(rng.choice(CONTEXT))
        clauses.append(rng.choice(COMPLAINT_DEMAND))
        return Text(f"投诉：{short}", tuple(clauses), model if rng.random() < 0.5 else None, brand + product)
    if category == "consultation":
        topic = rng.choice(TOPIC)
        return Text(
            f"咨询{product}{topic}",
            (f"想了解一下{brand}{product}的{topic}", rng.choice(QUESTION)),
            None,
            brand + product,
        )
    if category == "order":
        short, detail = rng.choice(ORDER_ISSUE)
        bought = f"{when}在{rng.choice(SHOP)}买的{brand}{product}"
        return Text(f"订单{short}", (bought, detail, rng.choice(REQUEST)), model, brand + product)
    if category == "return_exchange":
        reason = rng.choice(RETURN_REASON)
        bought = f"在{rng.choice(SHOP)}买的{brand}{product}{reason}"
        return Text(f"{product}{reason}申请退换", (bought, "申请退换货", rng.choice(REQUEST)), model, brand + product)
    return Text("其他问题", (rng.choice(CONTEXT), rng.choice(QUESTION)), None, brand + product)


def solution(rng: random.Random) -> str:
    return rng.choice(SOLUTION) + "。"


class Tokens:
    """search_tokens() of a ticket's fields, one clause at a time, memoised."""

    def __init__(self) -> None:
        self._memo: dict[str, tuple[str, ...]] = {}

    def _of(self, piece: str | None) -> tuple[str, ...]:
        if not piece:
            return ()
        found = self._memo.get(piece)
        if found is None:
            found = self._memo[piece] = tuple(search_tokens(piece).split())
        return found

    def of(self, *, serial: str, text: Text, solution: str | None) -> str:
        """The tokens search_tokens(serial, model, subject, description, solution) gives, as tickets/search.py
        orders its fields (tickets/search.py `_FIELDS`)."""
        parts = chain(
            search_tokens(serial).split(),
            self._of(text.product_model),
            self._of(text.subject),
            *(self._of(clause) for clause in text.clauses),
            self._of(solution),
        )
        return " ".join(dict.fromkeys(parts))

    @property
    def distinct(self) -> int:
        return len(self._memo)


def check_tokens(samples: Iterator[tuple[str, Text, str | None]], tokens: Tokens) -> None:
    """The memoised tokens equal one search_tokens() call over the same fields (raises if not)."""
    for serial, text, fixed in samples:
        whole = search_tokens(serial, text.product_model, text.subject, text.description, fixed)
        if tokens.of(serial=serial, text=text, solution=fixed) != whole:
            raise AssertionError(f"memoised tokens differ from search_tokens() for {text.subject}")


def search_queries(rng: random.Random, count: int, serials: list[str]) -> list[tuple[str, str]]:
    """(kind, q): what agents type into the desk's search: 1-3 Chinese words, or a serial number."""
    out: list[tuple[str, str]] = []
    for index in range(count):
        brand = rng.choice(BRANDS)
        product, _, symptoms = rng.choice(PRODUCTS)
        pick = index % 5
        if pick == 0:
            out.append(("1 word", rng.choice((product, brand, "退款", "漏水", "投诉", "保修期", "师傅", "异味"))))
        elif pick == 1:
            out.append(("2 words", f"{product} {rng.choice(symptoms)}"))
        elif pick == 2:
            short, _ = rng.choice(COMPLAINT)
            out.append(("2 words", rng.choice((f"{brand} {product}", short, f"{product} 退货"))))
        elif pick == 3:
            out.append(("3 words", f"{brand} {product} {rng.choice(symptoms)}"))
        else:
            out.append(("serial", rng.choice(serials)))
    return out
