"""Runs a command on a pseudo-terminal, answers its prompts in order, and prints everything the
terminal showed, then the command's exit code on a last line. A test's stand-in for a person typing:
what is echoed here is what a person would see.

    answer-prompts.py '<prompt 1>' '<answer 1>' ['<prompt 2>' '<answer 2>' ...] -- <command> [args...]
"""
import os, pty, select, sys, time

args = sys.argv[1:]
split = args.index('--')
pairs, command = args[:split], args[split + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

shown = b''
def read(until=None, timeout=30.0):
    global shown
    end = time.time() + timeout
    while time.time() < end and (until is None or until not in shown):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return
            if not chunk:
                return
            shown += chunk

for prompt, answer in zip(pairs[0::2], pairs[1::2]):
    read(prompt.encode())
    os.write(fd, answer.encode() + b'\n')
read()
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors='replace'))
sys.stdout.write(f'\nexit={os.waitstatus_to_exitcode(status)}\n')
