"""What a dispenser shows after a booking check-in (`evt/checkin`), in the hall's language.

The booking actor's errors say in English what went wrong, for logs and the API; a citizen at
the dispenser reads a short Chinese line and what to do next. The stable `error` code of the
ack stays the booking's own, so a dispenser can also choose its own wording by code.
"""

from __future__ import annotations

from qms.core.model import PriorityClass
from qms.service.booking import CheckedIn

REFUSALS = {
    "unknown_booking": "未找到该预约，请核对预约码",
    "no_booking_today": "该证件今日在本厅没有预约，请取普通号",
    "invalid_id_number": "身份证号码有误，请重新读卡",
    "booking_too_early": "未到签到时间，请在预约时段开始前{early}分钟内签到",
    "booking_late": "已超过签到时间，请取普通号",
    "booking_missed": "预约已过期，请取普通号",
    "booking_cancelled": "该预约已取消，请取普通号",
    "booking_disabled": "本大厅未开通网上预约，请取普通号",
    "bad_value": "预约码或身份证号码有误，请重试",
    "missing_field": "请输入预约码或读取身份证",
    "storage_unavailable": "系统繁忙，请稍后重试",
    "hall_stopped": "系统维护中，请稍后重试",
}


def refusal_text(code: str, message: str, early_minutes: float = 0) -> str:
    """The dispenser's line for a check-in refused with the stable `code` (else `message`)."""
    text = REFUSALS.get(code)
    if text is None:
        return message[:300]
    return text.format(early=f"{early_minutes:.0f}")


def checked_in_text(done: CheckedIn) -> str:
    """The dispenser's line after a check-in: the number, and why it is not a booking ticket when late."""
    if done.booking.late or done.ticket.priority is not PriorityClass.BOOKING:  # late: an ordinary ticket
        return f"签到成功 {done.ticket.number}（已过预约时间，按普通号排队）"
    return f"签到成功 {done.ticket.number}（预约优先）"
