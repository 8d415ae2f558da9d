"""The server tells people (issue 19): the complaint ladder on the server's schedule, messages by
e-mail and group robots (WeCom, DingTalk, Feishu) in each recipient's language with routing
rules, retries and a dead-letter list, a daily digest, and (with :mod:`..calendar`) a calendar
feed per user.

Modules: :mod:`.settings` (environment), :mod:`.secrets` (channel secrets at rest),
:mod:`.store` (SQL), :mod:`.rules` (who receives what), :mod:`.messages` (the texts),
:mod:`.channels` (formats, signatures, sending), :mod:`.outbox` (retries, dead letters),
:mod:`.escalation`, :mod:`.agenda`, :mod:`.digest`, :mod:`.scheduler` (the serving process's
thread), :mod:`.admin` (operations of the CLI and the API), :mod:`.api` (HTTP), :mod:`.cli`.
The server never imports ``accountdesk.services``, ``ui`` or ``cli``: the complaint clock's rules
come from :mod:`accountdesk.domain`.
"""
