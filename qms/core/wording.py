"""What window staff read when the hall refuses what they did, in Chinese.

The hall's errors say in English what went wrong, with the numbers involved, for logs, the
API and its clients. Window staff read Chinese: the staff console shows this line first with
the English message beneath it, and a keypad's small display shows this line alone. Keyed by
the errors' stable codes (rules.py, hall.py, the keypads' own checks); a code not here is
shown in English.
"""

from __future__ import annotations

STAFF_REFUSALS: dict[str, str] = {
    # the window's state does not allow the action (rules.check_window)
    "window_closed": "窗口未登录，请先登录窗口",
    "window_paused": "窗口暂停中，请先恢复",
    "window_open": "窗口已登录",
    "window_not_paused": "窗口未暂停",
    "no_ticket_at_window": "本窗口没有已呼叫的号，请先叫号",
    "window_busy": "当前号尚未办结，请先办结、转移或过号",
    # the action itself
    "recall_cooldown": "刚刚呼叫过，请稍后再重呼",
    "recall_limit": "已达呼叫次数上限，请按过号",
    "reason_required": "请填写原因",
    "not_served_here": "本窗口不办理该业务",
    "not_held_here": "该号未在本窗口暂挂",
    "transfer_target_missing": "请选择转往的业务或窗口",
    "transfer_to_self": "该号已在本窗口",
    "use_transfer": "转办请使用“转移”",
    "unknown_service": "没有这项业务",
    "unknown_window": "没有这个窗口",
    "unknown_ticket": "今天没有这个号",
    # who may act where
    "staff_missing": "请输入工作人员账号",
    "unknown_staff": "没有这个工作人员账号",
    "window_not_allowed": "您不能登录这个窗口",
    "not_your_window": "这个窗口由其他工作人员登录",
    "wrong_window": "这台键盘不属于这个窗口",
    # the ticket's state (rules.check_ticket: "ticket_" + state)
    "ticket_waiting": "该号仍在等候",
    "ticket_called": "该号已被呼叫",
    "ticket_serving": "该号正在办理",
    "ticket_held": "该号已暂挂",
    "ticket_finished": "该号已办结",
    "ticket_no_show": "该号已过号",
    "ticket_cancelled": "该号已取消排队",
    "ticket_expired": "该号已过期",
    # the server
    "storage_unavailable": "系统暂时无法保存，请稍后再试",
    "hall_stopped": "系统正在重启，请稍后再试",
}


def staff_refusal(code: str, message: str) -> str:
    """The Chinese line for a refusal with the stable `code`, else the English `message`."""
    return STAFF_REFUSALS.get(code, message)
