"""A tiny help center where the right answer is obvious, and an encoder wrapper that records what
it encodes: for tests, and for scripts that exercise the engine without the real model."""

from __future__ import annotations

import textwrap
from pathlib import Path

from ..embed import HashingEncoder

TINY = {
    "account/forgot-password.md": """\
        ---
        title: 忘记登录密码怎么办
        category: account
        language: zh
        tags: [密码, 重置]
        url: https://help.example.com/a/forgot-password
        ---
        在登录页点击「忘记密码」，我们会向注册邮箱发送重置链接。

        ## 重置密码的步骤
        1. 打开登录页，点击忘记密码。
        2. 查收邮件，点击重置链接，设置新密码。

        ## 收不到邮件
        请检查垃圾邮件文件夹，或稍后重新发送。
        """,
    "withdrawals/withdrawal-time.md": """\
        ---
        title: 提现多久到账
        category: withdrawals
        language: zh
        url: https://help.example.com/a/withdrawal-time
        ---
        提现到银行卡一般需要 1-3 个工作日到账。

        ## 超过三天没到账
        请在资金记录里查看提现状态，然后联系客服。
        """,
    "withdrawals/withdrawal-fees.md": """\
        ---
        title: 提现手续费
        category: withdrawals
        language: zh
        ---
        提现到银行卡收取 1% 手续费，每月首次提现免费。
        """,
    "payments/payment-failed-en.md": """\
        ---
        title: Payment failed
        category: payments
        language: en
        url: https://help.example.com/a/payment-failed-en
        ---
        If a payment fails, check your balance and card expiry date, then restart the app.

        ## Card declined
        Your bank may decline the card. Call the bank or use another card.
        """,
    "contact/contact-support.md": """\
        ---
        title: 联系客服
        category: contact
        language: zh
        ---
        您可以通过在线客服、电话或邮件 support@example.com 联系我们。
        """,
    "internal/agent-refund-approval.md": """\
        ---
        title: 【内部】退款审批权限
        category: internal
        language: zh
        visibility: internal
        ---
        一线客服可直接批准 500 元以下的退款，超过需要主管审批，内部代码 ZEBRA-42。

        ## 审批流程
        在工单系统中选择退款审批，填写 ZEBRA-42 风控编号。
        """,
}


def write_articles(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (path relative to `root` -> text, dedented) as UTF-8, creating folders;
    returns `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


class CountingEncoder:
    """Wraps an encoder (default `HashingEncoder(64)`) and records every passage and query text it
    is asked to encode (`passages`, `queries`); same `id` and `dim` as the inner encoder."""

    def __init__(self, inner=None):
        self.inner = inner or HashingEncoder(64)
        self.id, self.dim = self.inner.id, self.inner.dim
        self.passages: list[str] = []
        self.queries: list[str] = []

    def encode_queries(self, texts):
        """Appends `texts` to `queries`, then returns the inner encoder's query vectors."""
        self.queries.extend(texts)
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts):
        """Appends `texts` to `passages`, then returns the inner encoder's vectors."""
        self.passages.extend(texts)
        return self.inner.encode_passages(texts)
