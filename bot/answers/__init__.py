"""The answer process: answers in a process of their own, so acks never wait for them.

`finops-bot serve` (HTTP) verifies and acks every Slack request in its own process, then
forwards slash commands, clicks and events to one child process that runs the handlers
on its answer pool and replies through `response_url` and the Web API. Rendering answers
and parsing scans is Python CPU: sharing one interpreter with the acks, it made acks wait
for the interpreter (mixed burst, benchmarks/mixed_burst.py). Modal submissions stay in
the acking process (their ack carries the form's errors), and so does everything while
the child starts or restarts after a crash. FINOPS_ANSWER_PROCESS=0 keeps all in one.
"""
