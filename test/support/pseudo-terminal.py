"""Runs a command in a pseudo-terminal, as if a person sat at it: this process's stdin is what they type, its stdout
what the terminal shows. The command's pid is written to stderr first ("pid N"). Exits with the command's code.
Window: 100 columns, 40 rows."""
import fcntl
import os
import pty
import select
import struct
import sys
import termios

pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 100, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])

sys.stderr.write(f"pid {pid}\n")
sys.stderr.flush()
reading = True
while True:
    fds = [fd, 0] if reading else [fd]
    ready, _, _ = select.select(fds, [], [])
    if fd in ready:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
    if reading and 0 in ready:
        data = os.read(0, 65536)
        if data:
            os.write(fd, data)
        else:
            reading = False
_, status = os.waitpid(pid, 0)
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
